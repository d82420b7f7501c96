@file:JvmName("BfTrees")

package io.arboretum.coroutines

import io.arboretum.bftree.BfMap
import io.arboretum.bftree.BfTree
import io.arboretum.bftree.ValueCodec
import io.arboretum.keys.KeyEncoders
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.withContext

// The Bf-tree from coroutines. A Bf-tree reads pages from disk and, in SYNC mode, waits for the
// log to be forced before a write returns: blocking I/O that must not run on a caller's event
// loop or on Dispatchers.Default. Every function here runs the tree's blocking call on an
// injected dispatcher (Dispatchers.IO unless given) with withContext, and returns to the
// caller's context with the result.
//
// Cancellation: a tree call is not interruptible. If the calling coroutine is cancelled while a
// write runs, the write still completes (and in SYNC mode may be durable), but withContext then
// throws CancellationException instead of returning its result: treat a cancelled write's outcome
// as unknown, and read the key to learn it.

/**
 * [BfTree.get] on [dispatcher]: the value of [key], or null.
 *
 * ```kotlin
 * val v: ByteArray? = tree.getSuspending(key)
 * ```
 *
 * @throws NullPointerException if [key] is null (from Java)
 * @throws IllegalArgumentException if [key] is over the maximum key size
 */
public suspend fun BfTree.getSuspending(key: ByteArray, dispatcher: CoroutineDispatcher = Dispatchers.IO): ByteArray? =
    withContext(dispatcher) { get(key) }

/**
 * [BfTree.put] on [dispatcher]: durable when it returns in SYNC mode.
 *
 * @return the previous value, or null
 * @throws IllegalArgumentException if [key] or [value] is over its maximum size
 */
public suspend fun BfTree.putSuspending(
    key: ByteArray,
    value: ByteArray,
    dispatcher: CoroutineDispatcher = Dispatchers.IO,
): ByteArray? = withContext(dispatcher) { put(key, value) }

/**
 * [BfTree.delete] on [dispatcher]: durable when it returns non-null in SYNC mode.
 *
 * @return the removed value, or null if there was none
 * @throws IllegalArgumentException if [key] is over the maximum key size
 */
public suspend fun BfTree.deleteSuspending(key: ByteArray, dispatcher: CoroutineDispatcher = Dispatchers.IO): ByteArray? =
    withContext(dispatcher) { delete(key) }

/**
 * [BfMap.get] on [dispatcher] (the key's encoding and the value's decoding run there too).
 *
 * @throws ClassCastException if [key] cannot be encoded by the map's key encoder
 * @throws IllegalArgumentException if the encoded key is over the maximum key size
 */
public suspend fun <K : Any, V : Any> BfMap<K, V>.getSuspending(
    key: K,
    dispatcher: CoroutineDispatcher = Dispatchers.IO,
): V? = withContext(dispatcher) { get(key) }

/**
 * [BfMap.put] on [dispatcher]: durable when it returns in SYNC mode.
 *
 * @return the previous value, or null
 * @throws IllegalArgumentException if the encoded key or value is over its maximum size
 */
public suspend fun <K : Any, V : Any> BfMap<K, V>.putSuspending(
    key: K,
    value: V,
    dispatcher: CoroutineDispatcher = Dispatchers.IO,
): V? = withContext(dispatcher) { put(key, value) }

/**
 * [BfMap.remove] on [dispatcher]: durable when it returns non-null in SYNC mode.
 *
 * @return the removed value, or null if there was none
 */
public suspend fun <K : Any, V : Any> BfMap<K, V>.deleteSuspending(
    key: K,
    dispatcher: CoroutineDispatcher = Dispatchers.IO,
): V? = withContext(dispatcher) { remove(key) }

