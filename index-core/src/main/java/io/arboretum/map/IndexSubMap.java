package io.arboretum.map;

import java.util.AbstractMap;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A live range view of an {@link AbstractIndexMap}: sub-map, head map, tail map, and the
 * descending form of each (including the descending view of the whole map, which has no bounds).
 *
 * <p>Bounds are kept in the map's own (ascending) order: {@code lo}/{@code hi} with their
 * inclusive flags, {@code null} meaning unbounded. A descending view keeps the same bounds and
 * swaps directions at its surface. Single-key and navigation operations call the map's
 * primitives once and are as linearizable as they are; {@code size}, {@code clear},
 * {@code containsValue} and iteration are weakly consistent. Keys outside the range are
 * rejected by writes with {@link IllegalArgumentException}, and are simply absent for reads, as
 * in {@link java.util.concurrent.ConcurrentSkipListMap}'s sub-maps.
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 */
final class IndexSubMap<K, V> extends AbstractMap<K, V> implements ConcurrentNavigableMap<K, V> {

    private final AbstractIndexMap<K, V> m;
    private final K lo;
    private final boolean loInclusive;
    private final K hi;
    private final boolean hiInclusive;
    private final boolean descending;

    IndexSubMap(AbstractIndexMap<K, V> m, K lo, boolean loInclusive, K hi, boolean hiInclusive,
                boolean descending) {
        if (lo != null && hi != null && m.cmp(lo, hi) > 0) {
            throw new IllegalArgumentException("inconsistent range: fromKey " + lo
                    + " is greater than toKey " + hi);
        }
        this.m = m;
        this.lo = lo;
        this.loInclusive = loInclusive;
        this.hi = hi;
        this.hiInclusive = hiInclusive;
        this.descending = descending;
    }

    // ---------------------------------------------------------------- range checks

    private boolean tooLow(Object key) {
        if (lo == null) {
            return false;
        }
        int c = m.cmp(key, lo);
        return c < 0 || (c == 0 && !loInclusive);
    }

    private boolean tooHigh(Object key) {
        if (hi == null) {
            return false;
        }
        int c = m.cmp(key, hi);
        return c > 0 || (c == 0 && !hiInclusive);
    }

    private boolean inBounds(Object key) {
        Objects.requireNonNull(key, "null key");
        return !tooLow(key) && !tooHigh(key);
    }

    private void checkKey(Object key) {
        if (!inBounds(key)) {
            throw new IllegalArgumentException("key out of range: " + key + " is not in " + rangeString());
        }
    }

    private String rangeString() {
        String s = (lo == null ? "(-inf" : (loInclusive ? "[" : "(") + lo) + ", "
                + (hi == null ? "+inf)" : hi + (hiInclusive ? "]" : ")"));
        return descending ? s + " (descending view)" : s;
    }

    // ---------------------------------------------------------------- absolute navigation

    /** The lowest entry of the range in the map's order, or null. */
    private Map.Entry<K, V> lowest() {
        Map.Entry<K, V> e = (lo == null) ? m.near(null, AbstractIndexMap.GE)
                : m.near(lo, loInclusive ? AbstractIndexMap.GE : AbstractIndexMap.GT);
        return (e == null || tooHigh(e.getKey())) ? null : e;
    }

    /** The highest entry of the range in the map's order, or null. */
    private Map.Entry<K, V> highest() {
        Map.Entry<K, V> e = (hi == null) ? m.near(null, AbstractIndexMap.LE)
                : m.near(hi, hiInclusive ? AbstractIndexMap.LE : AbstractIndexMap.LT);
        return (e == null || tooLow(e.getKey())) ? null : e;
    }

    /** The nearest entry above {@code key} (GE or GT) in the map's order, clipped to the range. */
    private Map.Entry<K, V> above(K key, int relation) {
        Objects.requireNonNull(key, "null key");
        if (tooLow(key)) {
            return lowest();
        }
        Map.Entry<K, V> e = m.near(key, relation);
        return (e == null || tooHigh(e.getKey())) ? null : e;
    }

    /** The nearest entry below {@code key} (LE or LT) in the map's order, clipped to the range. */
    private Map.Entry<K, V> below(K key, int relation) {
        Objects.requireNonNull(key, "null key");
        if (tooHigh(key)) {
            return highest();
        }
        Map.Entry<K, V> e = m.near(key, relation);
        return (e == null || tooLow(e.getKey())) ? null : e;
    }

    // ---------------------------------------------------------------- Map point operations

    @Override
    public V get(Object key) {
        return inBounds(key) ? m.get(key) : null;
    }

