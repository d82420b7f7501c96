package io.arboretum.benchmarks.persistent

import io.arboretum.benchmarks.KeyDistribution
import io.arboretum.benchmarks.Keys
import io.arboretum.benchmarks.Op
import io.arboretum.benchmarks.OpStream
import io.arboretum.benchmarks.ThroughputResult
import io.arboretum.benchmarks.YcsbMix
import java.nio.file.Files
import java.nio.file.Path
import java.util.Locale
import java.util.SplittableRandom
import java.util.concurrent.CountDownLatch
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicReference

/**
 * One measured cell of the persistent comparison: [workload] is a YCSB mix letter (`A`..`F`, see
 * [YcsbMix]) or one of `get` (point reads), `scan100` (scans of exactly 100 entries) and `put`
 * (overwrites of existing records); keys chosen by [distribution]; [threads] threads; stores
 * opened in [durability].
 */
data class PersistentCell(
    /** YCSB mix letter, `get`, `scan100` or `put`. */ val workload: String,
    /** How keys are chosen among the loaded records. */ val distribution: KeyDistribution,
    /** Threads running the cell at once. */ val threads: Int,
    /** The durability every store is opened in. */ val durability: StoreDurability,
) {
    init {
        require(workload in WORKLOADS) { "unknown workload '$workload'; known: ${WORKLOADS.joinToString()}" }
        require(threads >= 1) { "threads must be at least 1, was $threads" }
    }

    /** The report's suite name: `persistent-sync` or `persistent-async`. */
    val suite: String get() = SUITE_PREFIX + durability.id

    /** Workload names and the suite prefix. */
    companion object {
        /** Every workload a cell can run. */
        val WORKLOADS: List<String> = YcsbMix.entries.map { it.name } + listOf("get", "scan100", "put")

        /** Prefix of the persistent suites' names in reports. */
        const val SUITE_PREFIX: String = "persistent-"
    }
}

/**
 * A persistent comparison run: [stores] loaded with [records] records (8-byte keys, 100-byte
 * values) under a memory budget of [budget] bytes each, then [cells] measured side by side
 * (each store warmed up for [warmupMs], then [rounds] rounds of [roundMs], stores in rotating
 * order), [updates] random overwrites for the write amplification of updates (0: none), and a
 * recovery after a crash following [recoveryRecords] writes without a checkpoint (0: none). Every
 * store lives under [dir].
 */
data class PersistentSettings(
    /** Store names from [PersistentStores]. */ val stores: List<String>,
    /** Records loaded. */ val records: Int,
    /** Memory budget of each store, bytes. */ val budget: Long,
    /** Cells to measure. */ val cells: List<PersistentCell>,
    /** Warm-up per store and cell. */ val warmupMs: Long,
    /** Length of a measured round. */ val roundMs: Long,
    /** Measured rounds per store and cell. */ val rounds: Int,
    /** Random overwrites measured for write amplification after the load. */ val updates: Int,
    /** Records written before the simulated crash of the recovery measurement (0: skipped). */ val recoveryRecords: Int,
    /** Folder holding every store's directory. */ val dir: Path,
) {
    init {
        require(records > 0) { "records must be positive, was $records" }
        require(rounds >= 1) { "rounds must be at least 1, was $rounds" }
        stores.forEach { PersistentStores.byName(it) }
    }
}

