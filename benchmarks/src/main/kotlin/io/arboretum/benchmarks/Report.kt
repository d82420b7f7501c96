package io.arboretum.benchmarks

import io.arboretum.benchmarks.persistent.PersistentCell
import io.arboretum.benchmarks.persistent.PersistentStores
import io.arboretum.benchmarks.persistent.StoreResult
import org.knowm.xchart.CategoryChart
import org.knowm.xchart.CategoryChartBuilder
import org.knowm.xchart.VectorGraphicsEncoder
import org.knowm.xchart.style.Styler
import java.awt.Color
import java.io.ByteArrayOutputStream
import java.nio.file.Files
import java.nio.file.Path
import java.util.Locale

/**
 * One cell of the comparison: a benchmark ([suite] and [workload]) under one key [distribution]
 * in one heap [regime] with [threads] threads on one implementation, measured in one or more
 * forks (separate JVMs). [forkScores] holds each fork's score (the median of its measured
 * iterations, operations per second), in fork order; the cell reports their median and range.
 * It is empty when the run failed, and [note] then says why.
 */
data class ThroughputResult(
    /** Benchmark family, e.g. `ycsb-long`, `ycsb-string`, `micro`. */ val suite: String,
    /** YCSB mix letter or microbenchmark name. */ val workload: String,
    /** `uniform`, `zipfian` or `-`. */ val distribution: String,
    /** Heap regime, `aged` or `fresh` (see [Regime]); `-` for benchmarks without one. */ val regime: String,
    /** Threads running the benchmark. */ val threads: Int,
    /** Implementation name from [Implementations]. */ val impl: String,
    /** Each fork's operations per second, in fork order. */ val forkScores: List<Double>,
    /** Why there is no number, or empty. */ val note: String = "",
) {
    /** The row key shared by all implementations of one comparison. */
    val group: String get() = "$suite $workload $distribution $regime t=$threads"

    /** Whether there is a number. */
    val ok: Boolean get() = forkScores.isNotEmpty()

    /** Median of the fork scores (`NaN` without any). */
    val opsPerSecond: Double get() = median(forkScores)

    /** Slowest fork (`NaN` without any). */
    val min: Double get() = forkScores.minOrNull() ?: Double.NaN

    /** Fastest fork (`NaN` without any). */
    val max: Double get() = forkScores.maxOrNull() ?: Double.NaN

    /** `(max - min) / median` of the fork scores: 0 for one fork, `NaN` without any. */
    val spread: Double get() = if (ok) (max - min) / opsPerSecond else Double.NaN

    /** Whether [spread] exceeds [ReportWriter.SPREAD_LIMIT]: the cell is marked in the table and the report. */
    val unstable: Boolean get() = ok && spread > ReportWriter.SPREAD_LIMIT

    /** Constructors for tests and parsers. */
    companion object {
        /** The median of [values] (mean of the middle two for an even count), `NaN` if empty. */
        fun median(values: List<Double>): Double {
            if (values.isEmpty()) return Double.NaN
            val v = values.sorted()
            return if (v.size % 2 == 1) v[v.size / 2] else (v[v.size / 2 - 1] + v[v.size / 2]) / 2
        }
    }
}

/**
 * The ratio of one cell to the baseline's cell of the same group: [median] of the per-fork
 * ratios (fork `k` of the implementation over fork `k` of the baseline, which ran in the same
 * round of the job) and their [min] and [max]. All `NaN` when either side has no number.
 */
data class Ratio(
    /** Median of the per-fork ratios. */ val median: Double,
    /** Smallest per-fork ratio. */ val min: Double,
    /** Largest per-fork ratio. */ val max: Double,
) {
    /** Whether there is a number. */
    val ok: Boolean get() = !median.isNaN()
}

