package io.arboretum.lincheck.lab

import java.util.Locale

/**
 * Draws a history as an SVG picture, the way Knossos' and Porcupine's visualisers do: one lane per
 * thread, each operation a bar from its call to its return, labelled with what it returned. The
 * operations of the linearization (or of the longest linearizable prefix) carry their position in
 * it; the operation that cannot be placed is red, and a red line at its return marks the instant
 * from which no linearization exists.
 *
 * The output depends only on the history and the verdict (no clock, no randomness), so a picture
 * committed to the docs can be regenerated and compared byte for byte.
 */
object HistorySvg {
    private const val WIDTH = 880
    private const val LEFT = 96
    private const val RIGHT = 24
    private const val TOP = 56
    private const val LANE = 80
    private const val BAR = 22

    /**
     * Renders [history] with its [verdict].
     *
     * @param history the history
     * @param verdict its verdict, from [LinearizabilityChecker.check]
     * @return a complete SVG document
     */
    fun render(history: History, verdict: Verdict): String {
        val ops = history.ops
        val lanes = ops.map { it.thread }.distinct().sorted()
        val t0 = ops.minOf { it.call }
        val t1 = ops.maxOf { it.ret }
        val span = (t1 - t0).coerceAtLeast(1L).toDouble()
        val plot = WIDTH - LEFT - RIGHT
        fun x(t: Long) = LEFT + plot * (t - t0) / span
        val height = TOP + LANE * lanes.size + 70
        val position = verdict.order.withIndex().associate { (i, op) -> op to i + 1 }
        val sb = StringBuilder()
        sb.append("""<svg xmlns="http://www.w3.org/2000/svg" width="$WIDTH" height="$height" viewBox="0 0 $WIDTH $height" font-family="sans-serif" font-size="13">""").append('\n')
        sb.append("""<rect width="$WIDTH" height="$height" fill="white"/>""").append('\n')
        sb.append("""<text x="16" y="24" font-size="15" font-weight="bold">${esc(history.title)}</text>""").append('\n')
        val verdictText = if (verdict.linearizable) {
            "Linearizable: the numbers give an order that explains every result."
        } else {
            "Not linearizable: the numbered operations are the longest prefix that can be ordered; " +
                "${verdict.stuck!!.labelWithResult} cannot be placed after them."
        }
        sb.append("""<text x="16" y="42" fill="${if (verdict.linearizable) "#1e6b2e" else "#b3261e"}">${esc(verdictText)}</text>""").append('\n')
        sb.append("""<text x="16" y="${TOP + LANE * lanes.size + 20}" fill="#555">initial map: ${esc(history.initial.toSortedMap().toString())}; time runs left to right, each bar from call to return</text>""").append('\n')
        for ((li, lane) in lanes.withIndex()) {
            val y = TOP + LANE * li
            sb.append("""<line x1="$LEFT" y1="${y + LANE - 4}" x2="${WIDTH - RIGHT}" y2="${y + LANE - 4}" stroke="#ddd"/>""").append('\n')
            sb.append("""<text x="16" y="${y + 36}" font-weight="bold">Thread ${lane + 1}</text>""").append('\n')
            // Labels alternate above and below the bars, so that short operations in a row stay legible.
            for ((k, op) in ops.filter { it.thread == lane }.sortedBy { it.call }.withIndex()) {
                val x0 = x(op.call)
                val w = (x(op.ret) - x0).coerceAtLeast(4.0)
                val isStuck = op == verdict.stuck
                val pos = position[op]
                val fill = when {
                    isStuck -> "#f6c9c4"
                    pos != null -> "#cfe8d3"
                    else -> "#e4e4e4"
                }
                val stroke = when {
                    isStuck -> "#b3261e"
                    pos != null -> "#2e7d43"
                    else -> "#888"
                }
                sb.append("""<rect x="${f(x0)}" y="${y + 26}" width="${f(w)}" height="$BAR" rx="3" fill="$fill" stroke="$stroke" stroke-width="${if (isStuck) 2 else 1}"/>""").append('\n')
                val tag = if (pos != null) "#$pos " else ""
                val ly = if (k % 2 == 0) y + 20 else y + 26 + BAR + 15
                sb.append("""<text x="${f(x0 + 2)}" y="$ly">${esc(tag + op.labelWithResult)}</text>""").append('\n')
            }
        }
        val stuck = verdict.stuck
        if (stuck != null) {
            val sx = x(stuck.ret)
            sb.append("""<line x1="${f(sx)}" y1="${TOP - 2}" x2="${f(sx)}" y2="${TOP + LANE * lanes.size}" stroke="#b3261e" stroke-width="2" stroke-dasharray="6,4"/>""").append('\n')
            val anchor = if (sx > WIDTH / 2) "end" else "start"
            val tx = if (sx > WIDTH / 2) sx - 6 else sx + 6
            sb.append("""<text x="${f(tx)}" y="${TOP + LANE * lanes.size + 40}" fill="#b3261e" text-anchor="$anchor">${esc("no linearization from here: ${stuck.label} has returned ${stuck.result ?: "null"}")}</text>""").append('\n')
        }
        sb.append("</svg>\n")
        return sb.toString()
    }

    private fun f(d: Double) = String.format(Locale.ROOT, "%.1f", d)

    private fun esc(s: String) = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
}
