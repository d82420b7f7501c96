package io.arboretum.lincheck

import io.arboretum.pma.PackedMemoryArrayMap

/** The seeded faults of [PackedMemoryArrayMap] and the CI-sized checks that catch them. */
class PmaSeededFaultTest : SeededFaultSuite("pma", PackedMemoryArrayMap::class.java) {
    override val catchers: Map<String, Catcher> = mapOf(
        "pma.get.skipValidation" to Catcher(PmaMergeRaceLincheckTest::class, Mode.MC, "get reading a segment while a put or remove shifts it", iterations = 20, invocations = 150),
        "pma.rebalance.moveBeforeLatch" to Catcher(PmaSplitMergeLincheckTest::class, Mode.MC, "a put into a segment that a concurrent redistribution rewrites unlatched", iterations = 8, invocations = 30),
        "pma.write.skipOwnerCheck" to Catcher(PmaSplitMergeLincheckTest::class, Mode.MC, "a put into a segment that no longer owns its key after a concurrent redistribution", iterations = 8, invocations = 30),
        "pma.resize.skipObsolete" to Catcher(PmaRootSplitLincheckTest::class, Mode.MC, "a put waiting on a latch of the array a concurrent growth abandons", iterations = 8, invocations = 30),
    )
}
