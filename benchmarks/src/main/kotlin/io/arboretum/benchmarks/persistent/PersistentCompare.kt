package io.arboretum.benchmarks.persistent

import com.github.ajalt.clikt.core.CliktCommand
import com.github.ajalt.clikt.core.Context
import com.github.ajalt.clikt.core.UsageError
import com.github.ajalt.clikt.core.main
import com.github.ajalt.clikt.parameters.options.default
import com.github.ajalt.clikt.parameters.options.option
import com.github.ajalt.clikt.parameters.options.split
import com.github.ajalt.clikt.parameters.types.choice
import com.github.ajalt.clikt.parameters.types.double
import com.github.ajalt.clikt.parameters.types.int
import com.github.ajalt.clikt.parameters.types.long
import com.github.ajalt.clikt.parameters.types.path
import com.github.ajalt.clikt.parameters.types.restrictTo
import io.arboretum.benchmarks.ComparisonReport
import io.arboretum.benchmarks.KeyDistribution
import io.arboretum.benchmarks.ReportWriter
import io.arboretum.benchmarks.ThroughputResult
import java.io.File
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.Paths
import java.time.Instant
import java.util.Locale

/** The command line of [PersistentCompare]; [action] receives the settings, the report folder and the child's result file. */
internal class PersistentCommand(private val action: (PersistentSettings, Path, Path?) -> Unit) : CliktCommand(name = "PersistentCompare") {
    override fun help(context: Context): String = """Runs the Bf-tree against RocksDB, LMDB, H2 MVStore and MapDB's file
        store: load, YCSB and point-read / scan-100 / write cells side by side, bytes on disk, write amplification and
        recovery, and writes index.html, results.json and results.csv. full (default): 1M records, 16 MiB budget.
        quick: the main job's persistent section (50k records, 1.25 MiB budget, a few cells).""".trimIndent()

    private val profile by option("--profile", help = "full (default) or quick").choice("full", "quick").default("full")
    private val stores by option("--stores", help = "stores, comma-separated (default: all of ${PersistentStores.names.joinToString()})").split(",")
    private val records by option("--records", help = "records loaded (full 1000000, quick 50000)").int().restrictTo(min = 1)
    private val budgetMib by option("--budget-mib", help = "memory budget per store in MiB (full 16, quick 1.25)").double().restrictTo(min = 0.25)
    private val threads by option("--threads", help = "thread counts (full 1,2; quick 1)").int().restrictTo(min = 1).split(",")
    private val workloads by option("--workloads", help = "asynchronous cells: A-F, get, scan100, put (full all; quick get,scan100,put)").split(",")
    private val syncWorkloads by option("--sync-workloads", help = "synchronous cells, uniform keys only (full put,A; quick put; none: empty)").split(",")
    private val distributions by option("--distributions", help = "uniform, zipfian (full both, quick uniform)").choice("uniform", "zipfian").split(",")
    private val rounds by option("--rounds", help = "measured rounds per store and cell (full 3, quick 2)").int().restrictTo(min = 1)
    private val roundMs by option("--round-ms", help = "length of a round (full 1000, quick 300)").long().restrictTo(min = 1)
    private val warmupMs by option("--warmup-ms", help = "warm-up per store and cell (full 1000, quick 200)").long().restrictTo(min = 0)
    private val updates by option("--updates", help = "random overwrites measured for write amplification (full records/4, quick 0)").int().restrictTo(min = 0)
    private val recoveryRecords by option("--recovery-records", help = "records written before the simulated crash (full = records, quick 0 = skipped)").int().restrictTo(min = 0)
    private val dir by option("--dir", help = "folder for the stores (default benchmarks/target/persistent-stores if benchmarks/target exists, else the temp folder); not tmpfs").path()
    private val out by option("--out", help = "report folder (default reports/persistent)").path().default(Paths.get("reports", "persistent"))
    private val child by option(PersistentCompare.CHILD, hidden = true).path()