/** What one store did outside the throughput cells: load, bytes on disk, write amplification, recovery. */
data class StoreResult(
    /** Store name. */ val store: String,
    /** Records loaded. */ val records: Long,
    /** Memory budget, bytes. */ val budget: Long,
    /** Seconds to load [records] (asynchronous durability, one thread, closing included). */ val loadSeconds: Double,
    /** Bytes of its files after the load and a clean close. */ val bytesOnDisk: Long,
    /** Bytes the device was sent during the load (`/proc/self/io` write_bytes minus cancelled_write_bytes) over user bytes. */ val loadWriteAmp: Double,
    /** Bytes passed to write calls during the load (`wchar`) over user bytes. */ val loadWriteAmpLogical: Double,
    /** Random overwrites measured after the load. */ val updates: Long,
    /** As [loadWriteAmp], for the overwrites (reopen and close included). */ val updateWriteAmp: Double,
    /** As [loadWriteAmpLogical], for the overwrites. */ val updateWriteAmpLogical: Double,
    /** Records written before the simulated crash (0: not measured). */ val recoveryRecords: Long,
    /** Bytes of log files found after the crash. */ val recoveryLogBytes: Long,
    /** Milliseconds to open (recover) the store after the crash, and read one key. */ val recoveryMs: Double,
    /** Why a figure is missing, or empty. */ val note: String = "",
) {
    /** Bytes on disk per record. */
    val bytesPerRecord: Double get() = if (records > 0) bytesOnDisk.toDouble() / records else Double.NaN

    /** Recovery milliseconds per GiB of log; `NaN` without a log of at least 1 MiB. */
    val recoveryMsPerGiB: Double get() =
        if (recoveryLogBytes >= 1 shl 20) recoveryMs / (recoveryLogBytes.toDouble() / (1L shl 30)) else Double.NaN
}

/** Everything a persistent run produced: throughput cells (suites `persistent-*`), store facts, how it ran. */
data class PersistentResults(
    /** One row per cell and store; the rounds are the "forks" of the report. */ val rows: List<ThroughputResult>,
    /** One entry per store. */ val stores: List<StoreResult>,
    /** Facts about the run. */ val environment: Map<String, String>,
)

/** The bytes counters of `/proc/self/io`. */
internal data class IoCounters(val writeBytes: Long, val cancelledWriteBytes: Long, val wchar: Long) {
    /** Bytes sent to the device: written minus cancelled (dirty pages of files deleted before writeback). */
    val deviceBytes: Long get() = writeBytes - cancelledWriteBytes

    operator fun minus(o: IoCounters) = IoCounters(writeBytes - o.writeBytes, cancelledWriteBytes - o.cancelledWriteBytes, wchar - o.wchar)

    companion object {
        /** The counters now, or null where `/proc/self/io` cannot be read. */
        fun read(): IoCounters? = runCatching {
            val m = Files.readAllLines(Path.of("/proc/self/io")).associate { l -> l.substringBefore(':') to l.substringAfter(':').trim().toLong() }
            IoCounters(m.getValue("write_bytes"), m.getValue("cancelled_write_bytes"), m.getValue("wchar"))
        }.getOrNull()
    }
}

/** The 100-byte values: 256 seeded random arrays (incompressible), record `r` gets `of(r)`. */
internal object Values {
    /** Bytes of every value. */
    const val SIZE: Int = 100
    private val pool: Array<ByteArray> = SplittableRandom(2026).let { rnd -> Array(256) { ByteArray(SIZE).also { b -> rnd.nextBytes(b) } } }

    /** The value of record (or version) [n]. */
    fun of(n: Long): ByteArray = pool[(n and 255).toInt()]

    /** Bytes of user data in one record: the 8-byte key and the value. */
    const val RECORD_BYTES: Int = 8 + SIZE
}

/**
 * One thread's precomputed operations for one cell (YCSB streams from [OpStream]; `get`,
 * `scan100` and `put` take [OpStream]'s read keys and change the kind). [size] operations: the
 * runner uses [SIZE], so that a uniform stream touches most records before it repeats (a short
 * stream that cycled through a few thousand keys would fit a record cache and measure it, not
 * the store).
 */
internal class CellStream(cell: PersistentCell, records: Long, thread: Int, size: Int = SIZE) {
    val ops: ByteArray
    val keys: LongArray
    val lengths: IntArray

