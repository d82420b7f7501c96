package io.arboretum.map;

import java.util.AbstractSet;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Spliterator;
import java.util.concurrent.ConcurrentNavigableMap;

/**
 * The navigable key set of an {@link AbstractIndexMap} or of one of its {@link IndexSubMap}
 * views: every operation goes to that map, so the set is live, range-checked like the map, and
 * exactly as consistent as the map operation it calls. Adding is unsupported.
 *
 * @param <K> the type of keys
 */
final class IndexKeySet<K> extends AbstractSet<K> implements NavigableSet<K> {

    private final ConcurrentNavigableMap<K, ?> m;

    IndexKeySet(ConcurrentNavigableMap<K, ?> m) {
        this.m = m;
    }

    @Override
    public Iterator<K> iterator() {
        if (m instanceof IndexSubMap) {
            return ((IndexSubMap<K, ?>) m).keyIterator();
        }
        return ((AbstractIndexMap<K, ?>) m).keyIterator();
    }

    @Override
    public Spliterator<K> spliterator() {
        return new IteratorSpliterator<>(iterator(), Spliterator.DISTINCT | Spliterator.SORTED
                | Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.CONCURRENT, m.comparator());
    }

    @Override
    public int size() {
        return m.size();
    }

    @Override
    public boolean isEmpty() {
        return m.isEmpty();
    }

    @Override
    public boolean contains(Object o) {
        return m.containsKey(o);
    }

    @Override
    public boolean remove(Object o) {
        return m.remove(o) != null;
    }

    @Override
    public void clear() {
        m.clear();
    }

    @Override
    public boolean removeAll(Collection<?> c) {
        // AbstractSet's version may call c.contains on our keys; remove each element directly.
        Objects.requireNonNull(c, "null collection");
        boolean changed = false;
        for (Object o : c) {
            changed |= remove(o);
        }
        return changed;
    }

    @Override
    public K lower(K e) {
        return m.lowerKey(e);
    }

    @Override
    public K floor(K e) {
        return m.floorKey(e);
    }

    @Override
    public K ceiling(K e) {
        return m.ceilingKey(e);
    }

    @Override
    public K higher(K e) {
        return m.higherKey(e);
    }

    @Override
    public K pollFirst() {
        return AbstractIndexMap.keyOrNull(m.pollFirstEntry());
    }

    @Override
    public K pollLast() {
        return AbstractIndexMap.keyOrNull(m.pollLastEntry());
    }

    @Override
    public Comparator<? super K> comparator() {
        return m.comparator();
    }

    @Override
    public K first() {
        return m.firstKey();
    }

    @Override
    public K last() {
        return m.lastKey();
    }

    @Override
    public NavigableSet<K> descendingSet() {
        return new IndexKeySet<>(m.descendingMap());
    }

    @Override
    public Iterator<K> descendingIterator() {
        return descendingSet().iterator();
    }

    @Override
    public NavigableSet<K> subSet(K fromElement, boolean fromInclusive, K toElement, boolean toInclusive) {
        return new IndexKeySet<>(m.subMap(fromElement, fromInclusive, toElement, toInclusive));
    }

    @Override
    public NavigableSet<K> headSet(K toElement, boolean inclusive) {
        return new IndexKeySet<>(m.headMap(toElement, inclusive));
    }

    @Override
    public NavigableSet<K> tailSet(K fromElement, boolean inclusive) {
        return new IndexKeySet<>(m.tailMap(fromElement, inclusive));
    }

    @Override
    public NavigableSet<K> subSet(K fromElement, K toElement) {
        return subSet(fromElement, true, toElement, false);
    }

    @Override
    public NavigableSet<K> headSet(K toElement) {
        return headSet(toElement, false);
    }

    @Override
    public NavigableSet<K> tailSet(K fromElement) {
        return tailSet(fromElement, true);
    }
}
