@file:JvmName("OffHeapFlows")

package io.arboretum.coroutines

import io.arboretum.btree.OffHeapLongBTreeMap
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow

/**
 * The entries of an [OffHeapLongBTreeMap] whose keys lie in `from..to`, in key order, as a cold
 * [Flow] of [LongEntryBatch]es: primitive `long` arrays, so no key or value is boxed. A batch
 * costs two array allocations, however many entries it holds; the boxed alternative,
 * `map.asMap().entriesFlow()`, allocates an entry, a `Long` key and a `Long` value per entry.
 *
 * ```kotlin
 * val prices = OffHeapLongBTreeMap()
 * var total = 0L
 * prices.batchesFlow(from = 1_000L, to = 1_999L).collect { batch ->
 *     for (i in 0 until batch.size) total += batch.values[i]
 * }
 * ```
 *
 * **How it reads the map.** Each collection opens an [io.arboretum.btree.OffHeapLongCursor]
 * (`map.cursor(from, to)`, or `map.descendingCursor(to, from)` when [descending]), takes up to
 * [batchSize] entries from it into fresh arrays, and emits them. The cursor holds no latch and no
 * epoch pin between its calls, so the flow holds nothing while the collector suspends, and a
 * batch handed to the collector stays valid for as long as it keeps it (the arrays are never
 * reused).
 *
 * **Consistency** is the cursor's: keys strictly in order (descending if [descending]), each at
 * most once; every entry present for the whole collection is emitted; changes made during it may
 * or may not be. Cold and cancellable: cancellation is checked at every emission, that is once per
 * batch. Closing the map while a collection runs makes it fail with the cursor's
 * `IllegalStateException`.
 *
 * @param from the lowest key to emit (inclusive); an empty flow when above [to]
 * @param to the highest key to emit (inclusive)
 * @param descending whether to emit from [to] down to [from]
 * @param batchSize the most entries per batch; at least one
 * @return a cold flow of batches, none of them empty
 * @throws IllegalArgumentException at once, if [batchSize] is not positive
 */
public fun OffHeapLongBTreeMap.batchesFlow(
    from: Long = Long.MIN_VALUE,
    to: Long = Long.MAX_VALUE,
    descending: Boolean = false,
    batchSize: Int = DEFAULT_FLOW_BATCH_SIZE,
): Flow<LongEntryBatch> {
    require(batchSize >= 1) { "batchSize must be at least 1, was $batchSize" }
    val map = this
    return flow {
        if (from > to) return@flow
        val cursor = if (descending) map.descendingCursor(to, from) else map.cursor(from, to)
        while (true) {
            var keys = LongArray(batchSize)
            var values = LongArray(batchSize)
            var n = 0
            // No suspension inside: each next() copies at most one leaf under its version and
            // holds nothing once it returns.
            while (n < batchSize && cursor.next()) {
                keys[n] = cursor.key()
                values[n] = cursor.value()
                n++
            }
            if (n == 0) return@flow
            if (n < batchSize) {
                keys = keys.copyOf(n)
                values = values.copyOf(n)
            }
            emit(LongEntryBatch(keys, values))
            if (n < batchSize) return@flow
        }
    }
}

/**
 * A batch of entries of an [OffHeapLongBTreeMap], as [batchesFlow] emits them: `keys[i]` maps to
 * `values[i]`, keys in the flow's order. The arrays belong to the batch and are never reused by
 * the flow.
 *
 * @property keys the keys, [size] of them
 * @property values the values, one per key
 */
public class LongEntryBatch internal constructor(
    public val keys: LongArray,
    public val values: LongArray,
) {
    /** The number of entries: at least one. */
    public val size: Int get() = keys.size

    /** For example `LongEntryBatch(size=3, keys=1..9)`. */
    override fun toString(): String = "LongEntryBatch(size=$size, keys=${keys.first()}..${keys.last()})"
}
