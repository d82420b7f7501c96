package io.arboretum.lincheck.memory

import io.arboretum.lincheck.TestSizes
import io.arboretum.sync.HybridLatch
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * jcstress-style tests of what Lincheck's model checker cannot see: it explores interleavings under
 * sequential consistency, so a missing fence, or a publication the hardware or JIT may reorder, is
 * invisible to it. Each test races a writer and a reader from a barrier for many rounds, names its
 * forbidden outcome, and comes as a pair:
 *
 * - *real*: the protocol on [HybridLatch]; the forbidden outcome must never appear;
 * - *model*: the same race with the protection removed (a negative control); the forbidden outcome
 *   must appear, which proves the race really overlaps the two threads on this machine, so the
 *   real test's silence means something.
 *
 * Outcomes: `VALID` (validated, consistent), `RESTART` (validation failed or a writer held the
 * latch: the reader would retry), and the forbidden `TORN` (validated, yet inconsistent).
 */
class MemoryModelStressTest {
    private val rounds = TestSizes.rounds(2_000)
    private val probes = 300

    // ---------------------------------------------------------------- optimistic read vs. writer

    /** Forbidden: a read that validates but saw two different values (a torn record). */
    @Test
    fun `real - a validated optimistic read never sees a torn record`() {
        val o = race(rounds, probes, { LatchedRecord() }, { r, i -> r.write(i) }) { r ->
            val v = r.optimisticRead()
            val torn = isTorn(r.slots)
            if (r.validate(v)) (if (torn) TORN else VALID) else RESTART
        }
        report("optimistic read vs writer (real)", o)
        assertEquals(0L, o[TORN], "HybridLatch let a validated read see a torn record\n$o")
        assertTrue(o[VALID] > 0 && o[RESTART] > 0, "no read validated, or none overlapped a write: nothing was tested\n$o")
    }

    /** Negative control (a): the same reads without validation do see torn records. */
    @Test
    fun `model - an unvalidated read is seen torn`() {
        val o = raceUntil(TORN) {
            race(rounds, probes, { LatchedRecord() }, { r, i -> r.write(i) }) { r ->
                r.optimisticRead()
                if (isTorn(r.slots)) TORN else VALID
            }
        }
        report("unvalidated read vs writer (model)", o)
        assertTrue(o[TORN] > 0, "the race never overlapped a read with a write\n$o")
    }

    /** Negative control (c): a writer that does not advance the version lets torn reads validate. */
    @Test
    fun `model - a writer that does not bump the version lets a torn read validate`() {
        val o = raceUntil(TORN) {
            race(rounds, probes, { NoBumpSeqlock() }, { s, i -> s.write(i) }) { s ->
                val v = s.begin()
                if (v < 0) return@race RESTART
                val torn = isTorn(s.slots)
                if (s.validate(v)) (if (torn) TORN else VALID) else RESTART
            }
        }
        report("read vs non-bumping writer (model)", o)
        assertTrue(o[TORN] > 0, "no torn read validated against the non-bumping writer\n$o")
    }

    // ---------------------------------------------------------------- publication of a new node

    /** Forbidden: following a freshly published child pointer and validating, yet seeing it unfilled. */
    @Test
    fun `real - a validated reader never sees an unfilled published node`() {
        val o = race(rounds, probes, { PublishingParent(false) }, { p, i -> p.publish(i) }) { p -> readChild(p, validate = true) }
        report("publication of a new node (real)", o)
        assertEquals(0L, o[TORN], "a validated reader saw a published node before it was filled\n$o")
        assertTrue(o[VALID] > 0 && o[RESTART] > 0, "no read validated, or none overlapped a write: nothing was tested\n$o")
    }

    /** Negative control (b): publishing before filling is seen, even by a reader that validates. */
    @Test
    fun `model - a node published before it is filled is seen unfilled`() {
        val o = raceUntil(TORN) {
            race(rounds, probes, { PublishingParent(true) }, { p, i -> p.publish(i) }) { p -> readChild(p, validate = true) }
        }
        report("publication before fill (model)", o)
        assertTrue(o[TORN] > 0, "the race never caught a node between publication and fill\n$o")
    }

    private fun report(what: String, o: Outcomes) = println("$what, $rounds rounds x $probes probes\n$o")

    /** Reads the parent's child optimistically, as a descent does: parent version, pointer, node. */
    private fun readChild(p: PublishingParent, validate: Boolean): String {
        val pv = p.optimisticRead()
        val c = p.child ?: return if (p.validate(pv)) EMPTY else RESTART
        val cv = c.optimisticRead()
        val count = c.count
        val unfilled = count != c.keys.size || c.keys[0] == 0 || isTorn(c.keys)
        // Validate the child, then the parent, as lock coupling does.
        if (validate && (!c.validate(cv) || !p.validate(pv))) return RESTART
        return if (unfilled) TORN else VALID
    }

    /** Runs [block] until [outcome] appears or the attempt budget is spent; returns the last outcomes. */
    private fun raceUntil(outcome: String, block: () -> Outcomes): Outcomes {
        var last = block()
        var attempts = 1
        while (last[outcome] == 0L && attempts < MAX_ATTEMPTS) {
            last = block()
            attempts++
        }
        return last
    }

    private companion object {
        const val VALID = "VALID (consistent)"
        const val RESTART = "RESTART (acceptable)"
        const val EMPTY = "EMPTY (nothing published yet)"
        const val TORN = "TORN (forbidden)"
        const val MAX_ATTEMPTS = 20

        fun isTorn(a: IntArray): Boolean {
            val first = a[0]
            for (i in 1 until a.size) if (a[i] != first) return true
            return false
        }
    }
}
