package io.arboretum.lincheck.memory

import java.util.TreeMap
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicInteger
import java.util.concurrent.atomic.AtomicReference

/**
 * A small jcstress-style harness: [rounds] rounds in which two threads, released together by a
 * spinning barrier, race on a fresh state from [newState]. The writer calls [write] with
 * 1, 2, 3, ... for as long as the reader is probing; the reader calls [probe] [probes] times, and
 * each probe's result is an *outcome*, counted as jcstress counts them.
 *
 * jcstress (the OpenJDK harness) is not in the pinned toolchain; this keeps its shape: a named
 * forbidden outcome, many short races from a barrier, and a table of outcomes in every report.
 * The barrier spins (parking would let one thread finish before the other wakes up), the reader
 * starts probing only after the writer's first write, and the writer keeps writing until the
 * reader is done, so the two always overlap.
 *
 * @return how often each outcome was seen
 */
internal fun <S> race(
    rounds: Int,
    probes: Int,
    newState: () -> S,
    write: (S, Int) -> Unit,
    probe: (S) -> String,
): Outcomes {
    val barrier = SpinBarrier()
    val state = AtomicReference<S>()
    val readerDone = AtomicBoolean()
    val writerStarted = AtomicBoolean()
    val failure = AtomicReference<Throwable>()
    val counts = TreeMap<String, Long>()
    val writer = Thread {
        try {
            repeat(rounds) {
                barrier.await()
                val s = state.get()
                write(s, 1)
                writerStarted.set(true)
                var i = 2
                while (!readerDone.get()) write(s, i++)
                barrier.await()
            }
        } catch (t: Throwable) {
            failure.compareAndSet(null, t)
        }
    }
    writer.isDaemon = true
    writer.start()
    repeat(rounds) {
        state.set(newState())
        readerDone.set(false)
        writerStarted.set(false)
        barrier.await()
        val s = state.get()
        // The reader starts only once the writer is writing: on a loaded machine a thread may
        // leave the barrier a whole time slice after the other.
        var spins = 0
        while (!writerStarted.get()) {
            if (++spins < 10_000) Thread.onSpinWait() else Thread.yield()
        }
        repeat(probes) { counts.merge(probe(s), 1L, Long::plus) }
        readerDone.set(true)
        barrier.await()
        failure.get()?.let { throw AssertionError("writer thread failed", it) }
    }
    writer.join()
    return Outcomes(counts)
}

/** A two-party barrier that spins (then yields), so both parties leave it at nearly the same time. */
private class SpinBarrier {
    private val arrived = AtomicInteger()
    private val generation = AtomicInteger()

    fun await() {
        val g = generation.get()
        if (arrived.incrementAndGet() == 2) {
            arrived.set(0)
            generation.set(g + 1)
            return
        }
        var spins = 0
        while (generation.get() == g) {
            if (++spins < 10_000) Thread.onSpinWait() else Thread.yield()
        }
    }
}

/** Outcome counts of a [race]. */
internal class Outcomes(private val counts: Map<String, Long>) {
    /** How often [outcome] was seen. */
    operator fun get(outcome: String): Long = counts[outcome] ?: 0L

    /** The jcstress-style table. */
    override fun toString(): String = counts.entries.joinToString("\n", prefix = "outcomes:\n") { (k, v) -> "  %-32s %,12d".format(k, v) }
}
