package io.arboretum.lincheck

/*
 * Positive controls: every scenario class on a TreeMap behind one lock (Indexes.control), which must pass.
 * One line per scenario class: the test runs that class's operations in model checking and stress
 * (see [LincheckScenario]).
 */

/** [PointOperations] on the control. */
class ControlPointLincheckTest : PointOperations(Indexes.control())

/** [ConditionalOperations] on the control. */
class ControlConditionalLincheckTest : ConditionalOperations(Indexes.control())

/** [ComputeOperations] on the control. */
class ControlComputeLincheckTest : ComputeOperations(Indexes.control())

/** [NavigationOperations] on the control. */
class ControlNavigationLincheckTest : NavigationOperations(Indexes.control())

/** [EntryNavigationOperations] on the control. */
class ControlEntryNavigationLincheckTest : EntryNavigationOperations(Indexes.control())

/** [EndpointOperations] on the control. */
class ControlEndpointLincheckTest : EndpointOperations(Indexes.control())

/** [WholeMapOperations] on the control. */
class ControlWholeMapLincheckTest : WholeMapOperations(Indexes.control())

/** [ClearOperations] on the control. */
class ControlClearLincheckTest : ClearOperations(Indexes.control())

/** [SubMapWriteOperations] on the control. */
class ControlSubMapWriteLincheckTest : SubMapWriteOperations(Indexes.viewControl())

/** [HeadMapWriteOperations] on the control. */
class ControlHeadMapWriteLincheckTest : HeadMapWriteOperations(Indexes.viewControl())

/** [TailMapWriteOperations] on the control. */
class ControlTailMapWriteLincheckTest : TailMapWriteOperations(Indexes.viewControl())

/** [DescendingSubMapWriteOperations] on the control. */
class ControlDescendingSubMapWriteLincheckTest : DescendingSubMapWriteOperations(Indexes.viewControl())

/** [SubMapReadOperations] on the control. */
class ControlSubMapReadLincheckTest : SubMapReadOperations(Indexes.viewControl())

/** [HeadMapReadOperations] on the control. */
class ControlHeadMapReadLincheckTest : HeadMapReadOperations(Indexes.viewControl())

/** [TailMapReadOperations] on the control. */
class ControlTailMapReadLincheckTest : TailMapReadOperations(Indexes.viewControl())

/** [DescendingSubMapReadOperations] on the control. */
class ControlDescendingSubMapReadLincheckTest : DescendingSubMapReadOperations(Indexes.viewControl())

/** [StringKeyOperations] on the control. */
class ControlStringKeyLincheckTest : StringKeyOperations(IndexUnderTest(java.util.Collections.synchronizedNavigableMap(java.util.TreeMap()), Indexes.CONTROL, measured = false))

/** [CustomComparatorOperations] on the control. */
class ControlCustomComparatorLincheckTest : CustomComparatorOperations(IndexUnderTest(java.util.Collections.synchronizedNavigableMap(java.util.TreeMap(ModFiveOrder())), Indexes.CONTROL, measured = false))

/** [ThrowingComparatorOperations] on the control. */
class ControlThrowingComparatorLincheckTest : ThrowingComparatorOperations(IndexUnderTest(java.util.Collections.synchronizedNavigableMap(java.util.TreeMap(PoisonOrder())), Indexes.CONTROL, measured = false))

/** [RootSplitOperations] on the control. */
class ControlRootSplitLincheckTest : RootSplitOperations(Indexes.control())

/** [LeafSplitOperations] on the control. */
class ControlLeafSplitLincheckTest : LeafSplitOperations(Indexes.control())

/** [MergeRaceOperations] on the control. */
class ControlMergeRaceLincheckTest : MergeRaceOperations(Indexes.control())

/** [CrossLeafOperations] on the control. */
class ControlCrossLeafLincheckTest : CrossLeafOperations(Indexes.control())

/** [PollRaceOperations] on the control. */
class ControlPollRaceLincheckTest : PollRaceOperations(Indexes.control())

/** [SplitMergeOperations] on the control. */
class ControlSplitMergeLincheckTest : SplitMergeOperations(Indexes.control())
