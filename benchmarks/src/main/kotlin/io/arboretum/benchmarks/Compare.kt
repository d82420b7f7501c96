package io.arboretum.benchmarks

import com.github.ajalt.clikt.core.CliktCommand
import com.github.ajalt.clikt.core.Context
import com.github.ajalt.clikt.core.UsageError
import com.github.ajalt.clikt.core.main
import com.github.ajalt.clikt.parameters.options.default
import com.github.ajalt.clikt.parameters.options.flag
import com.github.ajalt.clikt.parameters.options.option
import com.github.ajalt.clikt.parameters.options.split
import com.github.ajalt.clikt.parameters.types.choice
import com.github.ajalt.clikt.parameters.types.int
import com.github.ajalt.clikt.parameters.types.long
import com.github.ajalt.clikt.parameters.types.path
import com.github.ajalt.clikt.parameters.types.restrictTo
import io.arboretum.benchmarks.persistent.PersistentCompare
import io.arboretum.benchmarks.persistent.PersistentResults
import org.openjdk.jmh.results.RunResult
import org.openjdk.jmh.runner.Runner
import org.openjdk.jmh.runner.RunnerException
import org.openjdk.jmh.runner.options.OptionsBuilder
import org.openjdk.jmh.runner.options.TimeValue
import org.openjdk.jmh.runner.options.VerboseMode
import java.io.File
import java.lang.management.ManagementFactory
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.Paths
import java.nio.file.StandardOpenOption
import java.time.Instant
import java.util.Locale
import java.util.concurrent.Callable
import java.util.concurrent.Executors

/**
 * How one comparison run is configured (parsed from the command line by [CompareCommand]).
 * [childResults] set means this JVM is one fork of the quick profile, writing its rows there.
 */
internal data class Settings(
    val profile: String = "quick",
    val impls: List<String> = Implementations.names,
    val threads: List<Int> = defaultThreads(),
    val forks: Int = 2,
    val regimes: List<Regime> = listOf(Regime.AGED),
    val out: Path = Paths.get("reports", "comparison"),
    val iterationMs: Int? = null,
    val memory: Boolean = true,
    val persistent: Boolean = true,
    val long: Boolean = false,
    val childResults: Path? = null,
    val start: Int = 0,
    val clock: Long? = null,
) {
    /** Milliseconds per warm-up and measured iteration: quick 100 (300 with [long]), full 1000, unless set. */
    val iteration: Int get() = iterationMs ?: when {
        profile != "quick" -> 1000
        long -> LONG_ITERATION_MS
        else -> QUICK_ITERATION_MS
    }

    /** Arguments of the persistent section's [PersistentCompare] run: its quick profile, or with [long] its earlier, larger data set. */
    val persistentArgs: List<String> get() =
        listOf("--profile", "quick") + if (long) listOf("--records", "100000", "--budget-mib", "2.5") else emptyList()

    companion object {
        /** Default iteration of the quick profile (the benchmarks guide gives the main job's measured time with it). */
        const val QUICK_ITERATION_MS: Int = 100

        /** Iteration of the quick profile with `--long` (the main job's default until 3 December 2026). */
        const val LONG_ITERATION_MS: Int = 300

        fun defaultThreads(): List<Int> {
            val cores = Runtime.getRuntime().availableProcessors()
            return if (cores > 2) listOf(1, 2, cores) else listOf(1, 2)
        }
    }
}

/** The command line of [Compare]; [action] receives the parsed [Settings]. */
internal class CompareCommand(private val action: (Settings) -> Unit) : CliktCommand(name = "Compare") {
    override fun help(context: Context): String = """Runs the comparison job: every registered implementation against
        ${Implementations.BASELINE}, each cell in separate JVMs (forks), and writes index.html, results.json and
        results.csv. quick (default): YCSB A-F, Long keys, zipfian, aged regime, 2 forks, 100 ms iterations, memory
        at 1M. full: every benchmark in both regimes (string-key suite included), memory at 1M and 10M.
        Both end with the persistent section: the Bf-tree against RocksDB, LMDB, H2 MVStore and MapDB's file store
        (PersistentCompare --profile quick: 50,000 records, 1.25 MiB budget). --long: the quick profile as it ran
        before, 300 ms iterations and the persistent section on 100,000 records with a 2.5 MiB budget (over
        5 minutes on 2 cores).""".trimIndent()