/** Retained memory of one implementation at one size, from a fresh JVM. */
data class MemoryResult(
    /** Implementation name from [Implementations]. */ val impl: String,
    /** Entries in the map. */ val entries: Long,
    /** Retained heap bytes per entry (keys and values included). */ val heapBytesPerEntry: Double,
    /** Off-heap bytes per entry. */ val offHeapBytesPerEntry: Double,
    /** Why there is no number, or empty. */ val note: String = "",
) {
    /** Heap plus off-heap bytes per entry. */
    val totalBytesPerEntry: Double get() = heapBytesPerEntry + offHeapBytesPerEntry
}

/** Everything one comparison run produced, plus how it was run. */
data class ComparisonReport(
    /** Throughput results. */ val throughput: List<ThroughputResult>,
    /** Memory results. */ val memory: List<MemoryResult>,
    /** Free-form facts about the run (machine, JVM, profile, date). */ val environment: Map<String, String>,
    /** The persistent stores' load, bytes on disk, write amplification and recovery (empty without a persistent section). */
    val stores: List<StoreResult> = emptyList(),
)

/**
 * Writes a [ComparisonReport] as `results.csv`, `results.json` and `index.html` (tables and
 * inline SVG charts drawn by XChart, no scripts, nothing fetched) into a folder, and formats the
 * console table. Cells whose fork spread exceeds [SPREAD_LIMIT] are marked everywhere.
 */
object ReportWriter {
    /** A cell whose `(max - min) / median` over forks exceeds this is marked unstable. */
    const val SPREAD_LIMIT: Double = 0.25

    /** The mark of an unstable cell in the console table and the page. */
    const val UNSTABLE_MARK: String = "*"

    private val palette = listOf(0x4e79a7, 0xe15759, 0x59a14f, 0xf28e2b, 0xb07aa1, 0x76b7b2, 0xedc948, 0x9c755f)
        .map { Color(it) }.toTypedArray()

    /** Writes the three files into [dir] (created if needed) and returns their paths. */
    fun write(report: ComparisonReport, dir: Path): List<Path> {
        Files.createDirectories(dir)
        val csv = dir.resolve("results.csv")
        val json = dir.resolve("results.json")
        val html = dir.resolve("index.html")
        Files.writeString(csv, csv(report))
        Files.writeString(json, json(report))
        Files.writeString(html, html(report))
        return listOf(html, json, csv)
    }

    /**
     * The implementation the cells of [suite] are compared with: RocksDB for the persistent
     * suites, `ConcurrentSkipListMap` for the rest.
     */
    fun baselineOf(suite: String): String =
        if (suite.startsWith(PersistentCell.SUITE_PREFIX)) PersistentStores.BASELINE else Implementations.BASELINE

    /**
     * [r] against the baseline's cell of its group ([baselineOf] its suite): per-fork ratios
     * (fork `k` over fork `k`; for the persistent suites, round `k` over round `k`), their median
     * and range; `NaN` without a baseline number.
     */
    fun ratio(r: ThroughputResult, all: List<ThroughputResult>): Ratio {
        val baseline = baselineOf(r.suite)
        val base = all.firstOrNull { it.group == r.group && it.impl == baseline && it.ok }
        val n = minOf(r.forkScores.size, base?.forkScores?.size ?: 0)
        if (base == null || n == 0) return Ratio(Double.NaN, Double.NaN, Double.NaN)
        val ratios = (0 until n).map { r.forkScores[it] / base.forkScores[it] }
        return Ratio(ThroughputResult.median(ratios), ratios.min(), ratios.max())
    }

    private fun num(d: Double, digits: Int = 1): String =
        if (d.isNaN()) "" else String.format(Locale.ROOT, "%.${digits}f", d)

    private fun pct(d: Double): String = if (d.isNaN()) "" else String.format(Locale.ROOT, "%.0f%%", d * 100)

    private fun csvField(s: String): String =
        if (s.any { it == ',' || it == '"' || it == '\n' }) "\"" + s.replace("\"", "\"\"") + "\"" else s

