@file:JvmName("SuspendingUpdates")

package io.arboretum.coroutines

import java.util.concurrent.ConcurrentMap
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.flow.Flow

/**
 * Replaces the value of [key] with what the suspending [transform] makes of it, atomically with
 * respect to every other write to [key], and returns the value committed.
 *
 * [transform] receives the current value (`null` when [key] is absent) and returns the new value,
 * or `null` to remove [key]. It is a `suspend` function, so it may call another service or read a
 * database; it runs outside every latch of the map, and the map is never locked while it
 * suspends. Its result is committed with one conditional write: `putIfAbsent(key, new)` when the
 * key was absent, `replace(key, old, new)` when it was present, or `remove(key, old)` to delete.
 * If another writer changed [key] in the meantime, the conditional write fails and the whole
 * step is retried with the value now current.
 *
 * **[transform] may therefore run more than once** for one call (once per conflicting write by
 * someone else), and only the result of its last run is committed. Keep it free of side effects
 * that must not repeat, or make them idempotent. It must be a function of the value it is given:
 * the commit checks that the value is still *equal* to the one [transform] saw, so a change to
 * an equal value and back (A to B to A) counts as no change. No update is lost: when many
 * coroutines update one key at once, each committed result was computed from the value that it
 * replaced.
 *
 * When [transform] returns a value equal to the one it was given (or `null` for an absent key),
 * nothing is written. If [transform] throws, or the coroutine is cancelled, the exception
 * propagates and the map is left unchanged by this call. Cancellation is checked before every
 * retry.
 *
 * ```kotlin
 * // Add a price fetched from another service to a running total, no lost updates.
 * val totals = ConcurrentBTreeMap<String, Long>()
 * val total = totals.update("eur") { current -> (current ?: 0L) + priceService.fetch("eur") }
 *
 * // Remove a session once the remote store confirms it has expired.
 * sessions.update(sessionId) { s -> if (s != null && store.isExpired(s)) null else s }
 * ```
 *
 * @param key the key to update
 * @param transform computes the new value (`null` to remove) from the current one (`null` if absent)
 * @return the value now associated with [key] by this update, or `null` if [key] is left absent
 * @throws NullPointerException if the map rejects the key (maps of this library and
 *     `ConcurrentSkipListMap` reject null keys and values)
 * @throws ClassCastException if [key] cannot be compared with the map's keys
 */
public suspend fun <K : Any, V : Any> ConcurrentMap<K, V>.update(
    key: K,
    transform: suspend (current: V?) -> V?,
): V? {
    while (true) {
        currentCoroutineContext().ensureActive()
        // Read, then compute with no resource held: a suspension here blocks no other writer.
        val old: V? = get(key)
        val new: V? = transform(old)
        // Each branch is a single linearizable conditional write that succeeds only if the key
        // still holds `old` (by equals); if it does not, someone else committed in between and the
        // loop recomputes from the newer value. A successful write is this update's linearization
        // point; a no-op is linearized at the `get` above.
        val committed = when {
            old == null && new == null -> return null
            old == null -> putIfAbsent(key, new!!) == null
            new == null -> remove(key, old)
            new == old -> return old
            else -> replace(key, old, new)
        }
        if (committed) {
            return new
        }
    }
}

/**
 * Puts every pair of [pairs] into this map, in the order the flow emits them, and returns how
 * many pairs were put (a later pair for a key already present replaces its value and still counts).
 *
 * The flow is collected in the caller's coroutine, so a slow or remote source suspends instead
 * of blocking a thread; each pair is one plain `put`, so concurrent readers see the map fill up
 * pair by pair and the map holds nothing between pairs. If the flow throws, or the coroutine is
 * cancelled, the pairs put so far stay in the map and the exception propagates. Sorted input
 * loads fastest into a B+tree, as it touches one leaf after another.
 *
 * ```kotlin
 * val index = ConcurrentBTreeMap<Long, Customer>()
 * val loaded: Long = index.putAll(customerRepository.streamAll().map { it.id to it })
 * ```
 *
 * @param pairs the keys and values to put
 * @return the number of pairs put
 * @throws NullPointerException if the map rejects a key or value
 * @throws ClassCastException if a key cannot be compared with the map's keys
 */
public suspend fun <K : Any, V : Any> ConcurrentMap<K, V>.putAll(pairs: Flow<Pair<K, V>>): Long {
    var count = 0L
    pairs.collect { (k, v) ->
        put(k, v)
        count++
    }
    return count
}
