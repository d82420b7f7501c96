package io.arboretum.lincheck.lab

import java.nio.file.Files
import java.nio.file.Path
import java.util.Random
import java.util.TreeMap
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * The checker and the renderer behind the lab's pictures. The pictures committed in `docs/images`
 * are regenerated and compared byte for byte; `-Darboretum.lab.regenerate=true` rewrites them
 * instead (then review the diff).
 */
class LabHistoriesTest {
    private val images = Path.of("..", "docs", "images")

    /** The guide's verdicts: two histories only real-time order rules out, one that is linearizable. */
    @Test
    fun `guide histories get the verdicts the guide states`() {
        val stale = LinearizabilityChecker.check(GuideHistories.STALE_READ)
        assertFalse(stale.linearizable)
        assertEquals("get(1): null", stale.stuck!!.labelWithResult)
        assertEquals(listOf("put(1, 10): null"), stale.order.map { it.labelWithResult })

        val polls = LinearizabilityChecker.check(GuideHistories.DUPLICATE_POLL)
        assertFalse(polls.linearizable)
        assertEquals(1, polls.order.size)
        assertEquals("pollFirst(): 1", polls.stuck!!.labelWithResult)

        val surprising = LinearizabilityChecker.check(GuideHistories.SURPRISING_BUT_LINEARIZABLE)
        assertTrue(surprising.linearizable)
        assertEquals(listOf("get(1): null", "put(1, 10): null", "get(1): 10"), surprising.order.map { it.labelWithResult })
    }

    /** Without real-time order (sequential consistency) both rejected histories are explained. */
    @Test
    fun `rejected guide histories are sequentially consistent`() {
        // Shift each thread's operations so that every thread runs after the one it must follow:
        // program order is kept (a thread's own operations keep their order), real time is not.
        val staleSwapped = reorderThreads(GuideHistories.STALE_READ, listOf(1, 0))
        assertTrue(LinearizabilityChecker.check(staleSwapped).linearizable)
        val pollsSwapped = reorderThreads(GuideHistories.DUPLICATE_POLL, listOf(0, 2, 1))
        assertTrue(LinearizabilityChecker.check(pollsSwapped).linearizable)
    }

    /** The committed pictures are what the renderer draws today. */
    @Test
    fun `committed pictures match the renderer`() {
        val regenerate = System.getProperty("arboretum.lab.regenerate") == "true"
        for ((name, history) in GuideHistories.ALL) {
            val svg = HistorySvg.render(history, LinearizabilityChecker.check(history))
            assertTrue(svg.startsWith("<svg ") && svg.trimEnd().endsWith("</svg>"))
            val file = images.resolve(name)
            if (regenerate) {
                Files.writeString(file, svg)
            } else {
                assertTrue(Files.exists(file), "$file is missing; run with -Darboretum.lab.regenerate=true")
                assertEquals(Files.readString(file), svg, "$file differs from the renderer's output; " +
                    "run with -Darboretum.lab.regenerate=true and review the diff")
            }
        }
    }

    /** The failing picture marks the operation that cannot be placed and the line after which none exists. */
    @Test
    fun `failing picture marks the stuck operation`() {
        val svg = HistorySvg.render(GuideHistories.STALE_READ, LinearizabilityChecker.check(GuideHistories.STALE_READ))
        assertTrue(svg.contains("stroke=\"#b3261e\" stroke-width=\"2\" stroke-dasharray"), svg)
        assertTrue(svg.contains("#1 put(1, 10): null"), svg)
        assertTrue(svg.contains("no linearization from here: get(1) has returned null"), svg)
    }

    /**
     * Sequential runs with random timestamps that respect their order are always linearizable,
     * and changing one result makes them not linearizable (checked against a brute-force search).
     */
    @Test
    fun `checker agrees with brute force on random histories`() {
        val rnd = Random(16)
        repeat(400) { round ->
            val n = 2 + rnd.nextInt(5)
            val initial = TreeMap<Int, Int>().apply { repeat(rnd.nextInt(3)) { put(rnd.nextInt(4), 10 + it) } }
            val h = randomHistory(rnd, initial, n, corrupt = round % 2 == 1)
            val expected = bruteForce(h)
            assertEquals(expected, LinearizabilityChecker.check(h).linearizable, "round $round: $h")
        }
    }

    /** Bad histories are rejected with a message saying what is wrong. */
    @Test
    fun `bad histories get clear exceptions`() {
        val e = assertThrows<IllegalArgumentException> { HistoryOp(0, "get", 1, null, null, 10, 5) }
        assertTrue(e.message!!.contains("returns (at 5) before it is called (at 10)"))
        val u = assertThrows<IllegalArgumentException> { HistoryOp(0, "size", 1, null, null, 0, 5) }
        assertTrue(u.message!!.contains("unknown operation 'size'"))
        assertThrows<IllegalArgumentException> { History(emptyMap(), emptyList(), "empty") }
    }

    private fun reorderThreads(h: History, threadOrder: List<Int>): History {
        var t = 0L
        val ops = ArrayList<HistoryOp>()
        for (thread in threadOrder) {
            for (op in h.ops.filter { it.thread == thread }.sortedBy { it.call }) {
                ops += op.copy(call = t, ret = t + 1)
                t += 2
            }
        }
        return h.copy(ops = ops)
    }

    private fun randomHistory(rnd: Random, initial: TreeMap<Int, Int>, n: Int, corrupt: Boolean): History {
        val state = TreeMap(initial)
        val ops = ArrayList<HistoryOp>()
        // A sequential execution at instants 10, 20, ...; each call and return spread around its instant.
        for (i in 0 until n) {
            val name = listOf("get", "put", "remove", "pollFirst")[rnd.nextInt(4)]
            val key = rnd.nextInt(4)
            val value = if (name == "put") 10 + rnd.nextInt(3) else null
            val probe = HistoryOp(rnd.nextInt(3), name, key, value, null, 0, 0)
            val result = probe.applyTo(state)
            val at = 10L * (i + 1)
            ops += probe.copy(result = result, call = at - rnd.nextInt(25), ret = at + rnd.nextInt(25))
        }
        if (corrupt) {
            val i = rnd.nextInt(n)
            ops[i] = ops[i].copy(result = (ops[i].result ?: 0) + 1)
        }
        return History(initial, ops, "random")
    }

    private fun bruteForce(h: History): Boolean {
        fun perms(left: List<HistoryOp>, acc: List<HistoryOp>): Sequence<List<HistoryOp>> = sequence {
            if (left.isEmpty()) yield(acc) else for (op in left) yieldAll(perms(left - op, acc + op))
        }
        return perms(h.ops, emptyList()).any { order ->
            val realTime = order.indices.all { i -> (i + 1 until order.size).none { j -> order[j].ret < order[i].call } }
            val m = TreeMap(h.initial)
            realTime && order.all { it.applyTo(m) == it.result }
        }
    }
}
