package io.arboretum.benchmarks

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
import java.time.Instant
import java.util.Locale

/**
 * The comparison job: runs a selection of the JMH benchmarks on every registered implementation,
 * measures memory per entry, prints a table of throughput and ratio to `ConcurrentSkipListMap`,
 * and writes `index.html`, `results.json` and `results.csv` (default folder `reports/comparison`).
 *
 * Profiles:
 * - `quick` (default, about two minutes on 2 cores): YCSB A–F on `Long` keys, zipfian, 1 and 2
 *   threads (and the core count when above 2), 100,000 records, 1 warm-up and 3 measured
 *   iterations of 300 ms; memory at 1M entries. Each implementation runs in its own JVM, and the
 *   benchmarks inside it run unforked, so one JVM start is paid per implementation, not per
 *   benchmark (JMH forks would triple the time on this machine).
 * - `full`: JMH with one fork per benchmark and parameter set, 2 × 1 s warm-up and 3 × 1 s
 *   measurement: YCSB A–F on `Long` and string keys, uniform and zipfian, the microbenchmarks
 *   (get, put of 1M keys, 100-entry scans, 95/5 zipfian mix), memory at 1M and 10M entries.
 *   Hours on 2 cores.
 *
 * Options: `--profile quick|full`, `--impls a,b`, `--threads 1,2`, `--out DIR`, `--iteration-ms N`,
 * `--no-memory`. `--help` lists them.
 */
object Compare {
    private const val CHILD = "--child"

    /** Parsed command line. */
    internal class Settings(args: List<String>) {
        var profile = "quick"
        var impls: List<String> = Implementations.names
        var threads: List<Int> = defaultThreads()
        var out: Path = Paths.get("reports", "comparison")
        var iterationMs = -1
        var memory = true
        var childResults: Path? = null
        var start = 0
        var clock = -1L

        init {
            var i = 0
            fun value(): String {
                if (i + 1 >= args.size) throw IllegalArgumentException("option ${args[i]} needs a value")
                return args[++i]
            }
            while (i < args.size) {
                when (val a = args[i]) {
                    "--profile" -> profile = value().also {
                        require(it == "quick" || it == "full") { "profile must be quick or full, was '$it'" }
                    }
                    "--impls" -> impls = value().split(',').map { it.trim() }.filter { it.isNotEmpty() }
                        .onEach { Implementations.byName(it) }
                    "--threads" -> threads = value().split(',').map {
                        it.trim().toIntOrNull()?.takeIf { n -> n > 0 }
                            ?: throw IllegalArgumentException("--threads takes positive integers, got '$it'")
                    }
                    "--out" -> out = Paths.get(value())
                    "--iteration-ms" -> iterationMs = value().toIntOrNull()?.takeIf { it > 0 }
                        ?: throw IllegalArgumentException("--iteration-ms takes a positive integer")
                    "--no-memory" -> memory = false
                    "--clock" -> clock = value().toLongOrNull()
                        ?: throw IllegalArgumentException("--clock takes epoch milliseconds")
                    CHILD -> childResults = Paths.get(value())
                    "--start" -> start = value().toIntOrNull()?.takeIf { it >= 0 }
                        ?: throw IllegalArgumentException("--start takes a non-negative integer")
                    else -> throw IllegalArgumentException("unknown option '$a'; try --help")
                }
                i++
            }
            require(impls.isNotEmpty()) { "--impls selected no implementation" }
        }

        /** Milliseconds per warm-up and measured iteration. */
        val iteration: Int get() = if (iterationMs > 0) iterationMs else if (profile == "quick") 300 else 1000

        companion object {
            fun defaultThreads(): List<Int> {
                val cores = Runtime.getRuntime().availableProcessors()
                return if (cores > 2) listOf(1, 2, cores) else listOf(1, 2)
            }
        }
    }

    private const val USAGE = """usage: java -cp benchmarks/target/benchmarks.jar io.arboretum.benchmarks.Compare [options]
  --profile quick|full   quick (default): YCSB A-F, Long keys, zipfian, ~2 min on 2 cores
                         full: every benchmark, forked JMH, memory at 1M and 10M (~15 min with --iteration-ms 300)
  --impls a,b,...        implementations (default: all of %s)
  --threads 1,2          thread counts (default 1,2 and the core count if above 2)
  --out DIR              report folder (default reports/comparison)
  --iteration-ms N       length of each warm-up and measured iteration
  --no-memory            skip the memory-per-entry measurement"""

