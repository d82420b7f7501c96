@file:JvmName("ChangeFlows")

package io.arboretum.coroutines

import io.arboretum.map.ChangeFeed
import io.arboretum.map.ChangeListener
import io.arboretum.map.ChangeObservable
import java.util.TreeMap
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.ConcurrentNavigableMap
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow

/**
 * Every change committed to the keys of [range] from the moment collection starts, as a cold
 * [Flow] of [Change]s: an [Change.Upsert] with the old and new value, or a [Change.Removal] with
 * the old value. The flow does not end by itself; cancel its collector (or use `take`,
 * `takeWhile`, `first`) to stop it.
 *
 * ```kotlin
 * val prices = ConcurrentBTreeMap<String, Long>()
 * prices.changes(KeyRange.prefix("eur/")).collect { change ->
 *     when (change) {
 *         is Change.Upsert -> println("${change.key}: ${change.old} -> ${change.new}")
 *         is Change.Removal -> println("${change.key} removed (was ${change.old})")
 *     }
 * }
 * ```
 *
 * **Guarantees.**
 * - *Gapless*: every change committed to a key of [range] after collection started (after the
 *   subscription, the first thing collection does) is emitted exactly once; changes committed
 *   before are not. Per key, changes come in commit order, each one's `old` the previous one's
 *   `new`. (With [ChangeOverflow.Conflate], a change may stand for several, see there.)
 * - *Writers never wait*: the index hands each change to the flow's buffer while it holds the
 *   latch of the change, with a non-blocking append; no writer ever waits for a collector. A
 *   collector that falls more than [bufferSize] changes behind fails with a
 *   [ChangeBufferOverflowException] naming the size, or, with [ChangeOverflow.Conflate], gets only
 *   the latest change per key.
 * - *No leak*: when the collector is cancelled or fails, or the flow fails, the subscription is
 *   closed at once; no subscription outlives its collection. Each collection subscribes afresh.
 *
 * The map must publish its changes ([ChangeObservable]: `ConcurrentBTreeMap`, the `asMap()` view
 * of `OffHeapLongBTreeMap`, `MasstreeMap`, `PackedMemoryArrayMap`, and `BwTreeMap`). Changes of a key outside
 * [range] cost the writer one comparison of bounds per collecting flow; the comparisons use the
 * map's comparator, as range scans do.
 *
 * @param range the keys whose changes to emit; every key by default
 * @param bufferSize the most changes (with [ChangeOverflow.Conflate]: keys) waiting for the
 *     collector; at least 1
 * @param overflow what to do when the collector falls further behind
 * @return a cold flow of changes that never completes normally
 * @throws IllegalArgumentException at once, if this map does not publish its changes or
 *     [bufferSize] is not positive
 */
public fun <K : Any, V : Any> ConcurrentNavigableMap<K, V>.changes(
    range: KeyRange<K> = KeyRange.all(),
    bufferSize: Int = DEFAULT_CHANGE_BUFFER_SIZE,
    overflow: ChangeOverflow = ChangeOverflow.Fail,
): Flow<Change<K, V>> {
    val source = observable(this, bufferSize)
    val map = this
    return flow {
        val buffer = ChangeBuffer(map, range, bufferSize, overflow)
        val subscription = source.subscribe(buffer)
        try {
            while (true) {
                emit(buffer.receive())
            }
        } finally {
            subscription.close()
            buffer.close()
        }
    }
}

/**
 * The entries of [range] as they are when collection starts ([SnapshotEntry], in key order), then
 * [SnapshotEnd], then every later change ([Change]), as a cold [Flow]. Apply the events to an
 * empty map and it follows the range: that is what a live view, a cache or a dashboard needs.
 *
 * ```kotlin
 * val view = TreeMap<String, Long>()
 * scores.snapshotThenChanges(KeyRange.prefix("game7/")).collect { e ->
 *     when (e) {
 *         is SnapshotEntry -> view[e.key] = e.value
 *         SnapshotEnd -> render(view)                   // the view is complete from here on
 *         is Change.Upsert -> { view[e.key] = e.new; render(view) }
 *         is Change.Removal -> { view.remove(e.key); render(view) }
 *     }
 * }
 * ```
 *
 * **How the snapshot meets the changes.** Collection first subscribes (as [changes] does), then
 * scans [range] into memory (batch by batch, holding no latch between batches), then takes every
 * change buffered meanwhile and applies it to the scanned entries. The changes are in the buffer
 * before the writer releases its latch, so the scan never reads a change that is not yet
 * buffered; and every change the scan missed was committed after the subscription, so it is
 * buffered too. After applying them each key of the snapshot has its latest value as of that
 * moment (the snapshot is exact per key at one cut of the change stream, though not a
 * single-instant picture of the whole range when writers run meanwhile). Changes buffered after
 * that moment follow [SnapshotEnd].
 *
 * **Guarantees**, on top of those of [changes]:
 * - *gapless*: every change committed after the snapshot's cut is emitted exactly once, after
 *   [SnapshotEnd], in commit order per key; changes before the cut are in the snapshot;
 * - *no regression*: a collector that applies the events never sees a key go back to an older
 *   value than one it received: each change after [SnapshotEnd] is later than the key's snapshot
 *   value;
 * - *convergence*: once writers stop, applying every event received to an empty map gives exactly
 *   the range's content (unless the flow failed on overflow).
 *
 * The snapshot is held in memory until emitted, so it costs memory in proportion to the range's
 * size; the buffer keeps filling while it is emitted, so [bufferSize] must cover the changes
 * made while the collector takes the snapshot.
 *
 * @param range the keys to emit; every key by default
 * @param bufferSize the most changes (with [ChangeOverflow.Conflate]: keys) waiting for the
 *     collector; at least 1
 * @param overflow what to do when the collector falls further behind
 * @return a cold flow that never completes normally
 * @throws IllegalArgumentException at once, if this map does not publish its changes or
 *     [bufferSize] is not positive
 */
