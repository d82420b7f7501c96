package io.arboretum.map;

import java.util.AbstractMap;
import java.util.Comparator;
import java.util.Map;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentNavigableMap;

/**
 * The skeleton every Arboretum in-memory index extends: it supplies the whole
 * {@link ConcurrentNavigableMap} surface that can be derived from a few primitives, so that each
 * index implements only its own algorithms.
 *
 * <p>A concrete index implements the point operations of {@link Map} and
 * {@link java.util.concurrent.ConcurrentMap} ({@code get}, {@code put}, {@code putIfAbsent},
 * {@code remove} (both), {@code replace} (both)), {@link #size()}, {@link #clear()},
 * {@link #comparator()}, and the three primitives below: {@link #findNear},
 * {@link #pollInRange} and {@link BatchScannable#copyBatch}. Everything else (navigation,
 * first/last, polls, the compute family, sub-map, head/tail, descending and key-set views,
 * iterators) is derived here and is exactly as linearizable as the primitives it calls.
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 */
public abstract class AbstractIndexMap<K, V> extends AbstractMap<K, V>
        implements ConcurrentNavigableMap<K, V>, BatchScannable<K, V> {

    /** Relation for {@link #findNear}: the least key strictly greater than the given key. */
    protected static final int GT = 0;
    /** Relation for {@link #findNear}: the least key greater than or equal to the given key. */
    protected static final int GE = 1;
    /** Relation for {@link #findNear}: the greatest key strictly less than the given key. */
    protected static final int LT = 2;
    /** Relation for {@link #findNear}: the greatest key less than or equal to the given key. */
    protected static final int LE = 3;

    /**
     * The keys as a navigable set view (the view layer of this class supplies it).
     *
     * @return a weakly consistent navigable view of the keys
     */
    @Override
    public NavigableSet<K> keySet() {
        throw new IllegalStateException("SCRATCH - views not merged yet");
    }

    @Override
    @SuppressWarnings("unchecked")
    public java.util.Set<Map.Entry<K, V>> entrySet() { // SCRATCH
        java.util.List<Map.Entry<K, V>> out = new java.util.ArrayList<>();
        Object[] ks = new Object[7];
        Object[] vs = new Object[7];
        K from = null;
        for (;;) {
            int m = copyBatch(from, false, null, false, false, ks, vs);
            if (m == 0) {
                return new java.util.LinkedHashSet<>(out);
            }
            for (int i = 0; i < m; i++) {
                out.add(new java.util.AbstractMap.SimpleImmutableEntry<>((K) ks[i], (V) vs[i]));
            }
            from = (K) ks[m - 1];
        }
    }

    // SCRATCH BEGIN
    public java.util.NavigableSet<K> descendingKeySet() { throw new IllegalStateException(); }
    public java.util.NavigableSet<K> navigableKeySet() { throw new IllegalStateException(); }
    public ConcurrentNavigableMap<K, V> descendingMap() { throw new IllegalStateException(); }
    public ConcurrentNavigableMap<K, V> subMap(K a, boolean b, K c, boolean d) { throw new IllegalStateException(); }
    public ConcurrentNavigableMap<K, V> subMap(K a, K c) { throw new IllegalStateException(); }
    public ConcurrentNavigableMap<K, V> headMap(K a, boolean b) { throw new IllegalStateException(); }
    public ConcurrentNavigableMap<K, V> headMap(K a) { throw new IllegalStateException(); }
    public ConcurrentNavigableMap<K, V> tailMap(K a, boolean b) { throw new IllegalStateException(); }
    public ConcurrentNavigableMap<K, V> tailMap(K a) { throw new IllegalStateException(); }
    public Map.Entry<K, V> lowerEntry(K k) { return findNear(java.util.Objects.requireNonNull(k), LT); }
    public Map.Entry<K, V> floorEntry(K k) { return findNear(java.util.Objects.requireNonNull(k), LE); }
    public Map.Entry<K, V> ceilingEntry(K k) { return findNear(java.util.Objects.requireNonNull(k), GE); }
    public Map.Entry<K, V> higherEntry(K k) { return findNear(java.util.Objects.requireNonNull(k), GT); }
    public K lowerKey(K k) { Map.Entry<K, V> e = lowerEntry(k); return e == null ? null : e.getKey(); }
    public K floorKey(K k) { Map.Entry<K, V> e = floorEntry(k); return e == null ? null : e.getKey(); }
    public K ceilingKey(K k) { Map.Entry<K, V> e = ceilingEntry(k); return e == null ? null : e.getKey(); }
    public K higherKey(K k) { Map.Entry<K, V> e = higherEntry(k); return e == null ? null : e.getKey(); }
    public Map.Entry<K, V> firstEntry() { return findNear(null, GE); }
    public Map.Entry<K, V> lastEntry() { return findNear(null, LE); }
    public Map.Entry<K, V> pollFirstEntry() { return pollInRange(null, true, null, true, false); }
    public Map.Entry<K, V> pollLastEntry() { return pollInRange(null, true, null, true, true); }
    public K firstKey() { Map.Entry<K, V> e = firstEntry(); if (e == null) throw new java.util.NoSuchElementException(); return e.getKey(); }
    public K lastKey() { Map.Entry<K, V> e = lastEntry(); if (e == null) throw new java.util.NoSuchElementException(); return e.getKey(); }
    // SCRATCH END

    /** For subclasses. */
    protected AbstractIndexMap() {
    }

    /**
     * Finds, atomically, the entry nearest to {@code key} in the given relation.
     *
     * @param key the key to search from; {@code null} means unbounded, so that {@code GT}/{@code GE}
     *     find the first entry and {@code LT}/{@code LE} the last
     * @param relation one of {@link #GT}, {@link #GE}, {@link #LT}, {@link #LE}
     * @return an immutable snapshot of the entry, or {@code null} if there is none
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    protected abstract Map.Entry<K, V> findNear(K key, int relation);

    /**
     * Removes and returns, atomically, the lowest (or highest) entry whose key lies in the range.
     * A {@code null} bound is unbounded.
     *
     * @param lo the lower bound, or {@code null}
     * @param loInclusive whether {@code lo} is in the range
     * @param hi the upper bound, or {@code null}
     * @param hiInclusive whether {@code hi} is in the range
     * @param highest whether to remove the highest entry of the range instead of the lowest
     * @return an immutable snapshot of the removed entry, or {@code null} if the range is empty
     */
    protected abstract Map.Entry<K, V> pollInRange(K lo, boolean loInclusive, K hi, boolean hiInclusive,
                                                   boolean highest);

    /**
     * Compares two keys with the map's comparator, or by natural ordering when it has none.
     *
     * @param a a key
     * @param b a key
     * @return a negative number, zero or a positive number as {@code a} is less than, equal to or
     *     greater than {@code b}
     * @throws ClassCastException if the keys cannot be compared
     * @throws NullPointerException if a key is null
     */
    @SuppressWarnings("unchecked")
    protected final int compareKeys(Object a, Object b) {
        Comparator<? super K> c = comparator();
        if (c != null) {
            return c.compare((K) a, (K) b);
        }
        if (a == null || b == null) {
            throw new NullPointerException("null key");
        }
        return ((Comparable<Object>) a).compareTo(b);
    }
}