    /** The CSV text: one line per cell, throughput rows then memory rows. */
    fun csv(report: ComparisonReport): String = buildString {
        append("kind,suite,workload,distribution,regime,threads,impl,ops_per_s_median,ops_per_s_min,ops_per_s_max,forks,")
        append("spread,unstable,ratio_to_baseline,ratio_min,ratio_max,fork_ops_per_s,entries,heap_bytes_per_entry,offheap_bytes_per_entry,note,")
        append("budget_bytes,load_s,disk_bytes_per_record,write_amp_load,write_amp_load_logical,updates,write_amp_update,")
        append("write_amp_update_logical,recovery_records,recovery_log_bytes,recovery_ms,recovery_ms_per_gib\n")
        val noStore = List(12) { "" }
        for (r in report.throughput) {
            val q = ratio(r, report.throughput)
            append(listOf("throughput", r.suite, r.workload, r.distribution, r.regime, r.threads.toString(), r.impl,
                num(r.opsPerSecond), num(r.min), num(r.max), r.forkScores.size.toString(), num(r.spread, 3),
                r.unstable.toString(), num(q.median, 3), num(q.min, 3), num(q.max, 3),
                r.forkScores.joinToString(";") { num(it) }, "", "", "", r.note).plus(noStore).joinToString(",") { csvField(it) })
            append('\n')
        }
        for (m in report.memory) {
            append(listOf("memory", "memory", "", "", "", "", m.impl, "", "", "", "", "", "", "", "", "", "",
                m.entries.toString(), num(m.heapBytesPerEntry), num(m.offHeapBytesPerEntry), m.note)
                .plus(noStore).joinToString(",") { csvField(it) })
            append('\n')
        }
        for (s in report.stores) {
            append((listOf("persistent-store", "persistent", "", "", "", "", s.store) + List(10) { "" } +
                listOf(s.records.toString(), "", "", s.note) +
                listOf(s.budget.toString(), num(s.loadSeconds, 2), num(s.bytesPerRecord), num(s.loadWriteAmp, 2),
                    num(s.loadWriteAmpLogical, 2), s.updates.toString(), num(s.updateWriteAmp, 2), num(s.updateWriteAmpLogical, 2),
                    s.recoveryRecords.toString(), s.recoveryLogBytes.toString(), num(s.recoveryMs), num(s.recoveryMsPerGiB)))
                .joinToString(",") { csvField(it) })
            append('\n')
        }
    }

    private fun jsonString(s: String): String = buildString {
        append('"')
        for (c in s) {
            when {
                c == '"' -> append("\\\"")
                c == '\\' -> append("\\\\")
                c == '\n' -> append("\\n")
                c < ' ' -> append(String.format(Locale.ROOT, "\\u%04x", c.code))
                else -> append(c)
            }
        }
        append('"')
    }

    private fun jsonNumber(d: Double, digits: Int = 3): String = if (d.isNaN() || d.isInfinite()) "null" else num(d, digits)

