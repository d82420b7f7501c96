package io.arboretum.lincheck

import io.arboretum.sync.TestHooks
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CopyOnWriteArrayList
import org.jetbrains.lincheck.datastructures.ManagedStrategyGuarantee
import org.jetbrains.lincheck.datastructures.forClasses

/**
 * Measures whether a scenario's structure changes (node splits, merges, redistributions, as the
 * index reports them through [TestHooks.recordEvent]) ran *concurrently with another operation*.
 *
 * **The definition** (the one `docs/lincheck-coverage.md` quotes). Every operation of a scenario
 * class calls [begin] before it touches the map and [end] after, so an invocation (one run of one
 * scenario on a fresh map) is a sequence of operation boundaries, and between two consecutive
 * boundaries the set of operations in flight is constant. At each boundary the probe reads the
 * JVM-wide event counters. An event *ran concurrently with another operation* when its counter
 * advanced between two consecutive boundaries at which at least two operations were in flight. The
 * init and post parts of a scenario run one operation at a time, so only the parallel part can
 * qualify; the prefill in the constructor runs before the first boundary and never counts. A
 * scenario counts for an event when at least one of its invocations qualifies (model checking
 * runs a scenario under many interleavings, stress on real threads many times). A scenario is
 * identified by the multiset of its operations with their arguments; invocations that did not
 * complete every operation (a failed run) are not counted.
 *
 * Lincheck runs one invocation at a time, so the JVM-wide counters change only through the
 * invocation being watched. Under model checking, [begin] and [end] are declared ignored
 * ([IGNORED]): they add no thread switches and their reads are not part of the explored
 * execution, so measuring does not change what is checked.
 *
 * @param enabled false for the sequential specification, whose instances are not measured
 */
class StructureProbe(private val enabled: Boolean) {
    private val lock = Any()
    private var inFlight = 0
    private val last = LongArray(EVENTS.size)
    private val concurrent = BooleanArray(EVENTS.size)
    private val labels = ArrayList<String>()
    private val run: Run? = if (enabled) current else null

    init {
        if (run != null) {
            for (i in EVENTS.indices) last[i] = TestHooks.eventCount(EVENTS[i])
            run.invocations += this
        }
    }

    /** An operation labelled [label] (its name and arguments) starts. */
    fun begin(label: String) {
        if (run == null) return
        synchronized(lock) {
            sample()
            inFlight++
            labels += label
        }
    }

    /** The operation that began last on this thread ends (normally or by an exception). */
    fun end() {
        if (run == null) return
        synchronized(lock) {
            sample()
            inFlight--
        }
    }

    private fun sample() {
        for (i in EVENTS.indices) {
            val c = TestHooks.eventCount(EVENTS[i])
            if (c != last[i] && inFlight >= 2) concurrent[i] = true
            last[i] = c
        }
    }

    /** The measurements of one Lincheck check: every instance created while it ran. */
    class Run internal constructor(val name: String, private val operationsPerScenario: Int) {
        internal val invocations = CopyOnWriteArrayList<StructureProbe>()

        /** The fractions measured, once the check is over. */
        fun result(): Fractions {
            val byScenario = HashMap<List<String>, BooleanArray>()
            for (p in invocations) {
                val ops = synchronized(p.lock) { p.labels.sorted() }
                if (ops.size != operationsPerScenario) continue
                val seen = byScenario.getOrPut(ops) { BooleanArray(EVENTS.size) }
                for (i in EVENTS.indices) if (p.concurrent[i]) seen[i] = true
            }
            val n = byScenario.size
            fun frac(i: Int) = if (n == 0) 0.0 else byScenario.values.count { it[i] }.toDouble() / n
            return Fractions(name, n, frac(0), frac(1), frac(2))
        }
    }

    /**
     * Fractions of scenarios in which each event ran concurrently with another operation.
     *
     * @property scenarios how many distinct complete scenarios were measured
     */
    data class Fractions(val name: String, val scenarios: Int, val split: Double, val merge: Double, val redistribute: Double) {
        override fun toString(): String =
            "%s: %d scenarios, split %.0f%%, merge %.0f%%, redistribute %.0f%%".format(name, scenarios, split * 100, merge * 100, redistribute * 100)
    }

    /** The probe's registry of runs and the Lincheck guarantee that hides it from the model checker. */
    companion object {
        private val EVENTS = arrayOf(TestHooks.SPLIT, TestHooks.MERGE, TestHooks.REDISTRIBUTE)

        /** The check being measured, or null (instances created meanwhile are not measured). */
        @Volatile
        private var current: Run? = null

        /** Every run measured in this JVM, by name, for the report written at the end. */
        val results: MutableMap<String, Fractions> = ConcurrentHashMap()

        /**
         * The probe and the index's hooks run atomically and unobserved under model checking:
         * they are bookkeeping, not part of the algorithm under test.
         */
        val IGNORED: ManagedStrategyGuarantee = forClasses(StructureProbe::class.java.name, TestHooks::class.java.name)
            .methods("begin", "end", "recordEvent", "eventCount", "faultActive")
            .ignore()

        /**
         * Runs [check] with every scenario instance it creates measured, and records the result as
         * [name].
         *
         * @param operationsPerScenario the number of operations in every scenario of the check
         */
        fun measure(name: String, operationsPerScenario: Int, check: () -> Unit): Fractions {
            val run = Run(name, operationsPerScenario)
            current = run
            try {
                check()
            } finally {
                current = null
            }
            val r = run.result()
            results[name] = r
            ReportFiles.append("structure-fractions.txt", r.toString())
            return r
        }
    }
}
