package io.arboretum.map;

import java.util.AbstractSet;
import java.util.Comparator;
import java.util.Iterator;
import java.util.Map;
import java.util.Spliterator;
import java.util.concurrent.ConcurrentNavigableMap;

/**
 * The entries of an {@link AbstractIndexMap} or of one of its {@link IndexSubMap} views, in key
 * order, as immutable snapshots. {@code contains} and {@code remove} look the key up and compare
 * the value with {@code equals} (one {@code get}, or one {@code remove(k, v)}: linearizable);
 * iteration is weakly consistent. Adding is unsupported.
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 */
final class IndexEntrySet<K, V> extends AbstractSet<Map.Entry<K, V>> {

    private final ConcurrentNavigableMap<K, V> m;

    IndexEntrySet(ConcurrentNavigableMap<K, V> m) {
        this.m = m;
    }

    @Override
    public Iterator<Map.Entry<K, V>> iterator() {
        if (m instanceof IndexSubMap) {
            return ((IndexSubMap<K, V>) m).entryIterator();
        }
        return ((AbstractIndexMap<K, V>) m).entryIterator();
    }

    @Override
    @SuppressWarnings("unchecked")
    public Spliterator<Map.Entry<K, V>> spliterator() {
        Comparator<? super K> c = m.comparator();
        Comparator<Map.Entry<K, V>> ec = (c != null)
                ? Map.Entry.comparingByKey(c)
                : (a, b) -> ((Comparable<Object>) a.getKey()).compareTo(b.getKey());
        return new IteratorSpliterator<>(iterator(), Spliterator.DISTINCT | Spliterator.SORTED
                | Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.CONCURRENT, ec);
    }

    @Override
    public boolean contains(Object o) {
        if (!(o instanceof Map.Entry)) {
            return false;
        }
        Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
        V v = m.get(e.getKey());
        return v != null && v.equals(e.getValue());
    }

    @Override
    public boolean remove(Object o) {
        if (!(o instanceof Map.Entry)) {
            return false;
        }
        Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
        Object v = e.getValue();
        return v != null && m.remove(e.getKey(), v);
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
    public void clear() {
        m.clear();
    }
}
