@file:JvmName("SuspendingUpdates")

package io.arboretum.coroutines

import java.util.concurrent.ConcurrentMap
import kotlin.time.Duration
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.delay
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.flow.Flow

/**
 * Replaces the value of [key] with what the suspending [transform] makes of it, atomically with
 * respect to every other write to [key]. Named as kotlinx.coroutines' `MutableStateFlow.update`:
 * this returns nothing; [updateAndGet] returns the value committed and [getAndUpdate] the value
 * it replaced.
 *
 * [transform] receives the current value (`null` when [key] is absent) and returns the new value,
 * or `null` to remove [key]. It is a `suspend` function, so it may call another service or read a
 * database; it runs outside every latch of the map, and the map is never locked while it
 * suspends. Its result is committed with one conditional write: `putIfAbsent(key, new)` when the
 * key was absent, `replace(key, old, new)` when it was present, or `remove(key, old)` to delete.
 * If another writer changed [key] in the meantime, the conditional write fails and the whole
 * step is retried with the value now current, at most [RetryPolicy.maxAttempts] times in all
 * (waiting [RetryPolicy.backoff] before each retry, if the policy asks for it); when every attempt
 * lost such a race, [UpdateConflictException] is thrown and the map is left unchanged by this call.
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
 * attempt.
 *
 * ```kotlin
 * // Add a price fetched from another service to a running total, no lost updates.
 * val totals = ConcurrentBTreeMap<String, Long>()
 * totals.update("eur") { current -> (current ?: 0L) + priceService.fetch("eur") }
 *
 * // Remove a session once the remote store confirms it has expired; give up after 5 conflicts,
 * // waiting 1 ms, then 2 ms, 4 ms and 8 ms between attempts.
 * sessions.update(sessionId, RetryPolicy(maxAttempts = 5, backoff = 1.milliseconds)) { s ->
 *     if (s != null && store.isExpired(s)) null else s
 * }
 * ```
 *
 * @param key the key to update
 * @param retry how many attempts to make, and how long to wait between them
 * @param transform computes the new value (`null` to remove) from the current one (`null` if absent)
 * @throws UpdateConflictException if every one of [RetryPolicy.maxAttempts] attempts lost a race
 *     with another writer of [key]
 * @throws NullPointerException if the map rejects the key (maps of this library and
 *     `ConcurrentSkipListMap` reject null keys and values)
 * @throws ClassCastException if [key] cannot be compared with the map's keys
 */
public suspend fun <K : Any, V : Any> ConcurrentMap<K, V>.update(
    key: K,
    retry: RetryPolicy = RetryPolicy.DEFAULT,
    transform: suspend (current: V?) -> V?,
) {
    commitUpdate(this, key, retry, transform, RETURN_NEW)
}

/**
 * As [update], and returns the value now associated with [key] by this update, or `null` if
 * [key] is left absent. Example:
 * `val total: Long? = totals.updateAndGet("eur") { (it ?: 0L) + price }`.
 *
 * @param key the key to update
 * @param retry how many attempts to make, and how long to wait between them
 * @param transform computes the new value (`null` to remove) from the current one (`null` if absent)
 * @return the value committed (the one [transform] returned in its last run), or the current value
 *     when [transform] returned an equal one (nothing is then written)
 * @throws UpdateConflictException if every one of [RetryPolicy.maxAttempts] attempts lost a race
 * @throws NullPointerException if the map rejects the key
 * @throws ClassCastException if [key] cannot be compared with the map's keys
 */
public suspend fun <K : Any, V : Any> ConcurrentMap<K, V>.updateAndGet(
    key: K,
    retry: RetryPolicy = RetryPolicy.DEFAULT,
    transform: suspend (current: V?) -> V?,
): V? = commitUpdate(this, key, retry, transform, RETURN_NEW)

/**
 * As [update], and returns the value [key] had just before this update committed (the value the
 * last run of [transform] was given), or `null` if it was absent. Example:
 * `val previous: Long? = counters.getAndUpdate("hits") { (it ?: 0L) + 1 }`.
 *
 * @param key the key to update
 * @param retry how many attempts to make, and how long to wait between them
 * @param transform computes the new value (`null` to remove) from the current one (`null` if absent)
 * @return the value replaced, or `null` if [key] was absent
 * @throws UpdateConflictException if every one of [RetryPolicy.maxAttempts] attempts lost a race
 * @throws NullPointerException if the map rejects the key
 * @throws ClassCastException if [key] cannot be compared with the map's keys
 */
public suspend fun <K : Any, V : Any> ConcurrentMap<K, V>.getAndUpdate(
    key: K,
    retry: RetryPolicy = RetryPolicy.DEFAULT,
    transform: suspend (current: V?) -> V?,
): V? = commitUpdate(this, key, retry, transform, RETURN_OLD)

/** What [commitUpdate] returns: the value committed. */
private const val RETURN_NEW = 0

/** What [commitUpdate] returns: the value replaced. */
private const val RETURN_OLD = 1

