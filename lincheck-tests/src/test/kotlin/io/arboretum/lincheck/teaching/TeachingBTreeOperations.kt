package io.arboretum.lincheck.teaching

import io.arboretum.lincheck.TestSizes
import java.util.TreeMap
import org.jetbrains.lincheck.datastructures.IntGen
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions
import org.jetbrains.lincheck.datastructures.Operation
import org.jetbrains.lincheck.datastructures.Param
import org.jetbrains.lincheck.datastructures.StressOptions
import org.jetbrains.lincheck.datastructures.Validate

/**
 * The Lincheck operations of a [TeachingBTree] carrying [fault]. Every scenario starts from one full
 * leaf ([PREFILL]), so the first insertion splits the root and later ones split leaves under it.
 *
 * @param fault the bug the tree under test carries
 */
abstract class TeachingBTreeOperations(fault: TeachingBTree.Fault) {
    private val tree = TeachingBTree(fault).also { t -> PREFILL.forEach { t.put(it, it * 10) } }

    /** `get(key)`. */
    @Operation
    fun get(@Param(gen = IntGen::class, conf = KEYS) key: Int): Int? = tree.get(key)

    /** `put(key, value)`. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Int? =
        tree.put(key, value)

    /** `remove(key)`. */
    @Operation
    fun remove(@Param(gen = IntGen::class, conf = KEYS) key: Int): Int? = tree.remove(key)

    /** The tree's structural check, after every scenario. */
    @Validate
    fun validate() = tree.checkInvariants()

    /** Constants and the configurations the teaching tests share. */
    companion object {
        /** Key range of the scenarios. */
        const val KEYS = "0:10"

        /** Value range: distinct from the prefilled values (key times ten), so torn pairs show. */
        const val VALUE_RANGE = "1:3"

        /** One full leaf: the first insertion of a scenario splits the root. */
        val PREFILL = intArrayOf(8, 2, 6, 4)

        /** Model checking sized for the teaching tree. */
        fun modelChecking(iterations: Int, invocations: Int): ModelCheckingOptions = ModelCheckingOptions()
            .iterations(TestSizes.iterations(iterations))
            .invocationsPerIteration(TestSizes.invocations(invocations))
            .threads(2)
            .actorsPerThread(3)
            .actorsBefore(1)
            .actorsAfter(1)
            .sequentialSpecification(TeachingSpecification::class.java)

        /** Stress sized for the teaching tree. */
        fun stress(iterations: Int, invocations: Int): StressOptions = StressOptions()
            .iterations(TestSizes.iterations(iterations))
            .invocationsPerIteration(TestSizes.invocations(invocations))
            .threads(2)
            .actorsPerThread(3)
            .actorsBefore(1)
            .actorsAfter(1)
            .sequentialSpecification(TeachingSpecification::class.java)
    }
}

/** The sequential specification of [TeachingBTreeOperations]: a [TreeMap] with the same prefill. */
class TeachingSpecification {
    private val map = TreeMap<Int, Int>().also { m -> TeachingBTreeOperations.PREFILL.forEach { m[it] = it * 10 } }

    /** `get(key)`. */
    fun get(key: Int): Int? = map[key]

    /** `put(key, value)`. */
    fun put(key: Int, value: Int): Int? = map.put(key, value)

    /** `remove(key)`. */
    fun remove(key: Int): Int? = map.remove(key)
}

/** The correct teaching tree. */
class CorrectTeachingBTree : TeachingBTreeOperations(TeachingBTree.Fault.NONE)

/** Negative control (a): lookups skip the leaf's validation. */
class UnvalidatedLookupTeachingBTree : TeachingBTreeOperations(TeachingBTree.Fault.UNVALIDATED_LOOKUP)

/** Negative control (b): a split publishes the new sibling before writing its keys. */
class EarlyPublishTeachingBTree : TeachingBTreeOperations(TeachingBTree.Fault.EARLY_SIBLING_PUBLISH)

/** Negative control (c): writers never advance the version readers validate against. */
class NoVersionBumpTeachingBTree : TeachingBTreeOperations(TeachingBTree.Fault.NO_VERSION_BUMP)
