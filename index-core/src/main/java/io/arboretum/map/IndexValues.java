package io.arboretum.map;

import java.util.AbstractCollection;
import java.util.Iterator;
import java.util.Spliterator;
import java.util.concurrent.ConcurrentNavigableMap;

/**
 * The values of an {@link AbstractIndexMap} or of one of its {@link IndexSubMap} views, in the
 * map's (or view's) key order. Live: removal (through {@code remove}, {@code removeIf} or the
 * iterator) goes to the map. Iteration and {@code contains} are weakly consistent.
 *
 * @param <V> the type of values
 */
final class IndexValues<V> extends AbstractCollection<V> {

    private final ConcurrentNavigableMap<?, V> m;

    IndexValues(ConcurrentNavigableMap<?, V> m) {
        this.m = m;
    }

    @Override
    public Iterator<V> iterator() {
        if (m instanceof IndexSubMap) {
            return ((IndexSubMap<?, V>) m).valueIterator();
        }
        return ((AbstractIndexMap<?, V>) m).valueIterator();
    }

    @Override
    public Spliterator<V> spliterator() {
        return new IteratorSpliterator<>(iterator(),
                Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.CONCURRENT, null);
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
        return m.containsValue(o);
    }

    @Override
    public void clear() {
        m.clear();
    }
}
