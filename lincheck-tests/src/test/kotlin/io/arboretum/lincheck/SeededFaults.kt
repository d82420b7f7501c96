package io.arboretum.lincheck

import io.arboretum.sync.TestHooks
import kotlin.reflect.KClass
import org.jetbrains.lincheck.LincheckAssertionError
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory

/** The Lincheck mode a seeded fault is caught in. */
enum class Mode {
    /** Model checking. */
    MC,

    /** Stress. */
    STRESS,
}

/**
 * How a seeded fault is caught: a check of [scenario] in [mode], with random scenarios (no
 * hand-written one), must fail while the fault is active.
 *
 * @property scenario a concrete `*LincheckTest` class on the faulty index
 * @property why one phrase: the race that exposes the fault, for the coverage page
 * @property iterations scenarios in the catching run at CI size (scaled by [TestSizes]), or 0 for
 *     the class's own CI size
 * @property invocations interleavings (model checking) or runs (stress) per scenario at CI size,
 *     or 0 for the class's own
 * @property thoroughOnly whether the catch runs only under `-Pthorough`: for a catch that costs
 *     a minute or more of model checking, in a family that keeps another fault caught in every
 *     build (so every build still shows that family's checks can fail); the coverage page says
 *     which
 */
class Catcher(
    val scenario: KClass<out LincheckScenario>,
    val mode: Mode,
    val why: String,
    val iterations: Int = 0,
    val invocations: Int = 0,
    val thoroughOnly: Boolean = false,
)

/**
 * The seeded-fault kit of one index family: every fault the family declares
 * ([TestHooks.declareFault], names `family.*`) must have a [Catcher] in [catchers], and every
 * catcher must make Lincheck fail with its fault on. Adding an index means adding one subclass
 * (its family prefix, the class whose loading declares its faults, and its table of catchers) and
 * listing it in [SeededFaultSuite.ALL].
 *
 * Faults are switched on in this JVM ([TestHooks.activateFault], which needs
 * `-Darboretum.testHooks=true`, set by this module's Surefire configuration) and off in a
 * `finally`, so the normal checks that run before and after see no fault (each asserts so). The
 * time each check took to fail is appended to `target/lincheck-reports/fault-catch-times.txt`.
 *
 * @param family the fault-name prefix, such as `btree`
 * @param indexClass the index class whose static initializer declares the family's faults
 */
abstract class SeededFaultSuite(val family: String, private val indexClass: Class<*>) {
    /** Fault name to the check that catches it. */
    abstract val catchers: Map<String, Catcher>

    /**
     * Faults that no linearizability check can see, each with why and the test (outside Lincheck)
     * that catches it instead; `docs/lincheck-coverage.md` lists them.
     */
    open val notObservable: Map<String, String> get() = emptyMap()

    /** The faults this family declares, after loading [indexClass]. */
    fun declared(): Set<String> {
        Class.forName(indexClass.name, true, indexClass.classLoader)
        return TestHooks.declaredFaults().keys.filter { it.startsWith("$family.") }.toSortedSet()
    }

    /** Every declared fault of the family has a catcher, and every catcher a declared fault. */
    @Test
    fun `the fault table matches the declared faults`() {
        val declared = declared()
        assertTrue(declared.isNotEmpty(), "${indexClass.simpleName} declares no $family.* fault")
        assertTrue(catchers.values.any { !it.thoroughOnly },
            "$family: every build must catch at least one of the family's faults; all are -Pthorough only")
        val listed = catchers.keys + notObservable.keys
        assertTrue((catchers.keys intersect notObservable.keys).isEmpty(), "a fault is both caught and not observable")
        assertEquals(declared, listed.toSortedSet(),
            "faults without a catching test: ${declared - listed}; table rows of undeclared faults: ${listed - declared}")
    }

