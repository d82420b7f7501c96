package io.arboretum.map;

import java.util.AbstractMap;
import java.util.Map;

/**
 * A forward-only cursor over one key range of an index, opened by
 * {@link BatchScannable#openCursor}: what every view iterator and every range flow reads. An
 * index whose scan is faster than repeated {@link BatchScannable#copyBatch} calls (for example
 * because it keeps its place between batches, or rebuilds a key only when it is asked for) gives
 * its own cursor; the default copies batches.
 *
 * <p>Each {@link #advance()} replaces the current batch with the next one; the entries of a batch
 * are read with {@link #key} and {@link #value} until the next {@code advance()}. The cursor holds
 * no latch or other resource between calls, only references to the entries of its current batch;
 * it is for one thread (or one coroutine) at a time. Its guarantees are those of {@code copyBatch}, across
 * the whole scan: every entry of a batch was present at some instant during the call that copied
 * it, keys come out strictly ordered across batches, and an entry present in the range for the
 * whole scan is returned.
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 */
public interface BatchCursor<K, V> {

    /**
     * Moves to the next batch of the range.
     *
     * @return the number of entries in the new batch, at most the {@code maxBatch} the cursor was
     *     opened with; zero (and zero from every later call) once the range has no more entries
     * @throws ClassCastException if a bound of the range cannot be compared with the map's keys
     */
    int advance();

    /**
     * Tells the cursor that the caller will read every value of the current batch, so that it can
     * bring them into the processor's cache at once, their cache misses overlapping, rather than
     * one at a time as the caller reads them. A hint only: it changes nothing the cursor returns,
     * and callers that read only keys should not call it. The default does nothing.
     */
    default void prefetchValues() {
    }

    /**
     * For implementations of {@link #prefetchValues()}: loads the header of each of the first
     * {@code n} objects of {@code values} in one loop, so that their cache misses overlap. The
     * caller stores the result in a field, which gives the loads a use the JIT keeps.
     *
     * @param values the batch's values, none of them null
     * @param n how many to load
     * @return a number that depends on every load (to be stored, never read)
     */
    static int touchAll(Object[] values, int n) {
        int t = 0;
        for (int i = 0; i < n; i++) {
            // A class test makes the JIT load the header. The class must be a concrete one: a test
            // against an interface is known false without the load, and the JIT drops the loop
            // (measured: the B+tree's scan100 fell from 200 k to 142 k ops/s). Whether a value is
            // a CodedEntry does not matter; the count is never read.
            if (values[i].getClass() == CodedEntry.class) {
                t++;
            }
        }
        return t;
    }

    /**
     * The key of entry {@code i} of the current batch.
     *
     * @param i the entry, from zero to the count the last {@link #advance()} returned, exclusive
     * @return its key
     */
    K key(int i);

    /**
     * The value of entry {@code i} of the current batch.
     *
     * @param i the entry, from zero to the count the last {@link #advance()} returned, exclusive
     * @return its value
     */
    V value(int i);

    /**
     * An immutable snapshot of entry {@code i} of the current batch. The default pairs
     * {@link #key} and {@link #value}; an index may return a cheaper entry that builds its key
     * only when asked for, as long as it keeps the {@link Map.Entry} contract
     * ({@code equals}, {@code hashCode}, {@code toString}) and {@code setValue} throws
     * {@link UnsupportedOperationException}.
     *
     * @param i the entry, from zero to the count the last {@link #advance()} returned, exclusive
     * @return a snapshot of it
     */
    default Map.Entry<K, V> entry(int i) {
        return new AbstractMap.SimpleImmutableEntry<>(key(i), value(i));
    }
}
