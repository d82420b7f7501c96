package io.arboretum.btree;

import io.arboretum.map.AbstractIndexMap;
import io.arboretum.map.BatchCursor;
import io.arboretum.map.ChangeFeed;
import io.arboretum.map.ChangeListener;
import io.arboretum.map.ChangeObservable;
import java.util.AbstractMap;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;

/**
 * The boxed {@link java.util.concurrent.ConcurrentNavigableMap} view of an
 * {@link OffHeapLongBTreeMap}: implements the primitives of {@link AbstractIndexMap} by
 * delegating to the primitive map; everything else is derived there. Keys are in natural
 * {@code Long} order.
 */
final class OffHeapLongMapView extends AbstractIndexMap<Long, Long> implements ChangeObservable<Long, Long> {
    private final OffHeapLongBTreeMap m;

    OffHeapLongMapView(OffHeapLongBTreeMap m) {
        this.m = m;
    }

    private static long key(Object k) {
        if (k == null) {
            throw new NullPointerException("null key");
        }
        if (!(k instanceof Long)) {
            throw new ClassCastException("key is not a Long: " + k.getClass().getName());
        }
        return (Long) k;
    }

    private static long value(Object v) {
        if (v == null) {
            throw new NullPointerException("null value");
        }
        return (Long) v;
    }

    @Override
    public Long get(Object k) {
        long key = key(k);
        long[] present = new long[1];
        long v = m.lookupPresent(key, present);
        return present[0] != 0 ? v : null;
    }

    @Override
    public boolean containsKey(Object k) {
        return m.containsKey(key(k));
    }

    @Override
    public Long put(Long k, Long v) {
        long[] present = new long[1];
        long old = m.update(key(k), value(v), 0, 0, 0, present);
        return present[0] != 0 ? old : null;
    }

    @Override
    public Long putIfAbsent(Long k, Long v) {
        long[] present = new long[1];
        long old = m.update(key(k), value(v), 1, 0, 0, present);
        return present[0] != 0 ? old : null;
    }

    @Override
    public Long remove(Object k) {
        long[] present = new long[1];
        long old = m.delete(key(k), false, 0, 0, present);
        return present[0] != 0 ? old : null;
    }

    /**
     * Removes the entry only if its value is {@code v}. As {@code ConcurrentSkipListMap} on
     * JDK 17: a null key throws {@link NullPointerException}; a null value returns false before
     * the key is looked at (so {@code remove("s", null)} is false); a value that is not a
     * {@code Long} returns false; otherwise a key that is not a {@code Long} throws
     * {@link ClassCastException} (the skip list throws only once it holds an entry to compare
     * with).
     */
    @Override
    public boolean remove(Object k, Object v) {
        if (k == null) {
            throw new NullPointerException("null key");
        }
        if (v == null) {
            return false;
        }
        long key = key(k);
        if (!(v instanceof Long)) {
            m.checkOpen();
            return false;
        }
        return m.removeIf(key, (Long) v);
    }

    @Override
    public Long replace(Long k, Long v) {
        long[] present = new long[1];
        long old = m.update(key(k), value(v), 2, 0, 0, present);
        return present[0] != 0 ? old : null;
    }

    @Override
    public boolean replace(Long k, Long oldValue, Long newValue) {
        long key = key(k);
        long expected = value(oldValue);
        return m.replaceIf(key, expected, value(newValue));
    }

