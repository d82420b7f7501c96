package io.arboretum.benchmarks.persistent

import io.arboretum.bftree.BfTree
import io.arboretum.bftree.BfTreeConfig
import io.arboretum.bftree.Durability
import org.h2.mvstore.MVMap
import org.h2.mvstore.MVStore
import org.h2.mvstore.type.ByteArrayDataType
import org.h2.mvstore.type.LongDataType
import org.lmdbjava.Dbi
import org.lmdbjava.DbiFlags
import org.lmdbjava.Env
import org.lmdbjava.EnvFlags
import org.lmdbjava.GetOp
import org.lmdbjava.Txn
import org.mapdb.BTreeMap
import org.mapdb.DB
import org.mapdb.DBMaker
import org.mapdb.Serializer
import org.rocksdb.BlockBasedTableConfig
import org.rocksdb.BloomFilter
import org.rocksdb.CompressionType
import org.rocksdb.IndexType
import org.rocksdb.LRUCache
import org.rocksdb.Options
import org.rocksdb.ReadOptions
import org.rocksdb.RocksDB
import org.rocksdb.WriteBufferManager
import org.rocksdb.WriteOptions
import java.nio.ByteBuffer
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.util.concurrent.ConcurrentLinkedQueue

/**
 * The registry of the persistent comparison: the Bf-tree and its four peers, each configured to
 * the same memory budget and durability as far as it can be (each [StoreKind] says how, and the
 * report quotes it).
 */
object PersistentStores {
    /** The store every ratio of the persistent comparison is taken against. */
    const val BASELINE: String = "rocksdb"

    /** Every store, the Bf-tree first. */
    val all: List<StoreKind> = listOf(
        StoreKind(
            "bftree", "io.arboretum.bftree.BfTree (Arboretum, with mini-pages), 4 KiB pages, writes through upsert/erase (blind writes)",
            "BfTreeConfig.memoryBudget = budget: the off-heap mini-page pool (direct buffers); the leaves' and the inner index's JVM objects are outside it",
            "Durability.SYNC: each write returns after its log record is forced (FileChannel.force, group commit)",
            "Durability.async(1 s): writes buffered in the process, a background thread forces the log every 1 s (a writer forces at 1 MiB buffered)",
            "replays the log since the last checkpoint, then checkpoints; the recovery run sets checkpointLogBytes = 0, so every write is in the log",
        ) { dir, o, create -> BfTreeStore(dir, o, create) },
        StoreKind(
            "rocksdb", "RocksDB 11.8.1 (rocksdbjni, bundled native library), leveled compaction, 4 KiB blocks, Bloom filter 10 bits/key, no compression",
            "one LRUCache of the budget (high-priority pool 0.5) holding data blocks, partitioned index and filter blocks (top level pinned) and, " +
                "through a WriteBufferManager of budget/4, the memtables (write_buffer_size budget/8, at most 2)",
            "WriteOptions.setSync(true): the WAL is synced before each write returns (concurrent writers share a sync)",
            "WriteOptions.setSync(false): each write reaches the OS (WAL) before it returns; the harness calls flushWal(true) (sync) every 1 s",
            "replays the WAL of the memtables not yet flushed: at most about budget/4 of data, since memtables flush within the budget",
        ) { dir, o, create -> RocksStore(dir, o, create) },
        StoreKind(
            "lmdb", "LMDB through lmdbjava 0.9.3 (bundled liblmdb), one write transaction per write",
            "none: LMDB has no cache of its own, it reads its file through mmap, so its pages sit in the OS page cache; not bounded by the budget",
            "default flags: each write commits its own transaction, and mdb_txn_commit syncs the data and meta pages",
            "MDB_NOSYNC: commits reach the OS without a sync; the harness calls Env.sync(true) every 1 s",
            "no log: a copy-on-write B+tree whose last committed meta page is the recovery point",
        ) { dir, o, create -> LmdbStore(dir, o, create) },
        StoreKind(
            "mvstore", "H2 MVStore 2.4.240 (h2-mvstore), MVMap<Long, byte[]>, log-structured file of chunks",
            "MVStore.Builder.cacheSize = budget in MiB (its page cache, by its own memory estimates); unsaved changes are committed in the background (default 1 s delay, or at its write buffer size)",
            "MVStore.commit() then MVStore.sync() (FileChannel.force) after each write",
            "MVStore's background autocommit writes chunks without forcing them; the harness calls commit() and sync() every 1 s",
            "no log: open finds the last complete chunk",
        ) { dir, o, create -> MvStoreStore(dir, o, create) },
        StoreKind(
            "mapdb", "MapDB 3.1.0 file store (DBMaker.fileDB, RandomAccessFile, mmap off), BTreeMap<Long, byte[]>, transactions on",
            "none: MapDB 3.1 has no cache setting; reads go to the file through the OS page cache; not bounded by the budget",
            "DB.commit() after each write (a commit syncs the write-ahead log and the store)",
            "the harness calls DB.commit() every 1 s; writes since the last commit are only in the process",
            "replays the write-ahead log of the last commit",
        ) { dir, o, create -> MapDbStore(dir, o, create) },
    )

