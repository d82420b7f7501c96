package io.arboretum.lincheck

import io.arboretum.bwtree.BwTreeMap

/** The seeded faults of [BwTreeMap] and the CI-sized checks that catch them. */
class BwTreeSeededFaultTest : SeededFaultSuite("bwtree", BwTreeMap::class.java) {
    override val catchers: Map<String, Catcher> = mapOf(
        "bwtree.insert.plainWrite" to Catcher(BwTreePointLincheckTest::class, Mode.MC, "two writes to one page, the second overwriting the first's delta", iterations = 6, invocations = 20),
        "bwtree.consolidate.dropDelta" to Catcher(BwTreePointLincheckTest::class, Mode.MC, "a write whose page is consolidated at once", iterations = 6, invocations = 60),
        "bwtree.split.noMoveRight" to Catcher(BwTreeRootSplitLincheckTest::class, Mode.MC, "a put or get in a root leaf that has split before the new root is published", iterations = 10, invocations = 100),
        "bwtree.merge.noHelpAlong" to Catcher(BwTreeMergeRaceLincheckTest::class, Mode.MC, "a put into a leaf a concurrent removal has frozen", iterations = 20, invocations = 40),
    )
}
