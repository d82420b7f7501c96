package io.arboretum.benchmarks

import kotlinx.benchmark.Benchmark
import kotlinx.benchmark.BenchmarkMode
import kotlinx.benchmark.Measurement
import kotlinx.benchmark.Mode
import kotlinx.benchmark.OutputTimeUnit
import kotlinx.benchmark.Param
import kotlinx.benchmark.Scope
import kotlinx.benchmark.Setup
import kotlinx.benchmark.State
import kotlinx.benchmark.TearDown
import kotlinx.benchmark.Warmup
import org.openjdk.jmh.annotations.Fork
import org.openjdk.jmh.annotations.Level
import org.openjdk.jmh.infra.ThreadParams
import java.util.concurrent.TimeUnit

/**
 * The YCSB core mixes A–F over `Long` keys, through each implementation's [LongIndex] face.
 * Thread count comes from JMH (`-t`); the comparison job runs 1 and 2 threads. Both heap
 * regimes ([regime], see [Regime]) run in a fixed 4 GB heap.
 *
 * The `impl` values must list [Implementations.names] (a test checks it); JMH needs them as
 * constants here so that a plain `java -jar benchmarks.jar` runs every implementation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = ["-Xms" + Regime.HEAP, "-Xmx" + Regime.HEAP])
class YcsbLongBenchmark {
    /** Implementation name from [Implementations]. */
    @Param("skiplist", "btree", "masstree", "pma", "bwtree", "offheap", "offheap-map", "treemap-rwlock", "mapdb")
    var impl: String = ""

    /** YCSB mix, `A`..`F`. */
    @Param("A", "B", "C", "D", "E", "F")
    var workload: String = ""

    /** Key distribution of reads, updates and scans: `uniform` or `zipfian`. */
    @Param("zipfian", "uniform")
    var distribution: String = ""

    /** Records loaded before measuring. */
    @Param("100000")
    var records: Int = 0

    /** Heap regime, `aged` or `fresh` (see [Regime]). */
    @Param("aged", "fresh")
    var regime: String = ""

    /** The index under test, loaded with [records] records. */
    lateinit var index: LongIndex

    /**
     * Builds and loads the index (record numbers in insertion order, keys hashed), then ages it
     * in the aged regime.
     */
    @Setup(Level.Trial)
    fun load() {
        val aged = Regime.of(regime) == Regime.AGED
        index = Implementations.byName(impl).newLongIndex()
        for (r in 0 until records.toLong()) index.put(Keys.longKey(r), r)
        if (aged) Aging.age(index, records, { Keys.longKey(it.toLong()) }, { it.toLong() })
    }

    /** Releases the index. */
    @TearDown(Level.Trial)
    fun close() = index.close()

    /** One thread's precomputed operations. */
    @State(Scope.Thread)
    class Stream {
        /** Operation kinds. */
        lateinit var ops: ByteArray
        /** Keys of the operations. */
        lateinit var keys: LongArray
        /** Scan lengths. */
        lateinit var lengths: IntArray
        /** Next slot. */
        var next = 0

        /** Precomputes this thread's stream. */
        @Setup(Level.Trial)
        fun prepare(bench: YcsbLongBenchmark, thread: ThreadParams) {
            val s = OpStream(
                YcsbMix.valueOf(bench.workload), KeyDistribution.of(bench.distribution),
                bench.records.toLong(), thread.threadIndex, thread.threadCount,
            )
            ops = s.ops
            lengths = s.scanLengths
            keys = LongArray(s.size) { Keys.longKey(s.records[it]) }
        }
    }

    /** Runs the next operation of the calling thread's stream. */
    @Benchmark
    fun operation(s: Stream): Long {
        val i = s.next
        s.next = (i + 1) and (s.ops.size - 1)
        val key = s.keys[i]
        return when (s.ops[i]) {
            Op.READ -> index.get(key)
            Op.UPDATE, Op.INSERT -> {
                index.put(key, i.toLong()); 0L
            }
            Op.SCAN -> index.scan(key, s.lengths[i])
            else -> {
                val v = index.get(key)
                index.put(key, v + 1); v
            }
        }
    }
}

