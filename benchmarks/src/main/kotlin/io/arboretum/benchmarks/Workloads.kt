package io.arboretum.benchmarks

import site.ycsb.Utils
import site.ycsb.generator.ScrambledZipfianGenerator
import site.ycsb.generator.ZipfianGenerator
import java.util.SplittableRandom

/** One YCSB operation kind, as stored in a precomputed [OpStream]. */
object Op {
    /** Read one record. */
    const val READ: Byte = 0
    /** Overwrite one existing record. */
    const val UPDATE: Byte = 1
    /** Insert a new record. */
    const val INSERT: Byte = 2
    /** Read a short ascending range. */
    const val SCAN: Byte = 3
    /** Read one record, then write it back. */
    const val READ_MODIFY_WRITE: Byte = 4
}

/**
 * The YCSB core workload mixes (proportions as in YCSB's `workloads/workloada`..`workloadf`;
 * facts from the YCSB documentation, not copied text). [readLatest] makes reads favour the most
 * recently inserted records (workload D).
 */
enum class YcsbMix(
    /** Share of reads. */ val read: Double,
    /** Share of updates. */ val update: Double,
    /** Share of inserts. */ val insert: Double,
    /** Share of short scans. */ val scan: Double,
    /** Share of read-modify-writes. */ val readModifyWrite: Double,
    /** Whether reads pick recent inserts (workload D). */ val readLatest: Boolean,
    /** One line for reports. */ val label: String,
) {
    /** Update heavy: 50% read, 50% update. */
    A(0.5, 0.5, 0.0, 0.0, 0.0, false, "50% read / 50% update"),
    /** Read mostly: 95% read, 5% update. */
    B(0.95, 0.05, 0.0, 0.0, 0.0, false, "95% read / 5% update"),
    /** Read only. */
    C(1.0, 0.0, 0.0, 0.0, 0.0, false, "100% read"),
    /** Read latest: 95% read of recent records, 5% insert. */
    D(0.95, 0.0, 0.05, 0.0, 0.0, true, "95% read latest / 5% insert"),
    /** Short ranges: 95% scan (1..100 entries), 5% insert. */
    E(0.0, 0.0, 0.05, 0.95, 0.0, false, "95% scan / 5% insert"),
    /** Read-modify-write: 50% read, 50% read-modify-write. */
    F(0.5, 0.0, 0.0, 0.0, 0.5, false, "50% read / 50% read-modify-write"),
}

/** How keys of reads, updates and scans are chosen among the loaded records. */
enum class KeyDistribution {
    /** Every loaded record equally likely. */
    UNIFORM,
    /** YCSB's scrambled zipfian, constant 0.99: a few hot records spread over the key space. */
    ZIPFIAN;

    /** The lower-case name used in `@Param` and reports. */
    val id: String get() = name.lowercase()

    /** Lookup by [id]. */
    companion object {
        /** The distribution whose [id] is [id]. */
        fun of(id: String): KeyDistribution =
            entries.firstOrNull { it.id == id }
                ?: throw IllegalArgumentException("unknown key distribution '$id'; known: uniform, zipfian")
    }
}

/** Record numbers to keys, YCSB style: the number is hashed so that inserts land all over the key space. */
object Keys {
    /** The `Long` key of record [record]: its non-negative 64-bit FNV hash (as YCSB hashes record numbers). */
    fun longKey(record: Long): Long = Utils.fnvhash64(record)

    /** The YCSB-style string key of record [record]: `"user"` followed by its hash. */
    fun stringKey(record: Long): String = "user" + Utils.fnvhash64(record)
}

/**
 * A precomputed per-thread stream of YCSB operations: kind, record number and scan length for
 * each of [size] slots. Benchmarks cycle through it, so no random numbers or key strings are made
 * inside the measured loop. After the first cycle, the stream's inserts overwrite records they
 * inserted before (the map stops growing), which keeps iterations comparable.
 */
class OpStream(
    mix: YcsbMix,
    distribution: KeyDistribution,
    /** Records loaded before the run: record numbers `0 until records`. */ records: Long,
    thread: Int,
    threads: Int,
    /** Number of precomputed operations. */ val size: Int = 1 shl 15,
    seed: Long = 42,
) {
    /** Operation kinds, see [Op]. */
    val ops = ByteArray(size)
    /** Record number of each operation. */
    val records = LongArray(size)
    /** Entries each scan reads (1..100), 0 for other kinds. */
    val scanLengths = IntArray(size)

    init {
        require(records > 0) { "records must be positive, was $records" }
        require(thread in 0 until threads) { "thread $thread out of range 0 until $threads" }
        val rnd = SplittableRandom(seed * 1_000_003 + thread)
        val scrambled = ScrambledZipfianGenerator(0, records - 1)
        val recent = ZipfianGenerator(records)
        var inserted = 0L
        for (i in 0 until size) {
            val p = rnd.nextDouble()
            val op = when {
                p < mix.read -> Op.READ
                p < mix.read + mix.update -> Op.UPDATE
                p < mix.read + mix.update + mix.insert -> Op.INSERT
                p < mix.read + mix.update + mix.insert + mix.scan -> Op.SCAN
                else -> Op.READ_MODIFY_WRITE
            }
            ops[i] = op
            if (op == Op.INSERT) {
                // Threads insert disjoint record numbers after the loaded ones.
                this.records[i] = records + thread + threads * inserted
                inserted++
            } else if (mix.readLatest) {
                // Approximate newest record across all threads, minus a zipfian offset.
                val newest = records - 1 + threads * inserted
                this.records[i] = maxOf(0L, newest - recent.nextValue())
            } else {
                this.records[i] = when (distribution) {
                    KeyDistribution.UNIFORM -> rnd.nextLong(records)
                    KeyDistribution.ZIPFIAN -> scrambled.nextValue()
                }
            }
            if (op == Op.SCAN) scanLengths[i] = 1 + rnd.nextInt(100)
        }
    }
}