/** The retry loop behind [update], [updateAndGet] and [getAndUpdate]. */
private suspend fun <K : Any, V : Any> commitUpdate(
    map: ConcurrentMap<K, V>,
    key: K,
    retry: RetryPolicy,
    transform: suspend (current: V?) -> V?,
    returning: Int,
): V? {
    var attempt = 1
    while (true) {
        currentCoroutineContext().ensureActive()
        // Read, then compute with no resource held: a suspension here blocks no other writer.
        val old: V? = map[key]
        val new: V? = transform(old)
        // Each branch is a single linearizable conditional write that succeeds only if the key
        // still holds `old` (by equals); if it does not, someone else committed in between and the
        // loop recomputes from the newer value. A successful write is this update's linearization
        // point; a no-op is linearized at the `get` above.
        val committed = when {
            old == null && new == null -> return null
            old == null -> map.putIfAbsent(key, new!!) == null
            new == null -> map.remove(key, old)
            new == old -> return old
            else -> map.replace(key, old, new)
        }
        if (committed) {
            return if (returning == RETURN_NEW) new else old
        }
        if (attempt >= retry.maxAttempts) {
            throw UpdateConflictException(key, attempt)
        }
        val wait = retry.backoffBefore(attempt + 1)
        if (wait > Duration.ZERO) delay(wait)
        attempt++
    }
}

/**
 * How often [update], [updateAndGet] and [getAndUpdate] try to commit before giving up, and how
 * long they wait between attempts. An attempt is one run of the transform and one conditional
 * write; it fails only when another writer changed the key in between.
 *
 * The wait before attempt `n + 1` is [backoff] times `2^(n-1)`, capped at [maxBackoff]: with
 * `backoff = 1.milliseconds`, 1 ms before the second attempt, 2 ms before the third, and so on.
 * It is a suspending [delay], so a waiting update holds no thread. With no backoff (the default)
 * a failed attempt is retried at once: the conflict proved that another writer made progress.
 *
 * ```kotlin
 * RetryPolicy.DEFAULT                                          // 1000 attempts, no waiting
 * RetryPolicy(maxAttempts = 1)                                 // fail at the first conflict
 * RetryPolicy(maxAttempts = 10, backoff = 5.milliseconds, maxBackoff = 200.milliseconds)
 * ```
 *
 * @property maxAttempts the most attempts, the first one included; at least 1
 * @property backoff the wait before the second attempt, doubled before each later one; zero
 *     (the default) for none
 * @property maxBackoff the longest wait between two attempts; at least [backoff]
 * @throws IllegalArgumentException if [maxAttempts] is below 1, [backoff] is negative or infinite,
 *     or [maxBackoff] is below [backoff] or infinite; the message names the option and its value
 */
public class RetryPolicy(
    public val maxAttempts: Int,
    public val backoff: Duration = Duration.ZERO,
    public val maxBackoff: Duration = if (backoff.isPositive() && backoff.isFinite()) backoff * 64 else backoff,
) {
    init {
        require(maxAttempts >= 1) { "RetryPolicy.maxAttempts must be at least 1, was $maxAttempts" }
        require(!backoff.isNegative() && backoff.isFinite()) {
            "RetryPolicy.backoff must be finite and not negative, was $backoff"
        }
        require(maxBackoff >= backoff && maxBackoff.isFinite()) {
            "RetryPolicy.maxBackoff must be finite and at least backoff ($backoff), was $maxBackoff"
        }
    }

    /** The wait before attempt [attempt] (2 or more): [backoff] doubled per earlier retry, capped. */
    internal fun backoffBefore(attempt: Int): Duration {
        if (backoff == Duration.ZERO) return Duration.ZERO
        var wait = backoff
        var n = 2
        while (n < attempt && wait < maxBackoff) {
            wait *= 2
            n++
        }
        return if (wait > maxBackoff) maxBackoff else wait
    }

    /** For example `RetryPolicy(maxAttempts=10, backoff=5ms, maxBackoff=200ms)`. */
    override fun toString(): String = "RetryPolicy(maxAttempts=$maxAttempts, backoff=$backoff, maxBackoff=$maxBackoff)"

    /** The default policy. */
    public companion object {
        /**
         * 1000 attempts, retried at once. Each failed attempt means another writer committed to the
         * same key, so 1000 failures in a row take 1000 commits by others while this update's
         * transform ran: a key that hot needs a backoff or a different design (a counter per
         * writer, summed on read), not more attempts.
         */
        public val DEFAULT: RetryPolicy = RetryPolicy(maxAttempts = 1000)
    }
}

/**
 * Thrown by [update], [updateAndGet] and [getAndUpdate] when every attempt allowed by the
 * [RetryPolicy] lost a race with another writer of the same key. The map is left unchanged by
 * the call that throws it; the transform's last result was not committed.
 *
 * @property key the key that could not be updated
 * @property attempts how many attempts were made
 */
public class UpdateConflictException(
    public val key: Any,
    public val attempts: Int,
) : ConcurrentModificationException(
    "update of key $key gave up after $attempts attempt${if (attempts == 1) "" else "s"}: " +
        "another writer changed the key during each one (raise RetryPolicy.maxAttempts or add a backoff)",
)

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
