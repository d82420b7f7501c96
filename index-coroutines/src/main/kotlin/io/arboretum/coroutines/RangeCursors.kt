package io.arboretum.coroutines

import io.arboretum.map.BatchCursor
import io.arboretum.map.BatchScannable
import java.util.concurrent.ConcurrentNavigableMap

/**
 * Opens the cursor one collection of a range flow reads: the index's own
 * ([BatchScannable.openCursor]) when [map] is an Arboretum index, one that copies batches from
 * sub-map views ([ViewCursor]) for any other map, and an empty one when [range] holds no key in
 * [map]'s order.
 *
 * Every cursor holds no latch, iterator or pin between calls to [BatchCursor.advance], only the
 * entries of its current batch: that is what lets the flow suspend between emissions without
 * delaying any writer.
 *
 * @throws ClassCastException if the bounds of [range] cannot be compared by [map]'s order
 */
internal fun <K : Any, V : Any> openRangeCursor(
    map: ConcurrentNavigableMap<K, V>,
    range: KeyRange<K>,
    descending: Boolean,
    maxBatch: Int,
): BatchCursor<K, V> {
    if (isEmpty(map, range)) {
        @Suppress("UNCHECKED_CAST")
        return EmptyCursor as BatchCursor<K, V>
    }
    @Suppress("UNCHECKED_CAST")
    return if (map is BatchScannable<*, *>) {
        (map as BatchScannable<K, V>).openCursor(
            range.lower, range.lowerInclusive, range.upper, range.upperInclusive, descending, maxBatch,
        )
    } else {
        ViewCursor(map, range, descending, maxBatch)
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

/** A range that holds no key: every batch is empty. */
private object EmptyCursor : BatchCursor<Any, Any> {
    override fun advance(): Int = 0
    override fun key(i: Int): Any = throw IndexOutOfBoundsException("empty range: no entry $i")
    override fun value(i: Int): Any = throw IndexOutOfBoundsException("empty range: no entry $i")
}

/**
 * The cursor for any other [ConcurrentNavigableMap]: each batch comes from a fresh sub-map view
 * strictly beyond the last key copied, whose weakly consistent iterator is read for at most one
 * batch and then dropped (such iterators hold no lock, so dropping one releases everything).
 * Order and "at most once" across batches follow from resuming strictly after the last key;
 * within a batch, from the iterator's own order.
 */
private class ViewCursor<K : Any, V : Any>(
    private val map: ConcurrentNavigableMap<K, V>,
    private val range: KeyRange<K>,
    private val descending: Boolean,
    maxBatch: Int,
) : BatchCursor<K, V> {
    private val keys = arrayOfNulls<Any>(maxBatch)
    private val values = arrayOfNulls<Any>(maxBatch)
    private var count = 0

    /** The last key copied, or `null` before the first batch. */
    private var resume: K? = null
    private var exhausted = false

    override fun advance(): Int {
        if (exhausted) return 0
        // Drop the previous batch first, so that nothing stale is kept if the copy throws.
        keys.fill(null, 0, count)
        values.fill(null, 0, count)
        count = 0
        val last = resume
        val lo = if (!descending && last != null) last else range.lower
        val loInclusive = if (!descending && last != null) false else range.lowerInclusive
        val hi = if (descending && last != null) last else range.upper
        val hiInclusive = if (descending && last != null) false else range.upperInclusive
        val view = when {
            lo != null && hi != null -> map.subMap(lo, loInclusive, hi, hiInclusive)
            lo != null -> map.tailMap(lo, loInclusive)
            hi != null -> map.headMap(hi, hiInclusive)
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
        count = n
        if (n > 0) {
            @Suppress("UNCHECKED_CAST")
            resume = keys[n - 1] as K
        } else {
            exhausted = true
        }
        return n
    }

    @Suppress("UNCHECKED_CAST")
    override fun key(i: Int): K = keys[i] as K

    @Suppress("UNCHECKED_CAST")
    override fun value(i: Int): V = values[i] as V
}
