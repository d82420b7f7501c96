package io.arboretum.lincheck

import java.util.concurrent.ConcurrentSkipListMap
import org.jetbrains.lincheck.LincheckAssertionError
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions
import org.jetbrains.lincheck.datastructures.StressOptions
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * Proves that the structural check of every [LincheckScenario] really runs after scenarios in both modes:
 * a map whose check always fails must make Lincheck fail. Without this, a `@Validate` hook that
 * Lincheck silently ignored would leave every index's invariants unchecked.
 */
class ValidationHookTest {
    /** Model checking calls the `@Validate` hook. */
    @Test
    fun `model checking runs the structural check`() {
        val e = assertThrows<LincheckAssertionError> {
            ModelCheckingOptions().iterations(1).invocationsPerIteration(10).threads(2).actorsPerThread(1)
                .sequentialSpecification(PointSpecification::class.java).check(AlwaysCorruptMap::class)
        }
        assertTrue(e.message.orEmpty().contains(AlwaysCorruptMap.MESSAGE), e.message)
    }

    /** Stress calls the `@Validate` hook. */
    @Test
    fun `stress runs the structural check`() {
        val e = assertThrows<LincheckAssertionError> {
            StressOptions().iterations(1).invocationsPerIteration(10).threads(2).actorsPerThread(1)
                .sequentialSpecification(PointSpecification::class.java).check(AlwaysCorruptMap::class)
        }
        assertTrue(e.message.orEmpty().contains(AlwaysCorruptMap.MESSAGE), e.message)
    }
}

/** A correct map whose structural check always reports corruption (not a test class itself). */
class AlwaysCorruptMap : PointOperations(
    IndexUnderTest(ConcurrentSkipListMap(), "broken", { throw IllegalStateException(MESSAGE) }, measured = false),
) {

    /** The failure message the hook must surface. */
    companion object {
        /** What [checkStructure] throws. */
        const val MESSAGE = "deliberately reported corruption"
    }
}
