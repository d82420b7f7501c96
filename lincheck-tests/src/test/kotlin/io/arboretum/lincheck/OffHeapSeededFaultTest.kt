package io.arboretum.lincheck

import io.arboretum.btree.OffHeapLongBTreeMap

/** The seeded faults of [OffHeapLongBTreeMap] and the CI-sized checks that catch them. */
class OffHeapSeededFaultTest : SeededFaultSuite("offheap", OffHeapLongBTreeMap::class.java) {
    override val catchers: Map<String, Catcher> = mapOf(
        "offheap.get.skipLeafValidation" to Catcher(OffHeapPointLincheckTest::class, Mode.MC, "get racing a put that shifts or splits its leaf"),
        "offheap.descend.skipParentValidation" to Catcher(OffHeapPointLincheckTest::class, Mode.MC, "get descending while a split moves its key right"),
        "offheap.navigate.skipValidation" to Catcher(OffHeapNavigationLincheckTest::class, Mode.MC, "navigation crossing leaves while a put fills the first"),
        "offheap.split.publishBeforeFill" to Catcher(OffHeapPointLincheckTest::class, Mode.MC, "get reaching a sibling published before it is filled"),
        "offheap.put.validateInsteadOfLatch" to Catcher(OffHeapPointLincheckTest::class, Mode.MC, "two puts into one leaf"),
        "offheap.poll.unlatched" to Catcher(OffHeapEndpointLincheckTest::class, Mode.MC, "two polls of the same first entry"),
        "offheap.merge.reuseWithoutEpoch" to Catcher(OffHeapPointLincheckTest::class, Mode.MC, "a reader on a node a merge frees and the poison rewrites"),
    )
}
