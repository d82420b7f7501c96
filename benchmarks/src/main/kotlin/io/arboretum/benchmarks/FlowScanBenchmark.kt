package io.arboretum.benchmarks

import io.arboretum.coroutines.asFlow
import io.arboretum.coroutines.keysFlow
import java.util.SplittableRandom
import java.util.concurrent.ConcurrentNavigableMap
import java.util.concurrent.TimeUnit
import kotlinx.benchmark.Benchmark
import kotlinx.benchmark.BenchmarkMode
import kotlinx.benchmark.Blackhole
import kotlinx.benchmark.Measurement
import kotlinx.benchmark.Mode
import kotlinx.benchmark.OutputTimeUnit
import kotlinx.benchmark.Param
import kotlinx.benchmark.Scope
import kotlinx.benchmark.Setup
import kotlinx.benchmark.State
import kotlinx.benchmark.TearDown
import kotlinx.benchmark.Warmup
import kotlinx.coroutines.runBlocking
import org.openjdk.jmh.annotations.Fork

/**
 * Full scans of a map of [size] random `Long` keys: collecting the coroutine layer's range flow
 * (`asFlow()`, batches of the default size; `keysFlow()`) against iterating `entrySet()` in a
 * plain loop, on implementations of the shared registry ([Implementations]): by default the
 * skip list (whose flow copies batches from sub-map iterators), `ConcurrentBTreeMap` and the
 * off-heap map's `asMap()` view (whose flows read the index's own cursor,
 * `BatchScannable.openCursor`).
 * One operation is one scan of the whole map; lower is better. Both heap regimes ([regime], see
 * [Regime]) run in a fixed 4 GB heap.
 *
 * Goals (issue 6): the flow at least 0.8 times as fast as `entrySet()` iteration of the same map,
 * and the flow over the B+tree at least 3 times as fast as over the skip list.
 *
 * Run: `java -jar benchmarks/target/benchmarks.jar FlowScan -i 5`.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = ["-Xms" + Regime.HEAP, "-Xmx" + Regime.HEAP])
class FlowScanBenchmark {
    /** Implementation name from [Implementations]. */
    @Param("skiplist", "btree", "offheap-map")
    var impl: String = ""

    /** Entries in the map. */
    @Param("1000000")
    var size: Int = 0

    /** Heap regime, `aged` or `fresh` (see [Regime]). */
    @Param("aged", "fresh")
    var regime: String = ""

    /** The map under test and its resources. */
    lateinit var open: OpenMap<Long, Long>

    /** The loaded map. */
    lateinit var map: ConcurrentNavigableMap<Long, Long>

    /** Loads [size] distinct random keys, in random order, before the trial; ages the map in the aged regime. */
    @Setup
    fun load() {
        open = Implementations.byName(impl).newLongMap()
        map = open.map
        val random = SplittableRandom(42)
        val keys = LongArray(size)
        var n = 0
        while (n < size) {
            val k = random.nextLong()
            if (map.put(k, k xor 0x5bd1e995L) == null) keys[n++] = k
        }
        if (Regime.of(regime) == Regime.AGED) Aging.age(
            size,
            rewrite = { map[keys[it]] = keys[it] xor 0x5bd1e995L },
            remove = { map.remove(keys[it]) },
            reinsert = { map[keys[it]] = keys[it] xor 0x5bd1e995L },
        )
    }

    /** Releases the map (the off-heap map's memory). */
    @TearDown
    fun close() = open.close()

    /** Collects every entry through the range flow. */
    @Benchmark
    fun flowEntries(bh: Blackhole): Unit = runBlocking {
        map.asFlow().collect { e ->
            bh.consume(e.key)
            bh.consume(e.value)
        }
    }

    /** Collects every key through the key flow (no entry objects emitted). */
    @Benchmark
    fun flowKeys(bh: Blackhole): Unit = runBlocking {
        map.keysFlow().collect { k -> bh.consume(k) }
    }

    /** The baseline: every entry through the map's own `entrySet()` iterator, in a plain loop. */
    @Benchmark
    fun entrySetLoop(bh: Blackhole) {
        for (e in map.entries) {
            bh.consume(e.key)
            bh.consume(e.value)
        }
    }
}
