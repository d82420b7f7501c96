package io.arboretum.map;

/**
 * An index that can copy a bounded batch of a key range into caller-owned arrays, holding no
 * latch, pin or other resource once the call returns.
 *
 * <p>This is the fast path of every view iterator and of the coroutine layer's range flows: copy a
 * batch, release everything, hand the batch out, and resume strictly after the last key copied.
 * Both read a range through {@link #openCursor}, whose default does exactly that with
 * {@code copyBatch}; an index with a faster scan (one that keeps its place between batches, or
 * builds keys only when asked for) overrides it.
 *
 * <p><b>Consistency.</b> Each call is weakly consistent: every entry it copies was present in the
 * map at some instant during the call, keys come out strictly ordered (ascending, or descending if
 * asked), and an entry present for the whole call and inside the requested range is copied unless
 * the arrays fill up first. An index may copy fewer entries than fit (for example one node at a
 * time); a result of zero means the range held no entry at some instant during the call.
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 */
public interface BatchScannable<K, V> {

    /**
     * Copies the next entries of a key range, in order, into {@code keys} and {@code values}.
     *
     * <p>For an ascending scan ({@code descending == false}) the entries copied are the smallest
     * keys {@code k} with {@code from <(=) k <(=) to}; for a descending scan, the largest. A bound
     * that is {@code null} is unbounded. To continue a scan, pass the last key copied as the new
     * start bound of the scan's direction with its inclusive flag set to {@code false}.
     *
     * @param from the lower bound, or {@code null} for none
     * @param fromInclusive whether {@code from} itself is in the range
     * @param to the upper bound, or {@code null} for none
     * @param toInclusive whether {@code to} itself is in the range
     * @param descending whether to copy from the high end of the range down
     * @param keys receives the keys; its length bounds the batch
     * @param values receives the values; at least as long as {@code keys}
     * @return the number of entries copied into the first slots of both arrays; zero only when
     *     the range held no entry at some instant during the call
     * @throws NullPointerException if an array is null
     * @throws IllegalArgumentException if {@code values} is shorter than {@code keys}, or
     *     {@code keys} is empty
     * @throws ClassCastException if a bound cannot be compared with the map's keys
     */
    int copyBatch(K from, boolean fromInclusive, K to, boolean toInclusive, boolean descending,
                  Object[] keys, Object[] values);

    /**
     * Opens a forward-only cursor over a key range, for one scan by one thread. The bounds are as
     * for {@link #copyBatch} ({@code null} is unbounded; a range whose lower bound lies above its
     * upper bound is empty). Opening a cursor reads nothing; the first
     * {@link BatchCursor#advance()} copies the first batch.
     *
     * <p>The default copies batches through {@link #copyBatch}, each resuming strictly after the
     * last key of the previous one: the first batch holds at most 16 entries (so that a short scan
     * stays cheap), and each later one at most twice as many as the one before, up to
     * {@code maxBatch}. An index overrides this when it can scan faster while keeping
     * {@link BatchCursor}'s guarantees.
     *
     * @param from the lower bound, or {@code null} for none
     * @param fromInclusive whether {@code from} itself is in the range
     * @param to the upper bound, or {@code null} for none
     * @param toInclusive whether {@code to} itself is in the range
     * @param descending whether to scan from the high end of the range down
     * @param maxBatch the most entries one batch may hold; at least one
     * @return a cursor positioned before the first batch
     * @throws IllegalArgumentException if {@code maxBatch} is less than one
     * @throws ClassCastException if a bound cannot be compared with the map's keys (at once, or
     *     from the first {@code advance()})
     */
    default BatchCursor<K, V> openCursor(K from, boolean fromInclusive, K to, boolean toInclusive,
                                         boolean descending, int maxBatch) {
        return new CopyingCursor<>(this, from, fromInclusive, to, toInclusive, descending, maxBatch);
    }
}
