package io.arboretum.map;

import java.util.AbstractMap;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A weakly consistent iterator over a key range of an {@link AbstractIndexMap}, in either
 * direction. It reads batches from the map's own {@link BatchCursor} when
 * {@link AbstractIndexMap#openCursor} gives one; otherwise it copies batches through
 * {@link BatchScannable#copyBatch} into two arrays and fetches each next batch starting strictly
 * after the last key of the previous one. It holds no latch between calls.
 *
 * <p>Because every batch resumes strictly after the last key returned, keys come out strictly
 * ordered and each at most once; an entry present in the range for the whole iteration is
 * returned (every batch copies all entries present during its call up to the array length).
 * The iterator never throws {@link java.util.ConcurrentModificationException}. Keys are read from
 * the batch only when asked for (a values iterator never reads them, except for the one
 * {@code remove()} needs when the batch is replaced), so an index that rebuilds keys builds none
 * that are not used.
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 * @param <T> what the iterator returns: keys, values or entry snapshots
 */
final class IndexIterator<K, V, T> implements Iterator<T> {

    static final int KEYS = 0;
    static final int VALUES = 1;
    static final int ENTRIES = 2;

    /** The first batch is small so that short iterations (equals, first match) stay cheap. */
    private static final int FIRST_BATCH = 16;
    /**
     * Each later batch doubles, up to this size: long iterations amortize each call over more
     * entries, while a scan of n entries never copies more than about 2n.
     */
    private static final int MAX_BATCH = 256;

    private final AbstractIndexMap<K, V> map;
    private final K lo;
    private final boolean loInclusive;
    private final K hi;
    private final boolean hiInclusive;
    private final boolean descending;
    private final int kind;
    /** The map's own cursor, or null: then batches are copied into {@link #keys} and {@link #values}. */
    private final BatchCursor<K, V> cursor;

    private Object[] keys;
    private Object[] values;
    private int count;
    private int next;
    /** The last key copied, where the next batch resumes (exclusive); null before the first. */
    private K resume;
    private boolean exhausted;
    /** Whether remove() may be called: next() returned an element not removed yet. */
    private boolean canRemove;
    /** The slot of the element last returned in the current batch, or -1 once the batch changed. */
    private int lastSlot = -1;
    /** The key of the element last returned, read from its batch before that batch was replaced. */
    private K lastKey;

    IndexIterator(AbstractIndexMap<K, V> map, K lo, boolean loInclusive, K hi, boolean hiInclusive,
                  boolean descending, int kind) {
        this.map = map;
        this.lo = lo;
        this.loInclusive = loInclusive;
        this.hi = hi;
        this.hiInclusive = hiInclusive;
        this.descending = descending;
        this.kind = kind;
        this.cursor = map.openCursor(lo, loInclusive, hi, hiInclusive, descending);
        if (cursor == null) {
            keys = new Object[FIRST_BATCH];
            values = new Object[FIRST_BATCH];
        }
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
        int i = next++;
        canRemove = true;
        lastSlot = i;
        switch (kind) {
            case KEYS:
                return (T) keyAt(i);
            case VALUES:
                return (T) valueAt(i);
            default:
                return (T) (cursor != null ? cursor.entry(i)
                        : new AbstractMap.SimpleImmutableEntry<>((K) keys[i], (V) values[i]));
        }
    }

    @Override
    public void remove() {
        if (!canRemove) {
            throw new IllegalStateException("remove() without a preceding next(), or called twice");
        }
        K k = lastSlot >= 0 ? keyAt(lastSlot) : lastKey;
        canRemove = false;
        lastSlot = -1;
        lastKey = null;
        map.remove(k);
    }

    @SuppressWarnings("unchecked")
    private K keyAt(int i) {
        return cursor != null ? cursor.key(i) : (K) keys[i];
    }

    @SuppressWarnings("unchecked")
    private V valueAt(int i) {
        return cursor != null ? cursor.value(i) : (V) values[i];
    }

    /** Moves to the next batch; returns false (and stays false) once the range has no more. */
    private boolean fetch() {
        if (exhausted) {
            return false;
        }
        if (lastSlot >= 0) {
            // The batch is about to be replaced: keep the key remove() may still need.
            lastKey = keyAt(lastSlot);
            lastSlot = -1;
        }
        int n = cursor != null ? cursor.advance() : copyNext();
        next = 0;
        count = n;
        if (n == 0) {
            exhausted = true;
            keys = null;
            values = null;
            return false;
        }
        return true;
    }

    /** Copies the next batch through {@code copyBatch}; returns its size. */
    @SuppressWarnings("unchecked")
    private int copyNext() {
        if (resume != null && keys.length < MAX_BATCH) {
            keys = new Object[keys.length * 2];
            values = new Object[keys.length];
        } else {
            // Drop the references of the previous batch before the copy, so that it holds
            // nothing stale if the copy throws or returns fewer entries.
            java.util.Arrays.fill(keys, 0, count, null);
            java.util.Arrays.fill(values, 0, count, null);
        }
        int n;
        if (resume == null) {
            n = map.copyBatch(lo, loInclusive, hi, hiInclusive, descending, keys, values);
        } else if (descending) {
            n = map.copyBatch(lo, loInclusive, resume, false, true, keys, values);
        } else {
            n = map.copyBatch(resume, false, hi, hiInclusive, false, keys, values);
        }
        if (n > 0) {
            resume = (K) keys[n - 1];
        }
        return n;
    }
}
