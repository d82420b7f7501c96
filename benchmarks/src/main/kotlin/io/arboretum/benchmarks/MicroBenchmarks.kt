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
import org.openjdk.jmh.annotations.Threads
import org.openjdk.jmh.infra.ThreadParams
import site.ycsb.generator.ScrambledZipfianGenerator
import java.util.SplittableRandom
import java.util.concurrent.TimeUnit

/** Precomputed random keys shared by the microbenchmarks. */
internal object MicroKeys {
    /**
     * [count] distinct pseudo-random keys, reproducible from [seed]: a bijective 64-bit mix
     * (SplitMix64's finalizer) of `seed * 2^32 + i`, so no two indexes give the same key.
     */
    fun distinct(count: Int, seed: Long): LongArray = LongArray(count) { key(it.toLong(), seed) }

    /** The [i]-th key of the sequence [distinct] draws from. */
    fun key(i: Long, seed: Long): Long {
        var z = (seed shl 32) + i
        z = (z xor (z ushr 30)) * -0x40a7b892e31b1a47L
        z = (z xor (z ushr 27)) * -0x6b2fb644ecceee15L
        return z xor (z ushr 31)
    }
}

/**
 * Read microbenchmarks on a map of [size] random `Long` keys: `get` of present keys (uniform),
 * 100-entry and 10,000-entry scans from a random present key through
 * `tailMap(k).entrySet().iterator()` (or the index's own cursor where it has one), and the
 * 95% get / 5% put zipfian mix on 2 threads. Run with `-t 1` and `-t 2` for the thread counts.
 *
 * Each runs in both heap regimes ([regime], see [Regime]): `aged` (the map built, then aged by
 * churn and full collections) and `fresh` (measured as built), in a fixed 4 GB heap.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = ["-Xms" + Regime.HEAP, "-Xmx" + Regime.HEAP])
class ReadMicroBenchmark {
    /** Implementation name from [Implementations]. */
    @Param("skiplist", "btree", "masstree", "pma", "bwtree", "offheap", "offheap-map", "treemap-rwlock", "mapdb")
    var impl: String = ""

    /** Entries in the map. */
    @Param("1000000")
    var size: Int = 0

    /** Heap regime, `aged` or `fresh` (see [Regime]). */
    @Param("aged", "fresh")
    var regime: String = ""

    /** The loaded index. */
    lateinit var index: LongIndex

    /** The keys present in [index], in random order. */
    lateinit var keys: LongArray

    /** Loads [size] random keys, then ages the map in the aged regime. */
    @Setup(Level.Trial)
    fun load() {
        val r = Regime.of(regime)
        keys = MicroKeys.distinct(size, 7)
        index = Implementations.byName(impl).newLongIndex()
        for (k in keys) index.put(k, k and 0xFFFF)
        if (r == Regime.AGED) Aging.age(index, size, { keys[it] }, { keys[it] and 0xFFFF })
    }

    /** Releases the index. */
    @TearDown(Level.Trial)
    fun close() = index.close()

    /** A thread's cursor and its precomputed zipfian picks. */
    @State(Scope.Thread)
    class Cursor {
        /** Next position in the key array. */
        var next = 0
        /** Zipfian-chosen key positions (for [mixedZipfian]). */
        lateinit var hot: IntArray
        /** Whether each slot of [hot] is a put (5%). */
        lateinit var isPut: BooleanArray

        /** Starts each thread at a different place and precomputes its zipfian stream. */
        @Setup(Level.Trial)
        fun prepare(bench: ReadMicroBenchmark, thread: ThreadParams) {
            next = (bench.size / thread.threadCount) * thread.threadIndex
            val zipf = ScrambledZipfianGenerator(0, bench.size - 1L)
            val rnd = SplittableRandom(11L + thread.threadIndex)
            hot = IntArray(1 shl 16) { zipf.nextValue().toInt() }
            isPut = BooleanArray(1 shl 16) { rnd.nextDouble() < 0.05 }
        }

        /** Next position in [hot]. */
        var hotNext = 0

        /** The next slot of the key array (of length [bound]). */
        fun step(bound: Int): Int {
            val i = next
            next = if (i + 1 >= bound) 0 else i + 1
            return i
        }

        /** The next slot of [hot] (its length is a power of two). */
        fun stepHot(): Int {
            val i = hotNext
            hotNext = (i + 1) and (hot.size - 1)
            return i
        }
    }

    /** `get` of a present key, keys in uniform random order. */
    @Benchmark
    fun get(c: Cursor): Long = index.get(keys[c.step(keys.size)])

    /** Reads 100 entries starting at a random present key. */
    @Benchmark
    fun scan100(c: Cursor): Long = index.scan(keys[c.step(keys.size)], 100)

    /**
     * Reads 10,000 entries starting at a random present key: the long range scan of analytics-style
     * reads, where an index that keeps its entries contiguous (the packed memory array) should lead.
     */
    @Benchmark
    fun scan10000(c: Cursor): Long = index.scan(keys[c.step(keys.size)], 10_000)

    /** 95% get / 5% put of zipfian-chosen present keys, two threads. */
    @Benchmark
    @Threads(2)
    fun mixedZipfian(c: Cursor): Long {
        val i = c.stepHot()
        val k = keys[c.hot[i]]
        if (c.isPut[i]) {
            index.put(k, i.toLong())
            return 0L
        }
        return index.get(k)
    }
}

/**
 * Bulk load: one invocation puts [size] random keys into an empty index (split between the
 * threads, each thread its own slice). Single-shot timing; the comparison job turns it into
 * puts per second. It builds a new index each iteration, so it has no aged regime; it runs in
 * the same fixed heap as the read benchmarks.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = ["-Xms" + Regime.HEAP, "-Xmx" + Regime.HEAP])
class PutMicroBenchmark {
    /** Implementation name from [Implementations]. */
    @Param("skiplist", "btree", "masstree", "pma", "bwtree", "offheap", "offheap-map", "treemap-rwlock", "mapdb")
    var impl: String = ""

    /** Keys put per invocation. */
    @Param("1000000")
    var size: Int = 0

    /** Keys to put. */
    lateinit var keys: LongArray

    /** The index being filled (fresh each iteration). */
    lateinit var index: LongIndex

    /** Precomputes the keys once. */
    @Setup(Level.Trial)
    fun keys() {
        keys = MicroKeys.distinct(size, 13)
    }

    /** A fresh empty index per iteration. */
    @Setup(Level.Iteration)
    fun fresh() {
        index = Implementations.byName(impl).newLongIndex()
    }

    /** Releases the iteration's index. */
    @TearDown(Level.Iteration)
    fun release() = index.close()

    /** Puts this thread's slice of the keys. */
    @Benchmark
    fun putAll(thread: ThreadParams): Long {
        val n = thread.threadCount
        val t = thread.threadIndex
        val from = (keys.size.toLong() * t / n).toInt()
        val to = (keys.size.toLong() * (t + 1) / n).toInt()
        for (i in from until to) index.put(keys[i], i.toLong())
        return index.size()
    }
}
