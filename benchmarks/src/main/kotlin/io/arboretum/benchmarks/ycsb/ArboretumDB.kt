package io.arboretum.benchmarks.ycsb

import io.arboretum.benchmarks.Implementations
import io.arboretum.benchmarks.OpenMap
import site.ycsb.ByteIterator
import site.ycsb.DB
import site.ycsb.DBException
import site.ycsb.Status
import site.ycsb.StringByteIterator
import site.ycsb.workloads.CoreWorkload
import java.util.HashMap
import java.util.Properties
import java.util.Vector

/**
 * A binding of the standard YCSB client (`site.ycsb:core` 0.17.0) to any implementation in
 * [Implementations], in-process:
 *
 * ```
 * java -cp benchmarks/target/benchmarks.jar site.ycsb.Client -t \
 *   -db io.arboretum.benchmarks.ycsb.ArboretumDB -P benchmarks/src/main/resources/ycsb/workloada \
 *   -p arboretum.impl=btree -p arboretum.preload=true -threads 2 -s
 * ```
 *
 * Properties: `arboretum.impl` (an implementation name that takes `String` keys, default `btree`) and
 * `arboretum.preload` (default `false`): because the data lives in the client's JVM, a separate
 * `-load` run leaves nothing behind for a later `-t` run; with `preload=true` the first client
 * thread loads the records exactly as YCSB's `-load` phase would (it drives YCSB's own
 * `CoreWorkload.doInsert` `recordcount` times) before the transactions start.
 *
 * Each table is one `ConcurrentNavigableMap<String, String>` from the registry, shared by all
 * client threads of the JVM and dropped when the last of them cleans up. A record's fields are
 * stored as one string (see [RecordCodec]).
 */
class ArboretumDB : DB() {
    private lateinit var impl: String

    /**
     * Takes the client's properties and, with `arboretum.preload=true`, loads the records. The
     * YCSB client calls this from its main thread for every client thread's binding before it
     * starts its clock, so the preload is not counted in the measured run time.
     */
    override fun setProperties(p: Properties) {
        super.setProperties(p)
        impl = p.getProperty(IMPL, "btree")
        val implementation = try {
            Implementations.byName(impl)
        } catch (e: IllegalArgumentException) {
            throw IllegalArgumentException("$IMPL: ${e.message}", e)
        }
        require(implementation.supportsStrings) {
            "$IMPL: $impl takes long keys only; YCSB needs String keys (use one of ${Implementations.stringNames.joinToString()})"
        }
        val preload = when (val v = p.getProperty(PRELOAD, "false")) {
            "true" -> true
            "false" -> false
            else -> throw IllegalArgumentException("$PRELOAD must be true or false, was '$v'")
        }
        // The monitor is held through the load so that no binding reads a half-loaded store.
        synchronized(Stores) {
            if (preload && Stores.preloaded.add(impl)) preload(p)
        }
    }

    /** Joins this JVM's store for `arboretum.impl`. */
    override fun init() {
        if (!::impl.isInitialized) throw DBException("setProperties was not called before init")
        synchronized(Stores) { Stores.clients++ }
    }

    /** Runs YCSB's load phase into the store, from this thread, before any transaction. */
    private fun preload(p: Properties) {
        val workload = CoreWorkload()
        workload.init(p)
        val state = workload.initThread(p, 0, 1)
        val count = p.getProperty("insertcount", p.getProperty("recordcount", "1000")).toLong()
        for (i in 0 until count) {
            check(workload.doInsert(this, state)) { "preload failed at record $i of $count" }
        }
    }

    /** Leaves the store; the last client of the JVM drops every map it opened. */
    override fun cleanup() {
        synchronized(Stores) {
            Stores.clients--
            if (Stores.clients == 0) {
                Stores.maps.values.forEach { it.close() }
                Stores.maps.clear()
                Stores.preloaded.clear()
            }
        }
    }

