package io.arboretum.benchmarks

import java.nio.file.Files
import java.nio.file.Path
import java.util.Locale

/**
 * One throughput measurement: a benchmark ([suite] and [workload]) under one key [distribution]
 * with [threads] threads on one implementation. [opsPerSecond] is the median of the measured
 * iterations ([samples] of them, spread [min]..[max]); it is `NaN` when the run failed, and
 * [note] then says why.
 */
data class ThroughputResult(
    /** Benchmark family, e.g. `ycsb-long`, `ycsb-string`, `micro`. */ val suite: String,
    /** YCSB mix letter or microbenchmark name. */ val workload: String,
    /** `uniform`, `zipfian` or `-`. */ val distribution: String,
    /** Threads running the benchmark. */ val threads: Int,
    /** Implementation name from [Implementations]. */ val impl: String,
    /** Median operations per second. */ val opsPerSecond: Double,
    /** Slowest iteration, operations per second. */ val min: Double,
    /** Fastest iteration, operations per second. */ val max: Double,
    /** Measured iterations. */ val samples: Int,
    /** Why there is no number, or empty. */ val note: String = "",
) {
    /** The row key shared by all implementations of one comparison. */
    val group: String get() = "$suite $workload $distribution t=$threads"

    /** Whether there is a number. */
    val ok: Boolean get() = !opsPerSecond.isNaN()
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
)

/**
 * Writes a [ComparisonReport] as `results.csv`, `results.json` and `index.html` (tables and
 * inline SVG charts, no scripts, nothing fetched) into a folder, and formats the console table.
 */
object ReportWriter {
    private val palette = listOf("#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#b07aa1", "#76b7b2", "#edc948", "#9c755f")

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

    /** Ratio of [r] to the baseline of its group, or `NaN` without a baseline number. */
    fun ratio(r: ThroughputResult, all: List<ThroughputResult>): Double {
        val base = all.firstOrNull { it.group == r.group && it.impl == Implementations.BASELINE && it.ok }
            ?: return Double.NaN
        return r.opsPerSecond / base.opsPerSecond
    }

    private fun num(d: Double, digits: Int = 1): String =
        if (d.isNaN()) "" else String.format(Locale.ROOT, "%.${digits}f", d)

    private fun csvField(s: String): String =
        if (s.any { it == ',' || it == '"' || it == '\n' }) "\"" + s.replace("\"", "\"\"") + "\"" else s

