@file:JvmName("RangeFlows")

package io.arboretum.coroutines

import io.arboretum.map.BatchScannable
import java.util.AbstractMap.SimpleImmutableEntry
import java.util.concurrent.ConcurrentNavigableMap
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow

/**
 * The batch size of the range flows when none is given: large enough that the per-batch work
 * (one descent into the index, one allocation of the arrays) is spread over many entries, small
 * enough that a batch is copied in microseconds and its entries stay in cache while emitted.
 */
public const val DEFAULT_FLOW_BATCH_SIZE: Int = 256

/**
 * Every entry of this map, in ascending key order, as a cold [Flow]; the same as
 * [entriesFlow] with no arguments.
 *
 * ```kotlin
 * val map = ConcurrentSkipListMap<String, Int>()
 * map.asFlow().collect { (key, value) -> println("$key=$value") }
 * ```
 *
 * See [entriesFlow] for the consistency guarantees and how the flow holds no latch while it
 * suspends.
 */
public fun <K : Any, V : Any> ConcurrentNavigableMap<K, V>.asFlow(): Flow<Map.Entry<K, V>> = entriesFlow()

/**
 * The entries of this map whose keys lie in [range], in key order, as a cold [Flow] of immutable
 * snapshot entries.
 *
 * **How it reads the map.** The flow copies at most [batchSize] entries at a time, emits them,
 * and then copies the next batch strictly after the last key emitted. Nothing is held between
 * batches: no latch, no iterator, no pin. A collector that suspends for as long as it likes inside
 * `collect` delays no writer. When the map implements [BatchScannable] (every Arboretum index
 * does), a batch is copied by the index's own scan under its latches, which are released before
 * the first entry of the batch is emitted; for any other [ConcurrentNavigableMap] (for example
 * `ConcurrentSkipListMap`) a batch is copied from a sub-map view's iterator.
 *
 * **Consistency.** The flow is weakly consistent, as the map's own iterators are: keys come out
 * strictly in order (ascending, or descending if [descending]), each key at most once; every
 * entry emitted was in the map at some instant while the flow ran; an entry present from the
 * start of collection to its end is emitted (unless [limit] stops the flow first); changes made
 * during collection may or may not be seen. The value emitted for a key is the one the batch
 * copied, which may since have changed.
 *
 * **Cold and cancellable.** Nothing happens until the flow is collected, and each collection
 * scans afresh. Every emission checks for cancellation, so a cancelled collector stops within
 * one entry, even in the middle of a batch. Backpressure is that of `flow {}`: the next batch is
 * copied only when the collector has taken every entry of the previous one. Add `buffer()` or
 * `flowOn()` downstream where you want the copying to run ahead or elsewhere.
 *
 * ```kotlin
 * // The first 100 orders of a day, newest first, copied 64 at a time.
 * val orders: ConcurrentBTreeMap<Instant, Order> = ...
 * orders.entriesFlow(KeyRange.closedOpen(dayStart, dayEnd), descending = true, limit = 100, batchSize = 64)
 *     .collect { (time, order) -> send(time, order) }
 * ```
 *
 * @param range the keys to emit; every key by default
 * @param descending whether to emit from the highest key down
 * @param limit the most entries to emit; at least zero (zero emits nothing)
 * @param batchSize the most entries copied at a time; at least one
 * @return a cold flow of immutable entries
 * @throws IllegalArgumentException at once, if [limit] is negative or [batchSize] is not positive
 * @throws ClassCastException from collection, if a bound of [range] cannot be compared with the map's keys
 */
public fun <K : Any, V : Any> ConcurrentNavigableMap<K, V>.entriesFlow(
    range: KeyRange<K> = KeyRange.all(),
    descending: Boolean = false,
    limit: Long = Long.MAX_VALUE,
    batchSize: Int = DEFAULT_FLOW_BATCH_SIZE,
): Flow<Map.Entry<K, V>> = rangeFlow(this, range, descending, limit, batchSize) { k, v -> SimpleImmutableEntry(k, v) }