    private val profile by option("--profile", help = "quick (default) or full").choice("quick", "full").default("quick")
    private val impls by option("--impls", help = "implementations, comma-separated (default: all of ${Implementations.names.joinToString()})")
        .split(",")
    private val threads by option("--threads", help = "thread counts, comma-separated (default 1,2 and the core count if above 2)")
        .int().restrictTo(min = 1).split(",")
    private val forks by option("--forks", help = "JVMs per cell (default 2; the spread needs at least 2)")
        .int().restrictTo(min = 1).default(2)
    private val regimes by option("--regimes", help = "heap regimes, comma-separated: aged, fresh (default: quick aged, full both)")
        .choice("aged", "fresh").split(",")
    private val out by option("--out", help = "report folder (default reports/comparison)").path()
        .default(Paths.get("reports", "comparison"))
    private val iterationMs by option("--iteration-ms", help = "length of each warm-up and measured iteration (default: quick 100, quick --long 300, full 1000)")
        .int().restrictTo(min = 1)
    private val noMemory by option("--no-memory", help = "skip the memory-per-entry measurement").flag()
    private val noPersistent by option("--no-persistent", help = "skip the persistent section (Bf-tree against RocksDB, LMDB, MVStore, MapDB)").flag()
    private val long by option("--long", help = "longer quick profile: 300 ms iterations (unless --iteration-ms), persistent section on 100,000 records with a 2.5 MiB budget").flag()
    private val child by option("--child", hidden = true).path()
    private val start by option("--start", hidden = true).int().restrictTo(min = 0).default(0)
    private val clock by option("--clock", hidden = true).long()

    override fun run() {
        val names = impls?.map { it.trim() }?.filter { it.isNotEmpty() } ?: Implementations.names
        if (names.isEmpty()) throw UsageError("--impls selected no implementation")
        for (n in names) {
            try {
                Implementations.byName(n)
            } catch (e: IllegalArgumentException) {
                throw UsageError("--impls: ${e.message}")
            }
        }
        action(Settings(
            profile = profile, impls = names, threads = threads ?: Settings.defaultThreads(), forks = forks,
            regimes = (regimes ?: if (profile == "quick") listOf("aged") else listOf("aged", "fresh")).distinct().map { Regime.of(it) },
            out = out, iterationMs = iterationMs, memory = !noMemory, persistent = !noPersistent, long = long, childResults = child, start = start, clock = clock,
        ))
    }
}

/**
 * The comparison job: runs a selection of the JMH benchmarks on every registered implementation,
 * each cell in [Settings.forks] separate JVMs, measures memory per entry, prints a table of
 * throughput (median and range over forks) and ratio to `ConcurrentSkipListMap`, marks cells whose
 * fork spread exceeds [ReportWriter.SPREAD_LIMIT], and writes `index.html`, `results.json` and
 * `results.csv` (default folder `reports/comparison`).
 *
 * Profiles:
 * - `quick` (default; meant to stay well under 5 minutes on 2 cores, see the benchmarks guide for the measured time): YCSB A–F on `Long` keys, zipfian, 1 and 2
 *   threads (and the core count when above 2), 100,000 records, in the aged regime ([Regime]),
 *   in 2 forks. A fork is one JVM per implementation (fixed 4 GB heap) running every cell of that
 *   implementation unforked, each cell with its own map built and aged, 1 warm-up and 2 measured
 *   iterations of 100 ms ([Settings.QUICK_ITERATION_MS]; `--long` makes them 300 ms); the rounds
 *   go fork by fork, so fork `k` of every implementation runs close together in time and ratios
 *   are taken within a round. Memory at 1M entries, two fresh JVMs at a time (heap bytes, not times).
 * - `full`: JMH's own forks (2 by default), 2 × 1 s warm-up and 3 × 1 s measured: YCSB A–F on
 *   `Long` and string keys, uniform and zipfian, and the read microbenchmarks (get, 100-entry
 *   and 10,000-entry scans, 95/5 zipfian mix), in both regimes; bulk puts of 1M keys; memory at 1M and 10M entries;
 *   and the string-key suite ([StringKeyBenchmark] `get` and `scan100` in both regimes,
 *   [StringKeyPutBenchmark]; YCSB-style, URL-like and 16-byte `byte[]` keys, 1M each), which is
 *   not in the quick profile because it would take the quick job past 5 minutes.
 *
 * Both profiles end with the persistent section (`--no-persistent` skips it): the quick profile of
 * [PersistentCompare] in its own JVM, the Bf-tree against RocksDB, LMDB, H2 MVStore and MapDB's
 * file store on 50,000 records with a 1.25 MiB budget each (about 4x less than the data; `--long`:
 * 100,000 records and 2.5 MiB); its cells are reported with their ratio to RocksDB.
 *
 * Options: see [CompareCommand] (`--help` lists them).
 */