    /** The names of [all], in order. */
    val names: List<String> get() = all.map { it.name }

    /** The store called [name]; the exception lists the valid names. */
    fun byName(name: String): StoreKind =
        all.firstOrNull { it.name == name }
            ?: throw IllegalArgumentException("unknown store '$name'; known: ${names.joinToString()}")

    /**
     * Bytes of the write-ahead log files in [dir] for [store] (what a recovery replays); 0 for the
     * stores without a log.
     */
    fun logBytes(store: String, dir: Path): Long {
        val isLog: (String) -> Boolean = when (store) {
            "bftree" -> { n -> n.startsWith("wal-") && n.endsWith(".log") }
            "rocksdb" -> { n -> n.endsWith(".log") && n != "LOG" && !n.startsWith("LOG.") }
            "mapdb" -> { n -> n.contains(".wal.") }
            else -> { _ -> false }
        }
        if (!Files.isDirectory(dir)) return 0
        Files.list(dir).use { s -> return s.filter { isLog(it.fileName.toString()) }.mapToLong { Files.size(it) }.sum() }
    }
}

/**
 * The one loop of every adapter's scan: while fewer than [count] entries were read and [advance]
 * moves to another entry, adds the size of its [value]; returns the bytes read.
 */
internal inline fun scanSum(count: Int, advance: () -> Boolean, value: () -> ByteArray): Long {
    var bytes = 0L
    var n = 0
    while (n < count && advance()) {
        bytes += value().size
        n++
    }
    return bytes
}

/** The Bf-tree: keys as 8 big-endian bytes; see [PersistentStores.all] for its settings. */
internal class BfTreeStore(override val dir: Path, o: StoreOptions, create: Boolean) : PersistentStore {
    private val tree: BfTree = run {
        val b = BfTreeConfig.builder().memoryBudget(o.budget)
            .durability(if (o.durability.sync) Durability.SYNC else Durability.async(Duration.ofMillis(o.durability.intervalMs)))
        if (o.growLog) b.checkpointLogBytes(0)
        if (create) BfTree.create(dir, b.build()) else BfTree.open(dir, b.build())
    }

    override fun get(key: Long): ByteArray? = tree.get(KeyBytes.of(key))
    // Blind writes, as RocksDB's put and delete are: the benchmarks never use the previous value.
    override fun put(key: Long, value: ByteArray) = tree.upsert(KeyBytes.of(key), value)
    override fun delete(key: Long) = tree.erase(KeyBytes.of(key))

    override fun scan(from: Long, count: Int): Long =
        tree.cursor(KeyBytes.of(from), null).use { c -> scanSum(count, { c.next() }) { c.value() } }

    override fun flush() = tree.flush()
    override fun close() = tree.close()
}

/** RocksDB with its memtables charged to its block cache; see [PersistentStores.all]. */
internal class RocksStore(override val dir: Path, o: StoreOptions, create: Boolean) : PersistentStore {
    private val cache = run {
        RocksDB.loadLibrary() // before the first native object
        // Half the cache is the high-priority pool that index and filter blocks go to. (The Java
        // LRUCache(long) constructor has none: index blocks were then evicted by data blocks and
        // read again, whole, on most gets.)
        LRUCache(o.budget, -1, false, 0.5)
    }
    private val buffers = WriteBufferManager(o.budget / 4, cache)
    private val filter = BloomFilter(10.0)
    private val options: Options
    private val db: RocksDB
    private val writeOptions = WriteOptions().setSync(o.durability.sync)
    private val readOptions = ReadOptions()
    private val force: PeriodicForce?

