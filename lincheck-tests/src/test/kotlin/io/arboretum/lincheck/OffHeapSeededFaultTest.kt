package io.arboretum.lincheck

import io.arboretum.btree.OffHeapLongBTreeMap

/** The seeded faults of [OffHeapLongBTreeMap] and the CI-sized checks that catch them. */
class OffHeapSeededFaultTest : SeededFaultSuite("offheap", OffHeapLongBTreeMap::class.java) {
    override val catchers: Map<String, Catcher> = mapOf(
        "offheap.get.skipLeafValidation" to Catcher(OffHeapRootSplitLincheckTest::class, Mode.MC, "get reading a leaf that a put shifts or splits", iterations = 6, invocations = 80),
        "offheap.descend.skipParentValidation" to Catcher(OffHeapLeafSplitLincheckTest::class, Mode.MC, "get descending while a split moves its key right", iterations = 30, invocations = 200),
        "offheap.navigate.skipValidation" to Catcher(OffHeapCrossLeafLincheckTest::class, Mode.MC, "navigation passing a leaf that a put fills meanwhile", iterations = 30, invocations = 200, thoroughOnly = true),
        "offheap.split.publishBeforeFill" to Catcher(OffHeapLeafSplitLincheckTest::class, Mode.MC, "get reaching a sibling published before it is filled", iterations = 30, invocations = 50),
        "offheap.put.validateInsteadOfLatch" to Catcher(OffHeapMergeRaceLincheckTest::class, Mode.MC, "two puts into one leaf with room", iterations = 12, invocations = 30),
        "offheap.poll.unlatched" to Catcher(OffHeapPollRaceLincheckTest::class, Mode.MC, "two polls of the same end", iterations = 6, invocations = 60),
    )

    override val notObservable: Map<String, String> = mapOf(
        "offheap.merge.reuseWithoutEpoch" to "a reader that holds a node freed and reused at once still fails its validation: " +
            "outside the poison mode the reused node's version keeps counting; in the poison mode (which these checks use) " +
            "the new incarnation must show the very version the reader read, which takes a free, a reuse and as many latch " +
            "periods inside one scenario (not found in 30 x 200 interleavings). The answers do not change, only the margin " +
            "of safety does. Caught instead by OffHeapHookedJvmTest (OffHeapFaultProbe.reuseWhilePinned: no retired node " +
            "is reused while a reader is pinned)",
    )
}
