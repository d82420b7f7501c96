package io.arboretum.lincheck

import io.arboretum.btree.OffHeapLongBTreeMap
import org.jetbrains.lincheck.datastructures.StressOptions
import org.junit.jupiter.api.Test

/**
 * [OffHeapLongBTreeMap] through its [OffHeapLongBTreeMap.asMap] view, node capacity 4, prefilled:
 * every operation of [MapOperations] in stress mode, with [OffHeapLongBTreeMap.checkInvariants]
 * after each scenario.
 *
 * Stress only: Lincheck 3.7's model checker cannot run this index. It intercepts VarHandle
 * accesses to fields and arrays, but rejects the byte-buffer view handles
 * (`MethodHandles.byteBufferViewVarHandle`) through which the off-heap nodes are read and
 * written: `IllegalStateException: Unsupported VarHandle type:
 * java.lang.invoke.VarHandleByteArrayAsLongs$ByteBufferHandle`.
 */
class OffHeapLongBTreeMapLincheckTest : MapOperations(newOffHeap()) {
    override val indexName: String get() = OFF_HEAP

    /** Stress: real threads, the same scenarios and specification as every other index. */
    @Test
    fun stressTest() = StressOptions()
        .iterations(TestSizes.iterations(6))
        .invocationsPerIteration(TestSizes.invocations(300))
        .threads(2)
        .actorsPerThread(3)
        .actorsBefore(2)
        .actorsAfter(1)
        .sequentialSpecification(MapSpecification::class.java)
        .check(this::class)
}

/** The sub-map and descending views of [OffHeapLongBTreeMap.asMap], as [OffHeapLongBTreeMapLincheckTest]. */
class OffHeapLongBTreeViewsLincheckTest : ViewOperations(newOffHeap()) {
    override val indexName: String get() = OFF_HEAP

    /** Stress of the view operations. */
    @Test
    fun stressTest() = StressOptions()
        .iterations(TestSizes.iterations(5))
        .invocationsPerIteration(TestSizes.invocations(300))
        .threads(2)
        .actorsPerThread(3)
        .actorsBefore(2)
        .actorsAfter(1)
        .sequentialSpecification(ViewSpecification::class.java)
        .check(this::class)
}

private const val OFF_HEAP = "OffHeapLongBTreeMap"

/** Off-heap bytes one tree may reserve. */
private const val MAX_BYTES = 16L * 1024

/**
 * A fresh tree (Lincheck creates one per invocation) with node capacity 4, so scenarios split and
 * merge. Lincheck has no per-invocation teardown, so trees are never closed and their direct
 * buffers are freed only when collected; Lincheck may keep many instances reachable, so each tree
 * is capped at [MAX_BYTES] (a scenario's tree needs about 20 nodes of 80 bytes). Without the cap,
 * each tree reserves a 640 KiB chunk and a `-Pthorough` run exhausts the 2 GiB of direct memory.
 */
private fun newOffHeap(): IndexUnderTest {
    val tree = OffHeapLongBTreeMap.builder().nodeCapacity(4).maxOffHeapBytes(MAX_BYTES).build()
    return IndexUnderTest(tree.asMap(), tree::checkInvariants)
}