    /**
     * The JSON text: `{"environment":{..},"baseline":..,"persistentBaseline":..,"spreadLimit":..,
     * "throughput":[..],"memory":[..],"persistentStores":[..]}`.
     */
    fun json(report: ComparisonReport): String = buildString {
        append("{\n  \"environment\": {")
        append(report.environment.entries.joinToString(", ") { "${jsonString(it.key)}: ${jsonString(it.value)}" })
        append("},\n  \"baseline\": ${jsonString(Implementations.BASELINE)},")
        append("\n  \"persistentBaseline\": ${jsonString(PersistentStores.BASELINE)},")
        append("\n  \"spreadLimit\": ${jsonNumber(SPREAD_LIMIT)},\n  \"throughput\": [\n")
        append(report.throughput.joinToString(",\n") { r ->
            val q = ratio(r, report.throughput)
            "    {\"suite\": ${jsonString(r.suite)}, \"workload\": ${jsonString(r.workload)}, " +
                "\"distribution\": ${jsonString(r.distribution)}, \"regime\": ${jsonString(r.regime)}, " +
                "\"threads\": ${r.threads}, \"impl\": ${jsonString(r.impl)}, " +
                "\"opsPerSecondMedian\": ${jsonNumber(r.opsPerSecond)}, " +
                "\"opsPerSecondMin\": ${jsonNumber(r.min)}, \"opsPerSecondMax\": ${jsonNumber(r.max)}, " +
                "\"forkOpsPerSecond\": [${r.forkScores.joinToString(", ") { jsonNumber(it) }}], " +
                "\"spread\": ${jsonNumber(r.spread)}, \"unstable\": ${r.unstable}, " +
                "\"ratioToBaseline\": ${jsonNumber(q.median)}, \"ratioMin\": ${jsonNumber(q.min)}, " +
                "\"ratioMax\": ${jsonNumber(q.max)}, \"note\": ${jsonString(r.note)}}"
        })
        append("\n  ],\n  \"memory\": [\n")
        append(report.memory.joinToString(",\n") { m ->
            "    {\"impl\": ${jsonString(m.impl)}, \"entries\": ${m.entries}, " +
                "\"heapBytesPerEntry\": ${jsonNumber(m.heapBytesPerEntry)}, " +
                "\"offHeapBytesPerEntry\": ${jsonNumber(m.offHeapBytesPerEntry)}, \"note\": ${jsonString(m.note)}}"
        })
        append("\n  ],\n  \"persistentStores\": [\n")
        append(report.stores.joinToString(",\n") { s ->
            "    {\"store\": ${jsonString(s.store)}, \"records\": ${s.records}, \"budgetBytes\": ${s.budget}, " +
                "\"loadSeconds\": ${jsonNumber(s.loadSeconds)}, \"bytesOnDisk\": ${s.bytesOnDisk}, " +
                "\"bytesOnDiskPerRecord\": ${jsonNumber(s.bytesPerRecord)}, \"writeAmpLoad\": ${jsonNumber(s.loadWriteAmp)}, " +
                "\"writeAmpLoadLogical\": ${jsonNumber(s.loadWriteAmpLogical)}, \"updates\": ${s.updates}, " +
                "\"writeAmpUpdate\": ${jsonNumber(s.updateWriteAmp)}, \"writeAmpUpdateLogical\": ${jsonNumber(s.updateWriteAmpLogical)}, " +
                "\"recoveryRecords\": ${s.recoveryRecords}, \"recoveryLogBytes\": ${s.recoveryLogBytes}, " +
                "\"recoveryMs\": ${jsonNumber(s.recoveryMs)}, \"recoveryMsPerGiB\": ${jsonNumber(s.recoveryMsPerGiB)}, " +
                "\"note\": ${jsonString(s.note)}}"
        })
        append("\n  ]\n}\n")
    }

    /** Human-readable operations per second: `12.3 M`, `456 k`. */
    fun humanOps(d: Double): String = when {
        d.isNaN() -> "n/a"
        d >= 1e6 -> String.format(Locale.ROOT, "%.2f M", d / 1e6)
        d >= 1e3 -> String.format(Locale.ROOT, "%.0f k", d / 1e3)
        else -> String.format(Locale.ROOT, "%.0f", d)
    }

    /** One cell's text: median ops/s, ratio with its fork range, and the unstable mark. */
    internal fun cellText(r: ThroughputResult?, all: List<ThroughputResult>): String = when {
        r == null -> "-"
        !r.ok -> "n/a"
        else -> {
            val q = ratio(r, all)
            val ratioText = when {
                !q.ok -> ""
                q.min == q.max -> " x${num(q.median, 2)}"
                else -> " x${num(q.median, 2)} (${num(q.min, 2)}-${num(q.max, 2)})"
            }
            "${humanOps(r.opsPerSecond)}/s$ratioText" + if (r.unstable) " $UNSTABLE_MARK" else ""
        }
    }

