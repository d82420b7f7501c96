package io.arboretum.coroutines

/**
 * What a [snapshotThenChanges] flow emits: the entries of its range as they were when it started
 * ([SnapshotEntry]), then one [SnapshotEnd], then every later [Change]. A [changes] flow emits
 * only [Change]s.
 *
 * @param K the type of keys
 * @param V the type of values
 */
public sealed interface FeedEvent<out K, out V>

/**
 * An entry of the range's content when a [snapshotThenChanges] flow started, in key order.
 *
 * @property key the key
 * @property value its value at the flow's start (see [snapshotThenChanges] for which instant)
 */
public data class SnapshotEntry<out K, out V>(public val key: K, public val value: V) : FeedEvent<K, V>

/** The end of the snapshot: every later event of a [snapshotThenChanges] flow is a [Change]. */
public data object SnapshotEnd : FeedEvent<Nothing, Nothing>

/**
 * One committed change to a key: [Upsert] (inserted or replaced) or [Removal].
 *
 * @property key the key changed
 * @property sequence the change's number in its index: per key, increasing in commit order
 *     (numbers of different keys changed at once may arrive out of order); for a conflated change,
 *     the number of the last change it stands for
 */
public sealed class Change<out K, out V> : FeedEvent<K, V> {
    /** The key changed. */
    public abstract val key: K

    /** The change's number in its index (see the class comment). */
    public abstract val sequence: Long

    /**
     * [key] now maps to [new]; before, it mapped to [old], or was absent if [old] is `null`.
     *
     * @property old the value before the change (for a conflated change, before the first change
     *     it stands for), or `null` if the key was absent
     * @property new the value after the change
     */
    public data class Upsert<out K, out V>(
        override val key: K,
        public val old: V?,
        public val new: V,
        override val sequence: Long,
    ) : Change<K, V>()

    /**
     * [key] was removed; it mapped to [old].
     *
     * @property old the value removed (for a conflated change, the value before the first change
     *     it stands for)
     */
    public data class Removal<out K, out V>(
        override val key: K,
        public val old: V,
        override val sequence: Long,
    ) : Change<K, V>()
}

/**
 * What a change flow does when its collector falls `bufferSize` changes behind: [Fail] (the
 * default) or [Conflate].
 */
public sealed class ChangeOverflow {
    /** Fail the flow with a [ChangeBufferOverflowException] (after the changes already buffered). */
    public data object Fail : ChangeOverflow()

    /**
     * Keep only the latest change per key: a key changed again before the collector took its last
     * change gets one change that stands for both (old value of the first, new value of the last;
     * none at all if the key was inserted and removed in between). The buffer then holds at most
     * `bufferSize` distinct keys; beyond that the flow fails as with [Fail].
     */
    public data object Conflate : ChangeOverflow()
}

/**
 * Thrown into a change flow whose collector fell too far behind: more than [bufferSize] changes
 * (or, when conflating, distinct keys) were waiting for it. Writers are never slowed down by a
 * collector; this is what happens to the collector instead.
 *
 * @property bufferSize the buffer size that was exceeded
 */
public class ChangeBufferOverflowException(public val bufferSize: Int, conflating: Boolean) : IllegalStateException(
    "change flow collector fell behind: more than $bufferSize " +
        (if (conflating) "keys with changes" else "changes") + " were waiting (bufferSize = $bufferSize); " +
        "collect faster, raise bufferSize" + (if (conflating) "" else ", or pass overflow = ChangeOverflow.Conflate"),
)

/** The buffer size of a change flow when none is given. */
public const val DEFAULT_CHANGE_BUFFER_SIZE: Int = 4096
