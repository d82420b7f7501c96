package io.arboretum.map;

import java.util.AbstractMap;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A weakly consistent iterator over a key range of an {@link AbstractIndexMap}, in either
 * direction, built on {@link BatchScannable#copyBatch}: it copies a batch of entries into two
 * arrays that it reuses, hands them out, and fetches the next batch starting strictly after the
 * last key of the previous one. It holds no latch between calls.
 *
 * <p>Because every batch resumes strictly after the last key returned, keys come out strictly
 * ordered and each at most once; an entry present in the range for the whole iteration is
 * returned (every batch copies all entries present during its call up to the array length).
 * The iterator never throws {@link java.util.ConcurrentModificationException}.
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
    /** Later batches amortize the cost of a descent over more entries. */
    private static final int LATER_BATCH = 64;

    private final AbstractIndexMap<K, V> map;
    private final K lo;
    private final boolean loInclusive;
    private final K hi;
    private final boolean hiInclusive;
    private final boolean descending;
    private final int kind;

    private Object[] keys = new Object[FIRST_BATCH];
    private Object[] values = new Object[FIRST_BATCH];
    private int count;
    private int next;
    /** The last key copied, where the next batch resumes (exclusive); null before the first. */
    private K resume;
    private boolean exhausted;
    /** The key last returned by next(), for remove(); null when remove() is not allowed. */
    private K lastReturned;

    IndexIterator(AbstractIndexMap<K, V> map, K lo, boolean loInclusive, K hi, boolean hiInclusive,
                  boolean descending, int kind) {
        this.map = map;
        this.lo = lo;
        this.loInclusive = loInclusive;
        this.hi = hi;
        this.hiInclusive = hiInclusive;
        this.descending = descending;
        this.kind = kind;
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
        K k = (K) keys[i];
        V v = (V) values[i];
        lastReturned = k;
        switch (kind) {
            case KEYS:
                return (T) k;
            case VALUES:
                return (T) v;
            default:
                return (T) new AbstractMap.SimpleImmutableEntry<>(k, v);
        }
    }

    @Override
    public void remove() {
        K k = lastReturned;
        if (k == null) {
            throw new IllegalStateException("remove() without a preceding next(), or called twice");
        }
        lastReturned = null;
        map.remove(k);
    }

    /** Copies the next batch; returns false (and stays false) once the range has no more. */
    @SuppressWarnings("unchecked")
    private boolean fetch() {
        if (exhausted) {
            return false;
        }
        if (resume != null && keys.length < LATER_BATCH) {
            keys = new Object[LATER_BATCH];
            values = new Object[LATER_BATCH];
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
        next = 0;
        count = n;
        if (n == 0) {
            exhausted = true;
            keys = null;
            values = null;
            return false;
        }
        resume = (K) keys[n - 1];
        return true;
    }
}