    init {
        // Index and filter blocks live in the cache, counted in the budget, partitioned so that a
        // get reads one small partition; the top level of each is pinned (RocksDB's advice for a
        // block cache smaller than the index and filters of the data).
        val table = BlockBasedTableConfig().setBlockCache(cache).setBlockSize(4096)
            .setCacheIndexAndFilterBlocks(true).setCacheIndexAndFilterBlocksWithHighPriority(true)
            .setPinL0FilterAndIndexBlocksInCache(true).setPinTopLevelIndexAndFilter(true)
            .setIndexType(IndexType.kTwoLevelIndexSearch).setPartitionFilters(true).setMetadataBlockSize(4096)
            .setFilterPolicy(filter)
        options = Options().setCreateIfMissing(create).setErrorIfExists(create)
            .setWriteBufferManager(buffers).setWriteBufferSize(o.budget / 8).setMaxWriteBufferNumber(2)
            .setCompressionType(CompressionType.NO_COMPRESSION).setMaxBackgroundJobs(2)
            .setTableFormatConfig(table)
        db = RocksDB.open(options, dir.toString())
        force = if (o.durability.sync) null else PeriodicForce(o.durability.intervalMs, "rocksdb") { flush() }
    }

    override fun get(key: Long): ByteArray? = db.get(readOptions, KeyBytes.of(key))
    override fun put(key: Long, value: ByteArray) = db.put(writeOptions, KeyBytes.of(key), value)
    override fun delete(key: Long) = db.delete(writeOptions, KeyBytes.of(key))

    override fun scan(from: Long, count: Int): Long = db.newIterator(readOptions).use { it ->
        it.seek(KeyBytes.of(from))
        var first = true
        scanSum(count, {
            if (!first) it.next()
            first = false
            it.isValid
        }) { it.value() }
    }

    override fun flush() = db.flushWal(true)

    /** Waits until no flush or compaction runs or is pending (two quiet polls in a row). */
    override fun settle() {
        var quiet = 0
        while (quiet < 2) {
            val busy = listOf("rocksdb.num-running-compactions", "rocksdb.num-running-flushes",
                "rocksdb.compaction-pending", "rocksdb.mem-table-flush-pending").sumOf { db.getLongProperty(it) }
            quiet = if (busy == 0L) quiet + 1 else 0
            Thread.sleep(50)
        }
    }

    override fun close() {
        force?.close()
        db.close()
        listOf(options, writeOptions, readOptions, buffers, cache, filter).forEach { it.close() }
    }
}

/**
 * LMDB: one write transaction per write; reads in a read transaction that is reset between
 * operations and renewed for the next (the usual way to read LMDB cheaply). The read
 * transactions and buffers are pooled, not per thread: with `MDB_NOTLS` a read transaction may
 * move between threads, and a pool keeps the number of reader slots at the number of threads
 * that read at once (per-thread ones ran out of LMDB's reader slots as the harness started new
 * threads for every round).
 */
internal class LmdbStore(override val dir: Path, o: StoreOptions, create: Boolean) : PersistentStore {
    private val env: Env<ByteBuffer>
    private val dbi: Dbi<ByteBuffer>
    private val force: PeriodicForce?
    private val txns = ConcurrentLinkedQueue<Txn<ByteBuffer>>()
    private val idle = ConcurrentLinkedQueue<Local>()

    /** A read transaction (reset while unused) and direct key and value buffers, used by one thread at a time. */
    private inner class Local {
        val txn: Txn<ByteBuffer> = env.txnRead().also { it.reset(); txns.add(it) }
        val key: ByteBuffer = ByteBuffer.allocateDirect(8)
        var value: ByteBuffer = ByteBuffer.allocateDirect(256)

        fun key(k: Long): ByteBuffer = key.clear().putLong(k).flip()

        fun value(v: ByteArray): ByteBuffer {
            if (value.capacity() < v.size) value = ByteBuffer.allocateDirect(v.size)
            return value.clear().put(v).flip()
        }
    }


    init {
        if (!create) require(Files.exists(dir.resolve("data.mdb"))) { "no LMDB environment in $dir" }
        val flags = if (o.durability.sync) arrayOf(EnvFlags.MDB_NOTLS) else arrayOf(EnvFlags.MDB_NOTLS, EnvFlags.MDB_NOSYNC)
        env = Env.create().setMapSize(MAP_SIZE).setMaxDbs(1).setMaxReaders(64).open(dir.toFile(), *flags)
        dbi = env.openDbi("bench", DbiFlags.MDB_CREATE)
        force = if (o.durability.sync) null else PeriodicForce(o.durability.intervalMs, "lmdb") { flush() }
    }

    /** Runs [body] with an idle [Local] (a new one if none is idle), its transaction renewed if [read]. */
    private inline fun <T> borrow(read: Boolean, body: (Local) -> T): T {
        val l = idle.poll() ?: Local()
        try {
            if (read) l.txn.renew()
            try {
                return body(l)
            } finally {
                if (read) l.txn.reset()
            }
        } finally {
            idle.add(l)
        }
    }

