package io.arboretum.coroutines

import io.arboretum.btree.ConcurrentBTreeMap
import io.arboretum.btree.OffHeapLongBTreeMap
import io.arboretum.bwtree.BwTreeMap
import io.arboretum.masstree.MasstreeMap
import io.arboretum.pma.PackedMemoryArrayMap
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.util.TreeMap
import java.util.concurrent.ConcurrentNavigableMap
import java.util.concurrent.atomic.AtomicLong
import java.util.concurrent.atomic.AtomicLongArray
import kotlin.concurrent.thread
import kotlin.random.Random
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout

/**
 * The stress test of issue 21: writer threads and several [snapshotThenChanges] collectors (some
 * slow, some conflating, some started while the writers run) on overlapping ranges. Every value a
 * writer commits for a key is larger than all earlier ones for that key (a version per key, each
 * key written by one owning writer; any writer polls), so a
 * collector can check, per event, that nothing regresses and that each change's `old` is exactly
 * what it holds for the key (nothing missed, nothing twice); at quiescence every collector that
 * did not fail on overflow holds exactly its range. Counts are printed.
 */
public class ChangeFeedStressSpec : FunSpec({

    /** One collector's configuration and what it saw. */
    class Collector(
        val name: String,
        val range: KeyRange<Long>,
        val bufferSize: Int,
        val overflow: ChangeOverflow,
        val slowEveryMillis: Long,
        val startAfterOps: Int,
    ) {
        val view = TreeMap<Long, Long>()
        val maxSeen = HashMap<Long, Long>()
        var events = 0L
        var snapshotEntries = 0L
        var failure: Throwable? = null
        var job: Job? = null
        var errors = ArrayList<String>()

        fun seen(key: Long, value: Long) {
            val before = maxSeen[key]
            if (before != null && value <= before) errors += "$name: key $key went to $value after $before"
            maxSeen[key] = value
        }

        fun apply(e: FeedEvent<Long, Long>) {
            events++
            when (e) {
                is SnapshotEntry -> { snapshotEntries++; seen(e.key, e.value); view[e.key] = e.value }
                SnapshotEnd -> {}
                is Change.Upsert -> {
                    if (view[e.key] != e.old) errors += "$name: upsert of ${e.key} from ${e.old}, collector had ${view[e.key]}"
                    seen(e.key, e.new)
                    view[e.key] = e.new
                }
                is Change.Removal -> {
                    if (view[e.key] != e.old) errors += "$name: removal of ${e.key} (was ${e.old}), collector had ${view[e.key]}"
                    view.remove(e.key)
                }
            }
        }
    }

    for (kind in listOf("btree", "offheap", "masstree", "pma", "bwtree")) {
        test("$kind: writers and overlapping, slow, conflating and late collectors converge without regression") {
            val offHeap = if (kind == "offheap") OffHeapLongBTreeMap.builder().nodeCapacity(4).build() else null
            val map: ConcurrentNavigableMap<Long, Long> = when {
                offHeap != null -> offHeap.asMap()
                kind == "masstree" -> MasstreeMap.builder<Long, Long>().nodeWidth(3).build()
                // Segments of 4 cells: windows redistribute and the array resizes under the writers.
                kind == "pma" -> PackedMemoryArrayMap.builder<Long, Long>().segmentSize(4).build()
                // Pages of 4, threshold 2: consolidations, splits and merges race the publications.
                kind == "bwtree" -> BwTreeMap.builder<Long, Long>().nodeCapacity(4).consolidateThreshold(2).build()
                else -> ConcurrentBTreeMap.builder<Long, Long>().nodeCapacity(4).build()
            }
            val keys = 200
            val versions = AtomicLongArray(keys)
            val random = Random(21)
            // Prefill in zigzag order.
            for (k in TestMaps.orders((0 until keys step 2).toList(), random).getValue("zigzag")) {
                map[k.toLong()] = versions.incrementAndGet(k)
            }
            val writers = 3
            val each = 3_000 * TestMaps.scale
            val collectors = listOf(
                Collector("low [0,120)", KeyRange.closedOpen(0L, 120L), 1 shl 16, ChangeOverflow.Fail, 0, 0),
                Collector("high [80,200]", KeyRange.closed(80L, 199L), 1 shl 16, ChangeOverflow.Fail, 0, each / 3),
                Collector("all", KeyRange.all(), 1 shl 16, ChangeOverflow.Fail, 0, each / 2),
                Collector("mid conflating, slow", KeyRange.closed(50L, 150L), 128, ChangeOverflow.Conflate, 1, 0),
                Collector("all conflating, late", KeyRange.all(), keys, ChangeOverflow.Conflate, 0, 2 * each / 3),
                Collector("low slow, small buffer", KeyRange.lessThan(100L), 16, ChangeOverflow.Fail, 2, 0),
            )
            val opsDone = AtomicLong()
            runBlocking {
                for (c in collectors) {
                    c.job = launch(Dispatchers.Default) {
                        while (opsDone.get() < c.startAfterOps) delay(1)
                        try {
                            map.snapshotThenChanges(c.range, c.bufferSize, c.overflow).collect { e ->
                                synchronized(c) { c.apply(e) }
                                if (c.slowEveryMillis > 0 && c.events % 8 == 0L) delay(c.slowEveryMillis)
                            }
                        } catch (e: ChangeBufferOverflowException) {
                            synchronized(c) { c.failure = e }
                        }
                    }
                }
                val threads = (0 until writers).map { w ->
                    thread(name = "writer-$w") {
                        val r = Random(w)
                        repeat(each) {
                            // Each key has one owning writer, so its committed values only grow
                            // (a compute of an absent key could otherwise commit a stale version
                            // after a removal); writers still share leaves, and polls take any key.
                            val k = r.nextInt(keys / writers) * writers + w
                            when (r.nextInt(16)) {
                                in 0..3 -> map.remove(k.toLong())
                                4 -> map.pollFirstEntry()
                                5 -> map.merge(k.toLong(), versions.incrementAndGet(k)) { _, v -> v }
                                else -> map[k.toLong()] = versions.incrementAndGet(k)
                            }
                            opsDone.incrementAndGet()
                        }
                    }
                }
                threads.forEach { it.join() }
                // Quiescence: every collector that has not failed converges to its range.
                for (c in collectors) {
                    val expected = TreeMap(subMap(map, c.range))
                    withTimeout(30_000) {
                        while (true) {
                            val done = synchronized(c) { c.failure != null || c.view == expected }
                            if (done) break
                            delay(5)
                        }
                    }
                    c.job!!.cancel()
                }
            }
            for (c in collectors) {
                synchronized(c) {
                    println(
                        "feed stress $kind ${c.name}: ${c.events} events (${c.snapshotEntries} snapshot entries), " +
                            (if (c.failure != null) "failed on overflow: ${c.failure!!.message}" else "converged to ${c.view.size} entries"),
                    )
                    c.errors.take(5) shouldBe emptyList()
                }
            }
            // The slow collector with a 16-change buffer cannot keep up with 3 writers: it must
            // have failed, and every other one must have converged.
            collectors.last().failure shouldBe collectors.last().failure?.also { (it is ChangeBufferOverflowException) shouldBe true }
            (collectors.last().failure != null) shouldBe true
            collectors.dropLast(1).all { it.failure == null } shouldBe true
            if (map is ConcurrentBTreeMap<*, *>) map.checkInvariants()
            if (map is MasstreeMap<*, *>) map.checkInvariants()
            if (map is PackedMemoryArrayMap<*, *>) map.checkInvariants()
            if (map is BwTreeMap<*, *>) map.checkInvariants()
            offHeap?.run { checkInvariants(); close() }
        }
    }
})

private fun subMap(map: ConcurrentNavigableMap<Long, Long>, r: KeyRange<Long>): Map<Long, Long> {
    var m = map
    if (r.lower != null) m = m.tailMap(r.lower!!, r.lowerInclusive)
    if (r.upper != null) m = m.headMap(r.upper!!, r.upperInclusive)
    return m
}
