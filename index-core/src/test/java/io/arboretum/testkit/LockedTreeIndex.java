package io.arboretum.testkit;

import io.arboretum.map.AbstractIndexMap;

import java.io.Serializable;
import java.util.Comparator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A test-only index: a {@link TreeMap} guarded by one {@link ReentrantReadWriteLock}, extending
 * {@link AbstractIndexMap} with the primitives only. Every primitive holds the lock for its whole
 * call, so it is trivially linearizable; it lets the contract kit and the view layer be tested
 * without any real index.
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 */
public class LockedTreeIndex<K, V> extends AbstractIndexMap<K, V> implements Serializable {

    private static final long serialVersionUID = 1L;

    private final TreeMap<K, V> tree;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    /**
     * Creates an empty index.
     *
     * @param comparator the key order, or {@code null} for natural ordering
     */
    public LockedTreeIndex(Comparator<? super K> comparator) {
        this.tree = new TreeMap<>(comparator);
    }

    private static void checkValue(Object value) {
        Objects.requireNonNull(value, "null value");
    }

    /** Type-checks a key against the map's order even when the tree is empty. */
    private void checkKey(Object key) {
        Objects.requireNonNull(key, "null key");
        compareKeys(key, key);
    }

    @Override
    public V get(Object key) {
        checkKey(key);
        lock.readLock().lock();
        try {
            return tree.get(key);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public V put(K key, V value) {
        checkKey(key);
        checkValue(value);
        lock.writeLock().lock();
        try {
            return tree.put(key, value);
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public V putIfAbsent(K key, V value) {
        checkKey(key);
        checkValue(value);
        lock.writeLock().lock();
        try {
            return tree.putIfAbsent(key, value);
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public V remove(Object key) {
        checkKey(key);
        lock.writeLock().lock();
        try {
            return tree.remove(key);
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public boolean remove(Object key, Object value) {
        checkKey(key);
        if (value == null) {
            return false;
        }
        lock.writeLock().lock();
        try {
            V v = tree.get(key);
            if (v != null && v.equals(value)) {
                tree.remove(key);
                return true;
            }
            return false;
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public V replace(K key, V value) {
        checkKey(key);
        checkValue(value);
        lock.writeLock().lock();
        try {
            return tree.containsKey(key) ? tree.put(key, value) : null;
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public boolean replace(K key, V oldValue, V newValue) {
        checkKey(key);
        checkValue(oldValue);
        checkValue(newValue);
        lock.writeLock().lock();
        try {
            V v = tree.get(key);
            if (v != null && v.equals(oldValue)) {
                tree.put(key, newValue);
                return true;
            }
            return false;
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public int size() {
        lock.readLock().lock();
        try {
            return tree.size();
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void clear() {
        lock.writeLock().lock();
        try {
            tree.clear();
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public Comparator<? super K> comparator() {
        return tree.comparator();
    }

    @Override
    protected Map.Entry<K, V> findNear(K key, int relation) {
        if (key != null) {
            checkKey(key);
        }
        lock.readLock().lock();
        try {
            switch (relation) {
                case GT:
                    return key == null ? tree.firstEntry() : tree.higherEntry(key);
                case GE:
                    return key == null ? tree.firstEntry() : tree.ceilingEntry(key);
                case LT:
                    return key == null ? tree.lastEntry() : tree.lowerEntry(key);
                case LE:
                    return key == null ? tree.lastEntry() : tree.floorEntry(key);
                default:
                    throw new IllegalArgumentException("unknown relation " + relation);
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The part of the tree between the bounds, or null if the range is empty by its bounds. */
    private NavigableMap<K, V> range(K lo, boolean loInclusive, K hi, boolean hiInclusive) {
        if (lo != null && hi != null) {
            int c = compareKeys(lo, hi);
            if (c > 0 || (c == 0 && !(loInclusive && hiInclusive))) {
                return null; // TreeMap's views would reject such bounds; the range is empty
            }
        }
        NavigableMap<K, V> r = tree;
        if (lo != null) {
            r = r.tailMap(lo, loInclusive);
        }
        if (hi != null) {
            r = r.headMap(hi, hiInclusive);
        }
        return r;
    }

    @Override
    protected Map.Entry<K, V> pollInRange(K lo, boolean loInclusive, K hi, boolean hiInclusive,
                                          boolean highest) {
        lock.writeLock().lock();
        try {
            NavigableMap<K, V> r = range(lo, loInclusive, hi, hiInclusive);
            if (r == null) {
                return null;
            }
            return highest ? r.pollLastEntry() : r.pollFirstEntry();
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public int copyBatch(K from, boolean fromInclusive, K to, boolean toInclusive, boolean descending,
                         Object[] keys, Object[] values) {
        Objects.requireNonNull(keys, "null keys array");
        Objects.requireNonNull(values, "null values array");
        if (keys.length == 0 || values.length < keys.length) {
            throw new IllegalArgumentException("invalid arrays: keys.length=" + keys.length
                    + ", values.length=" + values.length);
        }
        lock.readLock().lock();
        try {
            NavigableMap<K, V> r = range(from, fromInclusive, to, toInclusive);
            if (r == null) {
                return 0;
            }
            if (descending) {
                r = r.descendingMap();
            }
            int n = 0;
            for (Map.Entry<K, V> e : r.entrySet()) {
                if (n == keys.length) {
                    break;
                }
                keys[n] = e.getKey();
                values[n] = e.getValue();
                n++;
            }
            return n;
        } finally {
            lock.readLock().unlock();
        }
    }
}
