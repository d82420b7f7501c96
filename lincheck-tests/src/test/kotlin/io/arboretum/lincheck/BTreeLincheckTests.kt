package io.arboretum.lincheck

/*
 * The Lincheck tests of ConcurrentBTreeMap (node capacity 4, merge threshold 2), with its invariant check after each scenario.
 * One line per scenario class: the test runs that class's operations in model checking and stress
 * (see [LincheckScenario]).
 */

/** [PointOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreePointLincheckTest : PointOperations(Indexes.btree())

/** [ConditionalOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreeConditionalLincheckTest : ConditionalOperations(Indexes.btree())

/** [ComputeOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreeComputeLincheckTest : ComputeOperations(Indexes.btree())

/** [NavigationOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreeNavigationLincheckTest : NavigationOperations(Indexes.btree())

/** [EntryNavigationOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreeEntryNavigationLincheckTest : EntryNavigationOperations(Indexes.btree())

/** [EndpointOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreeEndpointLincheckTest : EndpointOperations(Indexes.btree())

/** [WholeMapOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreeWholeMapLincheckTest : WholeMapOperations(Indexes.btree())

/** [ClearOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreeClearLincheckTest : ClearOperations(Indexes.btree())

/** [SubMapWriteOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreeSubMapWriteLincheckTest : SubMapWriteOperations(Indexes.btree())

/** [HeadMapWriteOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreeHeadMapWriteLincheckTest : HeadMapWriteOperations(Indexes.btree())

/** [TailMapWriteOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreeTailMapWriteLincheckTest : TailMapWriteOperations(Indexes.btree())

/** [DescendingSubMapWriteOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreeDescendingSubMapWriteLincheckTest : DescendingSubMapWriteOperations(Indexes.btree())

/** [SubMapReadOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreeSubMapReadLincheckTest : SubMapReadOperations(Indexes.btree())

/** [HeadMapReadOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreeHeadMapReadLincheckTest : HeadMapReadOperations(Indexes.btree())

/** [TailMapReadOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreeTailMapReadLincheckTest : TailMapReadOperations(Indexes.btree())

/** [DescendingSubMapReadOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreeDescendingSubMapReadLincheckTest : DescendingSubMapReadOperations(Indexes.btree())

/**
 * [RedistributionOperations] on [io.arboretum.btree.ConcurrentBTreeMap] at node capacity 6 and
 * merge threshold 3: a leaf left with two keys next to one with five or six takes keys from it
 * (at capacity 4 an underfull leaf and its sibling almost always fit in one node).
 */
class BTreeRedistributionLincheckTest : RedistributionOperations(Indexes.btree(capacity = 6, mergeThreshold = 3))

/** [StringKeyOperations] on a `String`-keyed [io.arboretum.btree.ConcurrentBTreeMap] (the prefix path). */
class BTreeStringKeyLincheckTest : StringKeyOperations(Indexes.btree())

/** [CustomComparatorOperations] on a [io.arboretum.btree.ConcurrentBTreeMap] ordered by [ModFiveOrder]. */
class BTreeCustomComparatorLincheckTest : CustomComparatorOperations(Indexes.btree(ModFiveOrder()))

/** [ThrowingComparatorOperations] on a [io.arboretum.btree.ConcurrentBTreeMap] ordered by [PoisonOrder]. */
class BTreeThrowingComparatorLincheckTest : ThrowingComparatorOperations(Indexes.btree(PoisonOrder()))

/** [RootSplitOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreeRootSplitLincheckTest : RootSplitOperations(Indexes.btree())

/** [LeafSplitOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreeLeafSplitLincheckTest : LeafSplitOperations(Indexes.btree())

/** [MergeRaceOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreeMergeRaceLincheckTest : MergeRaceOperations(Indexes.btree())

/** [CrossLeafOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreeCrossLeafLincheckTest : CrossLeafOperations(Indexes.btree())

/** [PollRaceOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreePollRaceLincheckTest : PollRaceOperations(Indexes.btree())

/** [SplitMergeOperations] on [io.arboretum.btree.ConcurrentBTreeMap]. */
class BTreeSplitMergeLincheckTest : SplitMergeOperations(Indexes.btree())