    override fun get(key: Long): ByteArray? = borrow(true) { l ->
        dbi.get(l.txn, l.key(key))?.let { v -> ByteArray(v.remaining()).also { v.get(it) } }
    }

    override fun put(key: Long, value: ByteArray) = borrow(false) { l ->
        env.txnWrite().use { t ->
            dbi.put(t, l.key(key), l.value(value))
            t.commit()
        }
    }

    override fun delete(key: Long) = borrow(false) { l ->
        env.txnWrite().use { t ->
            dbi.delete(t, l.key(key))
            t.commit()
        }
    }

    override fun scan(from: Long, count: Int): Long = borrow(true) { l ->
        dbi.openCursor(l.txn).use { c ->
            var first = true
            scanSum(count, {
                val more = if (first) c.get(l.key(from), GetOp.MDB_SET_RANGE) else c.next()
                first = false
                more
            }) {
                val v = c.`val`()
                ByteArray(v.remaining()).also { copy -> v.get(copy) } // a copy per value, as the other stores return
            }
        }
    }

    override fun flush() = env.sync(true)

    override fun close() {
        force?.close()
        txns.forEach { it.close() }
        env.close()
    }

    private companion object {
        /** Address space reserved for the map; the file grows only as pages are written. */
        const val MAP_SIZE: Long = 32L shl 30
    }
}

/**
 * A store that is a concurrent map plus a commit (MVStore, MapDB): [flush] commits and forces;
 * in `SYNC` every write flushes before it returns, in `ASYNC` a [PeriodicForce] flushes. The
 * subclass opens its file [file] and calls [opened] at the end of its initialisation.
 */
internal abstract class CommittingMapStore(
    final override val dir: Path, private val o: StoreOptions, fileName: String, create: Boolean,
) : PersistentStore {
    /** The store's one file. */
    protected val file: Path = dir.resolve(fileName).also { if (!create) require(Files.exists(it)) { "no store file $it" } }

    /** The map of the records. */
    protected abstract val map: MutableMap<Long, ByteArray>

    private var force: PeriodicForce? = null

    /** Starts the asynchronous mode's timer, once the subclass is ready to flush. */
    protected fun opened() {
        if (!o.durability.sync) force = PeriodicForce(o.durability.intervalMs, dir.fileName.toString()) { flush() }
    }

    /** Stops the timer (before the subclass closes its store). */
    protected fun stopForce() {
        force?.close()
    }

    override fun get(key: Long): ByteArray? = map[key]
    override fun put(key: Long, value: ByteArray) {
        map[key] = value
        if (o.durability.sync) flush()
    }

    override fun delete(key: Long) {
        map.remove(key)
        if (o.durability.sync) flush()
    }
}

/** H2 MVStore; see [PersistentStores.all]. */
internal class MvStoreStore(dir: Path, o: StoreOptions, create: Boolean) : CommittingMapStore(dir, o, "store.mv", create) {
    private val store: MVStore = MVStore.Builder().fileName(file.toString()).cacheSize(maxOf(1, (o.budget shr 20).toInt())).open()
    override val map: MVMap<Long, ByteArray> =
        store.openMap("bench", MVMap.Builder<Long, ByteArray>().keyType(LongDataType.INSTANCE).valueType(ByteArrayDataType.INSTANCE))

    init {
        opened()
    }

    override fun scan(from: Long, count: Int): Long {
        val c = map.cursor(from)
        return scanSum(count, { c.hasNext().also { more -> if (more) c.next() } }) { c.value }
    }

    override fun flush() {
        store.commit()
        store.sync()
    }

    override fun close() {
        stopForce()
        store.close()
    }
}

/** MapDB's file store with transactions; see [PersistentStores.all]. */
internal class MapDbStore(dir: Path, o: StoreOptions, create: Boolean) : CommittingMapStore(dir, o, "store.db", create) {
    private val db: DB = DBMaker.fileDB(file.toFile()).transactionEnable().make()
    override val map: BTreeMap<Long, ByteArray> = db.treeMap("bench", Serializer.LONG, Serializer.BYTE_ARRAY).createOrOpen()

    init {
        opened()
    }

    override fun scan(from: Long, count: Int): Long {
        val it = map.tailMap(from, true).values.iterator()
        var v = ByteArray(0)
        return scanSum(count, { it.hasNext().also { more -> if (more) v = it.next() } }) { v }
    }

    override fun flush() = db.commit()

    override fun close() {
        stopForce()
        db.commit() // MapDB's close does not commit: a clean close keeps every write
        db.close()
    }
}
