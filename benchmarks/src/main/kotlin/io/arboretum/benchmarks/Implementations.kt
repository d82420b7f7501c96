package io.arboretum.benchmarks

import io.arboretum.btree.ConcurrentBTreeMap
import io.arboretum.btree.OffHeapLongBTreeMap
import io.arboretum.btree.OffHeapLongCursor
import io.arboretum.bwtree.BwTreeMap
import io.arboretum.masstree.MasstreeMap
import io.arboretum.pma.PackedMemoryArrayMap
import org.mapdb.DBMaker
import org.mapdb.Serializer
import java.util.Arrays
import java.util.concurrent.ConcurrentNavigableMap
import java.util.concurrent.ConcurrentSkipListMap

/**
 * A map opened from the registry, with whatever must be released when the benchmark is done
 * (a MapDB store, off-heap memory).
 */
class OpenMap<K : Any, V : Any> internal constructor(
    /** The map under test. */
    val map: ConcurrentNavigableMap<K, V>,
    private val offHeap: () -> Long = { 0L },
    private val onClose: () -> Unit,
) : AutoCloseable {
    /** Bytes the map holds outside the Java heap. */
    fun offHeapBytes(): Long = offHeap()

    /** Releases the map's resources; the map must not be used afterwards. */
    override fun close() = onClose()
}

/**
 * The primitive-`long` face of an index, used by every `Long`-keyed benchmark so that an index
 * with a primitive API (the off-heap long map) runs without boxing while the others run through
 * their `ConcurrentNavigableMap<Long, Long>`.
 */
interface LongIndex : AutoCloseable {
    /** The value mapped to [key], or [ABSENT] if there is none. */
    fun get(key: Long): Long

    /** Maps [key] to [value]. */
    fun put(key: Long, value: Long)

    /** Removes [key] if present. */
    fun remove(key: Long)

    /**
     * Visits up to [count] entries whose keys are at least [from], in ascending key order, and
     * returns the sum of their values (so the JIT cannot drop the scan).
     */
    fun scan(from: Long, count: Int): Long

    /** The number of entries. */
    fun size(): Long

    /** Bytes this index holds outside the Java heap (0 for on-heap indexes). */
    fun offHeapBytes(): Long = 0

    /** Constants of the [LongIndex] contract. */
    companion object {
        /** What [get] returns for a missing key; benchmarks never store it as a value. */
        const val ABSENT: Long = Long.MIN_VALUE
    }
}

/** [LongIndex] over any `ConcurrentNavigableMap<Long, Long>`: boxes, as map users do. */
internal class MapLongIndex(private val open: OpenMap<Long, Long>) : LongIndex {
    private val map = open.map
    override fun get(key: Long): Long = map[key] ?: LongIndex.ABSENT
    override fun put(key: Long, value: Long) {
        map[key] = value
    }

    override fun remove(key: Long) {
        map.remove(key)
    }

    override fun scan(from: Long, count: Int): Long {
        val it = map.tailMap(from).entries.iterator()
        var sum = 0L
        var n = 0
        while (n < count && it.hasNext()) {
            sum += it.next().value
            n++
        }
        return sum
    }

    override fun size(): Long = map.size.toLong()
    override fun offHeapBytes(): Long = open.offHeapBytes()
    override fun close() = open.close()
}

/**
 * [LongIndex] over [OffHeapLongBTreeMap]'s primitive API: no boxing; scans reuse one cursor per
 * thread.
 */
internal class OffHeapLongIndex(private val map: OffHeapLongBTreeMap) : LongIndex {
    private val cursors = ThreadLocal.withInitial { map.cursor(0, -1) }

    override fun get(key: Long): Long = map.get(key, LongIndex.ABSENT)
    override fun put(key: Long, value: Long) {
        map.put(key, value, LongIndex.ABSENT)
    }

    override fun remove(key: Long) {
        map.remove(key, LongIndex.ABSENT)
    }

    override fun scan(from: Long, count: Int): Long {
        val c: OffHeapLongCursor = cursors.get().reset(from, Long.MAX_VALUE)
        var sum = 0L
        var n = 0
        while (n < count && c.next()) {
            sum += c.value()
            n++
        }
        return sum
    }

    override fun size(): Long = map.size()
    override fun offHeapBytes(): Long = map.bytesReserved()
    override fun close() = map.close()
}

/**
 * One index under test: a name used on command lines and in reports, and factories for the
 * three key types the benchmarks use (`Long`, `String`, `byte[]` in unsigned lexicographic
 * order) plus the primitive-long face.
 */