    /** Entry point; see the class documentation for the options. */
    @JvmStatic
    fun main(args: Array<String>) {
        if (args.contains("--help") || args.contains("-h")) {
            println(USAGE.format(Implementations.names.joinToString()))
            return
        }
        val settings = try {
            Settings(args.toList())
        } catch (e: IllegalArgumentException) {
            System.err.println("Compare: ${e.message}")
            System.exit(2)
            return
        }
        if (settings.clock > 0) startedAtMs = settings.clock
        val childFile = settings.childResults
        if (childFile != null) {
            runQuickChild(settings, childFile)
            return
        }
        val env = environment(settings)
        println("Arboretum comparison, profile ${settings.profile}: ${settings.impls.joinToString()} " +
            "(baseline ${Implementations.BASELINE}), threads ${settings.threads.joinToString()}")
        val throughput = if (settings.profile == "quick") runQuick(settings) else runFull(settings)
        val memory = mutableListOf<MemoryResult>()
        if (settings.memory) {
            val sizes = if (settings.profile == "quick") listOf(1_000_000L) else listOf(1_000_000L, 10_000_000L)
            for (n in sizes) for (impl in settings.impls) {
                progress("memory: $impl, $n entries (fresh JVM)")
                memory += MemoryFootprint.measureInFreshJvm(impl, n)
            }
        }
        val report = ComparisonReport(throughput, memory, env + ("elapsed" to "${elapsed()} s"))
        println()
        print(ReportWriter.consoleTable(report))
        val files = ReportWriter.write(report, settings.out)
        println("\nreport: ${files.joinToString { it.toAbsolutePath().normalize().toString() }}")
        println("done in ${elapsed()} s")
    }

    /** Wall-clock start of the job, shared with child JVMs (`--clock`) so all progress lines use one clock. */
    private var startedAtMs = System.currentTimeMillis()

    private fun elapsed() = (System.currentTimeMillis() - startedAtMs) / 1000

    private fun progress(line: String) = println(String.format(Locale.ROOT, "[%4ds] %s", elapsed(), line))

    private fun environment(s: Settings): Map<String, String> {
        val os = ManagementFactory.getOperatingSystemMXBean()
        return linkedMapOf(
            "date" to Instant.now().toString(),
            "profile" to s.profile,
            "iteration" to "${s.iteration} ms",
            "jvm" to "${System.getProperty("java.vm.name")} ${System.getProperty("java.version")}",
            "os" to "${System.getProperty("os.name")} ${System.getProperty("os.arch")}",
            "cores" to Runtime.getRuntime().availableProcessors().toString(),
            "load average at start" to String.format(Locale.ROOT, "%.2f", os.systemLoadAverage),
        )
    }

    // ---------------------------------------------------------------- quick profile

    /** Quick profile, parent side: one child JVM per implementation, results read back from a file. */
    private fun runQuick(s: Settings): List<ThroughputResult> {
        val all = mutableListOf<ThroughputResult>()
        val java = File(System.getProperty("java.home"), "bin/java").path
        // Thread counts outermost: the implementations of one comparison row run close together
        // in time, so a change in the machine's load between rows does not tilt their ratios.
        val rounds = s.threads.flatMap { t -> s.impls.map { t to it } }
        rounds.forEachIndexed { n, (threads, impl) ->
            progress("run ${n + 1}/${rounds.size}: $impl, $threads thread(s), own JVM")
            val configs = YcsbMix.entries.size
            val file = Files.createTempFile("arboretum-compare-$impl", ".tsv")
            try {
                // A benchmark that throws can leave an unforked JMH unusable, so the child stops at the
                // first failure and a new child carries on after it.
                var rows = emptyList<ThroughputResult>()
                while (rows.size < configs) {
                    val cmd = listOf(java, "-Xms1g", "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                        Compare::class.java.name, CHILD, file.toString(), "--start", rows.size.toString(),
                        "--impls", impl, "--threads", threads.toString(),
                        "--iteration-ms", s.iteration.toString(), "--clock", startedAtMs.toString())
                    val before = rows.size
                    val rc = ProcessBuilder(cmd).inheritIO().start().waitFor()
                    rows = Files.readAllLines(file).filter { it.isNotBlank() }.map { parseRow(it) }
                    if (rows.size == before) {
                        progress("  $impl: benchmark JVM exited with status $rc without a result; giving up on it")
                        break
                    }
                }
                all += rows
            } finally {
                Files.deleteIfExists(file)
            }
        }
        return all
    }

