package io.arboretum.lincheck

import org.junit.jupiter.api.Test

/*
 * The Lincheck tests of BwTreeMap at node capacity 4 (a fifth key splits a leaf, a leaf left with
 * one key merges into its left sibling), with its invariant check after each scenario. One line
 * per scenario class: the test runs that class's operations in model checking and stress (see
 * [LincheckScenario]). The comparator classes run on a Bw-tree given the comparator itself.
 */

/** [PointOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreePointLincheckTest : PointOperations(Indexes.bwtree())

/** [ConditionalOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeConditionalLincheckTest : ConditionalOperations(Indexes.bwtree())

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

/** [PollRaceOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreePollRaceLincheckTest : PollRaceOperations(Indexes.bwtree())

/** [SplitMergeOperations] on [io.arboretum.bwtree.BwTreeMap]. */
class BwTreeSplitMergeLincheckTest : SplitMergeOperations(Indexes.bwtree()) {
    override val structureGoal: Double get() = 0.30
}

/**
 * Lincheck's obstruction-freedom check (model checking) on the Bw-tree's latch-free operations:
 * point reads and writes, conditional writes and navigation, at capacity 4 so that scenarios split
 * and merge pages. Model checking reports a violation if some interleaving leaves a thread unable
 * to finish while the others are suspended, which is what a latch, or a wait for another thread's
 * unfinished split or merge instead of helping it, would do. The paths that take the epoch
 * manager's monitor (its first pin per thread, retiring a merged page's id, and the periodic
 * collection every 64th pin) are not latch-free; the model checker treats that monitor as one
 * atomic step here (see [Indexes.bwtree]), and `docs/guides/how-the-bwtree-works.md` says why.
 */
class BwTreeObstructionFreedomTest {
    /** Point operations ([PointOperations]) never wait for another thread. */
    @Test
    fun pointOperationsAreObstructionFree() = check(BwTreePointLincheckTest())

    /** Conditional writes ([ConditionalOperations]) never wait for another thread. */
    @Test
    fun conditionalOperationsAreObstructionFree() = check(BwTreeConditionalLincheckTest())

    /** Splits and merges under writes ([SplitMergeOperations]) never make a thread wait. */
    @Test
    fun splitsAndMergesAreObstructionFree() = check(BwTreeSplitMergeLincheckTest())

    /** Polls of either end ([PollRaceOperations]), with their guarded deletes, never wait. */
    @Test
    fun pollsAreObstructionFree() = check(BwTreePollRaceLincheckTest())

    private fun check(test: LincheckScenario) =
        test.modelCheckingOptions().checkObstructionFreedom(true).check(test::class)
}
