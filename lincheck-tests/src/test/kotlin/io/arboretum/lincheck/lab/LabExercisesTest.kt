package io.arboretum.lincheck.lab

import io.arboretum.lincheck.TestSizes
import io.arboretum.lincheck.teaching.TeachingBTree
import io.arboretum.lincheck.teaching.TeachingBTreeOperations
import java.nio.file.Files
import java.nio.file.Path
import kotlin.reflect.KFunction
import org.jetbrains.lincheck.LincheckAssertionError
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * The lab's exercises, run in CI as tests that EXPECT each broken variant to fail: Lincheck's
 * model checker must report it, and a run on real threads must record a history that
 * [LinearizabilityChecker] rejects. Each exercise writes what a student reads to
 * `lincheck-tests/target/lab/exercise-N/`: `lincheck.txt` (Lincheck's report) and `history.svg`
 * (the recorded history as a picture, with the point where no linearization exists marked).
 *
 * Run one exercise:
 * `mvn -B -pl lincheck-tests -am verify -Dtest='LabExercisesTest#exercise2' -Dsurefire.failIfNoSpecifiedTests=false`.
 */
class LabExercisesTest {
    /** Exercise 1 fails as expected. */
    @Test
    fun exercise1() = expectFailure(Exercise.EXERCISE_1, Exercise1TeachingBTree::class.java)

    /** Exercise 2 fails as expected. */
    @Test
    fun exercise2() = expectFailure(Exercise.EXERCISE_2, Exercise2TeachingBTree::class.java)

    /** Exercise 3 fails as expected. */
    @Test
    fun exercise3() = expectFailure(Exercise.EXERCISE_3, Exercise3TeachingBTree::class.java)

    /** Exercise 4 fails as expected. */
    @Test
    fun exercise4() = expectFailure(Exercise.EXERCISE_4, Exercise4TeachingBTree::class.java)

    /**
     * The control: the correct tree, run through every exercise's scenario with the same pauses,
     * records only linearizable histories, so the failures above come from the faults.
     */
    @Test
    fun `correct tree records only linearizable histories`() {
        for (e in Exercise.entries) {
            repeat(TestSizes.rounds(150)) {
                val h = StressRecorder.recordOnce(TeachingBTree.Fault.NONE, e.setup, e.threads, "correct tree")
                val v = LinearizabilityChecker.check(h)
                assertTrue(v.linearizable, "the correct tree produced a non-linearizable history in ${e.name}: $h")
            }
        }
    }

    private fun expectFailure(e: Exercise, lincheckClass: Class<*>) {
        val out = Path.of("target", "lab", "exercise-${e.number}")
        Files.createDirectories(out)

        // 1. Lincheck, model checking the exercise's scenario (and some random ones).
        val options = TeachingBTreeOperations.modelChecking(10, 300).apply {
            addCustomScenario {
                if (e.setup.isNotEmpty()) initial { e.setup.forEach { actor(operationOf(it), *argumentsOf(it)) } }
                parallel {
                    e.threads.forEach { calls -> thread { calls.forEach { actor(operationOf(it), *argumentsOf(it)) } } }
                }
            }
        }
        val error = assertThrows<LincheckAssertionError> { options.check(lincheckClass) }
        val report = error.message.orEmpty()
        Files.writeString(out.resolve("lincheck.txt"), report)
        assertTrue(report.contains("Invalid execution results") || report.contains("Validation function"),
            "expected a linearizability or validation failure, got:\n$report")

        // 2. Real threads: record until the checker rejects a history, and draw it.
        val found = StressRecorder.findViolation(e.fault, e.setup, e.threads, e.title, maxRuns = 20_000)
        assertNotNull(found, "no non-linearizable history recorded for ${e.name} in 20,000 runs")
        val (history, verdict, runs) = found!!
        Files.writeString(out.resolve("history.svg"), HistorySvg.render(history, verdict))
        Files.writeString(out.resolve("history.txt"), describe(history, verdict, runs))
        assertEquals(false, verdict.linearizable)
    }

    private fun describe(h: History, v: Verdict, runs: Int): String = buildString {
        appendLine("recorded in run $runs; initial map ${h.initial.toSortedMap()}")
        val t0 = h.ops.minOf { it.call }
        for (op in h.ops.sortedBy { it.call }) {
            appendLine("thread ${op.thread + 1}: ${op.labelWithResult}  [${(op.call - t0) / 1000.0} us, ${(op.ret - t0) / 1000.0} us]")
        }
        appendLine("longest linearizable prefix: ${v.order.joinToString { it.labelWithResult }}")
        appendLine("first operation that cannot be placed: ${v.stuck?.labelWithResult}")
    }
}

/** The Lincheck operation of [c]. */
private fun operationOf(c: Call): KFunction<*> = when (c.name) {
    "get" -> TeachingBTreeOperations::get
    "put" -> TeachingBTreeOperations::put
    else -> TeachingBTreeOperations::remove
}

/** The arguments of [c], as Lincheck passes them. */
private fun argumentsOf(c: Call): Array<Any?> = if (c.value != null) arrayOf(c.key, c.value) else arrayOf(c.key)
