package io.arboretum.coroutines

/**
 * A range of keys for the range flows ([entriesFlow], [keysFlow], [valuesFlow]): a lower and an
 * upper bound, each either absent (unbounded) or present and then inclusive or exclusive.
 *
 * A `KeyRange` knows nothing of key order: the map it is used with compares the bounds with its
 * own comparator (or natural ordering) when a flow is collected. A range whose lower bound lies
 * above its upper bound, or whose equal bounds are not both inclusive, is empty, as `5..1` is in
 * Kotlin; it is not an error.
 *
 * Build one with the factories of the companion object, or convert a Kotlin range with
 * [toKeyRange]:
 *
 * ```kotlin
 * val all = KeyRange.all<String>()
 * val aToM = KeyRange.closedOpen("a", "m")         // "a" <= k < "m"
 * val recent = KeyRange.greaterThan(lastSeenId)    // k > lastSeenId
 * val ids = (100L..<200L).toKeyRange()             // 100 <= k <= 199
 * val names = ("ann".."bob").toKeyRange()          // "ann" <= k <= "bob"
 * ```
 *
 * @param K the type of keys
 * @property lower the lower bound, or `null` when the range has no lower bound
 * @property lowerInclusive whether [lower] itself belongs to the range (ignored without a bound)
 * @property upper the upper bound, or `null` when the range has no upper bound
 * @property upperInclusive whether [upper] itself belongs to the range (ignored without a bound)
 */
public class KeyRange<out K : Any> private constructor(
    public val lower: K?,
    public val lowerInclusive: Boolean,
    public val upper: K?,
    public val upperInclusive: Boolean,
) {
    /** Two ranges are equal when their bounds and inclusive flags are equal. */
    override fun equals(other: Any?): Boolean =
        other is KeyRange<*> && lower == other.lower && upper == other.upper &&
            (lower == null || lowerInclusive == other.lowerInclusive) &&
            (upper == null || upperInclusive == other.upperInclusive)

    /** A hash code consistent with [equals]. */
    override fun hashCode(): Int {
        var h = lower?.hashCode() ?: 0
        h = 31 * h + (if (lower != null && lowerInclusive) 1 else 0)
        h = 31 * h + (upper?.hashCode() ?: 0)
        return 31 * h + (if (upper != null && upperInclusive) 1 else 0)
    }

    /** Interval notation, for example `[a, m)` or `(-inf, 7]`. */
    override fun toString(): String {
        val lo = if (lower == null) "(-inf" else (if (lowerInclusive) "[" else "(") + lower
        val hi = if (upper == null) "+inf)" else upper.toString() + (if (upperInclusive) "]" else ")")
        return "$lo, $hi"
    }

    /** Factories for every shape of range. */
    public companion object {
        private val ALL: KeyRange<Nothing> = KeyRange(null, true, null, true)

        /** Every key: no lower and no upper bound. Example: `map.entriesFlow(KeyRange.all())`. */
        public fun <K : Any> all(): KeyRange<K> = ALL

        /**
         * A range with explicit bounds; a `null` bound is unbounded.
         * Example: `KeyRange.of(from = 10L, fromInclusive = false, to = null)` is `k > 10`.
         *
         * @param from the lower bound, or `null` for none
         * @param fromInclusive whether [from] itself belongs to the range
         * @param to the upper bound, or `null` for none
         * @param toInclusive whether [to] itself belongs to the range
         */
        public fun <K : Any> of(
            from: K?,
            fromInclusive: Boolean = true,
            to: K?,
            toInclusive: Boolean = false,
        ): KeyRange<K> = KeyRange(from, fromInclusive, to, toInclusive)

        /** `from <= k <= to`. Example: `KeyRange.closed("a", "c")`. */
        public fun <K : Any> closed(from: K, to: K): KeyRange<K> = KeyRange(from, true, to, true)

        /** `from <= k < to`. Example: `KeyRange.closedOpen(day, nextDay)`. */
        public fun <K : Any> closedOpen(from: K, to: K): KeyRange<K> = KeyRange(from, true, to, false)

        /** `from < k <= to`. Example: `KeyRange.openClosed(lastSeen, upTo)`. */
        public fun <K : Any> openClosed(from: K, to: K): KeyRange<K> = KeyRange(from, false, to, true)

        /** `from < k < to`. Example: `KeyRange.open(0L, 10L)` holds 1 to 9. */
        public fun <K : Any> open(from: K, to: K): KeyRange<K> = KeyRange(from, false, to, false)

        /** `k >= from`, no upper bound. Example: `KeyRange.atLeast("m")`. */
        public fun <K : Any> atLeast(from: K): KeyRange<K> = KeyRange(from, true, null, true)

        /** `k > from`, no upper bound: resume after a key already seen. Example: `KeyRange.greaterThan(lastId)`. */
        public fun <K : Any> greaterThan(from: K): KeyRange<K> = KeyRange(from, false, null, true)

        /** `k <= to`, no lower bound. Example: `KeyRange.atMost(cutoff)`. */
        public fun <K : Any> atMost(to: K): KeyRange<K> = KeyRange(null, true, to, true)

        /** `k < to`, no lower bound. Example: `KeyRange.lessThan(now)`. */
        public fun <K : Any> lessThan(to: K): KeyRange<K> = KeyRange(null, true, to, false)

        /**
         * Every `String` that starts with [prefix], for maps in the natural order of `String`
         * (`String.compareTo`: UTF-16 code units as unsigned numbers, which is also the order of
         * the `String` encoding of `io.arboretum.keys`, `KeyEncoders.strings()`). Example:
         * `users.entriesFlow(KeyRange.prefix("tenant42/"))`.
         *
         * The range is exact at both edges: `[prefix, p')` where `p'` is [prefix] with its
         * trailing U+FFFF units dropped and its last remaining unit raised by one, so no key
         * without the prefix is inside and none with it is outside. Surrogates are units like
         * any other here, as they are in `String.compareTo` and in that encoding (whose codes
         * form a prefix code, so a string starts with [prefix] exactly when its encoding starts
         * with the encoding of [prefix]). A prefix of U+FFFF units only has no upper bound; the
         * empty prefix is [all].
         *
         * @param prefix the common start of the keys
         * @return the range of keys starting with [prefix]
         */
        public fun prefix(prefix: String): KeyRange<String> {
            var end = prefix.length
            while (end > 0 && prefix[end - 1] == '\uFFFF') end--
            if (end == 0) return if (prefix.isEmpty()) all() else atLeast(prefix)
            val upper = prefix.substring(0, end - 1) + (prefix[end - 1] + 1)
            return KeyRange(prefix, true, upper, false)
        }

        /**
         * Every byte string that starts with [prefix], for maps that order `ByteArray` keys as
         * unsigned bytes, lexicographically, a proper prefix first (the order of
         * `ConcurrentBTreeMap.unsignedBytesComparator()` and of `KeyEncoders.byteArrays()`, in
         * which every index of this library sorts byte strings). Example:
         * `blobs.keysFlow(KeyRange.prefix(byteArrayOf(0x01, 0x7F)))`.
         *
         * The range is exact at both edges: `[prefix, p')` where `p'` is [prefix] with its
         * trailing `0xFF` bytes dropped and its last remaining byte raised by one. A prefix of
         * `0xFF` bytes only has no upper bound; the empty prefix is [all]. The bounds are copies:
         * changing [prefix] afterwards does not change the range.
         *
         * @param prefix the common start of the keys
         * @return the range of keys starting with [prefix]
         */
        public fun prefix(prefix: ByteArray): KeyRange<ByteArray> {
            var end = prefix.size
            while (end > 0 && prefix[end - 1] == 0xFF.toByte()) end--
            if (end == 0) return if (prefix.isEmpty()) all() else atLeast(prefix.copyOf())
            val upper = prefix.copyOf(end)
            upper[end - 1] = (upper[end - 1] + 1).toByte()
            return KeyRange(prefix.copyOf(), true, upper, false)
        }
    }
}

