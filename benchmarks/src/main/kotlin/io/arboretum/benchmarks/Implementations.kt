package io.arboretum.benchmarks

import io.arboretum.btree.ConcurrentBTreeMap
import org.mapdb.DBMaker
import org.mapdb.Serializer
import java.util.concurrent.ConcurrentNavigableMap
import java.util.concurrent.ConcurrentSkipListMap

/**
 * A map opened from the registry, with whatever must be released when the benchmark is done
 * (a MapDB store, off-heap memory).
 */
class OpenMap<K : Any, V : Any> internal constructor(
    /** The map under test. */
    val map: ConcurrentNavigableMap<K, V>,
    private val onClose: () -> Unit,
) : AutoCloseable {
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
    override fun close() = open.close()
}

/**
 * One index under test: a name used on command lines and in reports, and factories for the
 * two key types the benchmarks use plus the primitive-long face.
 */
class Implementation internal constructor(
    /** Short name used in `@Param`, on command lines and in reports. */
    val name: String,
    /** One line saying what this is. */
    val description: String,
    private val longs: () -> OpenMap<Long, Long>,
    private val strings: () -> OpenMap<String, String>,
    private val primitive: (() -> LongIndex)? = null,
) {
    /** A new empty map with `Long` keys and values. */
    fun newLongMap(): OpenMap<Long, Long> = longs()

    /** A new empty map with `String` keys and values. */
    fun newStringMap(): OpenMap<String, String> = strings()

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
        ),
        Implementation(
            "btree", "io.arboretum.btree.ConcurrentBTreeMap (Arboretum, on-heap B+tree)",
            { plain(ConcurrentBTreeMap<Long, Long>()) },
            { plain(ConcurrentBTreeMap<String, String>()) },
        ),
        Implementation(
            "treemap-rwlock", "java.util.TreeMap behind a ReentrantReadWriteLock",
            { plain(LockedTreeMap<Long, Long>()) },
            { plain(LockedTreeMap<String, String>()) },
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

    /** The implementation called [name]; the exception lists the valid names. */
    fun byName(name: String): Implementation =
        all.firstOrNull { it.name == name }
            ?: throw IllegalArgumentException("unknown implementation '$name'; known: ${names.joinToString()}")
}
