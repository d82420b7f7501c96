package io.arboretum.lincheck

/*
 * The Lincheck tests of BwTreeMap at node capacity 4 (a fifth key splits a leaf, a leaf left with
 * one key merges into its left sibling), with its invariant check after each scenario. One line
 * per scenario class: the test runs that class's operations in model checking and stress (see
 * [LincheckScenario]). The comparator classes run on a Bw-tree given the comparator itself.
 */

/**
 * [PointOperations] on [io.arboretum.bwtree.BwTreeMap], with Lincheck's obstruction-freedom check
 * in model checking, like the conditional writes, the splits and merges and the polls below: these
 * are the Bw-tree's latch-free operations, and the check reports any interleaving in which a thread
 * cannot finish while the others are suspended, which is what a latch, or a wait for another
 * thread's unfinished split or merge instead of helping it, would do. The paths that take the
 * epoch manager's monitor (its first pin per thread, retiring a merged page's id, and the periodic
 * collection every 64th pin) are not latch-free; the model checker treats that monitor as one
 * atomic step here (see [Indexes.bwtree]), and `docs/guides/how-the-bwtree-works.md` says why.
 * (The same model checking also checks linearizability, so one run per class serves both.)
 */
class BwTreePointLincheckTest : PointOperations(Indexes.bwtree()) {
    override val obstructionFree: Boolean get() = true
}

/** [ConditionalOperations] on [io.arboretum.bwtree.BwTreeMap], checked obstruction-free too (see [BwTreePointLincheckTest]). */
class BwTreeConditionalLincheckTest : ConditionalOperations(Indexes.bwtree()) {
    override val obstructionFree: Boolean get() = true
}

/** [ComputeOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeComputeLincheckTest : ComputeOperations(Indexes.bwtree())

/** [NavigationOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeNavigationLincheckTest : NavigationOperations(Indexes.bwtree())

/** [EntryNavigationOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeEntryNavigationLincheckTest : EntryNavigationOperations(Indexes.bwtree())

/** [EndpointOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeEndpointLincheckTest : EndpointOperations(Indexes.bwtree())

/** [WholeMapOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeWholeMapLincheckTest : WholeMapOperations(Indexes.bwtree())

/** [ClearOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeClearLincheckTest : ClearOperations(Indexes.bwtree())

/** [SubMapWriteOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeSubMapWriteLincheckTest : SubMapWriteOperations(Indexes.bwtree())

/** [HeadMapWriteOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeHeadMapWriteLincheckTest : HeadMapWriteOperations(Indexes.bwtree())

/** [TailMapWriteOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeTailMapWriteLincheckTest : TailMapWriteOperations(Indexes.bwtree())

/** [DescendingSubMapWriteOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeDescendingSubMapWriteLincheckTest : DescendingSubMapWriteOperations(Indexes.bwtree())

/** [SubMapReadOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeSubMapReadLincheckTest : SubMapReadOperations(Indexes.bwtree())

/** [HeadMapReadOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeHeadMapReadLincheckTest : HeadMapReadOperations(Indexes.bwtree())

/** [TailMapReadOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeTailMapReadLincheckTest : TailMapReadOperations(Indexes.bwtree())

/** [DescendingSubMapReadOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeDescendingSubMapReadLincheckTest : DescendingSubMapReadOperations(Indexes.bwtree())

/** [RedistributionOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeRedistributionLincheckTest : RedistributionOperations(Indexes.bwtree())

/** [StringKeyOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeStringKeyLincheckTest : StringKeyOperations(Indexes.bwtree())

/** [CustomComparatorOperations] on a [io.arboretum.bwtree.BwTreeMap] ordered by [ModFiveOrder]. */
class BwTreeCustomComparatorLincheckTest : CustomComparatorOperations(Indexes.bwtree(ModFiveOrder()))

/** [ThrowingComparatorOperations] on a [io.arboretum.bwtree.BwTreeMap] ordered by [PoisonOrder]. */
class BwTreeThrowingComparatorLincheckTest : ThrowingComparatorOperations(Indexes.bwtree(PoisonOrder()))

/** [RootSplitOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeRootSplitLincheckTest : RootSplitOperations(Indexes.bwtree())

/** [LeafSplitOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeLeafSplitLincheckTest : LeafSplitOperations(Indexes.bwtree())

/** [MergeRaceOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeMergeRaceLincheckTest : MergeRaceOperations(Indexes.bwtree())

/** [CrossLeafOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeCrossLeafLincheckTest : CrossLeafOperations(Indexes.bwtree())

/** [PollRaceOperations] on [io.arboretum.bwtree.BwTreeMap], checked obstruction-free too (see [BwTreePointLincheckTest]). */
class BwTreePollRaceLincheckTest : PollRaceOperations(Indexes.bwtree()) {
    override val obstructionFree: Boolean get() = true
}

/** [SplitMergeOperations] on [io.arboretum.bwtree.BwTreeMap], checked obstruction-free too (see [BwTreePointLincheckTest]). */
class BwTreeSplitMergeLincheckTest : SplitMergeOperations(Indexes.bwtree()) {
    override val obstructionFree: Boolean get() = true
    override val structureGoal: Double get() = 0.30
}