public fun <K : Any, V : Any> ConcurrentNavigableMap<K, V>.snapshotThenChanges(
    range: KeyRange<K> = KeyRange.all(),
    bufferSize: Int = DEFAULT_CHANGE_BUFFER_SIZE,
    overflow: ChangeOverflow = ChangeOverflow.Fail,
): Flow<FeedEvent<K, V>> {
    val source = observable(this, bufferSize)
    val map = this
    return flow {
        val buffer = ChangeBuffer(map, range, bufferSize, overflow)
        // Step 1: subscribe, so that from here on every change of the range is buffered.
        val subscription = source.subscribe(buffer)
        try {
            // Step 2: scan. Every change the scan does not reflect was committed after step 1.
            val snapshot = TreeMap<K, V>(map.comparator())
            val cursor = openRangeCursor(map, range, descending = false, maxBatch = DEFAULT_FLOW_BATCH_SIZE)
            while (true) {
                currentCoroutineContext().ensureActive()
                val n = cursor.advance()
                if (n == 0) break
                for (i in 0 until n) snapshot[cursor.key(i)] = cursor.value(i)
            }
            // Step 3: the cut. Apply what was buffered up to now; all later changes follow the marker.
            buffer.drainInto(snapshot)
            for ((k, v) in snapshot) emit(SnapshotEntry(k, v))
            emit(SnapshotEnd)
            while (true) {
                emit(buffer.receive())
            }
        } finally {
            subscription.close()
            buffer.close()
        }
    }
}

/** The map as a [ChangeObservable], after checking the arguments every change flow shares. */
private fun <K : Any, V : Any> observable(map: ConcurrentNavigableMap<K, V>, bufferSize: Int): ChangeObservable<K, V> {
    require(bufferSize >= 1) { "bufferSize must be at least 1, was $bufferSize" }
    @Suppress("UNCHECKED_CAST")
    return map as? ChangeObservable<K, V> ?: throw IllegalArgumentException(
        "${map.javaClass.name} does not publish its changes; change flows need a map that implements " +
            "io.arboretum.map.ChangeObservable (ConcurrentBTreeMap, OffHeapLongBTreeMap.asMap(), MasstreeMap, " +
            "PackedMemoryArrayMap, BwTreeMap)",
    )
}

/**
 * One collection's buffer: the [ChangeListener] the index calls under its latches, and the
 * collector's side. Appends never block: a [Channel]'s `trySend` (lock-free) for
 * [ChangeOverflow.Fail]; for [ChangeOverflow.Conflate] a [ConcurrentHashMap] of the pending
 * change per key (its per-bin lock is held for the few instructions of one merge, never across a
 * collector's suspension) and a channel of keys in the order they became pending.
 */
