package io.arboretum.lincheck

/*
 * The Lincheck tests of PackedMemoryArrayMap (segment size 4, the smallest: a scenario's dozen
 * keys fill a few segments, so writes redistribute windows and grow and shrink the array inside
 * scenarios), with its invariant check after each scenario. One line per scenario class: the test
 * runs that class's operations in model checking and stress (see [LincheckScenario]). `Long` keys
 * are stored as primitive longs; the `String` and comparator classes exercise the key-object mode.
 */

/** [PointOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaPointLincheckTest : PointOperations(Indexes.pma())

/** [ConditionalOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaConditionalLincheckTest : ConditionalOperations(Indexes.pma())

/** [ComputeOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaComputeLincheckTest : ComputeOperations(Indexes.pma())

/** [NavigationOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaNavigationLincheckTest : NavigationOperations(Indexes.pma())

/** [EntryNavigationOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaEntryNavigationLincheckTest : EntryNavigationOperations(Indexes.pma())

/** [EndpointOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaEndpointLincheckTest : EndpointOperations(Indexes.pma())

/** [WholeMapOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaWholeMapLincheckTest : WholeMapOperations(Indexes.pma())

/** [ClearOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaClearLincheckTest : ClearOperations(Indexes.pma())

/** [SubMapWriteOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaSubMapWriteLincheckTest : SubMapWriteOperations(Indexes.pma())

/** [HeadMapWriteOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaHeadMapWriteLincheckTest : HeadMapWriteOperations(Indexes.pma())

/** [TailMapWriteOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaTailMapWriteLincheckTest : TailMapWriteOperations(Indexes.pma())

/** [DescendingSubMapWriteOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaDescendingSubMapWriteLincheckTest : DescendingSubMapWriteOperations(Indexes.pma())

/** [SubMapReadOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaSubMapReadLincheckTest : SubMapReadOperations(Indexes.pma())

/** [HeadMapReadOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaHeadMapReadLincheckTest : HeadMapReadOperations(Indexes.pma())

/** [TailMapReadOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaTailMapReadLincheckTest : TailMapReadOperations(Indexes.pma())

/** [DescendingSubMapReadOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaDescendingSubMapReadLincheckTest : DescendingSubMapReadOperations(Indexes.pma())

/** [RedistributionOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaRedistributionLincheckTest : RedistributionOperations(Indexes.pma())

/** [StringKeyOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaStringKeyLincheckTest : StringKeyOperations(Indexes.pma())

/** [CustomComparatorOperations] on a [io.arboretum.pma.PackedMemoryArrayMap] ordered by [ModFiveOrder] (keys stored as objects). */
class PmaCustomComparatorLincheckTest : CustomComparatorOperations(Indexes.pma(ModFiveOrder()))

/** [ThrowingComparatorOperations] on a [io.arboretum.pma.PackedMemoryArrayMap] ordered by [PoisonOrder]. */
class PmaThrowingComparatorLincheckTest : ThrowingComparatorOperations(Indexes.pma(PoisonOrder()))

/** [RootSplitOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaRootSplitLincheckTest : RootSplitOperations(Indexes.pma())

/** [LeafSplitOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaLeafSplitLincheckTest : LeafSplitOperations(Indexes.pma())

/** [MergeRaceOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaMergeRaceLincheckTest : MergeRaceOperations(Indexes.pma())

/** [CrossLeafOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaCrossLeafLincheckTest : CrossLeafOperations(Indexes.pma())

/** [PollRaceOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaPollRaceLincheckTest : PollRaceOperations(Indexes.pma())

/** [SplitMergeOperations] on [io.arboretum.pma.PackedMemoryArrayMap]. */
class PmaSplitMergeLincheckTest : SplitMergeOperations(Indexes.pma())
