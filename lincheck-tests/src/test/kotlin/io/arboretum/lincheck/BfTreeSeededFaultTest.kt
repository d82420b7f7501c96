package io.arboretum.lincheck

import io.arboretum.bftree.BfTree

/** The seeded faults of [BfTree] and the CI-sized checks that catch them. */
class BfTreeSeededFaultTest : SeededFaultSuite("bftree", BfTree::class.java) {
    override val catchers: Map<String, Catcher> = mapOf(
        "bftree.write.skipFenceCheck" to Catcher(BfTreeLeafSplitLincheckTest::class, Mode.MC, "two puts into one leaf, the second routed before the first splits it", iterations = 10, invocations = 30),
        "bftree.merge.absorbedStaysLive" to Catcher(BfTreeMergeRaceLincheckTest::class, Mode.MC, "a put that routed to a leaf, waiting for its latch while a remove merges it away", iterations = 30, invocations = 100, thoroughOnly = true),
    )

    override val notObservable: Map<String, String> = mapOf(
        "bftree.replay.byDiskAddress" to "it lives in recovery, which runs once, single-threaded, when a directory is opened: " +
            "it is no concurrent operation, and a scenario's tree is never crashed and reopened, so no history can show it. " +
            "Caught instead by BfHookedJvmTest (BfFaultProbe.replayAfterSplitsAndEvictions: writes, a checkpoint, more " +
            "splits, a sweep that evicts every mini-page to new slots, a crash without checkpoint, then the reopened " +
            "tree must recover and equal a TreeMap)",
        "bftree.pool.reuseWithoutEpoch" to "reused memory shows only if the pool fills, the sweep passes a block and a " +
            "writer is handed the same bytes, all while one get sits pinned between reading that block's address and " +
            "validating; a scenario's few operations never fill even the smallest pool (16 pages), and most reused bytes " +
            "would only make that get miss and take the latched path, so the answers do not change. " +
            "Caught instead by BfHookedJvmTest (BfFaultProbe.reuseWhilePinned: a pinned reader's swept mini-page must " +
            "keep its bytes while the sweep evicts everything and writes go round the ring)",
    )
}
