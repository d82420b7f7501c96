package io.arboretum.benchmarks

import io.arboretum.bwtree.BwTreeMap
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
import org.openjdk.jmh.annotations.AuxCounters
import org.openjdk.jmh.annotations.Fork
import org.openjdk.jmh.annotations.Level
import org.openjdk.jmh.annotations.Threads
import org.openjdk.jmh.infra.BenchmarkParams
import org.openjdk.jmh.infra.ThreadParams
import java.util.SplittableRandom
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.TimeUnit

/**
 * What issue 18 still asks to be measured about `BwTreeMap`: the delta-chain length distribution
 * and the CAS failure rate under two-thread contention on a hot key range, and the consolidation
 * threshold that balances them against plain single-thread speed. Every cell runs once per
 * [consolidateThreshold]; the maps are measured as built (no aging), in the fixed heap of
 * [Regime.HEAP].
 *
 * - [hotRange]: a map of [HotRange.hotMapSize] keys `0 until hotMapSize`, loaded in random order,
 *   and a hot range of [HotRange.hotKeys] consecutive keys in its middle. Each operation picks a
 *   hot key uniformly: 50% `put`, 25% `remove`, 25% `get` (the range stays about two-thirds
 *   full). Two threads (`-t` changes that; at `-t 1` no CAS can fail). Besides ops/s it reports
 *   JMH secondary results per iteration, [HotCounters]: failed slot CASes and consolidations per
 *   operation, and the 50th and 90th percentile, the longest and the mean chain length of the
 *   hot range's leaves, sampled every 1,024 operations of the first thread and at the end of
 *   the iteration (see [HotCounters] for why sampled).
 * - [uniformGet] and [uniformPut]: one thread, a map of [Uniform.uniformSize] random keys,
 *   `get` and `put` (replacing the value) of present keys in uniform random order: what the
 *   threshold costs a read (longer chains to walk) and a write (more frequent consolidations)
 *   without contention.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = ["-Xms" + Regime.HEAP, "-Xmx" + Regime.HEAP])
class BwTreeContentionBenchmark {
    /** The maps' consolidation threshold (`BwTreeMap.Builder.consolidateThreshold`; the default is 4). */
    @Param("2", "4", "8", "16", "32")
    var consolidateThreshold: Int = 0

    /** A new empty map with [consolidateThreshold] and the default node capacity. */
    fun newMap(): BwTreeMap<Long, Long> =
        BwTreeMap.builder<Long, Long>().consolidateThreshold(consolidateThreshold).build()

    /** The map and hot range of [hotRange]. */
    @State(Scope.Benchmark)
    class HotRange {
        /** Consecutive keys in the hot range. */
        @Param("64")
        var hotKeys: Int = 0

        /** Keys loaded before measuring (`0 until hotMapSize`). */
        @Param("100000")
        var hotMapSize: Int = 0

        /** The map under test. */
        lateinit var map: BwTreeMap<Long, Long>

        /** The hot keys in ascending order, boxed once so that the loop allocates only what the map does. */
        lateinit var keys: Array<Long>

        /** Every thread's worker, for the operation count of an iteration (see [HotCounters.end]). */
        val workers = CopyOnWriteArrayList<HotWorker>()

        /** Loads `0 until hotMapSize` in random order and picks the hot range in the middle. */
        @Setup(Level.Trial)
        fun load(bench: BwTreeContentionBenchmark) {
            require(hotKeys in 1..hotMapSize) { "hotKeys must be between 1 and hotMapSize, was $hotKeys" }
            map = bench.newMap()
            val order = LongArray(hotMapSize) { it.toLong() }
            val rnd = SplittableRandom(18)
            for (i in order.size - 1 downTo 1) {
                val j = rnd.nextInt(i + 1)
                val t = order[i]
                order[i] = order[j]
                order[j] = t
            }
            for (k in order) map[k] = k
            val from = hotMapSize / 2L - hotKeys / 2
            keys = Array(hotKeys) { from + it }
        }

        /** Statistics of the leaves that cover the hot range (the map's counters with them). */
        fun hotStatistics(): BwTreeMap.Statistics = map.statistics(keys[0], keys[keys.size - 1])
    }

    /** A thread's precomputed stream of hot-range operations and its operation count. */
    @State(Scope.Thread)
    class HotWorker {
        /** Index into [HotRange.keys] of each operation. */
        lateinit var slots: IntArray

        /** Each operation: [PUT], [REMOVE] or [GET]. */
        lateinit var ops: ByteArray

        /** Operations this thread has run since its iteration began (written by this thread only). */
        var done = 0L

        /** Whether this thread samples the hot range's chains (the first thread does). */
        var sampler = false

        private var next = 0

        /** Draws this thread's stream and registers the worker with the range. */
        @Setup(Level.Trial)
        fun prepare(range: HotRange, thread: ThreadParams) {
            val rnd = SplittableRandom(31L + thread.threadIndex)
            slots = IntArray(STREAM) { rnd.nextInt(range.hotKeys) }
            ops = ByteArray(STREAM) {
                val r = rnd.nextInt(4)
                if (r < 2) PUT else if (r == 2) REMOVE else GET
            }
            sampler = thread.threadIndex == 0
            range.workers.add(this)
        }

        /** Counts from zero in every iteration. */
        @Setup(Level.Iteration)
        fun reset() {
            done = 0
        }

        /** The position of the next operation in the stream. */
        fun step(): Int {
            val i = next
            next = (i + 1) and (STREAM - 1)
            done++
            return i
        }

        /** Operation codes and the stream length. */
        companion object {
            /** Operations drawn per thread (a power of two). */
            const val STREAM: Int = 1 shl 16

            /** `put(k, k)`. */
            const val PUT: Byte = 0

            /** `remove(k)`. */
            const val REMOVE: Byte = 1

            /** `get(k)`. */
            const val GET: Byte = 2
        }
    }

    /**
     * JMH secondary results of [hotRange], one value per iteration. The first thread computes them
     * and every other thread reports 0, because JMH adds up a counter over threads.
     *
     * The hot range lies in two or three leaves, so the chain lengths at one instant say little; the
     * first thread therefore adds the hot leaves' chain lengths to a histogram every 1,024 of its
     * operations (one descent and two or three page reads, well under a percent of the time of those
     * operations) and once at the end of the iteration, and the percentiles are of those samples:
     * the lengths that an operation on the range meets over time.
     *
     * JMH adds an `EVENTS` counter up over threads, over the measured iterations and over the
     * forks (a run of 2 forks × 5 iterations reports the sum of 10 values). Each value is therefore
     * divided by the number of measured iterations times forks ([share]), so that the score JMH
     * prints is the mean over the iterations of each iteration's value, and its raw data (`-rf
     * json`) are the per-iteration values so divided. (Before this division the printed scores
     * were sums: the first two measurements in the benchmarks guide read 5 and 10 times too high.)
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    class HotCounters {
        // The counters are `final` against the all-open plugin: @JvmField needs a final property,
        // and JMH reads only public fields (a getter would be reported under its `get` name).
        /** Failed slot CASes per operation, over both threads' operations in the iteration. */
        @JvmField
        final var casFailuresPerOp: Double = 0.0

        /** Consolidations installed per operation. */
        @JvmField
        final var consolidationsPerOp: Double = 0.0

        /** Median chain length of the hot leaves over the samples. */
        @JvmField
        final var chainP50: Double = 0.0

        /** 90th percentile of the hot leaves' chain lengths over the samples. */
        @JvmField
        final var chainP90: Double = 0.0

        /** Longest hot-leaf chain sampled. */
        @JvmField
        final var chainMax: Double = 0.0

        /** Mean hot-leaf chain length over the samples. */
        @JvmField
        final var chainMean: Double = 0.0

        /** The first thread's last snapshot (at the trial's start, then at each iteration's end); else null. */
        private var last: BwTreeMap.Statistics? = null
        private val samples = ChainSamples()

        /** Measured iterations times forks: what JMH adds each counter up over (1 outside JMH). */
        private var share = 1

        /**
         * The first thread notes the map's counters before any thread runs an operation; [params]
         * (injected by JMH, null when a test calls this) give [share].
         */
        @Setup(Level.Trial)
        fun begin(range: HotRange, thread: ThreadParams, params: BenchmarkParams? = null) {
            last = if (thread.threadIndex == 0) range.hotStatistics() else null
            share = params?.let { it.measurement.count * it.forks.coerceAtLeast(1) } ?: 1
        }

        /** Adds the hot leaves' current chain lengths to the samples. */
        fun sample(range: HotRange) {
            samples.add(range.hotStatistics())
        }

        /**
         * The first thread turns the iteration's counts into the counters. JMH runs iteration
         * teardowns only after every thread has left the loop and passed a barrier (a
         * `CountDownLatch`, so every worker's writes happen before this), and a worker resets
         * [HotWorker.done] in the next iteration's setup before its first operation: so the
         * operations counted are exactly those between the previous snapshot and this one, JMH's
         * unmeasured synchronisation phases at both ends of the iteration included.
         */
        @TearDown(Level.Iteration)
        fun end(range: HotRange) {
            val start = last ?: return
            val now = range.hotStatistics()
            samples.add(now)
            val ops = range.workers.sumOf { it.done }.coerceAtLeast(1)
            casFailuresPerOp = (now.casFailures() - start.casFailures()).toDouble() / ops / share
            consolidationsPerOp = (now.consolidations() - start.consolidations()).toDouble() / ops / share
            chainP50 = samples.percentile(50.0).toDouble() / share
            chainP90 = samples.percentile(90.0).toDouble() / share
            chainMax = samples.max().toDouble() / share
            chainMean = samples.mean() / share
            samples.clear()
            last = now
        }
    }

    /** The map of [uniformGet] and [uniformPut]. */
    @State(Scope.Benchmark)
    class Uniform {
        /** Entries in the map. */
        @Param("1000000")
        var uniformSize: Int = 0

        /** The map under test. */
        lateinit var map: BwTreeMap<Long, Long>

        /** The keys present, in random order, boxed once (the map holds these very boxes). */
        lateinit var keys: Array<Long>

        /** Loads [uniformSize] random keys. */
        @Setup(Level.Trial)
        fun load(bench: BwTreeContentionBenchmark) {
            val raw = MicroKeys.distinct(uniformSize, 7)
            keys = Array(raw.size) { raw[it] }
            map = bench.newMap()
            for (k in keys) map[k] = k
        }
    }

    /** A thread's position in [Uniform.keys]. */
    @State(Scope.Thread)
    class UniformCursor {
        private var next = 0

        /** Starts each thread at a different place. */
        @Setup(Level.Trial)
        fun prepare(u: Uniform, thread: ThreadParams) {
            next = (u.keys.size / thread.threadCount) * thread.threadIndex
        }

        /** The next index into an array of length [bound]. */
        fun step(bound: Int): Int {
            val i = next
            next = if (i + 1 >= bound) 0 else i + 1
            return i
        }
    }

    /** The hot-range mix on two threads; the counters come with [HotCounters]. */
    @Benchmark
    @Threads(2)
    fun hotRange(range: HotRange, w: HotWorker, counters: HotCounters): Long? {
        val i = w.step()
        val k = range.keys[w.slots[i]]
        val out = when (w.ops[i]) {
            HotWorker.PUT -> range.map.put(k, k)
            HotWorker.REMOVE -> range.map.remove(k)
            else -> range.map[k]
        }
        if (w.sampler && (w.done and 1023L) == 0L) counters.sample(range)
        return out
    }

    /** `get` of a present key, one thread, keys in uniform random order. */
    @Benchmark
    fun uniformGet(u: Uniform, c: UniformCursor): Long? = u.map[u.keys[c.step(u.keys.size)]]

    /** `put` replacing the value of a present key, one thread, keys in uniform random order. */
    @Benchmark
    fun uniformPut(u: Uniform, c: UniformCursor): Long? {
        val k = u.keys[c.step(u.keys.size)]
        return u.map.put(k, k)
    }
}