    override fun run() {
        val quick = profile == "quick"
        val n = records ?: if (quick) 50_000 else 1_000_000
        val names = stores?.map { it.trim() }?.filter { it.isNotEmpty() } ?: PersistentStores.names
        if (names.isEmpty()) throw UsageError("--stores selected no store")
        names.forEach { runCatching { PersistentStores.byName(it) }.onFailure { e -> throw UsageError("--stores: ${e.message}") } }
        val ts = threads ?: if (quick) listOf(1) else listOf(1, 2)
        val dists = (distributions ?: if (quick) listOf("uniform") else listOf("uniform", "zipfian")).distinct().map { KeyDistribution.of(it) }
        val async = workloads ?: if (quick) listOf("get", "scan100", "put") else PersistentCell.WORKLOADS
        val sync = (syncWorkloads ?: if (quick) listOf("put") else listOf("put", "A")).filter { it.isNotBlank() }
        for (w in async + sync) if (w !in PersistentCell.WORKLOADS) throw UsageError("unknown workload '$w'; known: ${PersistentCell.WORKLOADS.joinToString()}")
        val cells = ts.flatMap { t -> dists.flatMap { d -> async.map { PersistentCell(it, d, t, StoreDurability.ASYNC) } } } +
            ts.flatMap { t -> sync.map { PersistentCell(it, KeyDistribution.UNIFORM, t, StoreDurability.SYNC) } }
        val settings = PersistentSettings(
            stores = names, records = n, budget = ((budgetMib ?: if (quick) 1.25 else 16.0) * (1 shl 20)).toLong(), cells = cells,
            warmupMs = warmupMs ?: if (quick) 200 else 1000, roundMs = roundMs ?: if (quick) 300 else 1000,
            rounds = rounds ?: if (quick) 2 else 3, updates = updates ?: if (quick) 0 else n / 4,
            recoveryRecords = recoveryRecords ?: if (quick) 0 else n, dir = dir ?: PersistentCompare.defaultDir(),
        )
        action(settings, out, child)
    }
}

/**
 * The persistent comparison of issue 20: the Bf-tree against RocksDB, LMDB, H2 MVStore and MapDB's
 * file store, each with the same memory budget and durability (see [PersistentStores] for what
 * each store's settings are), side by side in one JVM. Writes `index.html`, `results.json` and
 * `results.csv` (default folder `reports/persistent`), the throughput cells with their ratio to
 * RocksDB and a table of bytes on disk per record, write amplification and recovery time.
 *
 * The measuring JVM needs `--add-opens` for lmdbjava, so this entry point starts it as a child
 * ([javaCommand]); the main job ([io.arboretum.benchmarks.Compare]) runs the quick profile the
 * same way ([runInChild]). Options: `--help`.
 */
object PersistentCompare {
    /** Hidden option: this JVM measures and writes its results to the given file. */
    const val CHILD: String = "--child"

    /** First argument of the recovery writer JVM: `--recovery-writer STORE DIR RECORDS BUDGET`. */
    const val WRITER: String = "--recovery-writer"

    /** Flags of every measuring JVM: a fixed 2 GB heap and the opens lmdbjava needs. */
    val JVM_FLAGS: List<String> = listOf("-Xms2g", "-Xmx2g",
        "--add-opens", "java.base/java.nio=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED")

    /** Entry point; see the class documentation. */
    @JvmStatic
    fun main(args: Array<String>) {
        if (args.firstOrNull() == WRITER) {
            require(args.size == 5) { "usage: $WRITER STORE DIR RECORDS BUDGET" }
            PersistentBench.writeAndCrash(args[1], Paths.get(args[2]), args[3].toInt(), args[4].toLong())
        }
        val started = System.currentTimeMillis()
        PersistentCommand { settings, out, child ->
            val say: (String) -> Unit = { println(String.format(Locale.ROOT, "[%4ds] %s", (System.currentTimeMillis() - started) / 1000, it)) }
            if (child != null) {
                Files.writeString(child, format(PersistentBench(settings, say).run()))
            } else {
                say("persistent comparison: ${settings.stores.joinToString()}, ${settings.records} records, " +
                    "budget ${PersistentBench.fmt(settings.budget / 1048576.0)} MiB, ${settings.cells.size} cells, stores under ${settings.dir}")
                val r = runInChild(args.toList())
                val env = linkedMapOf("date" to Instant.now().toString(),
                    "jvm" to "${System.getProperty("java.vm.name")} ${System.getProperty("java.version")}",
                    "cores" to Runtime.getRuntime().availableProcessors().toString(),
                    "heap" to JVM_FLAGS.take(2).joinToString(" ")) + r.environment +
                    ("elapsed" to "${(System.currentTimeMillis() - started) / 1000} s")
                val report = ComparisonReport(r.rows, emptyList(), env, r.stores)
                println()
                print(ReportWriter.consoleTable(report))
                val files = ReportWriter.write(report, out)
                println("\nreport: ${files.joinToString { it.toAbsolutePath().normalize().toString() }}")
            }
        }.main(args)
    }

