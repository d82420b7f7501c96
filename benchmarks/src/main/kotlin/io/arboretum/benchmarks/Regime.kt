package io.arboretum.benchmarks

import java.util.SplittableRandom

/**
 * The two heap regimes every read benchmark runs in, chosen with the benchmarks' `regime`
 * parameter. Both run in a fixed heap ([HEAP], `-Xms` equal to `-Xmx`, JMH's `jvmArgsAppend` on
 * the benchmark classes and the comparison job's child JVMs), so that the collector's sizing never
 * differs between implementations or runs.
 *
 * - [FRESH]: the map is built and measured at once. Its objects sit where the allocator and the
 *   young collections during the build put them (for a skip list loaded in random key order,
 *   that is nodes in insertion order, not key order).
 * - [AGED]: the map is built, then [Aging.ROUNDS] rounds of churn each followed by a full
 *   collection (`System.gc()`, a full mark-compact with G1) run before measuring: each round
 *   replaces the values of [Aging.REPLACE_PERCENT]% of the keys with newly boxed equal values
 *   and removes then reinserts [Aging.REINSERT_PERCENT]% of the keys (new nodes for those
 *   keys). The map holds the same keys and values as the fresh one, but the layout is the one
 *   a long-lived service's map has: survivors compacted by full collections, recently written
 *   values and nodes allocated apart from their neighbours.
 */
enum class Regime {
    /** Built and measured at once. */
    FRESH,

    /** Built, then aged by churn and full collections before measuring (see [Aging]). */
    AGED;

    /** The lower-case name used in `@Param` and reports. */
    val id: String get() = name.lowercase()

    /** Lookup by [id], and the heap size. */
    companion object {
        /**
         * The fixed heap of every benchmark JVM: 1M entries of the largest on-heap map (the
         * locked `TreeMap`, 88 bytes per entry retained, 84 for the skip list, as the main job's
         * memory measurement gave) plus the churn's garbage fit many times over, so measured
         * iterations see young collections only, and 4 GB leaves room for the other JVMs of a
         * shared 2-core, 23 GB machine.
         */
        const val HEAP: String = "4g"

        /** The regime whose [id] is [id]. */
        fun of(id: String): Regime =
            entries.firstOrNull { it.id == id }
                ?: throw IllegalArgumentException("unknown regime '$id'; known: fresh, aged")
    }
}

/**
 * Ages a loaded map in place (the [Regime.AGED] regime): [ROUNDS] rounds, each replacing the
 * values of [REPLACE_PERCENT]% of the entries, removing and then reinserting [REINSERT_PERCENT]%
 * of them, then running a full collection. Entries are numbered `0 until entries`; the callers
 * say how to rewrite, remove and reinsert entry `i`, always with the value it had, so the aged
 * map's contents equal the fresh map's.
 */
object Aging {
    /** Churn-and-collect rounds. */
    const val ROUNDS: Int = 4

    /** Entries whose value is replaced (by a new box of the same value) per round, in percent. */
    const val REPLACE_PERCENT: Int = 10

    /** Entries removed and then reinserted per round, in percent. */
    const val REINSERT_PERCENT: Int = 2

    /**
     * Runs the rounds over entries `0 until entries` (picked with a generator seeded by [seed])
     * and returns the milliseconds spent.
     */
    fun age(
        entries: Int,
        rewrite: (Int) -> Unit,
        remove: (Int) -> Unit,
        reinsert: (Int) -> Unit,
        seed: Long = 17,
    ): Long {
        require(entries > 0) { "entries must be positive, was $entries" }
        val started = System.nanoTime()
        val rnd = SplittableRandom(seed)
        val replaced = maxOf(1, entries / 100 * REPLACE_PERCENT)
        val moved = maxOf(1, entries / 100 * REINSERT_PERCENT)
        System.gc()
        repeat(ROUNDS) {
            repeat(replaced) { rewrite(rnd.nextInt(entries)) }
            // All removals first, so a reinserted key never lands back in the node it left.
            val picked = IntArray(moved) { rnd.nextInt(entries) }.distinct()
            for (i in picked) remove(i)
            for (i in picked) reinsert(i)
            System.gc()
        }
        return (System.nanoTime() - started) / 1_000_000
    }

    /** [age] for a [LongIndex] whose entry `i` is `key(i) -> value(i)`. */
    fun age(index: LongIndex, entries: Int, key: (Int) -> Long, value: (Int) -> Long): Long = age(
        entries,
        rewrite = { i -> index.put(key(i), value(i)) },
        remove = { i -> index.remove(key(i)) },
        reinsert = { i -> index.put(key(i), value(i)) },
    )
}