/**
 * The same keys as this closed range: `start <= k <= endInclusive`.
 * Example: `("ann".."bob").toKeyRange()`, `(1.0..2.0).toKeyRange()`.
 *
 * The standard ranges of integral types ([IntRange], [LongRange], [CharRange], [UIntRange],
 * [ULongRange]) are both a [ClosedRange] and an [OpenEndRange], so each has its own overload
 * below; a type of your own that implements both needs a cast to say which one it means.
 */
public fun <K : Comparable<K>> ClosedRange<K>.toKeyRange(): KeyRange<K> = KeyRange.closed(start, endInclusive)

/**
 * The same keys as this open-ended range: `start <= k < endExclusive`.
 * Example: `("a"..<"m").toKeyRange()`.
 */
public fun <K : Comparable<K>> OpenEndRange<K>.toKeyRange(): KeyRange<K> = KeyRange.closedOpen(start, endExclusive)

/**
 * The same keys as this range of longs, `first <= k <= last` (empty when the range is empty).
 * A [LongRange] is both a [ClosedRange] and an [OpenEndRange]; this overload picks the meaning
 * that `a..b` and `a..<b` already agree on. Example: `(100L..<200L).toKeyRange()`.
 */
public fun LongRange.toKeyRange(): KeyRange<Long> = KeyRange.closed(first, last)

/**
 * The same keys as this range of ints, `first <= k <= last` (empty when the range is empty).
 * An [IntRange] is both a [ClosedRange] and an [OpenEndRange]; this overload picks the meaning
 * that `a..b` and `a..<b` already agree on. Example: `(0..<10).toKeyRange()`.
 */
public fun IntRange.toKeyRange(): KeyRange<Int> = KeyRange.closed(first, last)

/**
 * The same keys as this range of chars, `first <= k <= last` (empty when the range is empty).
 * A [CharRange] is both a [ClosedRange] and an [OpenEndRange]; `'a'..'c'` and `'a'..<'d'` are the
 * same range and convert alike. Example: `('a'..<'n').toKeyRange()` holds `'a'` to `'m'`.
 */
public fun CharRange.toKeyRange(): KeyRange<Char> = KeyRange.closed(first, last)

/**
 * The same keys as this range of unsigned ints, `first <= k <= last` (empty when the range is
 * empty), in unsigned order as [UInt] compares. A [UIntRange] is both a [ClosedRange] and an
 * [OpenEndRange]. Example: `(1u..<10u).toKeyRange()` holds 1 to 9.
 */
public fun UIntRange.toKeyRange(): KeyRange<UInt> = KeyRange.closed(first, last)

/**
 * The same keys as this range of unsigned longs, `first <= k <= last` (empty when the range is
 * empty), in unsigned order as [ULong] compares. A [ULongRange] is both a [ClosedRange] and an
 * [OpenEndRange]. Example: `(1uL..<10uL).toKeyRange()` holds 1 to 9.
 */
public fun ULongRange.toKeyRange(): KeyRange<ULong> = KeyRange.closed(first, last)
