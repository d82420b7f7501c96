package io.arboretum.map;

import java.util.AbstractMap;
import java.util.Map;

/**
 * A forward-only cursor over one key range of an index, which the index hands to the iterators of
 * its views through {@link AbstractIndexMap#openCursor} when it can scan faster than repeated
 * {@link BatchScannable#copyBatch} calls (for example by keeping its place between batches, or by
 * rebuilding a key only when it is asked for).
 *
 * <p>Each {@link #advance()} replaces the current batch with the next one; the entries of a batch
 * are read with {@link #key} and {@link #value} until the next {@code advance()}. The cursor holds
 * no latch or other resource between calls. Its guarantees are those of {@code copyBatch}, across
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
     * @return the number of entries in the new batch; zero (and zero from every later call) once
     *     the range has no more entries
     */
    int advance();

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
