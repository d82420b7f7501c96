package io.arboretum.map;

/**
 * An index that can copy a bounded batch of a key range into caller-owned arrays, holding no
 * latch, pin or other resource once the call returns.
 *
 * <p>This is the fast path of the coroutine layer's range flows and of every view iterator: copy a
 * batch, release everything, hand the batch out, and resume strictly after the last key copied.
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
}
