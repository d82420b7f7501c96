package io.arboretum.lincheck

import io.arboretum.bftree.BfTree

/** The seeded faults of [BfTree] and the CI-sized checks that catch them. */
class BfTreeSeededFaultTest : SeededFaultSuite("bftree", BfTree::class.java) {
    override val catchers: Map<String, Catcher> = mapOf(
        "bftree.read.skipFenceCheck" to Catcher(BfTreeLeafSplitLincheckTest::class, Mode.MC, "get routed to a leaf just before a put splits the key out of it", iterations = 10, invocations = 30),
        "bftree.write.skipFenceCheck" to Catcher(BfTreeLeafSplitLincheckTest::class, Mode.MC, "two puts into one leaf, the second routed before the first splits it", iterations = 10, invocations = 30),
        "bftree.navigate.skipValidation" to Catcher(BfTreeCrossLeafLincheckTest::class, Mode.MC, "navigation passing a leaf that a put fills meanwhile", iterations = 10, invocations = 50),
    )
}