    /** `benchmarks/target/persistent-stores` when run from the repository root after a build, else under the temp folder. */
    fun defaultDir(): Path {
        val target = Paths.get("benchmarks", "target")
        return if (Files.isDirectory(target)) target.resolve("persistent-stores")
        else Paths.get(System.getProperty("java.io.tmpdir"), "arboretum-persistent-stores")
    }

    /** `java` with [JVM_FLAGS] and this JVM's class path, running this class with [args]. */
    fun javaCommand(args: List<String>): List<String> =
        listOf(File(System.getProperty("java.home"), "bin/java").path) + JVM_FLAGS +
            listOf("-cp", System.getProperty("java.class.path"), PersistentCompare::class.java.name) + args

    /** Runs the comparison with command-line [args] in a child JVM (output inherited) and returns its results. */
    fun runInChild(args: List<String>): PersistentResults {
        val file = Files.createTempFile("arboretum-persistent", ".tsv")
        try {
            val rc = ProcessBuilder(javaCommand(args + listOf(CHILD, file.toString()))).inheritIO().start().waitFor()
            val lines = Files.readAllLines(file).filter { it.isNotBlank() }
            if (rc != 0 || lines.isEmpty()) throw IllegalStateException("the persistent comparison's JVM exited with status $rc and no results")
            return parse(lines)
        } finally {
            Files.deleteIfExists(file)
        }
    }

    private fun clean(s: String) = s.replace('\t', ' ').replace('\n', ' ')

    private fun num(d: Double) = if (d.isNaN()) "NaN" else d.toString()

    /** [r] as tab-separated lines (`row`, `store`, `env`), read back by [parse]. */
    internal fun format(r: PersistentResults): String = buildString {
        for (t in r.rows) append(listOf("row", t.suite, t.workload, t.distribution, t.regime, t.threads.toString(), t.impl,
            t.forkScores.joinToString(";"), clean(t.note)).joinToString("\t")).append('\n')
        for (s in r.stores) append(listOf("store", s.store, s.records, s.budget, num(s.loadSeconds), s.bytesOnDisk,
            num(s.loadWriteAmp), num(s.loadWriteAmpLogical), s.updates, num(s.updateWriteAmp), num(s.updateWriteAmpLogical),
            s.recoveryRecords, s.recoveryLogBytes, num(s.recoveryMs), clean(s.note)).joinToString("\t")).append('\n')
        for ((k, v) in r.environment) append("env\t${clean(k)}\t${clean(v)}\n")
    }

    /** Reads what [format] wrote. */
    internal fun parse(lines: List<String>): PersistentResults {
        val rows = mutableListOf<ThroughputResult>()
        val stores = mutableListOf<StoreResult>()
        val env = linkedMapOf<String, String>()
        for (line in lines) {
            val f = line.split('\t')
            when (f[0]) {
                "row" -> rows += ThroughputResult(f[1], f[2], f[3], f[4], f[5].toInt(), f[6],
                    f[7].split(';').filter { it.isNotEmpty() }.map { it.toDouble() }, f[8])
                "store" -> stores += StoreResult(f[1], f[2].toLong(), f[3].toLong(), f[4].toDouble(), f[5].toLong(),
                    f[6].toDouble(), f[7].toDouble(), f[8].toLong(), f[9].toDouble(), f[10].toDouble(),
                    f[11].toLong(), f[12].toLong(), f[13].toDouble(), f[14])
                "env" -> env[f[1]] = f[2]
                else -> throw IllegalArgumentException("malformed result line: $line")
            }
        }
        return PersistentResults(rows, stores, env)
    }
}