    @Override
    public boolean containsKey(Object key) {
        return inBounds(key) && m.containsKey(key);
    }

    @Override
    public V put(K key, V value) {
        checkKey(key);
        return m.put(key, value);
    }

    @Override
    public V remove(Object key) {
        return inBounds(key) ? m.remove(key) : null;
    }

    @Override
    public V putIfAbsent(K key, V value) {
        checkKey(key);
        return m.putIfAbsent(key, value);
    }

    @Override
    public boolean remove(Object key, Object value) {
        return inBounds(key) && value != null && m.remove(key, value);
    }

    @Override
    public boolean replace(K key, V oldValue, V newValue) {
        checkKey(key);
        return m.replace(key, oldValue, newValue);
    }

    @Override
    public V replace(K key, V value) {
        checkKey(key);
        return m.replace(key, value);
    }

    @Override
    public V computeIfAbsent(K key, Function<? super K, ? extends V> mappingFunction) {
        return ComputeLoops.computeIfAbsent(this, key, mappingFunction);
    }

    @Override
    public V computeIfPresent(K key, BiFunction<? super K, ? super V, ? extends V> remappingFunction) {
        return ComputeLoops.computeIfPresent(this, key, remappingFunction);
    }

    @Override
    public V compute(K key, BiFunction<? super K, ? super V, ? extends V> remappingFunction) {
        return ComputeLoops.compute(this, key, remappingFunction);
    }

    @Override
    public V merge(K key, V value, BiFunction<? super V, ? super V, ? extends V> remappingFunction) {
        return ComputeLoops.merge(this, key, value, remappingFunction);
    }

    @Override
    public boolean containsValue(Object value) {
        Objects.requireNonNull(value, "null value");
        for (Iterator<V> it = valueIterator(); it.hasNext(); ) {
            if (value.equals(it.next())) {
                return true;
            }
        }
        return false;
    }

