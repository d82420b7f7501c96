package io.arboretum.lincheck

/*
 * The Lincheck tests of OffHeapLongBTreeMap through asMap() (node capacity 4, merge threshold 2), with its invariant check after each scenario. It has Long keys only: no String-key or comparator classes.
 * One line per scenario class: the test runs that class's operations in model checking and stress
 * (see [LincheckScenario]).
 */

/** [PointOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapPointLincheckTest : PointOperations(Indexes.offHeap())

/** [ConditionalOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapConditionalLincheckTest : ConditionalOperations(Indexes.offHeap())

/** [ComputeOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapComputeLincheckTest : ComputeOperations(Indexes.offHeap()) {
    override val structureGoal: Double get() = 0.30
}

/** [NavigationOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapNavigationLincheckTest : NavigationOperations(Indexes.offHeap())

/** [EntryNavigationOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapEntryNavigationLincheckTest : EntryNavigationOperations(Indexes.offHeap())

/** [EndpointOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapEndpointLincheckTest : EndpointOperations(Indexes.offHeap())

/** [WholeMapOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapWholeMapLincheckTest : WholeMapOperations(Indexes.offHeap())

/** [ClearOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapClearLincheckTest : ClearOperations(Indexes.offHeap())

/** [SubMapWriteOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapSubMapWriteLincheckTest : SubMapWriteOperations(Indexes.offHeap())

/** [HeadMapWriteOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapHeadMapWriteLincheckTest : HeadMapWriteOperations(Indexes.offHeap())

/** [TailMapWriteOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapTailMapWriteLincheckTest : TailMapWriteOperations(Indexes.offHeap())

/** [DescendingSubMapWriteOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapDescendingSubMapWriteLincheckTest : DescendingSubMapWriteOperations(Indexes.offHeap())

/** [SubMapReadOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapSubMapReadLincheckTest : SubMapReadOperations(Indexes.offHeap())

/** [HeadMapReadOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapHeadMapReadLincheckTest : HeadMapReadOperations(Indexes.offHeap())

/** [TailMapReadOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapTailMapReadLincheckTest : TailMapReadOperations(Indexes.offHeap()) {
    override val structureGoal: Double get() = 0.30
}

/** [DescendingSubMapReadOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapDescendingSubMapReadLincheckTest : DescendingSubMapReadOperations(Indexes.offHeap())

/** [RedistributionOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapRedistributionLincheckTest : RedistributionOperations(Indexes.offHeap()) {
    override val structureGoal: Double get() = 0.30
}

/** [RootSplitOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapRootSplitLincheckTest : RootSplitOperations(Indexes.offHeap())

/** [LeafSplitOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapLeafSplitLincheckTest : LeafSplitOperations(Indexes.offHeap())

/** [MergeRaceOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapMergeRaceLincheckTest : MergeRaceOperations(Indexes.offHeap()) {
    override val structureGoal: Double get() = 0.30
}

/** [CrossLeafOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapCrossLeafLincheckTest : CrossLeafOperations(Indexes.offHeap())

/** [PollRaceOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapPollRaceLincheckTest : PollRaceOperations(Indexes.offHeap())

/** [SplitMergeOperations] on [io.arboretum.btree.OffHeapLongBTreeMap.asMap]. */
class OffHeapSplitMergeLincheckTest : SplitMergeOperations(Indexes.offHeap())