    /** The console table: one row per benchmark group, one column per implementation (ops/s and ratio). */
    fun consoleTable(report: ComparisonReport): String = buildString {
        val impls = report.throughput.map { it.impl }.distinct()
        val groups = report.throughput.map { it.group }.distinct()
        val first = maxOf(10, groups.maxOfOrNull { it.length } ?: 0)
        val width = 30
        append("benchmark".padEnd(first))
        impls.forEach { append(" | ").append(it.padEnd(width)) }
        append('\n')
        append("-".repeat(first + impls.size * (width + 3))).append('\n')
        for (g in groups) {
            append(g.padEnd(first))
            for (i in impls) {
                append(" | ").append(cellText(report.throughput.firstOrNull { it.group == g && it.impl == i }, report.throughput).padEnd(width))
            }
            append('\n')
        }
        append("\nmedian over forks of ops/s; x = median ratio to ${Implementations.BASELINE} (range over forks; ")
        append("persistent-* rows: over rounds, ratio to ${PersistentStores.BASELINE}); ")
        append("$UNSTABLE_MARK = fork spread (max-min)/median above ${pct(SPREAD_LIMIT)}\n")
        val unstable = report.throughput.filter { it.unstable }
        if (unstable.isNotEmpty()) {
            append("\nunstable cells (spread above ${pct(SPREAD_LIMIT)}):\n")
            unstable.forEach {
                append("  ${it.impl} ${it.group}: spread ${pct(it.spread)}, forks ${it.forkScores.joinToString { f -> humanOps(f) }}\n")
            }
        }
        if (report.memory.isNotEmpty()) {
            append("\nmemory (bytes per entry, heap + off-heap, fresh JVM per implementation)\n")
            for (m in report.memory) {
                val v = if (m.note.isNotEmpty()) "n/a (${m.note})" else
                    "${num(m.heapBytesPerEntry)} heap + ${num(m.offHeapBytesPerEntry)} off-heap"
                append("  ${m.impl.padEnd(16)} ${m.entries.toString().padStart(9)} entries: $v\n")
            }
        }
        if (report.stores.isNotEmpty()) {
            append("\npersistent stores: load (s), bytes on disk per record, write amplification (device / write calls) ")
            append("of the load and of random overwrites, recovery after a crash\n")
            for (s in report.stores) {
                append("  ${s.store.padEnd(9)} load ${num(s.loadSeconds, 1)} s, ${num(s.bytesPerRecord)} B/record, ")
                append("WA load ${num(s.loadWriteAmp, 2)} / ${num(s.loadWriteAmpLogical, 2)}")
                if (s.updates > 0) append(", WA updates ${num(s.updateWriteAmp, 2)} / ${num(s.updateWriteAmpLogical, 2)}")
                if (s.recoveryRecords > 0) append(", recovery ${num(s.recoveryMs, 0)} ms for ${s.recoveryLogBytes shr 20} MiB of log")
                if (s.note.isNotEmpty()) append(" (${s.note})")
                append('\n')
            }
        }
        val notes = report.throughput.filter { !it.ok }.map { "${it.impl} ${it.group}: ${it.note}" }.distinct()
        if (notes.isNotEmpty()) {
            append("\nnot measured:\n")
            notes.forEach { append("  ").append(it).append('\n') }
        }
    }

    private fun esc(s: String) = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;")

    /**
     * A grouped bar chart drawn by XChart, as SVG text for inlining: one group of bars per
     * category, one series per entry of [series] (every one in the legend, even one without a
     * value), optional error bars. [value] gives a bar's height and its error half-width (0 for
     * none), or null for no bar.
     */
    fun barChart(
        title: String, yTitle: String, categories: List<String>, series: List<String>,
        value: (category: String, series: String) -> Pair<Double, Double>?,
    ): String {
        val out = ByteArrayOutputStream()
        VectorGraphicsEncoder.saveVectorGraphic(chart(title, yTitle, categories, series, value), out,
            VectorGraphicsEncoder.VectorGraphicsFormat.SVG)
        val svg = out.toString(Charsets.UTF_8)
        return svg.substring(svg.indexOf("<svg").coerceAtLeast(0))
    }