    init {
        val mix = if (cell.workload.length == 1) YcsbMix.valueOf(cell.workload) else YcsbMix.C
        val s = OpStream(mix, cell.distribution, records, thread, cell.threads, size = size, seed = 7)
        ops = s.ops
        lengths = s.scanLengths
        keys = LongArray(s.size) { Keys.longKey(s.records[it]) }
        when (cell.workload) {
            "scan100" -> { ops.fill(Op.SCAN); lengths.fill(100) }
            "put" -> ops.fill(Op.UPDATE)
        }
    }

    /** The streams' length. */
    companion object {
        /** Operations per thread and cell: 2,097,152, twice the full profile's records. */
        const val SIZE: Int = 1 shl 21
    }

    /** Runs operation [i] on [store]; returns something that depends on what was read. */
    fun run(store: PersistentStore, i: Int): Long {
        val key = keys[i]
        return when (ops[i]) {
            Op.READ -> (store.get(key)?.size ?: 0).toLong()
            Op.UPDATE, Op.INSERT -> { store.put(key, Values.of(i.toLong())); 0L }
            Op.SCAN -> store.scan(key, lengths[i])
            else -> {
                val v = store.get(key)
                store.put(key, Values.of(i.toLong()))
                (v?.size ?: 0).toLong()
            }
        }
    }
}

/**
 * The persistent comparison itself, run in the current JVM (which needs the `--add-opens` of
 * [PersistentCompare.JVM_FLAGS] for LMDB): load, write amplification of updates, the cells, and
 * recovery. [progress] receives one line per step.
 */
class PersistentBench(private val s: PersistentSettings, private val progress: (String) -> Unit) {
    private val kinds = s.stores.map { PersistentStores.byName(it) }
    private fun storeDir(k: StoreKind) = s.dir.resolve(k.name)

    /** What the last worker read, written once per worker so that no read is dead code. */
    @Volatile
    private var lastSink = 0L

    /** Runs everything and returns the results. */
    fun run(): PersistentResults {
        Files.createDirectories(s.dir)
        val facts = kinds.associate { it.name to load(it) }.toMutableMap()
        val rows = mutableListOf<ThroughputResult>()
        for ((durability, cells) in s.cells.groupBy { it.durability }) rows += measure(durability, cells)
        if (s.recoveryRecords > 0) for (k in kinds) facts[k.name] = recover(k, facts.getValue(k.name))
        for (k in kinds) deleteTree(storeDir(k))
        val store = Files.getFileStore(s.dir)
        val env = linkedMapOf(
            "persistent records" to "${s.records} (8-byte keys, ${Values.SIZE}-byte values, ${fmt(s.records.toDouble() * Values.RECORD_BYTES / (1 shl 20))} MiB of user data)",
            "persistent memory budget" to "${fmt(s.budget.toDouble() / (1 shl 20))} MiB per store (${fmt(s.records.toDouble() * Values.RECORD_BYTES / s.budget)}x less than the user data)",
            "persistent directory" to "${s.dir.toAbsolutePath().normalize()} (filesystem ${store.type()} on ${store.name()})",
            "persistent rounds" to "warm-up ${s.warmupMs} ms per store and cell, then ${s.rounds} rounds of ${s.roundMs} ms, stores in rotating order",
        )
        return PersistentResults(rows, kinds.map { facts.getValue(it.name) }, env)
    }

