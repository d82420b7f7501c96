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
    public abstract NavigableSet<K> keySet();

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
