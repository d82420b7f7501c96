package io.arboretum.lincheck.lab

/**
 * The small histories the linearizability guide draws (`docs/images/lab-*.svg`), with times in
 * arbitrary units. Each is named by the file its picture is committed to.
 */
object GuideHistories {
    /** A `put` returns, then a `get` that starts later misses it: only real-time order rules it out. */
    val STALE_READ = History(
        emptyMap(),
        listOf(
            HistoryOp(0, "put", 1, 10, null, 0, 40),
            HistoryOp(1, "get", 1, null, null, 60, 100),
        ),
        "A put returned, then a get missed it",
    )

    /**
     * Two polls return the same key; a re-insert could explain it, but it starts after the second
     * poll returned. Only real-time order rules it out.
     */
    val DUPLICATE_POLL = History(
        mapOf(1 to 10),
        listOf(
            HistoryOp(0, "pollFirst", 0, null, 1, 0, 30),
            HistoryOp(1, "pollFirst", 0, null, 1, 45, 75),
            HistoryOp(2, "put", 1, 10, null, 90, 120),
        ),
        "Two polls returned the same key",
    )

    /**
     * Surprising but linearizable: the `get` that returned first saw the new value, the one that
     * returned later saw the old one. The later one was called first, before the `put` took effect.
     */
    val SURPRISING_BUT_LINEARIZABLE = History(
        emptyMap(),
        listOf(
            HistoryOp(0, "put", 1, 10, null, 10, 110),
            HistoryOp(1, "get", 1, null, 10, 30, 60),
            HistoryOp(2, "get", 1, null, null, 20, 100),
        ),
        "Surprising, but linearizable",
    )

    /** Every history above, by the name of its picture in `docs/images`. */
    val ALL: Map<String, History> = linkedMapOf(
        "lab-stale-read.svg" to STALE_READ,
        "lab-duplicate-poll.svg" to DUPLICATE_POLL,
        "lab-surprising-but-linearizable.svg" to SURPRISING_BUT_LINEARIZABLE,
    )
}