    /** One test per declared fault: its catcher's check fails while the fault is active. */
    @TestFactory
    fun `every seeded fault makes Lincheck fail`(): List<DynamicTest> = declared().filter { it !in notObservable && selected(it) }.map { fault ->
        DynamicTest.dynamicTest(fault) {
            assumeTrue(TestHooks.ENABLED, "seeded faults need -D${TestHooks.PROPERTY}=true")
            val c = catchers[fault] ?: throw AssertionError("no catching test for $fault")
            assumeTrue(!c.thoroughOnly || TestSizes.scale > 1 || System.getProperty("arboretum.faults") != null,
                "$fault: caught under -Pthorough (or when named in -Darboretum.faults)")
            val failure = runWithFault(fault, c)
            assertTrue(failure != null,
                "$fault: ${c.scenario.simpleName} in ${c.mode} passed with the fault active; the suite cannot see this bug")
        }
    }

    /**
     * Whether [fault] runs in this JVM: all faults, unless the system property `arboretum.faults`
     * names some (comma-separated), for rerunning one fault by hand.
     */
    private fun selected(fault: String): Boolean {
        val only = System.getProperty("arboretum.faults")?.split(',')?.map { it.trim() }?.filter { it.isNotEmpty() }
        return only.isNullOrEmpty() || fault in only
    }

    /** Runs [c]'s check with [fault] active; returns Lincheck's failure, or null if it passed. */
    private fun runWithFault(fault: String, c: Catcher): LincheckAssertionError? {
        val test = c.scenario.java.getDeclaredConstructor().newInstance()
        val options = if (c.mode == Mode.MC) test.modelCheckingOptions() else test.stressOptions()
        val iterations = System.getProperty("arboretum.faultIterations")?.toInt() ?: c.iterations
        val invocations = System.getProperty("arboretum.faultInvocations")?.toInt() ?: c.invocations
        if (iterations > 0) options.iterations(TestSizes.iterations(iterations))
        if (invocations > 0) options.invocationsPerIteration(TestSizes.invocations(invocations))
        // A catcher only has to fail: shrinking the failing scenario reruns the check on ever
        // smaller ones and took 80% of a catch's time (btree.navigate.crossLeafUnvalidated: 53 s
        // with, 11 s without, same load). The report then shows the scenario as generated.
        options.minimizeFailedScenario(false)
        val started = System.nanoTime()
        TestHooks.activateFault(fault)
        val failure = try {
            options.check(c.scenario)
            null
        } catch (e: LincheckAssertionError) {
            e
        } finally {
            TestHooks.clearFault()
        }
        val seconds = (System.nanoTime() - started) / 1e9
        ReportFiles.append("fault-catch-times.txt",
            "%s | %s | %s | %s | %.1f s".format(fault, c.scenario.simpleName, c.mode, if (failure != null) "caught" else "NOT CAUGHT", seconds))
        failure?.let { ReportFiles.append("fault-failures/$fault.txt", it.message.orEmpty()) }
        return failure
    }

    /** The kits of every index family. */
    companion object {
        /** Every family's kit; [SeededFaultCoverageTest] insists that together they cover every declared fault. */
        val ALL: List<SeededFaultSuite> get() = listOf(BTreeSeededFaultTest(), OffHeapSeededFaultTest(), MasstreeSeededFaultTest(), PmaSeededFaultTest(), BwTreeSeededFaultTest(), BfTreeSeededFaultTest())
    }
}

/** Every fault declared by any loaded index belongs to a family whose kit catches it. */
class SeededFaultCoverageTest {
    /** The union of the kits' tables is every declared fault. */
    @Test
    fun `every declared fault has a catching test`() {
        val kits = SeededFaultSuite.ALL
        val covered = kits.flatMap { kit ->
            kit.declared().also { it.forEach { f -> if (f !in kit.catchers && f !in kit.notObservable) throw AssertionError("$f has no catcher") } }
        }.toSet()
        val all = TestHooks.declaredFaults().keys
        assertTrue(all.isNotEmpty(), "no fault declared: are the index classes built with their hooks?")
        assertEquals(all.toSortedSet(), covered.toSortedSet(), "declared faults that no kit catches: ${all - covered}")
    }
}