    /** The XChart chart [barChart] draws (also usable with XChart's bitmap encoder). */
    internal fun chart(
        title: String, yTitle: String, categories: List<String>, series: List<String>,
        value: (category: String, series: String) -> Pair<Double, Double>?,
    ): CategoryChart {
        val chart: CategoryChart = CategoryChartBuilder()
            .width(maxOf(520, 110 + categories.size * (24 * series.size + 30)))
            .height(380)
            .title(title).xAxisTitle("").yAxisTitle(yTitle)
            .build()
        chart.styler.apply {
            setLegendPosition(Styler.LegendPosition.OutsideS)
            setLegendLayout(Styler.LegendLayout.Horizontal)
            setSeriesColors(palette)
            setChartBackgroundColor(Color.WHITE)
            setPlotGridVerticalLinesVisible(false)
            setErrorBarsColor(Color.DARK_GRAY)
            setToolTipsEnabled(false)
            setYAxisMin(0.0)
            setAvailableSpaceFill(0.8)
        }
        for (s in series) {
            val values = categories.map { c -> value(c, s) }
            // XChart's error bars take no gaps: a missing value is drawn as a zero-height bar (the
            // tables say n/a), so every series, even one without any number, is in the legend.
            val ys = values.map { it?.first?.takeIf { v -> !v.isNaN() } ?: 0.0 }
            val errors = values.map { v -> v?.takeIf { !it.first.isNaN() }?.second?.takeIf { !it.isNaN() } ?: 0.0 }
            chart.addSeries(s, categories, ys, errors)
        }
        return chart
    }

    /** [barChart], or a note saying why there is no chart (a JVM without fonts, say): the tables carry every number. */
    private fun chartOrNote(draw: () -> String): String = try {
        System.setProperty("java.awt.headless", "true")
        draw()
    } catch (e: Exception) {
        "<p class=\"note\">(chart not drawn: ${esc(e.toString())})</p>"
    } catch (e: LinkageError) {
        "<p class=\"note\">(chart not drawn: ${esc(e.toString())})</p>"
    } catch (e: InternalError) {
        "<p class=\"note\">(chart not drawn: ${esc(e.toString())})</p>"
    }

    /** The persistent stores' table and how each store is configured, for [html]. */
    private fun storesHtml(stores: List<StoreResult>): String = buildString {
        append("<h2>Persistent stores: bytes on disk, write amplification, recovery</h2>\n")
        append("<p>The <code>persistent-*</code> sections above compare stores against <code>${esc(PersistentStores.BASELINE)}</code>; ")
        append("their columns are rounds in one JVM (the stores side by side, in rotating order), not forks. Write amplification: ")
        append("bytes the process sent to the device (<code>/proc/self/io</code> write_bytes minus cancelled_write_bytes) and ")
        append("bytes passed to write calls (wchar), each over user bytes (8-byte key + 100-byte value per record written).</p>\n")
        append("<table><tr><th class=\"l\">store</th><th>records</th><th>budget MiB</th><th>load s</th><th>bytes on disk / record</th>")
        append("<th>WA load (device / calls)</th><th>updates</th><th>WA updates (device / calls)</th><th>log MiB at crash</th>")
        append("<th>recovery ms</th><th>ms per GiB of log</th><th class=\"l\">note</th></tr>")
        for (s in stores) {
            append("<tr><td class=\"l\">${esc(s.store)}</td><td>${s.records}</td><td>${num(s.budget / 1048576.0)}</td>")
            append("<td>${num(s.loadSeconds)}</td><td>${num(s.bytesPerRecord)}</td>")
            append("<td>${num(s.loadWriteAmp, 2)} / ${num(s.loadWriteAmpLogical, 2)}</td><td>${s.updates}</td>")
            append("<td>${num(s.updateWriteAmp, 2)} / ${num(s.updateWriteAmpLogical, 2)}</td>")
            append("<td>${if (s.recoveryRecords > 0) num(s.recoveryLogBytes / 1048576.0) else ""}</td><td>${num(s.recoveryMs, 0)}</td>")
            append("<td>${num(s.recoveryMsPerGiB, 0)}</td><td class=\"l\">${esc(s.note)}</td></tr>")
        }
        append("</table>\n<table><tr><th class=\"l\">store</th><th class=\"l\">what</th><th class=\"l\">memory budget</th>")
        append("<th class=\"l\">SYNC</th><th class=\"l\">ASYNC</th><th class=\"l\">recovery</th></tr>")
        for (s in stores) {
            val k = runCatching { PersistentStores.byName(s.store) }.getOrNull() ?: continue
            append("<tr><td class=\"l\">${esc(k.name)}</td><td class=\"l\">${esc(k.description)}</td><td class=\"l\">${esc(k.budgetSetting)}</td>")
            append("<td class=\"l\">${esc(k.syncSetting)}</td><td class=\"l\">${esc(k.asyncSetting)}</td><td class=\"l\">${esc(k.recoveryNote)}</td></tr>")
        }
        append("</table>\n")
    }

