package io.arboretum.lincheck.lab

import java.util.TreeMap

/**
 * The verdict on one history.
 *
 * @property linearizable whether some order of all operations explains every result
 * @property order a full linearization if [linearizable]; otherwise the longest linearizable
 *     prefix found (operations in the order they take effect)
 * @property stuck null if [linearizable]; otherwise the first operation that cannot be placed:
 *     among those missing from [order], the one that returned first. By its return it must have
 *     taken effect, and no order of the operations before it gives its result.
 */
data class Verdict(val linearizable: Boolean, val order: List<HistoryOp>, val stuck: HistoryOp?)

/**
 * A linearizability checker in the style of Wing and Gong ("Testing and Verifying Concurrent
 * Objects", JPDC 1993), with the memoisation Lowe added ("Testing for Linearizability", CCPE
 * 2017): depth-first, it picks an operation that may go next, runs it on a sequential
 * `TreeMap<Int, Int>`, and continues if the result matches the one recorded; it backtracks
 * otherwise. An operation may go next when no other remaining operation returned before it was
 * called: that is real-time order, the one rule linearizability adds to sequential consistency.
 * States already explored (the set of operations placed and the map's content) are not explored
 * again, so a history of a dozen operations is checked in microseconds.
 */
object LinearizabilityChecker {
    /**
     * Checks [history].
     *
     * @param history the history to check
     * @return the verdict, with a linearization or the longest linearizable prefix
     */
    fun check(history: History): Verdict {
        val ops = history.ops.sortedWith(compareBy({ it.call }, { it.thread }))
        val search = Search(ops)
        val start = TreeMap(history.initial)
        val full = search.dfs(0L, start, ArrayList())
        if (full != null) return Verdict(true, full, null)
        val best = search.best
        val placed = best.toSet()
        val stuck = ops.filter { it !in placed }.minWith(compareBy({ it.ret }, { it.call }))
        return Verdict(false, best, stuck)
    }

    private class Search(val ops: List<HistoryOp>) {
        val all = (1L shl ops.size) - 1
        val seen = HashSet<Pair<Long, Map<Int, Int>>>()
        var best: List<HistoryOp> = emptyList()

        fun dfs(mask: Long, state: TreeMap<Int, Int>, seq: ArrayList<HistoryOp>): List<HistoryOp>? {
            if (seq.size > best.size) best = ArrayList(seq)
            if (mask == all) return ArrayList(seq)
            if (!seen.add(mask to HashMap(state))) return null
            // Real-time order: no remaining operation returned before a candidate was called.
            var firstReturn = Long.MAX_VALUE
            for (i in ops.indices) if (mask and (1L shl i) == 0L) firstReturn = minOf(firstReturn, ops[i].ret)
            for (i in ops.indices) {
                if (mask and (1L shl i) != 0L) continue
                val op = ops[i]
                if (op.call > firstReturn) continue
                val next = TreeMap(state)
                if (op.applyTo(next) != op.result) continue
                seq.add(op)
                val found = dfs(mask or (1L shl i), next, seq)
                if (found != null) return found
                seq.removeAt(seq.size - 1)
            }
            return null
        }
    }
}