class Implementation internal constructor(
    /** Short name used in `@Param`, on command lines and in reports. */
    val name: String,
    /** One line saying what this is. */
    val description: String,
    private val longs: () -> OpenMap<Long, Long>,
    private val strings: (() -> OpenMap<String, String>)?,
    private val primitive: (() -> LongIndex)? = null,
    private val bytes: (() -> OpenMap<ByteArray, String>)? = null,
) {
    /** Whether this implementation takes `String` keys (the off-heap map takes `long` keys only). */
    val supportsStrings: Boolean get() = strings != null

    /** Whether this implementation takes `byte[]` keys in unsigned lexicographic order. */
    val supportsBytes: Boolean get() = bytes != null

    /** A new empty map with `Long` keys and values. */
    fun newLongMap(): OpenMap<Long, Long> = longs()

    /** A new empty map with `String` keys and values; fails for an index without [supportsStrings]. */
    fun newStringMap(): OpenMap<String, String> =
        strings?.invoke() ?: throw UnsupportedOperationException("$name takes long keys only, not String keys")

    /**
     * A new empty map with `byte[]` keys in unsigned lexicographic order (as
     * `Arrays.compareUnsigned`) and `String` values; fails for an index without [supportsBytes].
     */
    fun newBytesMap(): OpenMap<ByteArray, String> =
        bytes?.invoke() ?: throw UnsupportedOperationException("$name takes no byte[] keys in this registry")

    /** A new empty primitive-long index: the implementation's own if it has one, else its map. */
    fun newLongIndex(): LongIndex = primitive?.invoke() ?: MapLongIndex(longs())

    override fun toString(): String = name
}

/**
 * The one registry of implementations shared by every benchmark, the comparison job, the memory
 * harness and the YCSB binding. A new index adds one entry to [all] and is benchmarked everywhere.
 */
object Implementations {
    /** Name of the baseline every ratio is computed against. */
    const val BASELINE: String = "skiplist"

    private fun <K : Any, V : Any> plain(map: ConcurrentNavigableMap<K, V>) = OpenMap(map) {}

    /** Every registered implementation, the baseline first. */
    val all: List<Implementation> = listOf(
        Implementation(
            BASELINE, "java.util.concurrent.ConcurrentSkipListMap (JDK baseline)",
            { plain(ConcurrentSkipListMap<Long, Long>()) },
            { plain(ConcurrentSkipListMap<String, String>()) },
            bytes = { plain(ConcurrentSkipListMap<ByteArray, String>(Arrays::compareUnsigned)) },
        ),
        Implementation(
            "btree", "io.arboretum.btree.ConcurrentBTreeMap (Arboretum, on-heap B+tree)",
            { plain(ConcurrentBTreeMap<Long, Long>()) },
            { plain(ConcurrentBTreeMap<String, String>()) },
            bytes = { plain(ConcurrentBTreeMap<ByteArray, String>(ConcurrentBTreeMap.unsignedBytesComparator())) },
        ),
        Implementation(
            "masstree", "io.arboretum.masstree.MasstreeMap (Arboretum, trie of B+trees over 8-byte key slices)",
            { plain(MasstreeMap<Long, Long>()) },
            { plain(MasstreeMap<String, String>()) },
            bytes = { plain(MasstreeMap.forBytes<String>()) },
        ),
        Implementation(
            "pma", "io.arboretum.pma.PackedMemoryArrayMap (Arboretum, packed memory array, Long keys as primitive longs)",
            { plain(PackedMemoryArrayMap<Long, Long>()) },
            { plain(PackedMemoryArrayMap<String, String>()) },
        ),
        Implementation(
            "bwtree", "io.arboretum.bwtree.BwTreeMap (Arboretum, latch-free Bw-tree)",
            { plain(BwTreeMap<Long, Long>()) },
            { plain(BwTreeMap<String, String>()) },
            bytes = { plain(BwTreeMap<ByteArray, String>(Arrays::compareUnsigned)) },
        ),
        Implementation(
            "offheap", "io.arboretum.btree.OffHeapLongBTreeMap, primitive long API (Arboretum, off-heap)",
            { offHeapMap(OffHeapLongBTreeMap()) },
            null,
            { OffHeapLongIndex(OffHeapLongBTreeMap()) },
        ),
        Implementation(
            "offheap-map", "io.arboretum.btree.OffHeapLongBTreeMap through asMap() (boxing view)",
            { offHeapMap(OffHeapLongBTreeMap()) },
            null,
        ),
        Implementation(
            "treemap-rwlock", "java.util.TreeMap behind a ReentrantReadWriteLock",
            { plain(LockedTreeMap<Long, Long>()) },
            { plain(LockedTreeMap<String, String>()) },
            bytes = { plain(LockedTreeMap<ByteArray, String>(Arrays::compareUnsigned)) },
        ),
        Implementation(
            "mapdb", "org.mapdb.BTreeMap 3.1.0 in a heap memoryDB",
            {
                val db = DBMaker.memoryDB().make()
                OpenMap(db.treeMap("bench", Serializer.LONG, Serializer.LONG).createOrOpen()) { db.close() }
            },
            {
                val db = DBMaker.memoryDB().make()
                OpenMap(db.treeMap("bench", Serializer.STRING, Serializer.STRING).createOrOpen()) { db.close() }
            },
        ),
    )

    /** The names of [all], in order. */
    val names: List<String> get() = all.map { it.name }

    /** The names of the implementations that take `String` keys. */
    val stringNames: List<String> get() = all.filter { it.supportsStrings }.map { it.name }

    private fun offHeapMap(map: OffHeapLongBTreeMap) = OpenMap(map.asMap(), { map.bytesReserved() }) { map.close() }

    /** The names of the implementations that take `byte[]` keys. */
    val bytesNames: List<String> get() = all.filter { it.supportsBytes }.map { it.name }

    /** The implementation called [name]; the exception lists the valid names. */
    fun byName(name: String): Implementation =
        all.firstOrNull { it.name == name }
            ?: throw IllegalArgumentException("unknown implementation '$name'; known: ${names.joinToString()}")
}