    /** Loads [k] (asynchronous durability), closes it, then overwrites [PersistentSettings.updates] records; bytes counted around each. */
    private fun load(k: StoreKind): StoreResult {
        val dir = storeDir(k)
        deleteTree(dir)
        val options = StoreOptions(s.budget, StoreDurability.ASYNC)
        val io0 = IoCounters.read()
        val t0 = System.nanoTime()
        k.create(dir, options).use { st ->
            for (r in 0 until s.records.toLong()) st.put(Keys.longKey(r), Values.of(r))
            st.flush()
            st.settle()
        }
        val loadSeconds = (System.nanoTime() - t0) / 1e9
        val io1 = IoCounters.read()
        val onDisk = directoryBytes(dir)
        val user = s.records.toDouble() * Values.RECORD_BYTES
        progress("  ${k.name}: loaded ${s.records} records in ${fmt(loadSeconds)} s, ${fmt(onDisk.toDouble() / s.records)} bytes on disk per record")
        var updateAmp = Double.NaN
        var updateAmpLogical = Double.NaN
        if (s.updates > 0) {
            k.open(dir, options).use { st ->
                val rnd = SplittableRandom(11)
                repeat(s.updates) {
                    val r = rnd.nextLong(s.records.toLong())
                    st.put(Keys.longKey(r), Values.of(r + 1))
                }
                st.flush()
                st.settle()
            }
            val io2 = IoCounters.read()
            if (io1 != null && io2 != null) {
                val d = io2 - io1
                updateAmp = d.deviceBytes / (s.updates.toDouble() * Values.RECORD_BYTES)
                updateAmpLogical = d.wchar / (s.updates.toDouble() * Values.RECORD_BYTES)
            }
            progress("  ${k.name}: ${s.updates} random overwrites, write amplification ${fmt(updateAmp)} (device), ${fmt(updateAmpLogical)} (write calls)")
        }
        val d = if (io0 != null && io1 != null) io1 - io0 else null
        return StoreResult(k.name, s.records.toLong(), s.budget, loadSeconds, onDisk,
            d?.let { it.deviceBytes / user } ?: Double.NaN, d?.let { it.wchar / user } ?: Double.NaN,
            s.updates.toLong(), updateAmp, updateAmpLogical, 0, 0, Double.NaN,
            if (d == null) "/proc/self/io unreadable: no write amplification" else "")
    }

    /** Opens every store in [durability] and measures [cells], stores side by side. */
    private fun measure(durability: StoreDurability, cells: List<PersistentCell>): List<ThroughputResult> {
        val options = StoreOptions(s.budget, durability)
        val stores = kinds.map { it.open(storeDir(it), options) }
        val rows = mutableListOf<ThroughputResult>()
        try {
            for (cell in cells) {
                val streams = List(cell.threads) { CellStream(cell, s.records.toLong(), it) }
                val positions = List(stores.size) { IntArray(cell.threads) }
                val scores = List(stores.size) { mutableListOf<Double>() }
                val failures = arrayOfNulls<String>(stores.size)
                fun timed(j: Int, ms: Long): Double? {
                    if (failures[j] != null) return null
                    return try {
                        runFor(stores[j], streams, positions[j], ms)
                    } catch (e: Exception) {
                        failures[j] = "${e.javaClass.simpleName}: ${e.message}".replace('\t', ' ').replace('\n', ' ').take(200)
                        null
                    }
                }
                for (j in stores.indices) timed(j, s.warmupMs)
                for (round in 0 until s.rounds) {
                    for (o in stores.indices) {
                        val j = (round + o) % stores.size
                        timed(j, s.roundMs)?.let { scores[j] += it }
                    }
                }
                val line = StringBuilder("  ${cell.suite} ${cell.workload} ${cell.distribution.id} t=${cell.threads}:")
                for (j in stores.indices) {
                    val r = ThroughputResult(cell.suite, cell.workload, cell.distribution.id, "-", cell.threads, kinds[j].name,
                        if (failures[j] == null) scores[j] else emptyList(), failures[j] ?: "")
                    rows += r
                    line.append(" ${kinds[j].name} ${if (r.ok) fmt(r.opsPerSecond / 1000) + " k" else "n/a"}")
                }
                progress("$line ops/s")
            }
        } finally {
            stores.forEach { runCatching { it.close() } }
        }
        return rows
    }

