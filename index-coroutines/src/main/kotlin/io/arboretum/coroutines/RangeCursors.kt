package io.arboretum.coroutines

import io.arboretum.map.BatchCursor
import io.arboretum.map.BatchScannable
import java.util.concurrent.ConcurrentNavigableMap

/**
 * Opens the cursor one collection of a range flow reads: the index's own
 * ([BatchScannable.openCursor]) when [map] is an Arboretum index; for any other map, the default
 * cursor of [BatchScannable] over [ViewBatches], which copies each batch from a sub-map view; and
 * an empty one when [range] holds no key in [map]'s order.
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
    val scannable = map as? BatchScannable<K, V> ?: ViewBatches(map)
    return scannable.openCursor(range.lower, range.lowerInclusive, range.upper, range.upperInclusive, descending, maxBatch)
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
 * Batch copies for any other [ConcurrentNavigableMap]: each call reads a fresh sub-map view's
 * weakly consistent iterator for at most one batch and drops it (such iterators hold no lock, so
 * dropping one releases everything). The default [BatchScannable.openCursor] over it resumes each
 * batch strictly after the last key copied, which gives order and "at most once" across batches;
 * within a batch they come from the iterator's own order.
 */
private class ViewBatches<K : Any, V : Any>(private val map: ConcurrentNavigableMap<K, V>) : BatchScannable<K, V> {
    override fun copyBatch(
        from: K?, fromInclusive: Boolean, to: K?, toInclusive: Boolean, descending: Boolean,
        keys: Array<Any?>, values: Array<Any?>,
    ): Int {
        val view = when {
            from != null && to != null -> map.subMap(from, fromInclusive, to, toInclusive)
            from != null -> map.tailMap(from, fromInclusive)
            to != null -> map.headMap(to, toInclusive)
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
