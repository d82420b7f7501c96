package io.arboretum.map;

import java.util.AbstractMap;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableSet;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.function.BiFunction;
import java.util.function.Function;

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
 * iterators) is derived here.
 *
 * <p><b>Consistency of the derived operations.</b> A derived operation is exactly as atomic as
 * the primitives it calls:
 * <ul>
 *   <li>linearizable, because each calls one linearizable primitive once: {@link #containsKey}
 *       ({@code get}), {@link #isEmpty} and every navigation method ({@link #ceilingEntry},
 *       {@link #floorKey}, {@link #firstEntry}, {@link #lastKey} and the rest: {@code findNear}),
 *       {@link #pollFirstEntry} and {@link #pollLastEntry} ({@code pollInRange});</li>
 *   <li>linearizable at the conditional write that ends them: {@link #computeIfAbsent},
 *       {@link #computeIfPresent}, {@link #compute} and {@link #merge}, retry loops over
 *       {@code get}, {@code putIfAbsent}, {@code replace(k, old, new)} and
 *       {@code remove(k, old)}; their function runs outside every latch and, except for
 *       {@code computeIfAbsent}'s (at most once per call), may run more than once under
 *       contention;</li>
 *   <li>weakly consistent: every iterator, {@link #containsValue}, {@code equals},
 *       {@code hashCode}, {@code toString}, and the bulk operations and {@code size()} of
 *       sub-map views, which iterate. They never throw
 *       {@link java.util.ConcurrentModificationException}, return each key at most once and in
 *       order, reflect every change completed before the iterator was created, and may or may not
 *       reflect later ones.</li>
 * </ul>
 * Sub-map, head/tail and descending views are live: writes go through to this map, keys outside
 * a view's range are rejected with {@link IllegalArgumentException}, and their single-key and
 * navigation operations are as linearizable as this map's. Entries handed out by navigation,
 * polls and iterators are immutable snapshots ({@code setValue} throws
 * {@link UnsupportedOperationException}).
 *
 * <p>No method accepts a {@code null} key, value, bound or function
 * ({@link NullPointerException}); keys that cannot be compared throw {@link ClassCastException}.
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

    // Lazily created views. Each view is stateless apart from final fields, so a racy
    // initialization is benign: two threads may build two equal views, and either is correct.
    private IndexKeySet<K> keySetView;
    private IndexValues<V> valuesView;
    private IndexEntrySet<K, V> entrySetView;
    private IndexSubMap<K, V> descendingView;

    /** For subclasses. */
    protected AbstractIndexMap() {
    }

    // ---------------------------------------------------------------- primitives

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

    // ---------------------------------------------------------------- queries

    /**
     * Returns whether the map holds {@code key}. Linearizable (one {@code get}).
     *
     * @param key the key
     * @return {@code true} if a mapping for {@code key} exists
     * @throws NullPointerException if {@code key} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    public boolean containsKey(Object key) {
        return get(Objects.requireNonNull(key, "null key")) != null;
    }

    /**
     * Returns whether some key maps to {@code value}. Weakly consistent: it iterates.
     *
     * @param value the value to look for
     * @return {@code true} if the iteration met an entry with an equal value
     * @throws NullPointerException if {@code value} is null
     */
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

    /**
     * Returns whether the map is empty. Linearizable (one {@code findNear}); prefer it to
     * {@code size() == 0}.
     *
     * @return {@code true} if the map held no entry at the instant of the search
     */
    @Override
    public boolean isEmpty() {
        return findNear(null, GE) == null;
    }

    // ---------------------------------------------------------------- navigation

    /**
     * Returns the entry with the greatest key strictly less than {@code key}. Linearizable.
     *
     * @param key the key
     * @return an immutable snapshot, or {@code null} if there is no such key
     * @throws NullPointerException if {@code key} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    public Map.Entry<K, V> lowerEntry(K key) {
        return findNear(Objects.requireNonNull(key, "null key"), LT);
    }

    /**
     * Returns the greatest key strictly less than {@code key}. Linearizable.
     *
     * @param key the key
     * @return the key, or {@code null} if there is none
     * @throws NullPointerException if {@code key} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    public K lowerKey(K key) {
        return keyOrNull(lowerEntry(key));
    }

    /**
     * Returns the entry with the greatest key less than or equal to {@code key}. Linearizable.
     *
     * @param key the key
     * @return an immutable snapshot, or {@code null} if there is no such key
     * @throws NullPointerException if {@code key} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    public Map.Entry<K, V> floorEntry(K key) {
        return findNear(Objects.requireNonNull(key, "null key"), LE);
    }

    /**
     * Returns the greatest key less than or equal to {@code key}. Linearizable.
     *
     * @param key the key
     * @return the key, or {@code null} if there is none
     * @throws NullPointerException if {@code key} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    public K floorKey(K key) {
        return keyOrNull(floorEntry(key));
    }

    /**
     * Returns the entry with the least key greater than or equal to {@code key}. Linearizable.
     *
     * @param key the key
     * @return an immutable snapshot, or {@code null} if there is no such key
     * @throws NullPointerException if {@code key} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    public Map.Entry<K, V> ceilingEntry(K key) {
        return findNear(Objects.requireNonNull(key, "null key"), GE);
    }

    /**
     * Returns the least key greater than or equal to {@code key}. Linearizable.
     *
     * @param key the key
     * @return the key, or {@code null} if there is none
     * @throws NullPointerException if {@code key} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    public K ceilingKey(K key) {
        return keyOrNull(ceilingEntry(key));
    }

    /**
     * Returns the entry with the least key strictly greater than {@code key}. Linearizable.
     *
     * @param key the key
     * @return an immutable snapshot, or {@code null} if there is no such key
     * @throws NullPointerException if {@code key} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    public Map.Entry<K, V> higherEntry(K key) {
        return findNear(Objects.requireNonNull(key, "null key"), GT);
    }

    /**
     * Returns the least key strictly greater than {@code key}. Linearizable.
     *
     * @param key the key
     * @return the key, or {@code null} if there is none
     * @throws NullPointerException if {@code key} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    public K higherKey(K key) {
        return keyOrNull(higherEntry(key));
    }

    /**
     * Returns the entry with the least key. Linearizable.
     *
     * @return an immutable snapshot, or {@code null} if the map is empty
     */
    @Override
    public Map.Entry<K, V> firstEntry() {
        return findNear(null, GE);
    }

    /**
     * Returns the entry with the greatest key. Linearizable.
     *
     * @return an immutable snapshot, or {@code null} if the map is empty
     */
    @Override
    public Map.Entry<K, V> lastEntry() {
        return findNear(null, LE);
    }

    /**
     * Returns the least key. Linearizable.
     *
     * @return the least key
     * @throws NoSuchElementException if the map is empty
     */
    @Override
    public K firstKey() {
        return keyOrThrow(firstEntry());
    }

    /**
     * Returns the greatest key. Linearizable.
     *
     * @return the greatest key
     * @throws NoSuchElementException if the map is empty
     */
    @Override
    public K lastKey() {
        return keyOrThrow(lastEntry());
    }

    /**
     * Removes and returns the entry with the least key. Linearizable (one {@code pollInRange}).
     *
     * @return an immutable snapshot of the removed entry, or {@code null} if the map is empty
     */
    @Override
    public Map.Entry<K, V> pollFirstEntry() {
        return pollInRange(null, false, null, false, false);
    }

    /**
     * Removes and returns the entry with the greatest key. Linearizable (one {@code pollInRange}).
     *
     * @return an immutable snapshot of the removed entry, or {@code null} if the map is empty
     */
    @Override
    public Map.Entry<K, V> pollLastEntry() {
        return pollInRange(null, false, null, false, true);
    }

    // ---------------------------------------------------------------- compute family

    /**
     * If {@code key} is absent, computes a value with {@code mappingFunction} and adds it unless
     * another thread added one first. A retry-free sequence of {@code get} and
     * {@code putIfAbsent}: the function runs outside every latch, at most once per call, and its
     * result may be discarded if another thread wins the race (the winner's value is returned).
     * Linearizable at the {@code get} (key present) or the {@code putIfAbsent}.
     *
     * @param key the key
     * @param mappingFunction computes the value; a {@code null} result adds nothing
     * @return the current (existing or computed) value, or {@code null} if none
     * @throws NullPointerException if {@code key} or {@code mappingFunction} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     * @throws RuntimeException whatever the function throws, with the map unchanged by this call
     */
    @Override
    public V computeIfAbsent(K key, Function<? super K, ? extends V> mappingFunction) {
        return ComputeLoops.computeIfAbsent(this, key, mappingFunction);
    }

    /**
     * If {@code key} is present, computes a new value from the current one. A retry loop over
     * {@code get}, {@code replace(k, old, new)} and {@code remove(k, old)}: the function runs
     * outside every latch and may run more than once under contention. Linearizable at the
     * successful conditional write (or at the {@code get} that found the key absent).
     *
     * @param key the key
     * @param remappingFunction computes the new value from the key and the current value; a
     *     {@code null} result removes the entry
     * @return the new value, or {@code null} if the key is (now) absent
     * @throws NullPointerException if {@code key} or {@code remappingFunction} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     * @throws RuntimeException whatever the function throws, with the map unchanged by this call
     */
    @Override
    public V computeIfPresent(K key, BiFunction<? super K, ? super V, ? extends V> remappingFunction) {
        return ComputeLoops.computeIfPresent(this, key, remappingFunction);
    }

    /**
     * Computes a new value for {@code key} from its current value or {@code null}. A retry loop
     * over {@code get}, {@code putIfAbsent}, {@code replace(k, old, new)} and
     * {@code remove(k, old)}: the function runs outside every latch and may run more than once
     * under contention. Linearizable at the successful conditional write (or at the {@code get},
     * when the key is absent and the function returns {@code null}).
     *
     * @param key the key
     * @param remappingFunction computes the new value; a {@code null} result removes the entry
     * @return the new value, or {@code null} if the key is (now) absent
     * @throws NullPointerException if {@code key} or {@code remappingFunction} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     * @throws RuntimeException whatever the function throws, with the map unchanged by this call
     */
    @Override
    public V compute(K key, BiFunction<? super K, ? super V, ? extends V> remappingFunction) {
        return ComputeLoops.compute(this, key, remappingFunction);
    }

    /**
     * Adds {@code value} if {@code key} is absent, otherwise replaces the current value with the
     * function's combination of it and {@code value}. A retry loop over {@code get},
     * {@code putIfAbsent}, {@code replace(k, old, new)} and {@code remove(k, old)}: the function
     * runs outside every latch and may run more than once under contention. Linearizable at the
     * successful conditional write.
     *
     * @param key the key
     * @param value the value to add, or to combine with the current one
     * @param remappingFunction combines the current value and {@code value}; a {@code null}
     *     result removes the entry
     * @return the new value, or {@code null} if the entry was removed
     * @throws NullPointerException if {@code key}, {@code value} or {@code remappingFunction} is
     *     null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     * @throws RuntimeException whatever the function throws, with the map unchanged by this call
     */
    @Override
    public V merge(K key, V value, BiFunction<? super V, ? super V, ? extends V> remappingFunction) {
        return ComputeLoops.merge(this, key, value, remappingFunction);
    }

    // ---------------------------------------------------------------- views

    /**
     * The keys as a live navigable set view in ascending order. Removal goes through to the map;
     * adding is unsupported. Its iterators are weakly consistent; its single-key and navigation
     * operations are as linearizable as the map's.
     *
     * @return the key set view
     */
    @Override
    public NavigableSet<K> keySet() {
        IndexKeySet<K> ks = keySetView;
        if (ks == null) {
            ks = new IndexKeySet<>(this);
            keySetView = ks; // benign race: see the field declarations
        }
        return ks;
    }

    /**
     * The same view as {@link #keySet()}.
     *
     * @return the key set view
     */
    @Override
    public NavigableSet<K> navigableKeySet() {
        return keySet();
    }

    /**
     * The keys as a live navigable set view in descending order.
     *
     * @return the descending key set view
     */
    @Override
    public NavigableSet<K> descendingKeySet() {
        return descendingMap().navigableKeySet();
    }

    /**
     * The values as a live collection view, in ascending key order. Removal goes through to the
     * map; adding is unsupported. Its iterators are weakly consistent.
     *
     * @return the values view
     */
    @Override
    public Collection<V> values() {
        IndexValues<V> vs = valuesView;
        if (vs == null) {
            vs = new IndexValues<>(this);
            valuesView = vs; // benign race: see the field declarations
        }
        return vs;
    }

    /**
     * The entries as a live set view in ascending key order. Its iterators hand out immutable
     * snapshots and are weakly consistent; {@code contains} and {@code remove} compare values with
     * {@code equals}, as {@link java.util.concurrent.ConcurrentSkipListMap} does.
     *
     * @return the entry set view
     */
    @Override
    public Set<Map.Entry<K, V>> entrySet() {
        IndexEntrySet<K, V> es = entrySetView;
        if (es == null) {
            es = new IndexEntrySet<>(this);
            entrySetView = es; // benign race: see the field declarations
        }
        return es;
    }

    /**
     * A live view of this map in reverse order; its {@code comparator()} is the reverse of this
     * map's.
     *
     * @return the descending view
     */
    @Override
    public ConcurrentNavigableMap<K, V> descendingMap() {
        IndexSubMap<K, V> dm = descendingView;
        if (dm == null) {
            dm = new IndexSubMap<>(this, null, false, null, false, true);
            descendingView = dm; // benign race: see the field declarations
        }
        return dm;
    }

    /**
     * A live view of the keys from {@code fromKey} to {@code toKey}.
     *
     * @param fromKey the low end
     * @param fromInclusive whether {@code fromKey} is in the view
     * @param toKey the high end
     * @param toInclusive whether {@code toKey} is in the view
     * @return the view
     * @throws NullPointerException if a bound is null
     * @throws IllegalArgumentException if {@code fromKey} is greater than {@code toKey}
     * @throws ClassCastException if a bound cannot be compared with the map's keys
     */
    @Override
    public ConcurrentNavigableMap<K, V> subMap(K fromKey, boolean fromInclusive, K toKey, boolean toInclusive) {
        Objects.requireNonNull(fromKey, "null fromKey");
        Objects.requireNonNull(toKey, "null toKey");
        return new IndexSubMap<>(this, fromKey, fromInclusive, toKey, toInclusive, false);
    }

    /**
     * A live view of the keys from {@code fromKey} (inclusive) to {@code toKey} (exclusive).
     *
     * @param fromKey the low end, inclusive
     * @param toKey the high end, exclusive
     * @return the view
     * @throws NullPointerException if a bound is null
     * @throws IllegalArgumentException if {@code fromKey} is greater than {@code toKey}
     * @throws ClassCastException if a bound cannot be compared with the map's keys
     */
    @Override
    public ConcurrentNavigableMap<K, V> subMap(K fromKey, K toKey) {
        return subMap(fromKey, true, toKey, false);
    }

    /**
     * A live view of the keys below {@code toKey}.
     *
     * @param toKey the high end
     * @param inclusive whether {@code toKey} is in the view
     * @return the view
     * @throws NullPointerException if {@code toKey} is null
     * @throws ClassCastException if {@code toKey} cannot be compared with the map's keys
     */
    @Override
    public ConcurrentNavigableMap<K, V> headMap(K toKey, boolean inclusive) {
        Objects.requireNonNull(toKey, "null toKey");
        return new IndexSubMap<>(this, null, false, toKey, inclusive, false);
    }

    /**
     * A live view of the keys strictly below {@code toKey}.
     *
     * @param toKey the high end, exclusive
     * @return the view
     * @throws NullPointerException if {@code toKey} is null
     * @throws ClassCastException if {@code toKey} cannot be compared with the map's keys
     */
    @Override
    public ConcurrentNavigableMap<K, V> headMap(K toKey) {
        return headMap(toKey, false);
    }

    /**
     * A live view of the keys above {@code fromKey}.
     *
     * @param fromKey the low end
     * @param inclusive whether {@code fromKey} is in the view
     * @return the view
     * @throws NullPointerException if {@code fromKey} is null
     * @throws ClassCastException if {@code fromKey} cannot be compared with the map's keys
     */
    @Override
    public ConcurrentNavigableMap<K, V> tailMap(K fromKey, boolean inclusive) {
        Objects.requireNonNull(fromKey, "null fromKey");
        return new IndexSubMap<>(this, fromKey, inclusive, null, false, false);
    }

    /**
     * A live view of the keys from {@code fromKey} (inclusive) up.
     *
     * @param fromKey the low end, inclusive
     * @return the view
     * @throws NullPointerException if {@code fromKey} is null
     * @throws ClassCastException if {@code fromKey} cannot be compared with the map's keys
     */
    @Override
    public ConcurrentNavigableMap<K, V> tailMap(K fromKey) {
        return tailMap(fromKey, true);
    }

    // ---------------------------------------------------------------- package-private plumbing

    /** A weakly consistent ascending iterator over all keys. */
    Iterator<K> keyIterator() {
        return new IndexIterator<>(this, null, false, null, false, false, IndexIterator.KEYS);
    }

    /** A weakly consistent ascending iterator over all values. */
    Iterator<V> valueIterator() {
        return new IndexIterator<>(this, null, false, null, false, false, IndexIterator.VALUES);
    }

    /** A weakly consistent ascending iterator over snapshots of all entries. */
    Iterator<Map.Entry<K, V>> entryIterator() {
        return new IndexIterator<>(this, null, false, null, false, false, IndexIterator.ENTRIES);
    }

    /** Calls {@link #findNear} for the views of this package. */
    final Map.Entry<K, V> near(K key, int relation) {
        return findNear(key, relation);
    }

    /** Calls {@link #pollInRange} for the views of this package. */
    final Map.Entry<K, V> poll(K lo, boolean loInclusive, K hi, boolean hiInclusive, boolean highest) {
        return pollInRange(lo, loInclusive, hi, hiInclusive, highest);
    }

    /** Calls {@link #compareKeys} for the views of this package. */
    final int cmp(Object a, Object b) {
        return compareKeys(a, b);
    }

    static <K> K keyOrNull(Map.Entry<K, ?> e) {
        return e == null ? null : e.getKey();
    }

    static <K> K keyOrThrow(Map.Entry<K, ?> e) {
        if (e == null) {
            throw new NoSuchElementException("the map (or view) is empty");
        }
        return e.getKey();
    }
}