    /** The HTML page: environment, ratio charts per section with fork ranges, tables, unstable cells, persistent stores, memory. */
    fun html(report: ComparisonReport): String = buildString {
        val all = report.throughput
        append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Arboretum comparison</title>")
        append("<style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:1em 0}")
        append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}td.l,th.l{text-align:left}")
        append(".better{color:#1a7f37}.worse{color:#c62828}td.unstable{background:#fff3cd}.note{color:#666}</style></head><body>\n")
        append("<h1>Arboretum: throughput and memory against ConcurrentSkipListMap</h1>\n")
        append("<p>Every cell ran in separate JVMs (forks). Throughput is the median over forks of each fork's median ")
        append("iteration, in operations per second, with the range over forks. The ratio is to <code>")
        append(esc(Implementations.BASELINE)).append("</code> in the same row (above 1 = faster): the median of the ")
        append("per-fork ratios (fork <i>k</i> of an implementation over fork <i>k</i> of the baseline, run in the same round), ")
        append("with their range; the charts draw it with error bars that cover that range (a bar of height 0 was not measured). A cell marked ")
        append("<b>$UNSTABLE_MARK</b> has a fork spread (max&minus;min)/median above ${pct(SPREAD_LIMIT)}: read it with care. ")
        append("Regimes: <b>aged</b> = the map built, then aged by churn and full collections in a fixed heap before measuring; ")
        append("<b>fresh</b> = measured as built (see docs/guides/benchmarks.md).</p>\n<table>")
        for ((k, v) in report.environment) append("<tr><th class=\"l\">${esc(k)}</th><td class=\"l\">${esc(v)}</td></tr>")
        append("</table>\n")
        val impls = all.map { it.impl }.distinct()
        val sections = all.map { listOf(it.suite, it.regime, it.distribution, it.threads.toString()) }.distinct()
        for ((suite, regime, dist, threads) in sections) {
            val rows = all.filter { it.suite == suite && it.regime == regime && it.distribution == dist && it.threads.toString() == threads }
            val workloads = rows.map { it.workload }.distinct()
            val t = "$threads thread${if (threads == "1") "" else "s"}"
            append("<h2>${esc(suite)}, ${esc(regime)} regime, ${esc(dist)}, $t</h2>\n")
            append(chartOrNote {
                barChart("$suite, $regime, $dist, $t: ratio to ${baselineOf(suite)}", "x ${baselineOf(suite)} (median, fork range)",
                    workloads, impls) { w, i ->
                    val r = rows.firstOrNull { it.workload == w && it.impl == i }
                    val q = if (r == null || !r.ok) null else ratio(r, all)
                    if (q == null || !q.ok) null else q.median to maxOf(q.max - q.median, q.median - q.min)
                }
            })
            append("\n<table><tr><th class=\"l\">workload</th>")
            impls.forEach { append("<th>${esc(it)}</th>") }
            append("</tr>")
            for (w in workloads) {
                append("<tr><td class=\"l\">${esc(w)}</td>")
                for (i in impls) {
                    val r = rows.firstOrNull { it.workload == w && it.impl == i }
                    if (r == null || !r.ok) {
                        append("<td title=\"${esc(r?.note ?: "")}\">n/a</td>")
                        continue
                    }
                    val q = ratio(r, all)
                    val cls = listOfNotNull(
                        if (!q.ok) null else if (q.median >= 1.05) "better" else if (q.median <= 0.95) "worse" else null,
                        if (r.unstable) "unstable" else null).joinToString(" ")
                    val title = "forks: ${r.forkScores.joinToString { humanOps(it) }}; spread ${pct(r.spread)}"
                    append("<td class=\"$cls\" title=\"${esc(title)}\">${humanOps(r.opsPerSecond)} ")
                    append("<small>[${humanOps(r.min)}&ndash;${humanOps(r.max)}]</small>")
                    if (q.ok) append("<br>x${num(q.median, 2)} <small>[${num(q.min, 2)}&ndash;${num(q.max, 2)}]</small>")
                    if (r.unstable) append(" <b>$UNSTABLE_MARK</b>")
                    append("</td>")
                }
                append("</tr>")
            }
            append("</table>\n")
        }
        val unstable = all.filter { it.unstable }
        append("<h2>Unstable cells</h2>\n")
        if (unstable.isEmpty()) {
            append("<p>None: every cell's fork spread is at most ${pct(SPREAD_LIMIT)}.</p>\n")
        } else {
            append("<p>Fork spread (max&minus;min)/median above ${pct(SPREAD_LIMIT)}:</p><ul>")
            unstable.forEach {
                append("<li>${esc(it.impl)} ${esc(it.group)}: spread ${pct(it.spread)}, forks ${esc(it.forkScores.joinToString { f -> humanOps(f) })}</li>")
            }
            append("</ul>\n")
        }
        if (report.stores.isNotEmpty()) append(storesHtml(report.stores))
        if (report.memory.isNotEmpty()) {
            append("<h2>Memory per entry</h2>\n<p>Retained heap after GC (keys and values included) plus off-heap bytes, ")
            append("divided by entries; each implementation built in a fresh JVM, one measurement each.</p>\n")
            val sizes = report.memory.map { "${it.entries} entries" }.distinct()
            val memImpls = report.memory.map { it.impl }.distinct()
            append(chartOrNote {
                barChart("bytes per entry (heap + off-heap)", "bytes per entry", sizes, memImpls) { s, i ->
                    report.memory.firstOrNull { "${it.entries} entries" == s && it.impl == i && it.note.isEmpty() }
                        ?.let { it.totalBytesPerEntry to 0.0 }
                }
            })
            append("\n<table><tr><th class=\"l\">implementation</th><th>entries</th><th>heap B/entry</th><th>off-heap B/entry</th><th class=\"l\">note</th></tr>")
            for (m in report.memory) {
                append("<tr><td class=\"l\">${esc(m.impl)}</td><td>${m.entries}</td><td>${num(m.heapBytesPerEntry)}</td>")
                append("<td>${num(m.offHeapBytesPerEntry)}</td><td class=\"l\">${esc(m.note)}</td></tr>")
            }
            append("</table>\n")
        }
        val notes = all.filter { !it.ok }
        if (notes.isNotEmpty()) {
            append("<h2>Not measured</h2><ul>")
            notes.forEach { append("<li>${esc(it.impl)} ${esc(it.group)}: ${esc(it.note)}</li>") }
            append("</ul>\n")
        }
        append("</body></html>\n")
    }
}
