package io.arboretum.benchmarks

import io.arboretum.btree.ConcurrentBTreeMap
import io.arboretum.btree.OffHeapLongBTreeMap
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
import java.util.concurrent.ConcurrentNavigableMap
import java.util.concurrent.ConcurrentSkipListMap
import java.util.concurrent.TimeUnit

/**
 * The write path alone, with no change-feed subscriber: `put` replacing the value of a present key,
 * and `remove` of a present key followed by its reinsertion, on an aged map of [size] random keys
 * (see [Regime.AGED]). It uses nothing but the map API, so the same file builds against a commit
 * without the change feed: that is how issue 21's "no subscriber costs nothing" is measured (the
 * benchmarks guide, "The change feed's write path"). [ChangeFeedBenchmark] adds subscribers.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = ["-Xms" + Regime.HEAP, "-Xmx" + Regime.HEAP])
class WritePathBenchmark {
    /** `btree` (ConcurrentBTreeMap), `offheap-map` (OffHeapLongBTreeMap.asMap()) or `skiplist`. */
    @Param("btree", "offheap-map", "skiplist")
    var impl: String = ""

    /** Entries in the map. */
    @Param("1000000")
    var size: Int = 0

    /** The aged map. */
    lateinit var map: ConcurrentNavigableMap<Long, Long>

    /** The keys present, in random order. */
    lateinit var keys: LongArray

    private var offHeap: OffHeapLongBTreeMap? = null
    private var next = 0

    /** Loads and ages the map. */
    @Setup(Level.Trial)
    fun load() {
        keys = MicroKeys.distinct(size, 7)
        map = newFeedMap(impl).also { offHeap = it.second }.first
        for (k in keys) map[k] = k and 0xFFFF
        Aging.age(
            size,
            rewrite = { i -> map[keys[i]] = keys[i] and 0xFFFF },
            remove = { i -> map.remove(keys[i]) },
            reinsert = { i -> map[keys[i]] = keys[i] and 0xFFFF },
        )
    }

    /** Frees the off-heap map. */
    @TearDown(Level.Trial)
    fun close() {
        offHeap?.close()
    }

    private fun step(): Long {
        val i = next
        next = if (i + 1 >= keys.size) 0 else i + 1
        return keys[i]
    }

    /** `put` of a present key (a replacement), keys in uniform random order. */
    @Benchmark
    fun put(): Long? {
        val k = step()
        return map.put(k, k)
    }

    /** `remove` of a present key, then `put` of it back (two writes, the second an insert). */
    @Benchmark
    fun removeInsert(): Long? {
        val k = step()
        val old = map.remove(k)
        map[k] = k and 0xFFFF
        return old
    }
}

/** A new map of [impl] for the write-path and feed benchmarks, with the off-heap map to close. */
internal fun newFeedMap(impl: String): Pair<ConcurrentNavigableMap<Long, Long>, OffHeapLongBTreeMap?> = when (impl) {
    "btree" -> ConcurrentBTreeMap<Long, Long>() to null
    "offheap-map" -> OffHeapLongBTreeMap().let { it.asMap() to it }
    "skiplist" -> ConcurrentSkipListMap<Long, Long>() to null
    else -> throw IllegalArgumentException("unknown impl '$impl'; known: btree, offheap-map, skiplist")
}