    /** Counts the range's entries by scanning them: weakly consistent, linear in the range. */
    @Override
    public int size() {
        Object[] ks = new Object[64];
        Object[] vs = new Object[64];
        long n = 0;
        // Direction does not matter for a count, so scan ascending whatever the view's order.
        int c = m.copyBatch(lo, loInclusive, hi, hiInclusive, false, ks, vs);
        while (c > 0) {
            n += c;
            @SuppressWarnings("unchecked")
            K last = (K) ks[c - 1];
            c = m.copyBatch(last, false, hi, hiInclusive, false, ks, vs);
        }
        return n >= Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) n;
    }

    @Override
    public boolean isEmpty() {
        return lowest() == null;
    }

    /** Removes every entry the scan meets in the range: weakly consistent. */
    @Override
    public void clear() {
        for (Iterator<K> it = keyIterator(); it.hasNext(); ) {
            m.remove(it.next());
        }
    }

    // ---------------------------------------------------------------- navigation

    @Override
    public Comparator<? super K> comparator() {
        Comparator<? super K> c = m.comparator();
        return descending ? Collections.reverseOrder(c) : c;
    }

    @Override
    public Map.Entry<K, V> lowerEntry(K key) {
        return descending ? above(key, AbstractIndexMap.GT) : below(key, AbstractIndexMap.LT);
    }

    @Override
    public K lowerKey(K key) {
        return AbstractIndexMap.keyOrNull(lowerEntry(key));
    }

    @Override
    public Map.Entry<K, V> floorEntry(K key) {
        return descending ? above(key, AbstractIndexMap.GE) : below(key, AbstractIndexMap.LE);
    }

    @Override
    public K floorKey(K key) {
        return AbstractIndexMap.keyOrNull(floorEntry(key));
    }

    @Override
    public Map.Entry<K, V> ceilingEntry(K key) {
        return descending ? below(key, AbstractIndexMap.LE) : above(key, AbstractIndexMap.GE);
    }

    @Override
    public K ceilingKey(K key) {
        return AbstractIndexMap.keyOrNull(ceilingEntry(key));
    }

    @Override
    public Map.Entry<K, V> higherEntry(K key) {
        return descending ? below(key, AbstractIndexMap.LT) : above(key, AbstractIndexMap.GT);
    }

    @Override
    public K higherKey(K key) {
        return AbstractIndexMap.keyOrNull(higherEntry(key));
    }

    @Override
    public Map.Entry<K, V> firstEntry() {
        return descending ? highest() : lowest();
    }

    @Override
    public Map.Entry<K, V> lastEntry() {
        return descending ? lowest() : highest();
    }

    @Override
    public K firstKey() {
        return AbstractIndexMap.keyOrThrow(firstEntry());
    }

    @Override
    public K lastKey() {
        return AbstractIndexMap.keyOrThrow(lastEntry());
    }

    @Override
    public Map.Entry<K, V> pollFirstEntry() {
        return m.poll(lo, loInclusive, hi, hiInclusive, descending);
    }

    @Override
    public Map.Entry<K, V> pollLastEntry() {
        return m.poll(lo, loInclusive, hi, hiInclusive, !descending);
    }

    // ---------------------------------------------------------------- views

    /**
     * A view of this view; {@code fromKey}/{@code toKey} are in this view's order and
     * {@code null} means "this view's own bound". A new bound must lie within this view's range.
     */
    private IndexSubMap<K, V> newSubMap(K fromKey, boolean fromInclusive, K toKey, boolean toInclusive) {
        if (descending) {
            K tk = fromKey;
            fromKey = toKey;
            toKey = tk;
            boolean ti = fromInclusive;
            fromInclusive = toInclusive;
            toInclusive = ti;
        }
        if (lo != null) {
            if (fromKey == null) {
                fromKey = lo;
                fromInclusive = loInclusive;
            } else {
                int c = m.cmp(fromKey, lo);
                if (c < 0 || (c == 0 && !loInclusive && fromInclusive)) {
                    throw new IllegalArgumentException("key out of range: bound " + fromKey
                            + " is not in " + rangeString());
                }
            }
        }
        if (hi != null) {
            if (toKey == null) {
                toKey = hi;
                toInclusive = hiInclusive;
            } else {
                int c = m.cmp(toKey, hi);
                if (c > 0 || (c == 0 && !hiInclusive && toInclusive)) {
                    throw new IllegalArgumentException("key out of range: bound " + toKey
                            + " is not in " + rangeString());
                }
            }
        }
        return new IndexSubMap<>(m, fromKey, fromInclusive, toKey, toInclusive, descending);
    }

    @Override
    public ConcurrentNavigableMap<K, V> subMap(K fromKey, boolean fromInclusive, K toKey, boolean toInclusive) {
        Objects.requireNonNull(fromKey, "null fromKey");
        Objects.requireNonNull(toKey, "null toKey");
        return newSubMap(fromKey, fromInclusive, toKey, toInclusive);
    }

    @Override
    public ConcurrentNavigableMap<K, V> subMap(K fromKey, K toKey) {
        return subMap(fromKey, true, toKey, false);
    }

    @Override
    public ConcurrentNavigableMap<K, V> headMap(K toKey, boolean inclusive) {
        Objects.requireNonNull(toKey, "null toKey");
        return newSubMap(null, false, toKey, inclusive);
    }

    @Override
    public ConcurrentNavigableMap<K, V> headMap(K toKey) {
        return headMap(toKey, false);
    }

    @Override
    public ConcurrentNavigableMap<K, V> tailMap(K fromKey, boolean inclusive) {
        Objects.requireNonNull(fromKey, "null fromKey");
        return newSubMap(fromKey, inclusive, null, false);
    }

    @Override
    public ConcurrentNavigableMap<K, V> tailMap(K fromKey) {
        return tailMap(fromKey, true);
    }

    @Override
    public ConcurrentNavigableMap<K, V> descendingMap() {
        return new IndexSubMap<>(m, lo, loInclusive, hi, hiInclusive, !descending);
    }

    @Override
    public NavigableSet<K> keySet() {
        return new IndexKeySet<>(this);
    }

    @Override
    public NavigableSet<K> navigableKeySet() {
        return new IndexKeySet<>(this);
    }

    @Override
    public NavigableSet<K> descendingKeySet() {
        return new IndexKeySet<>(descendingMap());
    }

    @Override
    public Collection<V> values() {
        return new IndexValues<>(this);
    }

    @Override
    public Set<Map.Entry<K, V>> entrySet() {
        return new IndexEntrySet<>(this);
    }

    // ---------------------------------------------------------------- iterators

    Iterator<K> keyIterator() {
        return new IndexIterator<>(m, lo, loInclusive, hi, hiInclusive, descending, IndexIterator.KEYS);
    }

    Iterator<V> valueIterator() {
        return new IndexIterator<>(m, lo, loInclusive, hi, hiInclusive, descending, IndexIterator.VALUES);
    }

    Iterator<Map.Entry<K, V>> entryIterator() {
        return new IndexIterator<>(m, lo, loInclusive, hi, hiInclusive, descending, IndexIterator.ENTRIES);
    }
}
