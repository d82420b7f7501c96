package io.arboretum.lincheck.teaching

import io.arboretum.lincheck.TestSizes
import java.nio.file.Files
import java.nio.file.Path
import org.jetbrains.lincheck.LincheckAssertionError
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * The teaching B+tree under Lincheck: the correct variant passes both modes, and each broken
 * variant (the negative controls) is reported. A negative control that passed would mean the
 * checker, at these sizes, cannot see that class of bug, so these tests guard the suite itself.
 *
 * Each failure Lincheck reports is also written to `target/negative-controls/<fault>.txt`; the
 * interleavings shown in `docs/guides/linearizability.md` come from there.
 */
class TeachingBTreeLincheckTest {
    /**
     * The correct tree is linearizable in every interleaving explored: 10 scenarios of 50
     * interleavings in CI (the production B+tree, which this tree teaches, has the full suite), of
     * 150 under `-Pthorough`.
     */
    @Test
    fun `correct tree passes model checking`() {
        TeachingBTreeOperations.modelChecking(10, if (TestSizes.scale == 1) 50 else 150).check(CorrectTeachingBTree::class)
    }

    /** The correct tree is linearizable on real threads. */
    @Test
    fun `correct tree passes stress`() {
        TeachingBTreeOperations.stress(5, 200).check(CorrectTeachingBTree::class)
    }

    /** Negative control (a): Lincheck reports a lookup that skips validation. */
    @Test
    fun `lookup without validation is reported`() {
        // A reader of leaf [2,4,6,8] racing a removal that shifts 6 and 8 left.
        expectFailure("unvalidated-lookup", UnvalidatedLookupTeachingBTree::class.java) {
            addCustomScenario {
                parallel {
                    thread { actor(TeachingBTreeOperations::remove, 4) }
                    thread { actor(TeachingBTreeOperations::get, 6) }
                }
            }
        }
    }

    /** Negative control (b): Lincheck reports a split that publishes its sibling before filling it. */
    @Test
    fun `split publishing an unfilled sibling is reported`() {
        // The first insertion splits the full root leaf; the reader wants a key that moves right.
        expectFailure("early-sibling-publish", EarlyPublishTeachingBTree::class.java) {
            addCustomScenario {
                parallel {
                    thread { actor(TeachingBTreeOperations::put, 5, 1) }
                    thread { actor(TeachingBTreeOperations::get, 8) }
                }
            }
        }
    }

    /** Negative control (c): Lincheck reports a writer that leaves the version unchanged. */
    @Test
    fun `writer that does not bump the version is reported`() {
        expectFailure("no-version-bump", NoVersionBumpTeachingBTree::class.java) {
            addCustomScenario {
                parallel {
                    thread { actor(TeachingBTreeOperations::remove, 4) }
                    thread { actor(TeachingBTreeOperations::get, 6) }
                }
            }
        }
    }

    private fun expectFailure(name: String, broken: Class<*>, scenarios: ModelCheckingOptions.() -> Unit) {
        val options = TeachingBTreeOperations.modelChecking(10, 300).apply(scenarios)
        val error = assertThrows<LincheckAssertionError> { options.check(broken) }
        val report = error.message.orEmpty()
        assertTrue(report.contains("Invalid execution results") || report.contains("Validation function"),
            "expected a linearizability or validation failure, got:\n$report")
        val out = Path.of("target", "negative-controls")
        Files.createDirectories(out)
        Files.writeString(out.resolve("$name.txt"), report)
    }

}
