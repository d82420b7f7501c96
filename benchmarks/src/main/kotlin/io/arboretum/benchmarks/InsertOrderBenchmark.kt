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
import java.util.concurrent.TimeUnit

/**
 * Bulk load in three insertion orders, one thread: [size] keys put into an empty index per
 * invocation, as [PutMicroBenchmark] does for random keys. `random` is [MicroKeys.distinct];
 * `ascending` is `0, 1, 2, ...`; `hammered` first puts half the keys spread out (multiples of
 * 2^20), then puts the other half one after another into the gap between two adjacent keys
 * (each just above the last), the pattern that costs a packed memory array the most without its
 * adaptive policy. Single-shot timing, in the same fixed heap as the other microbenchmarks.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = ["-Xms" + Regime.HEAP, "-Xmx" + Regime.HEAP])
class InsertOrderBenchmark {
    /** Implementation name from [Implementations]. */
    @Param("skiplist", "btree", "pma")
    var impl: String = ""

    /** Insertion order: `random`, `ascending` or `hammered`. */
    @Param("random", "ascending", "hammered")
    var order: String = ""

    /** Keys put per invocation. */
    @Param("1000000")
    var size: Int = 0

    /** Keys to put, in order. */
    lateinit var keys: LongArray

    /** The index being filled (fresh each iteration). */
    lateinit var index: LongIndex

    /** Precomputes the keys once. */
    @Setup(Level.Trial)
    fun keys() {
        keys = when (order) {
            "random" -> MicroKeys.distinct(size, 13)
            "ascending" -> LongArray(size) { it.toLong() }
            "hammered" -> {
                val half = size / 2
                val gap = (half / 2).toLong() shl 20
                LongArray(size) { i -> if (i < half) i.toLong() shl 20 else gap + (i - half) + 1 }
            }
            else -> throw IllegalArgumentException("order must be random, ascending or hammered, was $order")
        }
    }

    /** A fresh empty index per iteration. */
    @Setup(Level.Iteration)
    fun fresh() {
        index = Implementations.byName(impl).newLongIndex()
    }

    /** Releases the iteration's index. */
    @TearDown(Level.Iteration)
    fun release() = index.close()

    /** Puts every key, in order. */
    @Benchmark
    fun putAll(): Long {
        for (i in keys.indices) index.put(keys[i], i.toLong())
        return index.size()
    }
}