/**
 * The entries of this map whose keys lie in [range], in key order, as a cold [Flow] whose page
 * reads run on [dispatcher].
 *
 * The same flow as [entriesFlow] (the same cursor, [io.arboretum.map.BatchScannable.openCursor],
 * and the same rules), except where each batch is copied: the flow copies at most [batchSize]
 * entries on [dispatcher] (reading leaves from disk there if they are not in memory, each under
 * its shared latch, released before the copy returns), then emits them in the collector's own
 * context. While the collector suspends, and between batches, the flow holds no latch and no page:
 * only the entries of its current batch, so a slow collector delays no writer and no eviction.
 *
 * Weakly consistent, as [entriesFlow]: keys strictly in order (descending if [descending]), each
 * at most once; every entry emitted was present at some instant while the flow ran; an entry
 * present for the whole collection is emitted (unless [limit] stops the flow first).
 *
 * ```kotlin
 * val orders: BfMap<Long, String> = tree.asMap(KeyEncoders.longs(), ValueCodec.strings())
 * orders.entriesFlowOn(range = KeyRange.closedOpen(1_000L, 2_000L), limit = 100)
 *     .collect { (id, order) -> send(id, order) }
 * ```
 *
 * @param dispatcher where batches are copied; Dispatchers.IO by default
 * @param range the keys to emit; every key by default
 * @param descending whether to emit from the highest key down
 * @param limit the most entries to emit; at least zero
 * @param batchSize the most entries copied at a time; at least one
 * @return a cold flow of immutable entries
 * @throws IllegalArgumentException at once, if [limit] is negative or [batchSize] is not positive
 */
public fun <K : Any, V : Any> BfMap<K, V>.entriesFlowOn(
    dispatcher: CoroutineDispatcher = Dispatchers.IO,
    range: KeyRange<K> = KeyRange.all(),
    descending: Boolean = false,
    limit: Long = Long.MAX_VALUE,
    batchSize: Int = DEFAULT_FLOW_BATCH_SIZE,
): Flow<Map.Entry<K, V>> {
    require(limit >= 0) { "limit must be at least 0, was $limit" }
    require(batchSize >= 1) { "batchSize must be at least 1, was $batchSize" }
    val map = this
    return flow {
        if (limit == 0L) return@flow
        // Opening reads nothing (BatchScannable.openCursor); only advance() touches the tree.
        val cursor = openRangeCursor(map, range, descending, if (batchSize <= limit) batchSize else limit.toInt())
        var left = limit
        while (left > 0) {
            // The copy runs on the dispatcher and returns with every latch released: the cursor
            // holds only the batch's entries when emit below suspends. withContext's dispatch
            // hand-offs order the cursor's state between the threads that touch it in turn.
            val n = withContext(dispatcher) { cursor.advance() }
            if (n == 0) break
            var i = 0
            while (i < n && left > 0) {
                emit(cursor.entry(i))
                i++
                left--
            }
        }
    }
}

/**
 * The entries of this tree with keys in `[fromInclusive, toExclusive)` (a null bound: unbounded),
 * in unsigned byte order, as a cold [Flow] whose page reads run on [dispatcher]; the same flow
 * as [BfMap.entriesFlowOn] over the tree's byte-array view. Keys and values emitted are copies.
 *
 * @param fromInclusive the lowest key, or null
 * @param toExclusive the bound above the highest key, or null
 * @param descending whether to emit from the highest key down
 * @param limit the most entries to emit; at least zero
 * @param batchSize the most entries copied at a time; at least one
 * @param dispatcher where batches are copied; Dispatchers.IO by default
 * @return a cold flow of immutable entries
 * @throws IllegalArgumentException at once, if [limit] is negative or [batchSize] is not positive
 */
public fun BfTree.entriesFlowOn(
    fromInclusive: ByteArray?,
    toExclusive: ByteArray?,
    descending: Boolean = false,
    limit: Long = Long.MAX_VALUE,
    batchSize: Int = DEFAULT_FLOW_BATCH_SIZE,
    dispatcher: CoroutineDispatcher = Dispatchers.IO,
): Flow<Map.Entry<ByteArray, ByteArray>> {
    val range: KeyRange<ByteArray> = when {
        fromInclusive != null && toExclusive != null -> KeyRange.closedOpen(fromInclusive.clone(), toExclusive.clone())
        fromInclusive != null -> KeyRange.atLeast(fromInclusive.clone())
        toExclusive != null -> KeyRange.lessThan(toExclusive.clone())
        else -> KeyRange.all()
    }
    return asMap(KeyEncoders.byteArrays(), ValueCodec.byteArrays())
        .entriesFlowOn(dispatcher, range, descending, limit, batchSize)
}