object Compare {
    private const val CHILD = "--child"

    /** Suite name of [StringKeyBenchmark] and [StringKeyPutBenchmark] cells; their distribution column is the key shape. */
    const val STRING_KEYS: String = "string-keys"

    /** Measured iterations per fork in the quick profile. */
    private const val QUICK_MEASURED = 2

    /** Entry point; see the class documentation for the options. */
    @JvmStatic
    fun main(args: Array<String>) {
        CompareCommand { run(it) }.main(args)
    }

    private fun run(settings: Settings) {
        settings.clock?.let { startedAtMs = it }
        val childFile = settings.childResults
        if (childFile != null) {
            runQuickChild(settings, childFile)
            return
        }
        val env = environment(settings)
        println("Arboretum comparison, profile ${settings.profile}: ${settings.impls.joinToString()} " +
            "(baseline ${Implementations.BASELINE}), threads ${settings.threads.joinToString()}, " +
            "regimes ${settings.regimes.joinToString { it.id }}, ${settings.forks} fork(s) per cell, ${settings.iteration} ms iterations")
        val throughput = (if (settings.profile == "quick") runQuick(settings) else runFull(settings)).toMutableList()
        var persistent: PersistentResults? = null
        if (settings.persistent) {
            progress("persistent section: Bf-tree, RocksDB, LMDB, MVStore, MapDB (PersistentCompare ${settings.persistentArgs.joinToString(" ")}, own JVM)")
            persistent = try {
                PersistentCompare.runInChild(settings.persistentArgs)
            } catch (e: IllegalStateException) {
                progress("  persistent section failed: ${e.message}")
                null
            }
            persistent?.let { throughput += it.rows }
        }
        val memory = mutableListOf<MemoryResult>()
        if (settings.memory) {
            val sizes = if (settings.profile == "quick") listOf(1_000_000L) else listOf(1_000_000L, 10_000_000L)
            for (n in sizes) memory += measureMemory(settings.impls, n)
        }
        val report = ComparisonReport(throughput, memory, env + (persistent?.environment ?: emptyMap()) +
            ("elapsed" to "${elapsed()} s") + ("load average at end" to loadAverage()), persistent?.stores ?: emptyList())
        println()
        print(ReportWriter.consoleTable(report))
        val files = ReportWriter.write(report, settings.out)
        println("\nreport: ${files.joinToString { it.toAbsolutePath().normalize().toString() }}")
        println("done in ${elapsed()} s")
    }

    /**
     * Memory JVMs run at once. Their figures are retained heap bytes after full collections, not
     * times, so they do not need the machine to themselves; runs of more than [PARALLEL_MEMORY_MAX]
     * entries (heaps of several GB) go one at a time.
     */
    private const val PARALLEL_MEMORY = 2

    /** Largest entry count measured [PARALLEL_MEMORY] JVMs at a time. */
    private const val PARALLEL_MEMORY_MAX = 1_000_000L

    /** Memory per entry of every implementation at [entries] entries, each in a fresh JVM; results in [impls] order. */
    private fun measureMemory(impls: List<String>, entries: Long): List<MemoryResult> {
        val pool = Executors.newFixedThreadPool(if (entries <= PARALLEL_MEMORY_MAX) PARALLEL_MEMORY else 1)
        try {
            val futures = impls.map { impl ->
                pool.submit(Callable {
                    progress("memory: $impl, $entries entries (fresh JVM)")
                    MemoryFootprint.measureInFreshJvm(impl, entries)
                })
            }
            return futures.map { it.get() }
        } finally {
            pool.shutdown()
        }
    }

    /** Wall-clock start of the job, shared with child JVMs (`--clock`) so all progress lines use one clock. */
    private var startedAtMs = System.currentTimeMillis()