    /** {@inheritDoc} Never negative; throws {@link IllegalStateException} once the map is closed. */
    @Override
    public int size() {
        long s = m.size();
        return s > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) s;
    }

    /** {@inheritDoc} Linearizable: one search for the first key. */
    @Override
    public boolean isEmpty() {
        return m.isEmpty();
    }

    @Override
    public void clear() {
        OffHeapLongCursor c = m.cursor(Long.MIN_VALUE, Long.MAX_VALUE);
        while (c.next()) {
            m.remove(c.key(), 0);
        }
    }

    /** Every change of the underlying map, whichever view or primitive call made it. */
    @Override
    public ChangeFeed.Subscription subscribe(ChangeListener<? super Long, ? super Long> listener) {
        return m.subscribe(listener);
    }

    @Override
    public Comparator<? super Long> comparator() {
        m.checkOpen();
        return null;
    }

    @Override
    protected Map.Entry<Long, Long> findNear(Long k, int relation) {
        OffHeapLongBTreeMap.Probe pr = OffHeapLongBTreeMap.localProbe();
        boolean found;
        if (k == null) {
            found = m.near(relation == GT || relation == GE ? Long.MIN_VALUE : Long.MAX_VALUE,
                    relation == GT || relation == GE, pr);
        } else {
            long key = key(k);
            switch (relation) {
                case GE:
                    found = m.near(key, true, pr);
                    break;
                case GT:
                    found = key != Long.MAX_VALUE && m.near(key + 1, true, pr);
                    break;
                case LE:
                    found = m.near(key, false, pr);
                    break;
                case LT:
                    found = key != Long.MIN_VALUE && m.near(key - 1, false, pr);
                    break;
                default:
                    throw new IllegalArgumentException("unknown relation " + relation);
            }
        }
        return found ? new AbstractMap.SimpleImmutableEntry<>(pr.key, pr.value) : null;
    }

    @Override
    protected Map.Entry<Long, Long> pollInRange(Long lo, boolean loInclusive, Long hi, boolean hiInclusive,
                                                boolean highest) {
        long l = lo == null ? Long.MIN_VALUE : key(lo);
        long h = hi == null ? Long.MAX_VALUE : key(hi);
        if (lo != null && !loInclusive) {
            if (l == Long.MAX_VALUE) {
                return null;
            }
            l++;
        }
        if (hi != null && !hiInclusive) {
            if (h == Long.MIN_VALUE) {
                return null;
            }
            h--;
        }
        if (l > h) {
            return null;
        }
        m.checkOpen();
        OffHeapLongBTreeMap.Probe pr = OffHeapLongBTreeMap.localProbe();
        return m.poll(l, h, highest, pr) ? new AbstractMap.SimpleImmutableEntry<>(pr.key, pr.value) : null;
    }

    @Override
    public int copyBatch(Long from, boolean fromInclusive, Long to, boolean toInclusive, boolean descending,
                         Object[] keys, Object[] values) {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(values, "values");
        if (keys.length == 0) {
            throw new IllegalArgumentException("keys array is empty");
        }
        if (values.length < keys.length) {
            throw new IllegalArgumentException("values array (" + values.length + ") is shorter than keys ("
                    + keys.length + ")");
        }
        m.checkOpen();
        OffHeapLongCursor c = open(from, fromInclusive, to, toInclusive, descending);
        if (c == null) {
            return 0;
        }
        int n = 0;
        // One leaf per refill; stop at the first refill so the call stays one short snapshot.
        while (n < keys.length && c.next()) {
            keys[n] = c.key();
            values[n] = c.value();
            n++;
            if (!c.hasBuffered()) {
                break;
            }
        }
        return n;
    }

    /**
     * Batches of the primitive map's own cursor, one leaf snapshot (or part of one) each; keys
     * and values are boxed only when asked for.
     *
     * @throws IllegalArgumentException {@inheritDoc}
     * @throws ClassCastException {@inheritDoc}
     * @throws IllegalStateException if the map is closed
     */
    @Override
    public BatchCursor<Long, Long> openCursor(Long from, boolean fromInclusive, Long to, boolean toInclusive,
                                              boolean descending, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1, was " + maxBatch);
        }
        m.checkOpen();
        return new LeafBatches(m, open(from, fromInclusive, to, toInclusive, descending), maxBatch);
    }

    /**
     * A primitive cursor over the range, or {@code null} when the range holds no key. Bounds as
     * for {@link #copyBatch}; exclusive bounds become inclusive ones a step inside.
     */
    private OffHeapLongCursor open(Long from, boolean fromInclusive, Long to, boolean toInclusive,
                                   boolean descending) {
        long l = from == null ? Long.MIN_VALUE : key(from);
        long h = to == null ? Long.MAX_VALUE : key(to);
        if (from != null && !fromInclusive) {
            if (l == Long.MAX_VALUE) {
                return null;
            }
            l++;
        }
        if (to != null && !toInclusive) {
            if (h == Long.MIN_VALUE) {
                return null;
            }
            h--;
        }
        if (l > h) {
            return null;
        }
        return descending ? m.descendingCursor(h, l) : m.cursor(l, h);
    }

    /**
     * The view's {@link BatchCursor}: each batch is a stretch of one leaf copy of an
     * {@link OffHeapLongCursor}, read in place from the primitive cursor's buffer. The primitive
     * cursor keeps its place between batches and holds no latch or pin between calls; so the
     * batches keep its guarantees (order, each key at most once, every entry present throughout
     * returned).
     */
    private static final class LeafBatches implements BatchCursor<Long, Long> {
        private final OffHeapLongBTreeMap m;
        /** The primitive cursor, or null for an empty range. */
        private final OffHeapLongCursor c;
        private final int maxBatch;
        /** The buffer slot of entry 0 of the current batch. */
        private int base;

        LeafBatches(OffHeapLongBTreeMap m, OffHeapLongCursor c, int maxBatch) {
            this.m = m;
            this.c = c;
            this.maxBatch = maxBatch;
        }

        @Override
        public int advance() {
            m.checkOpen(); // also for an empty range: every call after close throws
            if (c == null) {
                return 0;
            }
            long taken = c.take(maxBatch);
            base = (int) taken;
            return (int) (taken >>> 32);
        }

        @Override
        public Long key(int i) {
            return c.bufferedKey(base + i);
        }

        @Override
        public Long value(int i) {
            return c.bufferedValue(base + i);
        }
    }
}
