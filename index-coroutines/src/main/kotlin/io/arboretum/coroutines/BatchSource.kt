package io.arboretum.coroutines

import io.arboretum.map.BatchScannable
import java.util.concurrent.ConcurrentNavigableMap

/**
 * Copies the successive batches of one range scan, for one collection of a range flow.
 *
 * A source remembers only the last key it copied (the cursor) and holds no other resource
 * between calls to [next]: every call starts a fresh scan strictly beyond the cursor, in the
 * scan's direction, and leaves nothing behind when it returns. That is what lets the flow
 * suspend between batches without delaying any writer.
 *
 * Order and "at most once" across batches follow from the cursor: each batch holds only keys
 * strictly beyond the last key of the previous batch, and within a batch keys are strictly
 * ordered (by [BatchScannable.copyBatch]'s contract, or by the sub-map iterator's).
 */
internal abstract class BatchSource<K : Any, V : Any>(
    protected val range: KeyRange<K>,
    protected val descending: Boolean,
) {
    /** The last key copied, or `null` before the first batch. */
    protected var cursor: K? = null

    /** Lower bound of the next scan: the cursor (exclusive) for an ascending scan once started. */
    protected fun nextLower(): K? = if (!descending) cursor ?: range.lower else range.lower

    /** Whether [nextLower] is inclusive. */
    protected fun nextLowerInclusive(): Boolean =
        if (!descending && cursor != null) false else range.lowerInclusive

    /** Upper bound of the next scan: the cursor (exclusive) for a descending scan once started. */
    protected fun nextUpper(): K? = if (descending) cursor ?: range.upper else range.upper

    /** Whether [nextUpper] is inclusive. */
    protected fun nextUpperInclusive(): Boolean =
        if (descending && cursor != null) false else range.upperInclusive

    /**
     * Copies the next batch into the first slots of [keys] and [values] (at most `keys.size`
     * entries) and moves the cursor to its last key.
     *
     * @return the number of entries copied; zero when the scan is over
     */
    fun next(keys: Array<Any?>, values: Array<Any?>): Int {
        val n = copy(keys, values)
        if (n > 0) {
            @Suppress("UNCHECKED_CAST")
            cursor = keys[n - 1] as K
        }
        return n
    }

    /** Copies the next batch, without moving the cursor. */
    protected abstract fun copy(keys: Array<Any?>, values: Array<Any?>): Int

    companion object {
        /**
         * The source for one collection: the index's own batch scan when [map] offers one, a
         * sub-map iterator otherwise, and an empty source when [range] is empty in [map]'s order.
         *
         * @throws ClassCastException if the bounds of [range] cannot be compared by [map]'s order
         */
        fun <K : Any, V : Any> of(
            map: ConcurrentNavigableMap<K, V>,
            range: KeyRange<K>,
            descending: Boolean,
        ): BatchSource<K, V> {
            if (isEmpty(map, range)) {
                return EmptySource(range, descending)
            }
            @Suppress("UNCHECKED_CAST")
            return if (map is BatchScannable<*, *>) {
                IndexSource(map as BatchScannable<K, V>, range, descending)
            } else {
                ViewSource(map, range, descending)
            }
        }

        /** Whether the bounds leave no key at all (lower above upper, or equal and not both inclusive). */
        private fun <K : Any> isEmpty(map: ConcurrentNavigableMap<K, *>, range: KeyRange<K>): Boolean {
            val lo = range.lower ?: return false
            val hi = range.upper ?: return false
            val comparator = map.comparator()
            val c = if (comparator != null) {
                comparator.compare(lo, hi)
            } else {
                @Suppress("UNCHECKED_CAST")
                (lo as? Comparable<Any>
                    ?: throw ClassCastException("range bound $lo is not Comparable and the map has no comparator"))
                    .compareTo(hi)
            }
            return c > 0 || (c == 0 && !(range.lowerInclusive && range.upperInclusive))
        }
    }
}

/** A range that holds no key: every batch is empty. */
private class EmptySource<K : Any, V : Any>(range: KeyRange<K>, descending: Boolean) :
    BatchSource<K, V>(range, descending) {
    override fun copy(keys: Array<Any?>, values: Array<Any?>): Int = 0
}

/**
 * The fast path: the index copies a batch under its own scan and has released every latch when
 * [BatchScannable.copyBatch] returns (its contract).
 */
private class IndexSource<K : Any, V : Any>(
    private val index: BatchScannable<K, V>,
    range: KeyRange<K>,
    descending: Boolean,
) : BatchSource<K, V>(range, descending) {
    override fun copy(keys: Array<Any?>, values: Array<Any?>): Int =
        index.copyBatch(
            nextLower(), nextLowerInclusive(), nextUpper(), nextUpperInclusive(), descending,
            keys, values,
        )
}

/**
 * The path for any other [ConcurrentNavigableMap]: a fresh sub-map view per batch, whose weakly
 * consistent iterator is read for at most one batch and then dropped (such iterators hold no
 * lock, so dropping one releases everything).
 */
private class ViewSource<K : Any, V : Any>(
    private val map: ConcurrentNavigableMap<K, V>,
    range: KeyRange<K>,
    descending: Boolean,
) : BatchSource<K, V>(range, descending) {
    override fun copy(keys: Array<Any?>, values: Array<Any?>): Int {
        val lo = nextLower()
        val hi = nextUpper()
        val view = when {
            lo != null && hi != null -> map.subMap(lo, nextLowerInclusive(), hi, nextUpperInclusive())
            lo != null -> map.tailMap(lo, nextLowerInclusive())
            hi != null -> map.headMap(hi, nextUpperInclusive())
            else -> map
        }
        val entries = (if (descending) view.descendingMap() else view).entries.iterator()
        var n = 0
        while (n < keys.size && entries.hasNext()) {
            val e = entries.next()
            keys[n] = e.key
            values[n] = e.value
            n++
        }
        return n
    }
}