private class ChangeBuffer<K : Any, V : Any>(
    map: ConcurrentNavigableMap<K, V>,
    private val range: KeyRange<K>,
    private val bufferSize: Int,
    overflow: ChangeOverflow,
) : ChangeListener<K, V> {
    private val comparator: Comparator<in K>? = map.comparator()
    private val conflate = overflow == ChangeOverflow.Conflate

    /** FAIL: the changes; CONFLATE: the keys with a pending change, unbounded (bounded by [pendingCount]). */
    private val channel: Channel<Any> = Channel(if (conflate) Channel.UNLIMITED else bufferSize)

    /** CONFLATE: the pending change of each key, or [NoChange] for an insert then removal. */
    private val pending: ConcurrentHashMap<K, Any>? = if (conflate) ConcurrentHashMap() else null

    /** CONFLATE: the number of keys in [pending]. */
    private val pendingCount = AtomicInteger()

    /** Called by a writer under its leaf latch: filter by range, append, never block. */
    override fun onChange(sequence: Long, key: K, oldValue: V?, newValue: V?) {
        if (!range.holds(key, comparator)) return
        val change: Change<K, V> = if (newValue != null) {
            Change.Upsert(key, oldValue, newValue, sequence)
        } else {
            Change.Removal(key, oldValue ?: return, sequence)
        }
        if (!conflate) {
            // Fails only when full (then the flow fails) or after close (then nothing listens).
            if (channel.trySend(change).isFailure && !channel.isClosedForSend) {
                channel.close(ChangeBufferOverflowException(bufferSize, false))
            }
            return
        }
        var fresh = false
        pending!!.compute(key) { _, prev ->
            if (prev == null) {
                fresh = true
                change
            } else {
                combine(prev, change)
            }
        }
        if (fresh) {
            if (pendingCount.incrementAndGet() > bufferSize) {
                channel.close(ChangeBufferOverflowException(bufferSize, true))
            } else {
                channel.trySend(key)
            }
        }
    }

    /** The index dropped this listener because [onChange] threw: fail the flow with the cause. */
    override fun onDetached(cause: Throwable) {
        channel.close(cause)
    }

    /** One change standing for [prev] then [next] on the same key (or [NoChange]). */
    private fun combine(prev: Any, next: Change<K, V>): Any {
        val first: V? = when (prev) {
            is Change.Upsert<*, *> -> @Suppress("UNCHECKED_CAST") (prev.old as V?)
            is Change.Removal<*, *> -> @Suppress("UNCHECKED_CAST") (prev.old as V)
            else -> null // NoChange: the key was absent before it
        }
        return when (next) {
            is Change.Upsert -> Change.Upsert(next.key, first, next.new, next.sequence)
            is Change.Removal -> if (first == null) NoChange else Change.Removal(next.key, first, next.sequence)
        }
    }

    /** The next change, suspending until there is one; throws the overflow exception once failed. */
    suspend fun receive(): Change<K, V> {
        while (true) {
            val item = channel.receive()
            return take(item) ?: continue
        }
    }

    /** The change an item of the channel stands for, or null if it has been conflated away. */
    @Suppress("UNCHECKED_CAST")
    private fun take(item: Any): Change<K, V>? {
        val c = takePending(item)
        return if (c === NoChange) null else c as Change<K, V>?
    }

    /** As [take], but a conflated insert then removal comes back as [NoChange] (null: nothing). */
    @Suppress("UNCHECKED_CAST")
    private fun takePending(item: Any): Any? {
        if (!conflate) return item
        val c = pending!!.remove(item as K) ?: return null
        pendingCount.decrementAndGet()
        return c
    }

    /**
     * Applies every change buffered so far to [snapshot], until the buffer is empty: the cut of
     * [snapshotThenChanges]. Changes buffered later stay for [receive].
     */
    fun drainInto(snapshot: TreeMap<K, V>) {
        while (true) {
            val r = channel.tryReceive()
            if (r.isClosed) throw r.exceptionOrNull() ?: IllegalStateException("change buffer closed")
            val item = r.getOrNull() ?: return
            @Suppress("UNCHECKED_CAST")
            when (val c = takePending(item)) {
                is Change.Upsert<*, *> -> snapshot[c.key as K] = c.new as V
                is Change.Removal<*, *> -> snapshot.remove(c.key as K)
                // Inserted and removed again since the subscription: absent at the cut, though the
                // scan may have read it in between, so it leaves the snapshot too.
                NoChange -> snapshot.remove(item as K)
                else -> {}
            }
        }
    }

    /** Drops whatever is buffered; later appends fail silently. */
    fun close() {
        channel.cancel()
        pending?.clear()
    }
}

/** A conflated insert-then-remove: nothing to emit. */
private object NoChange

/** Whether [key] lies in this range, in the order of [comparator] (natural order when null). */
internal fun <K : Any> KeyRange<K>.holds(key: K, comparator: Comparator<in K>?): Boolean {
    @Suppress("UNCHECKED_CAST")
    fun cmp(a: K, b: K): Int = comparator?.compare(a, b) ?: (a as Comparable<Any>).compareTo(b)
    val lo = lower
    if (lo != null) {
        val c = cmp(key, lo)
        if (c < 0 || (c == 0 && !lowerInclusive)) return false
    }
    val hi = upper
    if (hi != null) {
        val c = cmp(key, hi)
        if (c > 0 || (c == 0 && !upperInclusive)) return false
    }
    return true
}