/**
 * The keys of this map that lie in [range], in key order, as a cold [Flow].
 *
 * Batches, consistency, cancellation and backpressure are as for [entriesFlow].
 *
 * ```kotlin
 * // Every user id from 1000 on, 512 at a time.
 * users.keysFlow(KeyRange.atLeast(1000L), batchSize = 512).collect { id -> audit(id) }
 * ```
 *
 * @param range the keys to emit; every key by default
 * @param descending whether to emit from the highest key down
 * @param limit the most keys to emit; at least zero
 * @param batchSize the most entries copied at a time; at least one
 * @return a cold flow of keys
 * @throws IllegalArgumentException at once, if [limit] is negative or [batchSize] is not positive
 */
public fun <K : Any, V : Any> ConcurrentNavigableMap<K, V>.keysFlow(
    range: KeyRange<K> = KeyRange.all(),
    descending: Boolean = false,
    limit: Long = Long.MAX_VALUE,
    batchSize: Int = DEFAULT_FLOW_BATCH_SIZE,
): Flow<K> = rangeFlow(this, range, descending, limit, batchSize) { k, _ -> k }

/**
 * The values of the entries of this map whose keys lie in [range], in key order, as a cold [Flow].
 *
 * Batches, consistency, cancellation and backpressure are as for [entriesFlow].
 *
 * ```kotlin
 * // Sum of the ten largest-keyed balances.
 * val top = balances.valuesFlow(descending = true, limit = 10).fold(0L) { acc, v -> acc + v }
 * ```
 *
 * @param range the keys whose values to emit; every key by default
 * @param descending whether to emit from the highest key down
 * @param limit the most values to emit; at least zero
 * @param batchSize the most entries copied at a time; at least one
 * @return a cold flow of values
 * @throws IllegalArgumentException at once, if [limit] is negative or [batchSize] is not positive
 */
public fun <K : Any, V : Any> ConcurrentNavigableMap<K, V>.valuesFlow(
    range: KeyRange<K> = KeyRange.all(),
    descending: Boolean = false,
    limit: Long = Long.MAX_VALUE,
    batchSize: Int = DEFAULT_FLOW_BATCH_SIZE,
): Flow<V> = rangeFlow(this, range, descending, limit, batchSize) { _, v -> v }

/**
 * The one flow behind the three public ones; [project] turns a copied entry into what is emitted.
 * Arguments are checked here, when the flow is made, not when it is collected.
 */
private inline fun <K : Any, V : Any, T> rangeFlow(
    map: ConcurrentNavigableMap<K, V>,
    range: KeyRange<K>,
    descending: Boolean,
    limit: Long,
    batchSize: Int,
    crossinline project: (K, V) -> T,
): Flow<T> {
    require(limit >= 0) { "limit must be at least 0, was $limit" }
    require(batchSize >= 1) { "batchSize must be at least 1, was $batchSize" }
    return flow {
        val source = BatchSource.of(map, range, descending)
        var remaining = limit
        var keys = arrayOfNulls<Any>(if (batchSize <= remaining) batchSize else remaining.toInt())
        var values = arrayOfNulls<Any>(keys.size)
        while (remaining > 0) {
            if (remaining < keys.size) {
                // The last batch: the index bounds a batch by the array length, so shrink the arrays.
                keys = arrayOfNulls(remaining.toInt())
                values = arrayOfNulls(keys.size)
            }
            // No suspension inside: the copy holds (at most) the index's latches and releases them
            // before it returns, so nothing is held by the emissions below.
            val n = source.next(keys, values)
            if (n == 0) {
                break
            }
            for (i in 0 until n) {
                @Suppress("UNCHECKED_CAST")
                val k = keys[i] as K
                @Suppress("UNCHECKED_CAST")
                val v = values[i] as V
                // Drop the array's references before suspending, so that a collector that keeps
                // the flow suspended keeps alive only what it was given.
                keys[i] = null
                values[i] = null
                emit(project(k, v))
            }
            remaining -= n
        }
    }
}
