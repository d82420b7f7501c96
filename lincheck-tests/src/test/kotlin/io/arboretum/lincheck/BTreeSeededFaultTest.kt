package io.arboretum.lincheck

import io.arboretum.btree.ConcurrentBTreeMap

/** The seeded faults of [ConcurrentBTreeMap] and the CI-sized checks that catch them. */
class BTreeSeededFaultTest : SeededFaultSuite("btree", ConcurrentBTreeMap::class.java) {
    override val catchers: Map<String, Catcher> = mapOf(
        "btree.get.skipLeafValidation" to Catcher(BTreeRootSplitLincheckTest::class, Mode.MC, "get reading a leaf that a put shifts or splits", iterations = 6, invocations = 80),
        "btree.descend.skipParentValidation" to Catcher(BTreeLeafSplitLincheckTest::class, Mode.MC, "get descending while a split moves its key right", iterations = 6, invocations = 80),
        "btree.navigate.crossLeafUnvalidated" to Catcher(BTreeCrossLeafLincheckTest::class, Mode.MC, "navigation leaving a leaf that a put fills meanwhile", iterations = 6, invocations = 80),
        "btree.poll.neighbourUnlatched" to Catcher(BTreePollRaceLincheckTest::class, Mode.MC, "two polls of the same end", iterations = 6, invocations = 80),
        "btree.split.publishBeforeFill" to Catcher(BTreeLeafSplitLincheckTest::class, Mode.MC, "get reaching a sibling published before it is filled", iterations = 6, invocations = 30),
        "btree.split.unlockBeforeLink" to Catcher(BTreeRootSplitLincheckTest::class, Mode.MC, "get entering a split root leaf before the new root is published", iterations = 6, invocations = 80),
        "btree.merge.skipObsoleteMark" to Catcher(BTreeMergeRaceLincheckTest::class, Mode.MC, "a put into a leaf a concurrent merge unlinks", iterations = 30, invocations = 50),
    )
}