    /** The CSV text: one line per measurement, throughput rows then memory rows. */
    fun csv(report: ComparisonReport): String = buildString {
        append("kind,suite,workload,distribution,threads,impl,ops_per_s_median,ops_per_s_min,ops_per_s_max,samples,ratio_to_baseline,entries,heap_bytes_per_entry,offheap_bytes_per_entry,note\n")
        for (r in report.throughput) {
            append(listOf("throughput", r.suite, r.workload, r.distribution, r.threads.toString(), r.impl,
                num(r.opsPerSecond), num(r.min), num(r.max), r.samples.toString(),
                num(ratio(r, report.throughput), 3), "", "", "", r.note).joinToString(",") { csvField(it) })
            append('\n')
        }
        for (m in report.memory) {
            append(listOf("memory", "memory", "", "", "", m.impl, "", "", "", "", "", m.entries.toString(),
                num(m.heapBytesPerEntry), num(m.offHeapBytesPerEntry), m.note).joinToString(",") { csvField(it) })
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

    private fun jsonNumber(d: Double): String = if (d.isNaN() || d.isInfinite()) "null" else num(d, 3)

    /** The JSON text: `{"environment":{..},"throughput":[..],"memory":[..]}`. */
    fun json(report: ComparisonReport): String = buildString {
        append("{\n  \"environment\": {")
        append(report.environment.entries.joinToString(", ") { "${jsonString(it.key)}: ${jsonString(it.value)}" })
        append("},\n  \"baseline\": ${jsonString(Implementations.BASELINE)},\n  \"throughput\": [\n")
        append(report.throughput.joinToString(",\n") { r ->
            "    {\"suite\": ${jsonString(r.suite)}, \"workload\": ${jsonString(r.workload)}, " +
                "\"distribution\": ${jsonString(r.distribution)}, \"threads\": ${r.threads}, " +
                "\"impl\": ${jsonString(r.impl)}, \"opsPerSecondMedian\": ${jsonNumber(r.opsPerSecond)}, " +
                "\"opsPerSecondMin\": ${jsonNumber(r.min)}, \"opsPerSecondMax\": ${jsonNumber(r.max)}, " +
                "\"samples\": ${r.samples}, \"ratioToBaseline\": ${jsonNumber(ratio(r, report.throughput))}, " +
                "\"note\": ${jsonString(r.note)}}"
        })
        append("\n  ],\n  \"memory\": [\n")
        append(report.memory.joinToString(",\n") { m ->
            "    {\"impl\": ${jsonString(m.impl)}, \"entries\": ${m.entries}, " +
                "\"heapBytesPerEntry\": ${jsonNumber(m.heapBytesPerEntry)}, " +
                "\"offHeapBytesPerEntry\": ${jsonNumber(m.offHeapBytesPerEntry)}, \"note\": ${jsonString(m.note)}}"
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

    /** The console table: one row per benchmark group, one column per implementation (ops/s and ratio). */
    fun consoleTable(report: ComparisonReport): String = buildString {
        val impls = report.throughput.map { it.impl }.distinct()
        val groups = report.throughput.map { it.group }.distinct()
        val first = maxOf(10, groups.maxOfOrNull { it.length } ?: 0)
        val width = 22
        append("benchmark".padEnd(first))
        impls.forEach { append(" | ").append(it.padEnd(width)) }
        append('\n')
        append("-".repeat(first + impls.size * (width + 3))).append('\n')
        for (g in groups) {
            append(g.padEnd(first))
            for (i in impls) {
                val r = report.throughput.firstOrNull { it.group == g && it.impl == i }
                val cell = when {
                    r == null -> "-"
                    !r.ok -> "n/a"
                    else -> {
                        val q = ratio(r, report.throughput)
                        "${humanOps(r.opsPerSecond)}/s" + if (q.isNaN()) "" else " x${num(q, 2)}"
                    }
                }
                append(" | ").append(cell.padEnd(width))
            }
            append('\n')
        }
        if (report.memory.isNotEmpty()) {
            append("\nmemory (bytes per entry, heap + off-heap, fresh JVM per implementation)\n")
            for (m in report.memory) {
                val v = if (m.note.isNotEmpty()) "n/a (${m.note})" else
                    "${num(m.heapBytesPerEntry)} heap + ${num(m.offHeapBytesPerEntry)} off-heap"
                append("  ${m.impl.padEnd(16)} ${m.entries.toString().padStart(9)} entries: $v\n")
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
     * A grouped bar chart as inline SVG: one group of bars per category, one bar per series.
     * Missing values leave a gap; values are written above the bars.
     */
    fun barChart(title: String, categories: List<String>, series: List<String>, value: (String, String) -> Double?, unit: (Double) -> String): String {
        val barW = 16
        val gap = 18
        val groupW = series.size * barW + gap
        val left = 60
        val top = 30
        val plotH = 200
        val width = left + maxOf(1, categories.size) * groupW + 20
        val height = top + plotH + 40 + 18 * ((series.size + 3) / 4)
        val maxV = categories.flatMap { c -> series.mapNotNull { s -> value(c, s)?.takeIf { !it.isNaN() } } }.maxOrNull() ?: 1.0
        val scale = if (maxV <= 0) 1.0 else plotH / maxV
        return buildString {
            append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"$width\" height=\"$height\" font-family=\"sans-serif\" font-size=\"10\">")
            append("<text x=\"$left\" y=\"16\" font-size=\"13\" font-weight=\"bold\">${esc(title)}</text>")
            append("<line x1=\"$left\" y1=\"${top + plotH}\" x2=\"${width - 10}\" y2=\"${top + plotH}\" stroke=\"#333\"/>")
            append("<text x=\"${left - 4}\" y=\"${top + 8}\" text-anchor=\"end\">${esc(unit(maxV))}</text>")
            categories.forEachIndexed { ci, c ->
                val gx = left + ci * groupW + gap / 2
                series.forEachIndexed { si, s ->
                    val v = value(c, s)
                    if (v != null && !v.isNaN()) {
                        val h = (v * scale).coerceAtLeast(1.0)
                        val x = gx + si * barW
                        val y = top + plotH - h
                        append("<rect x=\"$x\" y=\"${num(y)}\" width=\"${barW - 2}\" height=\"${num(h)}\" fill=\"${palette[si % palette.size]}\">")
                        append("<title>${esc("$s, $c: ${unit(v)}")}</title></rect>")
                    }
                }
                append("<text x=\"${gx + series.size * barW / 2}\" y=\"${top + plotH + 14}\" text-anchor=\"middle\">${esc(c)}</text>")
            }
            series.forEachIndexed { si, s ->
                val lx = left + (si % 4) * 150
                val ly = top + plotH + 32 + (si / 4) * 18
                append("<rect x=\"$lx\" y=\"${ly - 9}\" width=\"10\" height=\"10\" fill=\"${palette[si % palette.size]}\"/>")
                append("<text x=\"${lx + 14}\" y=\"$ly\">${esc(s)}</text>")
            }
            append("</svg>")
        }
    }

    /** The HTML page: environment, throughput charts per suite and thread count, ratio tables, memory chart. */
    fun html(report: ComparisonReport): String = buildString {
        append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Arboretum comparison</title>")
        append("<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}")
        append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}td.l,th.l{text-align:left}")
        append(".better{color:#1a7f37}.worse{color:#c62828}</style></head><body>\n")
        append("<h1>Arboretum: throughput and memory against ConcurrentSkipListMap</h1>\n")
        append("<p>Throughput is the median of the measured iterations, in operations per second; the ratio is to <code>")
        append(esc(Implementations.BASELINE)).append("</code> in the same row (above 1 = faster). ")
        append("Numbers from a shared, noisy machine: compare ratios, not absolute values.</p>\n<table>")
        for ((k, v) in report.environment) append("<tr><th class=\"l\">${esc(k)}</th><td class=\"l\">${esc(v)}</td></tr>")
        append("</table>\n")
        val impls = report.throughput.map { it.impl }.distinct()
        val sections = report.throughput.map { Triple(it.suite, it.distribution, it.threads) }.distinct()
        for ((suite, dist, threads) in sections) {
            val rows = report.throughput.filter { it.suite == suite && it.distribution == dist && it.threads == threads }
            val workloads = rows.map { it.workload }.distinct()
            append("<h2>${esc(suite)}, ${esc(dist)}, $threads thread${if (threads == 1) "" else "s"}</h2>\n")
            append(barChart("$suite $dist, $threads thread(s): ops/s (median)", workloads, impls,
                { w, i -> rows.firstOrNull { it.workload == w && it.impl == i }?.opsPerSecond }, { humanOps(it) }))
            append("\n<table><tr><th class=\"l\">workload</th>")
            impls.forEach { append("<th>${esc(it)}</th>") }
            append("</tr>")
            for (w in workloads) {
                append("<tr><td class=\"l\">${esc(w)}</td>")
                for (i in impls) {
                    val r = rows.firstOrNull { it.workload == w && it.impl == i }
                    if (r == null || !r.ok) {
                        append("<td title=\"${esc(r?.note ?: "")}\">n/a</td>")
                    } else {
                        val q = ratio(r, report.throughput)
                        val cls = if (q.isNaN()) "" else if (q >= 1.05) "better" else if (q <= 0.95) "worse" else ""
                        val shown = if (q.isNaN()) "" else " (x${num(q, 2)})"
                        append("<td class=\"$cls\">${humanOps(r.opsPerSecond)}$shown</td>")
                    }
                }
                append("</tr>")
            }
            append("</table>\n")
        }
        if (report.memory.isNotEmpty()) {
            append("<h2>Memory per entry</h2>\n<p>Retained heap after GC (keys and values included) plus off-heap bytes, ")
            append("divided by entries; each implementation built in a fresh JVM.</p>\n")
            val sizes = report.memory.map { "${it.entries} entries" }.distinct()
            val memImpls = report.memory.map { it.impl }.distinct()
            append(barChart("bytes per entry", sizes, memImpls,
                { s, i -> report.memory.firstOrNull { "${it.entries} entries" == s && it.impl == i && it.note.isEmpty() }?.totalBytesPerEntry },
                { num(it, 0) + " B" }))
            append("\n<table><tr><th class=\"l\">implementation</th><th>entries</th><th>heap B/entry</th><th>off-heap B/entry</th><th class=\"l\">note</th></tr>")
            for (m in report.memory) {
                append("<tr><td class=\"l\">${esc(m.impl)}</td><td>${m.entries}</td><td>${num(m.heapBytesPerEntry)}</td>")
                append("<td>${num(m.offHeapBytesPerEntry)}</td><td class=\"l\">${esc(m.note)}</td></tr>")
            }
            append("</table>\n")
        }
        val notes = report.throughput.filter { !it.ok }
        if (notes.isNotEmpty()) {
            append("<h2>Not measured</h2><ul>")
            notes.forEach { append("<li>${esc(it.impl)} ${esc(it.group)}: ${esc(it.note)}</li>") }
            append("</ul>\n")
        }
        append("</body></html>\n")
    }
}
