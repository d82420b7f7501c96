package io.arboretum.map;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A weakly consistent iterator over a key range of an {@link AbstractIndexMap}, in either
 * direction, reading batches from the cursor {@link BatchScannable#openCursor} gives (the
 * index's own, or the default that copies through {@link BatchScannable#copyBatch}). It holds no
 * latch between calls.
 *
 * <p>The cursor's guarantees are the iterator's: keys come out strictly ordered and each at most
 * once, and an entry present in the range for the whole iteration is returned. The iterator never
 * throws {@link java.util.ConcurrentModificationException}. Keys are read from the batch only
 * when asked for (a values iterator never reads them, except for the one {@code remove()} needs
 * when the batch is replaced), so an index that rebuilds keys builds none that are not used.
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 * @param <T> what the iterator returns: keys, values or entry snapshots
 */
final class IndexIterator<K, V, T> implements Iterator<T> {

    static final int KEYS = 0;
    static final int VALUES = 1;
    static final int ENTRIES = 2;

    /** The most entries the iterator asks its cursor for at a time. */
    private static final int MAX_BATCH = 256;

    private final AbstractIndexMap<K, V> map;
    private final int kind;
    private final BatchCursor<K, V> cursor;

    /** Entries in the current batch. */
    private int count;
    /** The slot of the current batch that {@link #next()} returns next. */
    private int next;
    private boolean exhausted;
    /** The slot of the current batch that {@link #remove()} last removed, or -1. */
    private int removedSlot = -1;
    /**
     * The key of the last element of the previous batch while {@link #remove()} may still remove
     * it (the batch was replaced before any {@code next()} of the new one), else null.
     */
    private K lastKey;

    IndexIterator(AbstractIndexMap<K, V> map, K lo, boolean loInclusive, K hi, boolean hiInclusive,
                  boolean descending, int kind) {
        this.map = map;
        this.kind = kind;
        this.cursor = map.openCursor(lo, loInclusive, hi, hiInclusive, descending, MAX_BATCH);
    }

    @Override
    public boolean hasNext() {
        return next < count || fetch();
    }

    @Override
    @SuppressWarnings("unchecked")
    public T next() {
        if (next >= count && !fetch()) {
            throw new NoSuchElementException("no more elements");
        }
        // The only state next() writes is the slot: remove() derives what it may remove from it.
        int i = next++;
        switch (kind) {
            case KEYS:
                return (T) cursor.key(i);
            case VALUES:
                return (T) cursor.value(i);
            default:
                return (T) cursor.entry(i);
        }
    }

    @Override
    public void remove() {
        K k;
        if (next > 0) {
            // next() has returned slot next - 1 of this batch.
            if (removedSlot == next - 1) {
                throw new IllegalStateException("remove() called twice for one element");
            }
            k = cursor.key(next - 1);
            removedSlot = next - 1;
        } else {
            if (lastKey == null) {
                throw new IllegalStateException("remove() without a preceding next(), or called twice");
            }
            k = lastKey;
            lastKey = null;
        }
        map.remove(k);
    }

    /** Moves to the next batch; returns false (and stays false) once the range has no more. */
    private boolean fetch() {
        if (exhausted) {
            return false;
        }
        // The batch is about to be replaced: keep the key remove() may still need. (next is 0
        // only before the first batch, as a batch is replaced only once it has been read.)
        lastKey = next > 0 && removedSlot != next - 1 ? cursor.key(next - 1) : null;
        removedSlot = -1;
        int n = cursor.advance();
        next = 0;
        count = n;
        if (n == 0) {
            exhausted = true;
            return false;
        }
        if (kind != KEYS) {
            // Entry and value loops read every value: let the cursor load them together.
            cursor.prefetchValues();
        }
        return true;
    }
}