/** A histogram of leaf chain lengths added up over several [BwTreeMap.Statistics] snapshots. */
internal class ChainSamples {
    private var counts = LongArray(16)
    private var total = 0L
    private var sum = 0L

    /** Forgets every sample. */
    fun clear() {
        counts.fill(0)
        total = 0
        sum = 0
    }

    /** Adds every leaf of [s] (its chain-length histogram). */
    fun add(s: BwTreeMap.Statistics) {
        val h = s.chainLengthHistogram()
        if (h.size > counts.size) counts = counts.copyOf(maxOf(h.size, counts.size * 2))
        for (len in h.indices) {
            counts[len] += h[len].toLong()
            total += h[len]
            sum += len.toLong() * h[len]
        }
    }

    /** Nearest-rank percentile of the samples (0 if there are none). */
    fun percentile(percent: Double): Int {
        val rank = maxOf(1L, Math.ceil(percent * total / 100).toLong())
        var seen = 0L
        for (len in counts.indices) {
            seen += counts[len]
            if (seen >= rank) return len
        }
        return 0
    }

    /** The longest chain sampled (0 if there are none). */
    fun max(): Int = counts.indices.lastOrNull { counts[it] > 0 } ?: 0

    /** The mean chain length of the samples (0 if there are none). */
    fun mean(): Double = if (total == 0L) 0.0 else sum.toDouble() / total
}