    private fun table(name: String): OpenMap<String, String> = synchronized(Stores) {
        Stores.maps.getOrPut("$impl/$name") { Implementations.byName(impl).newStringMap() }
    }

    /** Reads [fields] (all when null) of the record [key] into [result]. */
    override fun read(table: String, key: String, fields: Set<String>?, result: MutableMap<String, ByteIterator>): Status {
        val record = table(table).map[key] ?: return Status.NOT_FOUND
        RecordCodec.decodeInto(record, fields, result)
        return Status.OK
    }

    /** Reads up to [recordcount] records from [startkey] on, in key order. */
    override fun scan(
        table: String, startkey: String, recordcount: Int, fields: Set<String>?,
        result: Vector<HashMap<String, ByteIterator>>,
    ): Status {
        val it = table(table).map.tailMap(startkey).entries.iterator()
        var n = 0
        while (n < recordcount && it.hasNext()) {
            val row = HashMap<String, ByteIterator>()
            RecordCodec.decodeInto(it.next().value, fields, row)
            result.add(row)
            n++
        }
        return Status.OK
    }

    /** Overwrites the given fields of an existing record, atomically (a compare-and-replace loop). */
    override fun update(table: String, key: String, values: Map<String, ByteIterator>): Status {
        val map = table(table).map
        val changes = RecordCodec.strings(values)
        while (true) {
            val old = map[key] ?: return Status.NOT_FOUND
            val merged = LinkedHashMap(RecordCodec.decode(old))
            merged.putAll(changes)
            if (map.replace(key, old, RecordCodec.encode(merged))) return Status.OK
        }
    }

    /** Inserts (or overwrites) the record [key]. */
    override fun insert(table: String, key: String, values: Map<String, ByteIterator>): Status {
        table(table).map[key] = RecordCodec.encode(RecordCodec.strings(values))
        return Status.OK
    }

    /** Deletes the record [key]. */
    override fun delete(table: String, key: String): Status =
        if (table(table).map.remove(key) != null) Status.OK else Status.NOT_FOUND

    /** This binding's property names. */
    companion object {
        /** Property naming the implementation (see [Implementations.names]). */
        const val IMPL: String = "arboretum.impl"

        /** Property asking the first client thread to run YCSB's load phase first. */
        const val PRELOAD: String = "arboretum.preload"
    }
}

/** The JVM-wide stores shared by all [ArboretumDB] instances; guarded by its own monitor. */
internal object Stores {
    val maps = HashMap<String, OpenMap<String, String>>()
    val preloaded = HashSet<String>()
    var clients = 0
}

/**
 * A YCSB record (field name to bytes) as one string: for each field, `<name length>:<name><value
 * length>:<value>`. Bytes map to chars one to one (ISO-8859-1), as YCSB's `StringByteIterator` does.
 */
internal object RecordCodec {
    fun strings(values: Map<String, ByteIterator>): Map<String, String> =
        values.mapValuesTo(LinkedHashMap()) { String(it.value.toArray(), Charsets.ISO_8859_1) }

    fun encode(fields: Map<String, String>): String = buildString {
        for ((k, v) in fields) {
            append(k.length).append(':').append(k)
            append(v.length).append(':').append(v)
        }
    }

    fun decode(record: String): Map<String, String> {
        val out = LinkedHashMap<String, String>()
        var i = 0
        fun next(): String {
            val colon = record.indexOf(':', i)
            check(colon > i) { "corrupt record at offset $i" }
            val len = record.substring(i, colon).toInt()
            val s = record.substring(colon + 1, colon + 1 + len)
            i = colon + 1 + len
            return s
        }
        while (i < record.length) {
            val k = next()
            out[k] = next()
        }
        return out
    }

    fun decodeInto(record: String, fields: Set<String>?, result: MutableMap<String, ByteIterator>) {
        for ((k, v) in decode(record)) {
            if (fields == null || k in fields) result[k] = StringByteIterator(v)
        }
    }
}