    private fun elapsed() = (System.currentTimeMillis() - startedAtMs) / 1000

    private fun progress(line: String) = println(String.format(Locale.ROOT, "[%4ds] %s", elapsed(), line))

    private fun environment(s: Settings): Map<String, String> {
        return linkedMapOf(
            "date" to Instant.now().toString(),
            "profile" to s.profile + if (s.long) " --long" else "",
            "iteration" to "${s.iteration} ms",
            "jvm" to "${System.getProperty("java.vm.name")} ${System.getProperty("java.version")}",
            "os" to "${System.getProperty("os.name")} ${System.getProperty("os.arch")}",
            "cores" to Runtime.getRuntime().availableProcessors().toString(),
            "regimes" to s.regimes.joinToString { it.id },
            "forks per cell" to s.forks.toString(),
            "heap" to "-Xms${Regime.HEAP} -Xmx${Regime.HEAP}",
            "load average at start" to loadAverage(),
        )
    }

    private fun loadAverage(): String =
        String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().systemLoadAverage)

    // ---------------------------------------------------------------- quick profile

    /**
     * Quick profile, parent side: for each regime, fork after fork, one child JVM per
     * implementation running all its cells; results come back through a file, then the forks
     * of each cell are gathered into one [ThroughputResult].
     */
    private fun runQuick(s: Settings): List<ThroughputResult> {
        val rows = mutableListOf<ForkRow>()
        val java = File(System.getProperty("java.home"), "bin/java").path
        val rounds = s.regimes.flatMap { r -> (1..s.forks).flatMap { f -> s.impls.map { Triple(r, f, it) } } }
        val configs = quickConfigs(s).size
        rounds.forEachIndexed { n, (regime, fork, impl) ->
            progress("run ${n + 1}/${rounds.size}: $impl, ${regime.id} regime, fork $fork of ${s.forks}, own JVM")
            val file = Files.createTempFile("arboretum-compare-$impl", ".tsv")
            try {
                // A benchmark that throws can leave an unforked JMH unusable, so the child stops at the
                // first failure and a new child carries on after it.
                var got = emptyList<ForkRow>()
                while (got.size < configs) {
                    val cmd = listOf(java, "-Xms${Regime.HEAP}", "-Xmx${Regime.HEAP}", "-cp", System.getProperty("java.class.path"),
                        Compare::class.java.name, CHILD, file.toString(), "--start", got.size.toString(),
                        "--impls", impl, "--threads", s.threads.joinToString(","), "--regimes", regime.id,
                        "--iteration-ms", s.iteration.toString(), "--clock", startedAtMs.toString())
                    val before = got.size
                    val rc = ProcessBuilder(cmd).inheritIO().start().waitFor()
                    got = Files.readAllLines(file).filter { it.isNotBlank() }.map { parseRow(it) }
                    if (got.size == before) {
                        progress("  $impl: benchmark JVM exited with status $rc without a result; giving up on this fork")
                        break
                    }
                }
                rows += got
            } finally {
                Files.deleteIfExists(file)
            }
        }
        return gather(rows)
    }

    /** One fork's result for one cell: [score] is `NaN` when it failed, and [note] says why. */
    internal data class ForkRow(
        val suite: String, val workload: String, val distribution: String, val regime: String,
        val threads: Int, val impl: String, val score: Double, val note: String,
    )

    /** Gathers fork rows into cells, forks in the order given; a cell with no number keeps the first failure's note. */
    internal fun gather(rows: List<ForkRow>): List<ThroughputResult> =
        rows.groupBy { listOf(it.suite, it.workload, it.distribution, it.regime, it.threads.toString(), it.impl) }
            .map { (_, forks) ->
                val f = forks.first()
                val scores = forks.map { it.score }.filter { !it.isNaN() }
                val failed = forks.filter { it.score.isNaN() }
                val note = when {
                    failed.isEmpty() -> ""
                    scores.isEmpty() -> failed.first().note
                    else -> "${failed.size} of ${forks.size} forks failed: ${failed.first().note}"
                }
                ThroughputResult(f.suite, f.workload, f.distribution, f.regime, f.threads, f.impl, scores, note)
            }

    /** Quick profile, child side: unforked JMH runs of YCSB A–F for one implementation, one regime. */
    private fun runQuickChild(s: Settings, results: Path) {
        val impl = s.impls.single()
        val regime = s.regimes.single()
        val configs = quickConfigs(s)
        for (n in s.start until configs.size) {
            val (mix, threads) = configs[n]
            val unsupported = probe(impl, mix)
            if (unsupported != null) {
                val row = ForkRow("ycsb-long", mix.name, "zipfian", regime.id, threads, impl, Double.NaN, "not supported: $unsupported")
                progress("  $impl ${n + 1}/${configs.size}: YCSB ${mix.name}, $threads thread(s): n/a (${row.note})")
                Files.writeString(results, formatRow(row) + "\n", StandardOpenOption.APPEND)
                continue
            }
            val opts = OptionsBuilder()
                .include(YcsbLongBenchmark::class.java.name + ".operation")
                .param("impl", impl)
                .param("workload", mix.name)
                .param("distribution", "zipfian")
                .param("records", "100000")
                .param("regime", regime.id)
                .forks(0)
                .threads(threads)
                .warmupIterations(1)
                .warmupTime(TimeValue.milliseconds(s.iteration.toLong()))
                .measurementIterations(QUICK_MEASURED)
                .measurementTime(TimeValue.milliseconds(s.iteration.toLong()))
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build()
            val row = try {
                val r = toForkRows(Runner(opts).run(), "ycsb-long").single()
                r
            } catch (e: RunnerException) {
                ForkRow("ycsb-long", mix.name, "zipfian", regime.id, threads, impl, Double.NaN, rootMessage(e))
            }
            val shown = if (!row.score.isNaN()) ReportWriter.humanOps(row.score) + " ops/s" else "n/a (${row.note})"
            progress("  $impl ${n + 1}/${configs.size}: YCSB ${mix.name} zipfian, ${regime.id}, $threads thread(s): $shown")
            Files.writeString(results, formatRow(row) + "\n", StandardOpenOption.APPEND)
            if (row.score.isNaN()) System.exit(3)
        }
    }

    /** A child's runs, in order: every mix at each of its thread counts. */
    private fun quickConfigs(s: Settings): List<Pair<YcsbMix, Int>> = s.threads.flatMap { t -> YcsbMix.entries.map { it to t } }

    /**
     * Tries the operations [mix] needs on a small index of [impl]; returns why they fail, or null.
     * Keeps an unsupported operation (an index whose range views are not there yet) from failing
     * a JMH run.
     */
    internal fun probe(impl: String, mix: YcsbMix): String? = try {
        Implementations.byName(impl).newLongIndex().use { index ->
            for (r in 0 until 64L) index.put(Keys.longKey(r), r)
            index.get(Keys.longKey(3))
            if (mix.scan > 0) index.scan(Keys.longKey(5), 10)
        }
        null
    } catch (e: RuntimeException) {
        rootMessage(e)
    }

    private fun rootMessage(e: Throwable): String {
        var c: Throwable = e
        while (true) {
            // JMH reports a benchmark's own exception as a cause or as a suppressed exception.
            c = c.cause?.takeIf { it !== c } ?: c.suppressed.firstOrNull() ?: break
        }
        return "${c.javaClass.simpleName}: ${c.message ?: ""}".replace('\t', ' ').replace('\n', ' ').take(200)
    }

    internal fun formatRow(r: ForkRow): String = listOf(r.suite, r.workload, r.distribution, r.regime,
        r.threads.toString(), r.impl, r.score.toString(), r.note.replace('\t', ' ').replace('\n', ' ')).joinToString("\t")

    internal fun parseRow(line: String): ForkRow {
        val f = line.split('\t')
        require(f.size == 8) { "malformed result row: $line" }
        return ForkRow(f[0], f[1], f[2], f[3], f[4].toInt(), f[5], f[6].toDouble(), f[7])
    }

    // ---------------------------------------------------------------- full profile

    /** Full profile: forked JMH over every benchmark, JMH's own progress output. */
    private fun runFull(s: Settings): List<ThroughputResult> {
        val out = mutableListOf<ThroughputResult>()
        val impls = s.impls.toTypedArray()
        val regimes = s.regimes.map { it.id }.toTypedArray()
        fun run(include: String, threads: Int, suite: String, withRegime: Boolean, vararg params: Pair<String, Array<String>>) {
            val names = when (suite) {
                "ycsb-string" -> impls.filter { Implementations.byName(it).supportsStrings }
                STRING_KEYS -> impls.filter {
                    val i = Implementations.byName(it)
                    if (params.any { (k, v) -> k == "shape" && v.contains(KeyShape.BYTES16.id) }) i.supportsBytes else i.supportsStrings
                }
                else -> impls.toList()
            }
            if (names.isEmpty()) return
            val b = OptionsBuilder().include(include).param("impl", *names.toTypedArray()).forks(s.forks).threads(threads)
                .warmupIterations(2).warmupTime(TimeValue.milliseconds(s.iteration.toLong()))
                .measurementIterations(3).measurementTime(TimeValue.milliseconds(s.iteration.toLong()))
                .shouldFailOnError(false)
            if (withRegime) b.param("regime", *regimes)
            for ((k, v) in params) b.param(k, *v)
            val results = Runner(b.build()).run()
            val rows = gather(results.flatMap { toForkRows(listOf(it), suite) })
            out += rows
            // Parameter sets that produced nothing failed; JMH printed why above.
            for (impl in names) {
                if (rows.none { it.impl == impl }) {
                    out += ThroughputResult(suite, include.substringAfterLast('.'), "-", "-", threads, impl,
                        emptyList(), "failed, see the JMH output")
                }
            }
        }
        val mixes = YcsbMix.entries.map { it.name }.toTypedArray()
        val dists = arrayOf("zipfian", "uniform")
        for (t in s.threads) {
            run(YcsbLongBenchmark::class.java.name + ".operation", t, "ycsb-long", true, "workload" to mixes, "distribution" to dists)
            run(YcsbStringBenchmark::class.java.name + ".operation", t, "ycsb-string", true, "workload" to mixes, "distribution" to dists)
            run(ReadMicroBenchmark::class.java.name + ".get", t, "micro", true)
            run(ReadMicroBenchmark::class.java.name + ".scan100", t, "micro", true)
            run(ReadMicroBenchmark::class.java.name + ".scan10000", t, "micro", true)
            run(PutMicroBenchmark::class.java.name + ".putAll", t, "micro", false)
        }
        run(ReadMicroBenchmark::class.java.name + ".mixedZipfian", 2, "micro", true)
        // String and byte[] keys (1M of each shape): get and scan100 at every thread count, bulk put.
        // byte[] keys run apart, on the implementations that take them.
        val strings = arrayOf(KeyShape.YCSB.id, KeyShape.URL.id)
        val bytes = arrayOf(KeyShape.BYTES16.id)
        for (t in s.threads) for (m in listOf("get", "scan100")) for (shapes in listOf(strings, bytes)) {
            run(StringKeyBenchmark::class.java.name + ".$m$", t, STRING_KEYS, true, "shape" to shapes)
        }
        for (shapes in listOf(strings, bytes)) run(StringKeyPutBenchmark::class.java.name + ".put", 1, STRING_KEYS, false, "shape" to shapes)
        return out
    }

    /**
     * Turns JMH results into one row per fork: the median of that fork's iteration scores, in
     * operations per second (single-shot put timings are turned into puts per second).
     */
    internal fun toForkRows(results: Collection<RunResult>, suite: String): List<ForkRow> = results.flatMap { r ->
        val p = r.params
        val method = p.benchmark.substringAfterLast('.')
        // Single-shot benchmarks (bulk puts) time one fill of `size` keys: turned into puts per second.
        val perSecond: (Double) -> Double = if (p.mode == org.openjdk.jmh.annotations.Mode.SingleShotTime) {
            val size = p.getParam("size").toDouble();
            { ms -> size / (ms / 1000.0) }
        } else {
            { it }
        }
        val workload = if (suite.startsWith("ycsb")) p.getParam("workload") else method
        val distribution = when {
            suite.startsWith("ycsb") -> p.getParam("distribution")
            suite == STRING_KEYS -> p.getParam("shape")
            method == "mixedZipfian" -> "zipfian"
            else -> "uniform"
        }
        val regime = p.getParam("regime") ?: "-"
        r.benchmarkResults.map { fork ->
            val median = ThroughputResult.median(fork.iterationResults.map { perSecond(it.primaryResult.score) })
            ForkRow(suite, workload, distribution, regime, p.threads, p.getParam("impl"), median,
                if (median.isNaN()) "no iterations" else "")
        }
    }
}
