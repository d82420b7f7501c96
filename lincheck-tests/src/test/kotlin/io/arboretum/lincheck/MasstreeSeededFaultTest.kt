package io.arboretum.lincheck

import io.arboretum.masstree.MasstreeMap

/** The seeded faults of [MasstreeMap] and the CI-sized checks that catch them. */
class MasstreeSeededFaultTest : SeededFaultSuite("masstree", MasstreeMap::class.java) {
    override val catchers: Map<String, Catcher> = mapOf(
        "masstree.insert.skipDeletedCheck" to Catcher(MasstreeMergeRaceLincheckTest::class, Mode.MC, "a put into a border node a concurrent removal unlinks", iterations = 20, invocations = 40),
        "masstree.insert.skipFenceRecheck" to Catcher(MasstreeLeafSplitLincheckTest::class, Mode.MC, "a put into a border node that a concurrent split cut", iterations = 6, invocations = 30),
        "masstree.insert.publishBeforeFill" to Catcher(MasstreeCrossLeafLincheckTest::class, Mode.MC, "navigation reading a slot listed before it is filled", iterations = 10, invocations = 30),
        "masstree.split.publishBeforeFill" to Catcher(MasstreeLeafSplitLincheckTest::class, Mode.MC, "get reaching a sibling published before it is filled", iterations = 6, invocations = 30),
        "masstree.remove.skipDeletedMark" to Catcher(MasstreeMergeRaceLincheckTest::class, Mode.MC, "a put into a border node a concurrent removal unlinks", iterations = 20, invocations = 40),
        "masstree.poll.skipRecheck" to Catcher(MasstreePollRaceLincheckTest::class, Mode.MC, "two polls of the same end", iterations = 6, invocations = 80),
    )
}