/**
 * The YCSB core mixes A–F over YCSB-style string keys (`"user" + hash`) and short string values,
 * through each implementation's `ConcurrentNavigableMap<String, String>`.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = ["-Xms" + Regime.HEAP, "-Xmx" + Regime.HEAP])
class YcsbStringBenchmark {
    /** Implementation name from [Implementations.stringNames] (the off-heap map takes long keys only). */
    @Param("skiplist", "btree", "masstree", "pma", "bwtree", "treemap-rwlock", "mapdb")
    var impl: String = ""

    /** YCSB mix, `A`..`F`. */
    @Param("A", "B", "C", "D", "E", "F")
    var workload: String = ""

    /** Key distribution: `uniform` or `zipfian`. */
    @Param("zipfian", "uniform")
    var distribution: String = ""

    /** Records loaded before measuring. */
    @Param("100000")
    var records: Int = 0

    /** Heap regime, `aged` or `fresh` (see [Regime]). */
    @Param("aged", "fresh")
    var regime: String = ""

    /** The map under test. */
    lateinit var open: OpenMap<String, String>

    /** Value strings written by loads and updates (shared, so writes allocate nothing). */
    val values: Array<String> = Array(16) { n -> ('a' + n).toString().repeat(100) }

    /** Builds and loads the map, then ages it in the aged regime (rewrites use new key strings). */
    @Setup(Level.Trial)
    fun load() {
        val aged = Regime.of(regime) == Regime.AGED
        open = Implementations.byName(impl).newStringMap()
        val map = open.map
        for (r in 0 until records.toLong()) map[Keys.stringKey(r)] = values[(r and 15).toInt()]
        if (aged) Aging.age(
            records,
            rewrite = { map[Keys.stringKey(it.toLong())] = values[it and 15] },
            remove = { map.remove(Keys.stringKey(it.toLong())) },
            reinsert = { map[Keys.stringKey(it.toLong())] = values[it and 15] },
        )
    }

    /** Releases the map. */
    @TearDown(Level.Trial)
    fun close() = open.close()

    /** One thread's precomputed operations. */
    @State(Scope.Thread)
    class Stream {
        /** Operation kinds. */
        lateinit var ops: ByteArray
        /** Keys of the operations. */
        lateinit var keys: Array<String>
        /** Scan lengths. */
        lateinit var lengths: IntArray
        /** Next slot. */
        var next = 0

        /** Precomputes this thread's stream. */
        @Setup(Level.Trial)
        fun prepare(bench: YcsbStringBenchmark, thread: ThreadParams) {
            val s = OpStream(
                YcsbMix.valueOf(bench.workload), KeyDistribution.of(bench.distribution),
                bench.records.toLong(), thread.threadIndex, thread.threadCount,
            )
            ops = s.ops
            lengths = s.scanLengths
            keys = Array(s.size) { Keys.stringKey(s.records[it]) }
        }
    }

    /** Runs the next operation of the calling thread's stream. */
    @Benchmark
    fun operation(s: Stream): Int {
        val i = s.next
        s.next = (i + 1) and (s.ops.size - 1)
        val key = s.keys[i]
        val map = open.map
        return when (s.ops[i]) {
            Op.READ -> map[key]?.length ?: 0
            Op.UPDATE, Op.INSERT -> {
                map[key] = values[i and 15]; 0
            }
            Op.SCAN -> {
                val it = map.tailMap(key).entries.iterator()
                var n = 0
                var sum = 0
                while (n < s.lengths[i] && it.hasNext()) {
                    sum += it.next().value.length
                    n++
                }
                sum
            }
            else -> {
                val v = map[key]
                map[key] = values[i and 15]
                v?.length ?: 0
            }
        }
    }
}
