package io.arboretum.benchmarks

import io.arboretum.btree.OffHeapLongBTreeMap
import kotlinx.benchmark.Benchmark
import kotlinx.benchmark.BenchmarkMode
import kotlinx.benchmark.Measurement
import kotlinx.benchmark.Mode
import kotlinx.benchmark.OutputTimeUnit
import kotlinx.benchmark.Scope
import kotlinx.benchmark.Setup
import kotlinx.benchmark.State
import kotlinx.benchmark.TearDown
import kotlinx.benchmark.Warmup
import org.openjdk.jmh.annotations.Fork
import java.util.concurrent.TimeUnit

/**
 * Allocation of the off-heap tree's primitive navigation and conditional updates: run it with
 * `-prof gc` and read `gc.alloc.rate.norm` (bytes per operation), which should be 0 for every
 * method. 100,000 even keys, so every probe of an odd key navigates; `higherKeyNearEnd` probes
 * the last 64 keys, where the old code skipped nodes with per-call arrays.
 *
 * `java -jar benchmarks/target/benchmarks.jar OffHeapNavigationBenchmark -prof gc -f 1`
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(1)
class OffHeapNavigationBenchmark {
    private lateinit var map: OffHeapLongBTreeMap
    private val size = 100_000
    private var i = 0

    @Setup
    fun load() {
        map = OffHeapLongBTreeMap()
        // Inserted in a scattered order (7919 is prime to the size, so j -> 7919 j mod size is a
        // permutation), keys 2k with value k.
        for (j in 0 until size) {
            val k = (j.toLong() * 7919) % size
            map.put(2L * k, k, -1L)
        }
    }

    @TearDown
    fun close() = map.close()

    private fun nextOdd(): Long {
        i = (i + 7919) % size
        return 2L * i + 1
    }

    @Benchmark
    fun ceilingKey(): Long = map.ceilingKey(nextOdd(), -1L)

    @Benchmark
    fun floorKey(): Long = map.floorKey(nextOdd(), -1L)

    @Benchmark
    fun higherKeyNearEnd(): Long {
        i = (i + 1) and 63
        return map.higherKey(2L * (size - 64 + i), -1L)
    }

    @Benchmark
    fun firstKey(): Long = map.firstKey(-1L)

    @Benchmark
    fun replaceIf(): Boolean {
        val k = 2L * ((nextOdd() - 1) / 2)
        return map.replaceIf(k, k / 2, k / 2)
    }
}
