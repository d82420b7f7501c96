package io.arboretum.benchmarks

import java.util.AbstractMap.SimpleImmutableEntry
import java.util.NavigableMap
import java.util.NavigableSet
import java.util.TreeMap
import java.util.concurrent.ConcurrentNavigableMap
import java.util.concurrent.locks.ReentrantReadWriteLock
import kotlin.concurrent.read
import kotlin.concurrent.write

/**
 * A `java.util.TreeMap` behind one `ReentrantReadWriteLock`: the "what people write by hand"
 * baseline of the benchmarks.
 *
 * Reads take the read lock, writes the write lock. Entries handed out are immutable snapshots.
 * Iterators of this map and of its views are weakly consistent: they copy [BATCH] entries at a
 * time under the read lock and continue after the last key they copied, so no lock is held
 * while the caller iterates. Views (`tailMap`, `subMap`, `descendingMap`, ...) are live: each
 * call re-derives the matching `TreeMap` view under the lock.
 */
class LockedTreeMap<K : Any, V : Any> private constructor(
    private val core: TreeMap<K, V>,
    private val lock: ReentrantReadWriteLock,
    private val shape: ((NavigableMap<K, V>) -> NavigableMap<K, V>)?,
) : java.util.AbstractMap<K, V>(), ConcurrentNavigableMap<K, V> {

    /** An empty map ordered by the keys' natural order. */
    constructor() : this(TreeMap<K, V>(), ReentrantReadWriteLock(), null)

    /** An empty map ordered by [comparator] (for `byte[]` keys, which have no natural order). */
    constructor(comparator: Comparator<in K>) : this(TreeMap<K, V>(comparator), ReentrantReadWriteLock(), null)

    /** The `TreeMap` view this map stands for; call only under the lock. */
    private fun view(): NavigableMap<K, V> = shape?.invoke(core) ?: core

    private fun derive(f: (NavigableMap<K, V>) -> NavigableMap<K, V>): LockedTreeMap<K, V> {
        val outer = shape
        val composed: (NavigableMap<K, V>) -> NavigableMap<K, V> =
            if (outer == null) f else { m -> f(outer(m)) }
        // Built once under the lock so that a bad range fails here, with TreeMap's message.
        lock.read { composed(core) }
        return LockedTreeMap(core, lock, composed)
    }

    private fun snapshot(e: Map.Entry<K, V>?): MutableMap.MutableEntry<K, V>? =
        if (e == null) null else SimpleImmutableEntry(e.key, e.value)

    override fun get(key: K): V? = lock.read { view()[key] }
    override fun containsKey(key: K): Boolean = lock.read { view().containsKey(key) }
    override fun put(key: K, value: V): V? = lock.write { view().put(key, value) }
    override fun remove(key: K): V? = lock.write { view().remove(key) }
    override fun putIfAbsent(key: K, value: V): V? = lock.write { view().putIfAbsent(key, value) }
    override fun remove(key: K, value: V): Boolean = lock.write { view().remove(key, value) }
    override fun replace(key: K, oldValue: V, newValue: V): Boolean =
        lock.write { view().replace(key, oldValue, newValue) }
    override fun replace(key: K, value: V): V? = lock.write { view().replace(key, value) }
    override val size: Int get() = lock.read { view().size }
    override fun isEmpty(): Boolean = lock.read { view().isEmpty() }
    override fun clear() = lock.write { view().clear() }
    override fun comparator(): Comparator<in K>? = lock.read { view().comparator() }

    override fun lowerEntry(key: K) = lock.read { snapshot(view().lowerEntry(key)) }
    override fun floorEntry(key: K) = lock.read { snapshot(view().floorEntry(key)) }
    override fun ceilingEntry(key: K) = lock.read { snapshot(view().ceilingEntry(key)) }
    override fun higherEntry(key: K) = lock.read { snapshot(view().higherEntry(key)) }
    override fun lowerKey(key: K): K? = lock.read { view().lowerKey(key) }
    override fun floorKey(key: K): K? = lock.read { view().floorKey(key) }
    override fun ceilingKey(key: K): K? = lock.read { view().ceilingKey(key) }
    override fun higherKey(key: K): K? = lock.read { view().higherKey(key) }
    override fun firstEntry() = lock.read { snapshot(view().firstEntry()) }
    override fun lastEntry() = lock.read { snapshot(view().lastEntry()) }
    override fun pollFirstEntry() = lock.write { snapshot(view().pollFirstEntry()) }
    override fun pollLastEntry() = lock.write { snapshot(view().pollLastEntry()) }
    override fun firstKey(): K = lock.read { view().firstKey() }
    override fun lastKey(): K = lock.read { view().lastKey() }

    override fun subMap(fromKey: K, fromInclusive: Boolean, toKey: K, toInclusive: Boolean) =
        derive { it.subMap(fromKey, fromInclusive, toKey, toInclusive) }
    override fun subMap(fromKey: K, toKey: K) = subMap(fromKey, true, toKey, false)
    override fun headMap(toKey: K, inclusive: Boolean) = derive { it.headMap(toKey, inclusive) }
    override fun headMap(toKey: K) = headMap(toKey, false)
    override fun tailMap(fromKey: K, inclusive: Boolean) = derive { it.tailMap(fromKey, inclusive) }
    override fun tailMap(fromKey: K) = tailMap(fromKey, true)
    override fun descendingMap() = derive { it.descendingMap() }

    override fun navigableKeySet(): NavigableSet<K> = KeyView(this)
    override val keys: NavigableSet<K> get() = KeyView(this)
    override fun descendingKeySet(): NavigableSet<K> = KeyView(descendingMap())

    override val entries: MutableSet<MutableMap.MutableEntry<K, V>>
        get() = object : java.util.AbstractSet<MutableMap.MutableEntry<K, V>>() {
            override val size: Int get() = this@LockedTreeMap.size
            override fun iterator(): MutableIterator<MutableMap.MutableEntry<K, V>> = BatchIterator()
        }

    /** Weakly consistent iterator: copies up to [BATCH] entries per read-lock hold. */
    private inner class BatchIterator : MutableIterator<MutableMap.MutableEntry<K, V>> {
        private val keys = arrayOfNulls<Any>(BATCH)
        private val values = arrayOfNulls<Any>(BATCH)
        private var count = 0
        private var next = 0
        private var started = false
        private var exhausted = false
        private var lastReturned: K? = null

        @Suppress("UNCHECKED_CAST")
        private fun fill() {
            lock.read {
                val v = view()
                val from = if (!started) v else v.tailMap(keys[count - 1] as K, false)
                count = 0
                for (e in from.entries) {
                    if (count == BATCH) break
                    keys[count] = e.key
                    values[count] = e.value
                    count++
                }
            }
            started = true
            next = 0
            exhausted = count < BATCH
        }

        override fun hasNext(): Boolean {
            if (next < count) return true
            if (started && exhausted) return false
            fill()
            return next < count
        }

        @Suppress("UNCHECKED_CAST")
        override fun next(): MutableMap.MutableEntry<K, V> {
            if (!hasNext()) throw NoSuchElementException("no more entries")
            val k = keys[next] as K
            val v = values[next] as V
            next++
            lastReturned = k
            return SimpleImmutableEntry(k, v)
        }

        override fun remove() {
            val k = lastReturned ?: throw IllegalStateException("next() has not returned an entry yet")
            this@LockedTreeMap.remove(k)
            lastReturned = null
        }
    }

    /** Navigable key view over a [LockedTreeMap] (or one of its views). */
    private class KeyView<K : Any, V : Any>(private val m: LockedTreeMap<K, V>) :
        java.util.AbstractSet<K>(), NavigableSet<K> {
        override val size: Int get() = m.size
        override fun contains(element: K): Boolean = m.containsKey(element)
        override fun remove(element: K): Boolean = m.remove(element) != null
        override fun clear() = m.clear()
        override fun iterator(): MutableIterator<K> {
            val it = m.entries.iterator()
            return object : MutableIterator<K> {
                override fun hasNext() = it.hasNext()
                override fun next(): K = it.next().key
                override fun remove() = it.remove()
            }
        }
        override fun comparator(): Comparator<in K>? = m.comparator()
        override fun first(): K = m.firstKey()
        override fun last(): K = m.lastKey()
        override fun lower(e: K): K? = m.lowerKey(e)
        override fun floor(e: K): K? = m.floorKey(e)
        override fun ceiling(e: K): K? = m.ceilingKey(e)
        override fun higher(e: K): K? = m.higherKey(e)
        override fun pollFirst(): K? = m.pollFirstEntry()?.key
        override fun pollLast(): K? = m.pollLastEntry()?.key
        override fun descendingSet(): NavigableSet<K> = KeyView(m.descendingMap())
        override fun descendingIterator(): MutableIterator<K> = descendingSet().iterator()
        override fun subSet(a: K, ai: Boolean, b: K, bi: Boolean): NavigableSet<K> = KeyView(m.subMap(a, ai, b, bi))
        override fun headSet(b: K, bi: Boolean): NavigableSet<K> = KeyView(m.headMap(b, bi))
        override fun tailSet(a: K, ai: Boolean): NavigableSet<K> = KeyView(m.tailMap(a, ai))
        override fun subSet(a: K, b: K): NavigableSet<K> = subSet(a, true, b, false)
        override fun headSet(b: K): NavigableSet<K> = headSet(b, false)
        override fun tailSet(a: K): NavigableSet<K> = tailSet(a, true)
    }

    private companion object {
        /** Entries copied per read-lock hold by iterators. */
        const val BATCH = 64
    }
}