    /** Runs [streams] on [store] from [threads] threads for [ms] and returns operations per second. */
    private fun runFor(store: PersistentStore, streams: List<CellStream>, positions: IntArray, ms: Long): Double {
        val stop = AtomicBoolean(false)
        val counts = LongArray(streams.size)
        val failure = AtomicReference<Throwable>()
        val ready = CountDownLatch(streams.size)
        val go = CountDownLatch(1)
        val workers = streams.mapIndexed { t, stream ->
            Thread {
                var i = positions[t]
                var n = 0L
                var sink = 0L
                ready.countDown()
                go.await()
                try {
                    while (!stop.get()) {
                        sink += stream.run(store, i)
                        i = (i + 1) and (stream.ops.size - 1)
                        n++
                    }
                } catch (e: Throwable) {
                    failure.compareAndSet(null, e)
                }
                positions[t] = i
                counts[t] = n
                lastSink = sink // keeps the reads observable to the JIT
            }.apply { isDaemon = true; start() }
        }
        ready.await()
        val t0 = System.nanoTime()
        go.countDown()
        Thread.sleep(ms)
        stop.set(true)
        workers.forEach { it.join() }
        val seconds = (System.nanoTime() - t0) / 1e9
        failure.get()?.let { throw RuntimeException(it.toString(), it) }
        return counts.sum() / seconds
    }

    /**
     * Recovery of [k]: a separate JVM creates the store with its log left to grow, writes
     * [PersistentSettings.recoveryRecords] records, forces them and halts (no close: a crash);
     * this JVM then times the open (recovery) and a read of the last record.
     */
    private fun recover(k: StoreKind, loaded: StoreResult): StoreResult {
        val dir = s.dir.resolve("recovery-${k.name}")
        deleteTree(dir)
        val cmd = PersistentCompare.javaCommand(listOf(PersistentCompare.WRITER, k.name, dir.toString(),
            s.recoveryRecords.toString(), s.budget.toString()))
        val rc = ProcessBuilder(cmd).inheritIO().start().waitFor()
        val logBytes = PersistentStores.logBytes(k.name, dir)
        val last = s.recoveryRecords - 1L
        return try {
            val t0 = System.nanoTime()
            val ok = k.open(dir, StoreOptions(s.budget, StoreDurability.ASYNC)).use { st ->
                val v = st.get(Keys.longKey(last))
                val ms = (System.nanoTime() - t0) / 1e6
                check(v != null && v.contentEquals(Values.of(last))) { "record $last lost in the crash" }
                ms
            }
            progress("  ${k.name}: recovered ${fmt(logBytes.toDouble() / (1 shl 20))} MiB of log in ${fmt(ok)} ms (writer exit status $rc)")
            loaded.copy(recoveryRecords = s.recoveryRecords.toLong(), recoveryLogBytes = logBytes, recoveryMs = ok)
        } catch (e: Exception) {
            loaded.copy(recoveryRecords = s.recoveryRecords.toLong(), recoveryLogBytes = logBytes,
                note = (loaded.note + " recovery failed: ${e.javaClass.simpleName}: ${e.message}").trim())
        } finally {
            deleteTree(dir)
        }
    }

    /** Helpers shared with the writer JVM. */
    companion object {
        /**
         * The writer side of a recovery measurement: creates [store] in [dir] with its log left to
         * grow, writes [records] records, forces them, and halts the JVM without closing anything.
         */
        fun writeAndCrash(store: String, dir: Path, records: Int, budget: Long): Nothing {
            val st = PersistentStores.byName(store).create(dir, StoreOptions(budget, StoreDurability.ASYNC, growLog = true))
            for (r in 0 until records.toLong()) st.put(Keys.longKey(r), Values.of(r))
            st.flush()
            Runtime.getRuntime().halt(0)
            throw IllegalStateException("halt returned")
        }

        internal fun fmt(d: Double): String = if (d.isNaN()) "n/a" else String.format(Locale.ROOT, if (d >= 100) "%.0f" else "%.2f", d)
    }
}
