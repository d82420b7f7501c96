package io.arboretum.lincheck

import io.arboretum.btree.ConcurrentBTreeMap

/** The seeded faults of [ConcurrentBTreeMap] and the CI-sized checks that catch them. */
class BTreeSeededFaultTest : SeededFaultSuite("btree", ConcurrentBTreeMap::class.java) {
    override val catchers: Map<String, Catcher> = mapOf(
        "btree.get.skipLeafValidation" to Catcher(BTreePointLincheckTest::class, Mode.MC, "get racing a put or remove that shifts or splits its leaf"),
        "btree.descend.skipParentValidation" to Catcher(BTreePointLincheckTest::class, Mode.MC, "get descending while a split moves its key right"),
        "btree.navigate.crossLeafUnvalidated" to Catcher(BTreeNavigationLincheckTest::class, Mode.MC, "navigation crossing leaves while a put fills the first"),
        "btree.poll.neighbourUnlatched" to Catcher(BTreeEndpointLincheckTest::class, Mode.MC, "two polls of the same end"),
        "btree.split.publishBeforeFill" to Catcher(BTreePointLincheckTest::class, Mode.MC, "get reaching a sibling published before it is filled"),
        "btree.split.unlockBeforeLink" to Catcher(BTreePointLincheckTest::class, Mode.MC, "get entering a split leaf before its sibling is linked"),
        "btree.merge.skipObsoleteMark" to Catcher(BTreePointLincheckTest::class, Mode.MC, "a put into a leaf a concurrent merge unlinks"),
    )
}
