package io.arboretum.benchmarks

import io.arboretum.btree.OffHeapLongBTreeMap
import io.arboretum.coroutines.ChangeOverflow
import io.arboretum.coroutines.changes
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
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import org.openjdk.jmh.annotations.Fork
import org.openjdk.jmh.annotations.Level
import java.util.concurrent.ConcurrentNavigableMap
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicLong

/**
 * Writes with change-flow collectors attached (issue 21): `put` (a replacement) and `remove` then
 * reinsert, as [WritePathBenchmark], on an aged map of [size] keys with [subscribers] collectors
 * of `map.changes()` running on `Dispatchers.Default` (conflating, with a buffer as large as the
 * map, so a collector that falls behind never fails the run); and [putToCollect], the time from a
 * `put` to the moment one collector has received its change (sample mode: median and p99).
 *
 * ```
 * java -jar benchmarks/target/benchmarks.jar ChangeFeedBenchmark -p impl=btree
 * ```
 */
@State(Scope.Benchmark)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = ["-Xms" + Regime.HEAP, "-Xmx" + Regime.HEAP])
class ChangeFeedBenchmark {
    /** `btree` or `offheap-map`. */
    @Param("btree", "offheap-map")
    var impl: String = ""

    /** Entries in the map. */
    @Param("1000000")
    var size: Int = 0

    /** Collectors of `changes()` (0, 1 or 4); [putToCollect] needs at least one. */
    @Param("0", "1", "4")
    var subscribers: Int = 0

    /** The aged map. */
    lateinit var map: ConcurrentNavigableMap<Long, Long>

    /** The keys present, in random order. */
    lateinit var keys: LongArray

    private var offHeap: OffHeapLongBTreeMap? = null
    private var next = 0
    private var scope: CoroutineScope? = null

    /** The value of the last change the first collector received (values are unique per put). */
    private val lastSeen = AtomicLong(-1)

    /** Changes received by all collectors (read at tear-down, so the JIT keeps the collection). */
    private val received = AtomicLong()

    /** A value never written before, for [putToCollect]. */
    private var stamp = 1L shl 40

    /** Loads and ages the map, then starts the collectors and waits until each has subscribed. */
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
        val s = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        scope = s
        repeat(subscribers) { c ->
            s.launch {
                map.changes(bufferSize = size + 1, overflow = ChangeOverflow.Conflate).collect { change ->
                    received.incrementAndGet()
                    if (c == 0) lastSeen.set((change as? io.arboretum.coroutines.Change.Upsert)?.new ?: -1)
                }
            }
        }
        // A probe write per collector until every one has seen one: all are subscribed.
        val probe = keys[0]
        while (received.get() < subscribers) {
            map[probe] = probe and 0xFFFF
            Thread.sleep(1)
        }
    }

    /** Stops the collectors and frees the off-heap map. */
    @TearDown(Level.Trial)
    fun close() {
        scope?.cancel()
        offHeap?.close()
        if (received.get() < 0) println(received.get())
    }

    private fun step(): Long {
        val i = next
        next = if (i + 1 >= keys.size) 0 else i + 1
        return keys[i]
    }

    /** `put` of a present key (a replacement), keys in uniform random order. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    fun put(): Long? {
        val k = step()
        return map.put(k, k)
    }

    /** `remove` of a present key, then `put` of it back. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    fun removeInsert(): Long? {
        val k = step()
        val old = map.remove(k)
        map[k] = k and 0xFFFF
        return old
    }

    /**
     * One `put` of a fresh value, then a spin until the first collector has received it: the
     * latency from the write to its collection, through the buffer, the coroutine's resumption
     * and the dispatcher. With no collector it measures the bare `put`.
     */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    fun putToCollect(): Long {
        val k = step()
        val v = ++stamp
        map[k] = v
        if (subscribers > 0) {
            while (lastSeen.get() != v) Thread.onSpinWait()
        }
        return v
    }
}