    /** Quick profile, child side: unforked JMH runs of YCSB A–F for one implementation. */
    private fun runQuickChild(s: Settings, results: Path) {
        val impl = s.impls.single()
        val configs = quickConfigs(s)
        for (n in s.start until configs.size) {
            val (mix, threads) = configs[n]
            val unsupported = probe(impl, mix)
            if (unsupported != null) {
                val row = ThroughputResult("ycsb-long", mix.name, "zipfian", threads, impl, Double.NaN, Double.NaN,
                    Double.NaN, 0, "not supported: $unsupported")
                progress("  $impl ${n + 1}/${configs.size}: YCSB ${mix.name}, $threads thread(s): n/a (${row.note})")
                Files.writeString(results, formatRow(row) + "\n", java.nio.file.StandardOpenOption.APPEND)
                continue
            }
            val opts = OptionsBuilder()
                .include(YcsbLongBenchmark::class.java.name + ".operation")
                .param("impl", impl)
                .param("workload", mix.name)
                .param("distribution", "zipfian")
                .param("records", "100000")
                .forks(0)
                .threads(threads)
                .warmupIterations(1)
                .warmupTime(TimeValue.milliseconds(s.iteration.toLong()))
                .measurementIterations(3)
                .measurementTime(TimeValue.milliseconds(s.iteration.toLong()))
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build()
            val row = try {
                val r = Runner(opts).run()
                toResults(r, "ycsb-long").single()
            } catch (e: RunnerException) {
                ThroughputResult("ycsb-long", mix.name, "zipfian", threads, impl, Double.NaN, Double.NaN, Double.NaN, 0,
                    rootMessage(e))
            }
            val shown = if (row.ok) ReportWriter.humanOps(row.opsPerSecond) + " ops/s" else "n/a (${row.note})"
            progress("  $impl ${n + 1}/${configs.size}: YCSB ${mix.name} zipfian, $threads thread(s): $shown")
            Files.writeString(results, formatRow(row) + "\n", java.nio.file.StandardOpenOption.APPEND)
            if (!row.ok) System.exit(3)
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

    internal fun formatRow(r: ThroughputResult): String = listOf(r.suite, r.workload, r.distribution, r.threads.toString(),
        r.impl, r.opsPerSecond.toString(), r.min.toString(), r.max.toString(), r.samples.toString(),
        r.note.replace('\t', ' ').replace('\n', ' ')).joinToString("\t")

    internal fun parseRow(line: String): ThroughputResult {
        val f = line.split('\t')
        require(f.size == 10) { "malformed result row: $line" }
        return ThroughputResult(f[0], f[1], f[2], f[3].toInt(), f[4], f[5].toDouble(), f[6].toDouble(),
            f[7].toDouble(), f[8].toInt(), f[9])
    }

    // ---------------------------------------------------------------- full profile

    /** Full profile: forked JMH over every benchmark, JMH's own progress output. */
    private fun runFull(s: Settings): List<ThroughputResult> {
        val out = mutableListOf<ThroughputResult>()
        val impls = s.impls.toTypedArray()
        fun run(include: String, threads: Int, suite: String, vararg params: Pair<String, Array<String>>) {
            val names = if (suite == "ycsb-string") impls.filter { Implementations.byName(it).supportsStrings } else impls.toList()
            if (names.isEmpty()) return
            val b = OptionsBuilder().include(include).param("impl", *names.toTypedArray()).forks(1).threads(threads)
                .warmupIterations(2).warmupTime(TimeValue.milliseconds(s.iteration.toLong()))
                .measurementIterations(3).measurementTime(TimeValue.milliseconds(s.iteration.toLong()))
                .jvmArgs("-Xms2g", "-Xmx2g")
                .shouldFailOnError(false)
            for ((k, v) in params) b.param(k, *v)
            val results = Runner(b.build()).run()
            out += toResults(results, suite)
            // Parameter sets that produced nothing failed; JMH printed why above.
            for (impl in names) {
                if (results.none { it.params.getParam("impl") == impl }) {
                    out += ThroughputResult(suite, include.substringAfterLast('.'), "-", threads, impl,
                        Double.NaN, Double.NaN, Double.NaN, 0, "failed, see the JMH output")
                }
            }
        }
        val mixes = YcsbMix.entries.map { it.name }.toTypedArray()
        val dists = arrayOf("zipfian", "uniform")
        for (t in s.threads) {
            run(YcsbLongBenchmark::class.java.name + ".operation", t, "ycsb-long", "workload" to mixes, "distribution" to dists)
            run(YcsbStringBenchmark::class.java.name + ".operation", t, "ycsb-string", "workload" to mixes, "distribution" to dists)
            run(ReadMicroBenchmark::class.java.name + ".get", t, "micro")
            run(ReadMicroBenchmark::class.java.name + ".scan100", t, "micro")
            run(PutMicroBenchmark::class.java.name + ".putAll", t, "micro")
        }
        run(ReadMicroBenchmark::class.java.name + ".mixedZipfian", 2, "micro")
        return out
    }

    /** Turns JMH results into rows: median of the iteration scores, in operations per second. */
    internal fun toResults(results: Collection<RunResult>, suite: String): List<ThroughputResult> = results.map { r ->
        val p = r.params
        val scores = r.benchmarkResults.flatMap { br -> br.iterationResults.map { it.primaryResult.score } }
        val method = p.benchmark.substringAfterLast('.')
        // Single-shot results are milliseconds per invocation of `size` puts: turn them into puts per second.
        val perSecond: (Double) -> Double = if (method == "putAll") {
            val size = p.getParam("size").toDouble();
            { ms -> size / (ms / 1000.0) }
        } else {
            { it }
        }
        val values = scores.map(perSecond).sorted()
        val median = if (values.isEmpty()) Double.NaN else if (values.size % 2 == 1) values[values.size / 2]
            else (values[values.size / 2 - 1] + values[values.size / 2]) / 2
        val workload = if (suite.startsWith("ycsb")) p.getParam("workload") else method
        val distribution = if (suite.startsWith("ycsb")) p.getParam("distribution") else
            if (method == "mixedZipfian") "zipfian" else "uniform"
        ThroughputResult(suite, workload, distribution, p.threads, p.getParam("impl"), median,
            values.firstOrNull() ?: Double.NaN, values.lastOrNull() ?: Double.NaN, values.size,
            if (values.isEmpty()) "no iterations" else "")
    }
}
