package io.arboretum.lincheck.lab

import io.arboretum.lincheck.teaching.TeachingBTree
import io.arboretum.lincheck.teaching.TeachingBTreeOperations
import java.util.concurrent.ThreadLocalRandom
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.locks.LockSupport

/**
 * A call to make in a recorded run: `get`, `put` or `remove` of the teaching tree.
 *
 * @property name the operation
 * @property key its key
 * @property value the value of a `put`, else null
 */
data class Call(val name: String, val key: Int, val value: Int? = null) {
    init {
        require(name in setOf("get", "put", "remove")) { "the teaching tree has get, put and remove, not '$name'" }
        require((name == "put") == (value != null)) { "only put takes a value: $this" }
    }

    /** Runs the call on [tree]. */
    internal fun run(tree: TeachingBTree): Int? = when (name) {
        "get" -> tree.get(key)
        "put" -> tree.put(key, value!!)
        else -> tree.remove(key)
    }
}

/**
 * Records histories of the teaching tree on real threads: set-up calls on the calling thread, then
 * one thread per list of [Call]s, released together, each call stamped with `System.nanoTime()`
 * before it is made and after it returns. The tree parks a thread for a few to a hundred
 * microseconds at some of its pause points ([TeachingBTree.Pause]), at random, so that a race
 * window a few instructions wide stays open long enough for the other thread to run into it.
 *
 * Each run starts from the tree of the Lincheck tests ([TeachingBTreeOperations.PREFILL], each key
 * mapped to ten times itself).
 */
object StressRecorder {
    /** The map content every run starts from. */
    val INITIAL: Map<Int, Int> = TeachingBTreeOperations.PREFILL.associateWith { it * 10 }

    private val jitter = TeachingBTree.Pause {
        val r = ThreadLocalRandom.current()
        if (r.nextBoolean()) LockSupport.parkNanos(r.nextLong(2_000, 100_000))
    }

    /**
     * Records one run.
     *
     * @param fault the variant of the tree
     * @param setup calls made first, on the calling thread; drawn in lane 0, before thread 1's
     *     calls, as Lincheck shows its initial operations in thread 1's column
     * @param threads the calls of each thread (lanes 0, 1, ...)
     * @param title the title of the history
     * @return the history of that run
     */
    fun recordOnce(fault: TeachingBTree.Fault, setup: List<Call>, threads: List<List<Call>>, title: String): History {
        val tree = TeachingBTree(fault, jitter)
        INITIAL.forEach { (k, v) -> tree.put(k, v) }
        val ops = ArrayList<HistoryOp>()
        for (c in setup) ops += timed(0, c, tree)
        val go = AtomicBoolean()
        val recorded = Array(threads.size) { ArrayList<HistoryOp>() }
        val failures = Array<Throwable?>(threads.size) { null }
        val workers = threads.mapIndexed { i, calls ->
            Thread {
                try {
                    while (!go.get()) Thread.onSpinWait()
                    for (c in calls) recorded[i] += timed(i, c, tree)
                } catch (t: Throwable) {
                    failures[i] = t
                }
            }.apply { isDaemon = true; start() }
        }
        go.set(true)
        workers.forEach { it.join(10_000) }
        failures.firstOrNull { it != null }?.let { throw AssertionError("a recorded call threw", it) }
        check(workers.none { it.isAlive }) { "a recording thread did not finish within 10 s" }
        recorded.forEach { ops += it }
        return History(INITIAL, ops, title)
    }

    /**
     * Records runs until one is not linearizable, at most [maxRuns] of them.
     *
     * @return the first non-linearizable history with its verdict and the number of runs it took,
     *     or null if every run was linearizable
     */
    fun findViolation(
        fault: TeachingBTree.Fault, setup: List<Call>, threads: List<List<Call>>, title: String, maxRuns: Int,
    ): Triple<History, Verdict, Int>? {
        for (run in 1..maxRuns) {
            val h = recordOnce(fault, setup, threads, title)
            val v = LinearizabilityChecker.check(h)
            if (!v.linearizable) return Triple(h, v, run)
        }
        return null
    }

    private fun timed(lane: Int, c: Call, tree: TeachingBTree): HistoryOp {
        val call = System.nanoTime()
        val result = c.run(tree)
        val ret = System.nanoTime()
        return HistoryOp(lane, c.name, c.key, c.value, result, call, ret)
    }
}
