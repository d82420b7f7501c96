package io.arboretum.coroutines

import io.arboretum.btree.ConcurrentBTreeMap
import io.arboretum.btree.OffHeapLongBTreeMap
import io.arboretum.map.BatchScannable
import java.util.Comparator
import java.util.concurrent.ConcurrentNavigableMap
import java.util.concurrent.ConcurrentSkipListMap
import kotlin.random.Random

/**
 * A test-only [BatchScannable]: a skip-list map that copies batches from its own sub-map views,
 * honouring the interface's Javadoc (argument checks, bounds, order, "zero only if empty").
 * It lets every spec exercise the flows' fast path against an independent implementation.
 */
internal class BatchScanningSkipListMap<K : Any, V : Any>(comparator: Comparator<in K>?) :
    ConcurrentSkipListMap<K, V>(comparator), BatchScannable<K, V> {

    /** Number of calls of [copyBatch], so specs can check that the fast path is taken. */
    @Volatile
    var batchCalls: Int = 0

    override fun copyBatch(
        from: K?, fromInclusive: Boolean, to: K?, toInclusive: Boolean, descending: Boolean,
        keys: Array<Any?>, values: Array<Any?>,
    ): Int {
        require(keys.isNotEmpty() && values.size >= keys.size) {
            "need keys.size > 0 and values.size >= keys.size, were ${keys.size} and ${values.size}"
        }
        batchCalls++
        if (from != null && to != null) {
            val c = comparator()?.compare(from, to) ?: @Suppress("UNCHECKED_CAST") (from as Comparable<Any>).compareTo(to)
            if (c > 0 || (c == 0 && !(fromInclusive && toInclusive))) return 0
        }
        val view: ConcurrentNavigableMap<K, V> = when {
            from != null && to != null -> subMap(from, fromInclusive, to, toInclusive)
            from != null -> tailMap(from, fromInclusive)
            to != null -> headMap(to, toInclusive)
            else -> this
        }
        val it = (if (descending) view.descendingMap() else view).entries.iterator()
        var n = 0
        while (n < keys.size && it.hasNext()) {
            val e = it.next()
            keys[n] = e.key
            values[n] = e.value
            n++
        }
        return n
    }
}

/** The map implementations every spec runs against, by name. */
internal object TestMaps {
    /** Names of the implementations: the JDK skip list (view path), the test batch map, the B+tree. */
    val kinds: List<String> = listOf("cslm", "batch-cslm", "btree")

    /** A new empty map of the given kind, ordered by [comparator] (natural order when null). */
    fun <K : Any, V : Any> create(kind: String, comparator: Comparator<in K>? = null): ConcurrentNavigableMap<K, V> =
        when (kind) {
            "cslm" -> ConcurrentSkipListMap(comparator)
            "batch-cslm" -> BatchScanningSkipListMap(comparator)
            // Node capacity 4 so that every batch of a few entries crosses leaves.
            "btree" -> ConcurrentBTreeMap.builder<K, V>().apply { if (comparator != null) comparator(comparator) }
                .nodeCapacity(4).build()
            else -> throw IllegalArgumentException("unknown map kind $kind")
        }

    /** [kinds] and the off-heap map's boxed view: the kinds a spec with `Long` keys and values runs on. */
    val longKinds: List<String> = kinds + "offheap"

    /** Checks the structure of maps that can check themselves. */
    fun checkInvariants(map: ConcurrentNavigableMap<*, *>) {
        if (map is ConcurrentBTreeMap<*, *>) map.checkInvariants()
    }

    /** Multiplier of test sizes: 1 in CI, 10 under -Pthorough. */
    val scale: Int = System.getProperty("arboretum.test.scale")?.toIntOrNull()?.coerceAtLeast(1) ?: 1

    /** [keys] in a random, descending or adversarial (alternating extremes) order. */
    fun orders(keys: List<Int>, random: Random): Map<String, List<Int>> {
        val sorted = keys.sorted()
        val zigzag = ArrayList<Int>(sorted.size)
        var lo = 0
        var hi = sorted.size - 1
        while (lo <= hi) {
            zigzag += sorted[lo++]
            if (lo <= hi) zigzag += sorted[hi--]
        }
        return mapOf("random" to keys.shuffled(random), "descending" to sorted.reversed(), "zigzag" to zigzag)
    }
}

/**
 * Makes maps with `Long` keys and values of every kind in [TestMaps.longKinds] and remembers the
 * off-heap maps behind the `offheap` views, so that a spec can check their invariants and close
 * them after each test (`afterTest { maps.close() }`).
 */
internal class LongMaps : AutoCloseable {
    private val offHeap = java.util.IdentityHashMap<ConcurrentNavigableMap<Long, Long>, OffHeapLongBTreeMap>()

    /** A new empty map of [kind]; `offheap` is [OffHeapLongBTreeMap.asMap] over a map of node capacity 4. */
    fun create(kind: String): ConcurrentNavigableMap<Long, Long> {
        if (kind != "offheap") return TestMaps.create(kind)
        // Node capacity 4, as for "btree": every batch of a few entries crosses leaves.
        val map = OffHeapLongBTreeMap.builder().nodeCapacity(4).build()
        val view = map.asMap()
        synchronized(offHeap) { offHeap[view] = map }
        return view
    }

    /** Checks the structure of [map], including an off-heap map behind a view made here. */
    fun checkInvariants(map: ConcurrentNavigableMap<Long, Long>) {
        TestMaps.checkInvariants(map)
        synchronized(offHeap) { offHeap[map] }?.checkInvariants()
    }

    /** Closes every off-heap map made since the last call. */
    override fun close() {
        val maps = synchronized(offHeap) { offHeap.values.toList().also { offHeap.clear() } }
        for (m in maps) {
            m.checkInvariants()
            m.close()
        }
    }
}
