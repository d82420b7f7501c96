package io.arboretum.map;

import java.util.Arrays;

/**
 * The default {@link BatchCursor} of a {@link BatchScannable}: each batch is one
 * {@link BatchScannable#copyBatch} call into the cursor's arrays, resuming strictly after the last
 * key of the previous batch. Batches start at {@link #FIRST_BATCH} entries and double up to the
 * caller's maximum, so a short scan copies little and a long one amortizes each call over many
 * entries, while a scan of n entries never copies more than about 2n.
 *
 * <p>Because every batch resumes strictly after the last key copied, and each copy is strictly
 * ordered, keys come out strictly ordered across batches and each at most once; an entry present
 * in the range for the whole scan lies beyond the last key copied before it, so some batch copies
 * it. The cursor holds no latch; it keeps references to the entries of the current batch only.
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 */
final class CopyingCursor<K, V> implements BatchCursor<K, V> {

    /** The size of the first batch, unless the caller's maximum is smaller. */
    static final int FIRST_BATCH = 16;

    private final BatchScannable<K, V> index;
    private final K lo;
    private final boolean loInclusive;
    private final K hi;
    private final boolean hiInclusive;
    private final boolean descending;
    private final int maxBatch;

    private Object[] keys;
    private Object[] values;
    private int count;
    /** The last key copied, where the next batch resumes (exclusive); null before the first. */
    private K resume;
    private boolean exhausted;

    CopyingCursor(BatchScannable<K, V> index, K lo, boolean loInclusive, K hi, boolean hiInclusive,
                  boolean descending, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1, was " + maxBatch);
        }
        this.index = index;
        this.lo = lo;
        this.loInclusive = loInclusive;
        this.hi = hi;
        this.hiInclusive = hiInclusive;
        this.descending = descending;
        this.maxBatch = maxBatch;
        int first = Math.min(FIRST_BATCH, maxBatch);
        this.keys = new Object[first];
        this.values = new Object[first];
    }

    @Override
    @SuppressWarnings("unchecked")
    public int advance() {
        if (exhausted) {
            return 0;
        }
        if (resume != null && keys.length < maxBatch) {
            int size = (int) Math.min((long) keys.length * 2, maxBatch);
            keys = new Object[size];
            values = new Object[size];
        } else {
            // Drop the references of the previous batch before the copy, so that the cursor holds
            // nothing stale if the copy throws or returns fewer entries.
            Arrays.fill(keys, 0, count, null);
            Arrays.fill(values, 0, count, null);
        }
        count = 0;
        int n;
        if (resume == null) {
            n = index.copyBatch(lo, loInclusive, hi, hiInclusive, descending, keys, values);
        } else if (descending) {
            n = index.copyBatch(lo, loInclusive, resume, false, true, keys, values);
        } else {
            n = index.copyBatch(resume, false, hi, hiInclusive, false, keys, values);
        }
        if (n == 0) {
            exhausted = true;
            keys = null;
            values = null;
            return 0;
        }
        count = n;
        resume = (K) keys[n - 1];
        return n;
    }

    @Override
    @SuppressWarnings("unchecked")
    public K key(int i) {
        return (K) keys[i];
    }

    @Override
    @SuppressWarnings("unchecked")
    public V value(int i) {
        return (V) values[i];
    }
}
