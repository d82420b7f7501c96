package io.arboretum.benchmarks.persistent

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.Executors
import java.util.concurrent.ScheduledExecutorService
import java.util.concurrent.TimeUnit
import kotlin.io.path.isRegularFile

/**
 * When a write of a [PersistentStore] is on disk. [SYNC]: every acknowledged write has been
 * forced to the device (fsync or fdatasync) before the call returns. [async]: a write returns
 * before it is forced; everything acknowledged is forced within [intervalMs] (by the store's own
 * timer, or by a [PeriodicForce] the adapter starts). What each store does in each mode is in
 * [StoreKind.syncSetting] and [StoreKind.asyncSetting].
 */
data class StoreDurability(
    /** Whether each write is forced before it returns. */ val sync: Boolean,
    /** Longest time an acknowledged write stays unforced in the asynchronous mode. */ val intervalMs: Long = 1000,
) {
    /** `sync` or `async`, as in reports and on command lines. */
    val id: String get() = if (sync) "sync" else "async"

    override fun toString(): String = if (sync) "SYNC" else "ASYNC(${intervalMs} ms)"

    /** The two modes and their lookup. */
    companion object {
        /** Every write forced before it returns. */
        val SYNC: StoreDurability = StoreDurability(true)

        /** Writes forced every second. */
        val ASYNC: StoreDurability = StoreDurability(false, 1000)

        /** The mode whose [id] is [id]. */
        fun of(id: String): StoreDurability = when (id) {
            "sync" -> SYNC
            "async" -> ASYNC
            else -> throw IllegalArgumentException("unknown durability '$id'; known: sync, async")
        }
    }
}

/**
 * An embedded persistent ordered key-value store under test, through the one face the persistent
 * benchmarks use: 8-byte `Long` keys (non-negative, so that signed order, big-endian byte order and
 * unsigned byte order agree) and `byte[]` values. Every store lives in its own directory [dir].
 * Thread-safe: the benchmarks call it from one or two threads at once.
 */
interface PersistentStore : AutoCloseable {
    /** The directory holding every file of this store. */
    val dir: Path

    /** The value of [key], or null. */
    fun get(key: Long): ByteArray?

    /** Sets [key] to [value]; durable when it returns in the [StoreDurability.SYNC] mode. */
    fun put(key: Long, value: ByteArray)

    /** Removes [key] if present; durable as [put]. */
    fun delete(key: Long)

    /**
     * Reads up to [count] entries, ascending, from the first key at least [from], and returns the
     * number of value bytes read (so the JIT cannot drop the reads).
     */
    fun scan(from: Long, count: Int): Long

    /** Forces every acknowledged write to the device. */
    fun flush()

    /**
     * Waits until the store's background work (flushes, compactions) has finished, so that bytes
     * written afterwards belong to whatever runs next. A no-op for stores without any.
     */
    fun settle() {}

    /** Bytes of every regular file under [dir] (apparent sizes). */
    fun bytesOnDisk(): Long = directoryBytes(dir)

    /** Closes the store cleanly (each store's own close: a checkpoint, a final commit, ...). */
    override fun close()
}

/**
 * How a store is opened: [budget] bytes for its own cache (as each [StoreKind.budgetSetting] says),
 * [durability], and [growLog]: no checkpoint or log truncation that the store lets the user turn
 * off (for the recovery measurement: only the Bf-tree can turn its checkpoints off, see
 * [StoreKind.recoveryNote]).
 */
data class StoreOptions(
    /** Bytes of memory the store may use for its cache. */ val budget: Long,
    /** When writes are on disk. */ val durability: StoreDurability,
    /** Whether to let the log grow without checkpoints (recovery runs). */ val growLog: Boolean = false,
)

/**
 * One store kind of the persistent comparison: its name, what it is, how it is configured to match
 * the memory budget and each durability mode (said in the report), and how it opens.
 */
class StoreKind internal constructor(
    /** Short name used on command lines and in reports. */ val name: String,
    /** What it is, with its version. */ val description: String,
    /** How its memory is held to the budget (or that it is not). */ val budgetSetting: String,
    /** What `SYNC` means for it here. */ val syncSetting: String,
    /** What `ASYNC` means for it here. */ val asyncSetting: String,
    /** What its recovery replays. */ val recoveryNote: String,
    private val opener: (Path, StoreOptions, Boolean) -> PersistentStore,
) {
    /** Creates a new store in [dir] (which must not hold one). */
    fun create(dir: Path, options: StoreOptions): PersistentStore {
        Files.createDirectories(dir)
        return opener(dir, options, true)
    }

    /** Opens (and so recovers) the store in [dir]. */
    fun open(dir: Path, options: StoreOptions): PersistentStore = opener(dir, options, false)

    override fun toString(): String = name
}

/** Sum of the apparent sizes of the regular files under [dir] (0 if it does not exist). */
fun directoryBytes(dir: Path): Long {
    if (!Files.isDirectory(dir)) return 0
    Files.walk(dir).use { s -> return s.filter { it.isRegularFile() }.mapToLong { runCatching { Files.size(it) }.getOrDefault(0L) }.sum() }
}

/** Deletes [dir] and everything under it, if it exists. */
fun deleteTree(dir: Path) {
    if (!Files.exists(dir)) return
    Files.walk(dir).use { s -> s.sorted(Comparator.reverseOrder()).forEach { Files.deleteIfExists(it) } }
}

/**
 * The asynchronous mode's timer for stores that have none of their own: calls [force] every
 * [intervalMs] on a daemon thread until [close].
 */
class PeriodicForce(intervalMs: Long, name: String, force: () -> Unit) : AutoCloseable {
    private val timer: ScheduledExecutorService = Executors.newSingleThreadScheduledExecutor { r ->
        Thread(r, "periodic-force-$name").apply { isDaemon = true }
    }

    init {
        timer.scheduleWithFixedDelay({ runCatching(force) }, intervalMs, intervalMs, TimeUnit.MILLISECONDS)
    }

    /** Stops the timer and waits for a force in progress. */
    override fun close() {
        timer.shutdown()
        timer.awaitTermination(1, TimeUnit.MINUTES)
    }
}

/** Big-endian 8-byte encoding of `Long` keys: byte order equals numeric order for non-negative keys. */
object KeyBytes {
    /** The 8 bytes of [key], most significant first. */
    fun of(key: Long): ByteArray {
        val b = ByteArray(8)
        for (i in 0 until 8) b[i] = (key ushr (56 - 8 * i)).toByte()
        return b
    }
}
