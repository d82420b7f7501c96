package io.arboretum.coroutines

import io.arboretum.btree.ConcurrentBTreeMap
import io.arboretum.bwtree.BwTreeMap
import io.arboretum.btree.OffHeapLongBTreeMap
import io.arboretum.map.BatchCursor
import io.arboretum.map.ChangeFeed
import io.arboretum.map.ChangeListener
import io.arboretum.masstree.MasstreeMap
import io.arboretum.pma.PackedMemoryArrayMap
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.util.TreeMap
import java.util.concurrent.ConcurrentNavigableMap
import java.util.concurrent.ConcurrentSkipListMap
import java.util.concurrent.atomic.AtomicInteger
import kotlin.random.Random
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.takeWhile
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.yield

/** A B+tree that counts its open subscriptions, so that a spec can see each one closed. */
internal class CountingBTreeMap<K : Any, V : Any> : ConcurrentBTreeMap<K, V>() {
    val open = AtomicInteger()

    override fun subscribe(listener: ChangeListener<in K, in V>): ChangeFeed.Subscription {
        val s = super.subscribe(listener)
        open.incrementAndGet()
        var closed = false
        return ChangeFeed.Subscription {
            s.close()
            if (!closed) { closed = true; open.decrementAndGet() }
        }
    }
}

/**
 * A B+tree whose cursors run [duringScan] before their first batch and [afterScan] when they reach
 * the end, so that a spec can place writes inside the scan of [snapshotThenChanges].
 */
internal class ScanHookBTreeMap : ConcurrentBTreeMap<Long, Long>() {
    var duringScan: () -> Unit = {}
    var afterScan: () -> Unit = {}

    override fun openCursor(
        from: Long?, fromInclusive: Boolean, to: Long?, toInclusive: Boolean, descending: Boolean, maxBatch: Int,
    ): BatchCursor<Long, Long> {
        val c = super.openCursor(from, fromInclusive, to, toInclusive, descending, maxBatch)
        var first = true
        return object : BatchCursor<Long, Long> {
            override fun advance(): Int {
                if (first) { first = false; duringScan() }
                return c.advance().also { if (it == 0) afterScan() }
            }
            override fun key(i: Int): Long = c.key(i)
            override fun value(i: Int): Long = c.value(i)
        }
    }
}

/** [changes] and [snapshotThenChanges]: each guarantee of issue 21, on the B+tree, the off-heap view, the Masstree, the PMA, the Bw-tree. */
public class ChangeFlowSpec : FunSpec({

    val open = ArrayList<OffHeapLongBTreeMap>()
    val masstrees = ArrayList<MasstreeMap<Long, Long>>()
    val pmas = ArrayList<PackedMemoryArrayMap<Long, Long>>()
    val bwtrees = ArrayList<BwTreeMap<Long, Long>>()
    afterTest {
        open.forEach { it.checkInvariants(); it.close() }; open.clear()
        masstrees.forEach { it.checkInvariants() }; masstrees.clear()
        pmas.forEach { it.checkInvariants() }; pmas.clear()
        bwtrees.forEach { it.checkInvariants() }; bwtrees.clear()
    }

    fun newMap(kind: String): ConcurrentNavigableMap<Long, Long> = when (kind) {
        "btree" -> ConcurrentBTreeMap.builder<Long, Long>().nodeCapacity(4).build()
        // Node width 3 so that a few writes split border nodes.
        "masstree" -> MasstreeMap.builder<Long, Long>().nodeWidth(3).build().also { masstrees += it }
        // Segments of 4 cells so that a few writes redistribute windows and resize the array.
        "pma" -> PackedMemoryArrayMap.builder<Long, Long>().segmentSize(4).build().also { pmas += it }
        // Pages of 4 and a consolidation threshold of 2: a few writes consolidate, split and merge.
        "bwtree" -> BwTreeMap.builder<Long, Long>().nodeCapacity(4).consolidateThreshold(2).build()
            .also { bwtrees += it }
        else -> OffHeapLongBTreeMap.builder().nodeCapacity(4).build().also { open += it }.asMap()
    }

    /** Applies events to [view] as a collector would; returns it. */
    fun apply(view: TreeMap<Long, Long>, e: FeedEvent<Long, Long>) {
        when (e) {
            is SnapshotEntry -> view[e.key] = e.value
            SnapshotEnd -> {}
            is Change.Upsert -> view[e.key] = e.new
            is Change.Removal -> view.remove(e.key)
        }
    }

    test("a map that does not publish changes, and a bad buffer size, are rejected at once with the reason") {
        shouldThrow<IllegalArgumentException> { ConcurrentSkipListMap<Long, Long>().changes() }.message shouldContain
            "java.util.concurrent.ConcurrentSkipListMap does not publish its changes"
        shouldThrow<IllegalArgumentException> { newMap("btree").snapshotThenChanges(bufferSize = 0) }.message shouldBe
            "bufferSize must be at least 1, was 0"
    }

    for (kind in listOf("btree", "offheap", "masstree", "pma", "bwtree")) {
        context(kind) {
            test("changes emits each change of its range, with old and new values, in commit order, and nothing outside") {
                runBlocking {
                    val map = newMap(kind)
                    for (k in 0L until 30L) map[k] = k
                    val got = async(Dispatchers.Default) {
                        map.changes(KeyRange.closedOpen(10L, 20L)).take(6).toList()
                    }
                    waitForListener(map)
                    map[5L] = 50L            // outside
                    map[10L] = 100L          // replace
                    map.remove(19L)          // removal
                    map[20L] = 0L            // outside (upper bound exclusive)
                    map.merge(15L, 1L, Long::plus)
                    map.pollFirstEntry()     // key 0: outside
                    map.subMap(11L, 13L).clear()
                    map[25L] = 1L            // outside
                    map.putIfAbsent(13L, 7L) // present: no change
                    map.replace(13L, 13L, 31L)
                    val events = got.await()
                    events.map { it.javaClass.simpleName to it.key } shouldBe listOf(
                        "Upsert" to 10L, "Removal" to 19L, "Upsert" to 15L, "Removal" to 11L, "Removal" to 12L,
                        "Upsert" to 13L,
                    )
                    events[0] shouldBe Change.Upsert(10L, 10L, 100L, events[0].sequence)
                    events[1] shouldBe Change.Removal(19L, 19L, events[1].sequence)
                    events[2] shouldBe Change.Upsert(15L, 15L, 16L, events[2].sequence)
                    events[5] shouldBe Change.Upsert(13L, 13L, 31L, events[5].sequence)
                    events.zipWithNext().all { (a, b) -> a.sequence < b.sequence } shouldBe true
                }
            }

            test("snapshotThenChanges emits the range in order, the marker, then later changes, and converges") {
                runBlocking {
                    val map = newMap(kind)
                    val random = Random(kind.length)
                    val keys = (0 until 300).map { random.nextLong(-1000, 1000) }.distinct()
                    for ((_, order) in TestMaps.orders(keys.map { it.toInt() }, random)) for (k in order) map[k.toLong()] = k * 2L
                    val range = KeyRange.closed(-500L, 500L)
                    val events = ArrayList<FeedEvent<Long, Long>>()
                    val markerSeen = CompletableDeferred<Unit>()
                    val job = launch(Dispatchers.Default) {
                        map.snapshotThenChanges(range).collect { e ->
                            synchronized(events) { events += e }
                            if (e == SnapshotEnd) markerSeen.complete(Unit)
                        }
                    }
                    markerSeen.await()
                    val snapshot = synchronized(events) { events.toList() }
                    snapshot.last() shouldBe SnapshotEnd
                    snapshot.dropLast(1).map { (it as SnapshotEntry).key } shouldBe
                        map.subMap(-500L, true, 500L, true).keys.toList()
                    for (i in 0 until 400) {
                        val k = random.nextLong(-700, 700)
                        when (random.nextInt(3)) {
                            0 -> map.remove(k)
                            else -> map[k] = random.nextLong()
                        }
                    }
                    val expected = TreeMap(map.subMap(-500L, true, 500L, true))
                    withTimeout(10_000) {
                        while (true) {
                            val view = TreeMap<Long, Long>()
                            synchronized(events) { events.forEach { apply(view, it) } }
                            if (view == expected) break
                            kotlinx.coroutines.delay(5)
                        }
                    }
                    job.cancelAndJoin()
                }
            }

            test("a collector that falls behind fails with the buffer size named; a conflating one gets the latest value per key") {
                runBlocking {
                    val map = newMap(kind)
                    val gate = CompletableDeferred<Unit>()
                    val failing = async(Dispatchers.Default) {
                        runCatching { map.changes(bufferSize = 8).collect { gate.await() } }.exceptionOrNull()
                    }
                    val conflated = ArrayList<Change<Long, Long>>()
                    val conflating = launch(Dispatchers.Default) {
                        map.changes(bufferSize = 8, overflow = ChangeOverflow.Conflate).collect { c ->
                            gate.await()
                            synchronized(conflated) { conflated += c }
                        }
                    }
                    waitForListener(map, 2)
                    // 3 keys written 100 times each while both collectors are stuck: the first
                    // change of each is taken (collectors wait in collect), the rest pile up.
                    for (round in 1..100) for (k in 1L..3L) map[k] = round * 10L + k
                    gate.complete(Unit)
                    val e = failing.await()
                    (e is ChangeBufferOverflowException) shouldBe true
                    e!!.message shouldBe "change flow collector fell behind: more than 8 changes were waiting " +
                        "(bufferSize = 8); collect faster, raise bufferSize, or pass overflow = ChangeOverflow.Conflate"
                    (e as ChangeBufferOverflowException).bufferSize shouldBe 8
                    withTimeout(10_000) {
                        while (true) {
                            val view = TreeMap<Long, Long>()
                            synchronized(conflated) { conflated.forEach { apply(view, it) } }
                            if (view == TreeMap(map)) break
                            kotlinx.coroutines.delay(5)
                        }
                    }
                    // Far fewer than the 300 changes arrived, each key's chain unbroken.
                    val got = synchronized(conflated) { conflated.toList() }
                    (got.size < 30) shouldBe true
                    for (k in 1L..3L) {
                        val chain = got.filter { it.key == k }.map { it as Change.Upsert }
                        chain.zipWithNext().all { (a, b) -> a.new == b.old } shouldBe true
                    }
                    conflating.cancelAndJoin()
                }
            }
        }
    }

    test("cancellation, failure and take() close the subscription at once; each collection subscribes afresh") {
        runBlocking {
            val map = CountingBTreeMap<Long, Long>()
            val job = launch(Dispatchers.Default) { map.changes().collect { } }
            waitFor { map.open.get() == 1 }
            job.cancelAndJoin()
            map.open.get() shouldBe 0
            val flow = map.snapshotThenChanges()
            val first = async(Dispatchers.Default) { flow.first() }
            first.await() shouldBe SnapshotEnd
            map.open.get() shouldBe 0
            val failing = async(Dispatchers.Default) {
                runCatching { map.changes().collect { throw IllegalStateException("collector failed") } }.exceptionOrNull()
            }
            waitFor { map.open.get() == 1 }
            map[1L] = 1L
            failing.await()!!.message shouldBe "collector failed"
            map.open.get() shouldBe 0
            map[2L] = 2L // no subscriber left to call
        }
    }

    for (overflow in listOf(ChangeOverflow.Fail, ChangeOverflow.Conflate)) {
        test("$overflow: a key inserted and removed again during the snapshot's scan is not in the snapshot") {
            runBlocking {
                val map = ScanHookBTreeMap()
                map[1L] = 1L
                map.duringScan = { map[106L] = 13L } // buffered, and read by the scan
                map.afterScan = { map.remove(106L) } // buffered (conflating: with the insert, to nothing)
                val snapshot = map.snapshotThenChanges(overflow = overflow).takeWhile { it != SnapshotEnd }.toList()
                snapshot shouldBe listOf(SnapshotEntry(1L, 1L))
            }
        }
    }

    test("a conflated insert then removal emits nothing for the key, and an overflowing conflating flow names the key count") {
        runBlocking {
            val map = newMap("btree")
            val gate = CompletableDeferred<Unit>()
            val got = ArrayList<Change<Long, Long>>()
            val job = launch(Dispatchers.Default) {
                map.changes(bufferSize = 4, overflow = ChangeOverflow.Conflate).collect { c -> gate.await(); synchronized(got) { got += c } }
            }
            waitForListener(map)
            map[100L] = 1L          // taken by the collector, which then waits
            map[7L] = 1L; map.remove(7L)           // insert then removal: nothing
            map[8L] = 1L; map[8L] = 2L; map[8L] = 3L // one upsert 1..3 standing for three
            gate.complete(Unit)
            withTimeout(10_000) { while (synchronized(got) { got.none { it.key == 8L } }) kotlinx.coroutines.delay(5) }
            job.cancelAndJoin()
            val changes = synchronized(got) { got.toList() }
            changes.none { it.key == 7L } shouldBe true
            changes.filter { it.key == 8L }.map { (it as Change.Upsert).let { u -> u.old to u.new } } shouldBe listOf(null to 3L)

            val stuck = CompletableDeferred<Unit>()
            val e = async(Dispatchers.Default) {
                runCatching {
                    map.changes(bufferSize = 2, overflow = ChangeOverflow.Conflate).collect { stuck.await() }
                }.exceptionOrNull()
            }
            waitForListener(map)
            for (k in 20L until 30L) map[k] = k
            stuck.complete(Unit)
            e.await()!!.message shouldBe "change flow collector fell behind: more than 2 keys with changes were " +
                "waiting (bufferSize = 2); collect faster, raise bufferSize"
        }
    }
})

private suspend fun waitFor(condition: () -> Boolean) {
    withTimeout(10_000) { while (!condition()) { yield(); kotlinx.coroutines.delay(1) } }
}

/** Waits until the index's feed has at least [n] listeners (a collection has subscribed). */
internal suspend fun waitForListener(map: ConcurrentNavigableMap<Long, Long>, n: Int = 1) {
    // Probe with a throwaway listener: the feed is reachable only through subscribe.
    waitFor { listenerCount(map) >= n }
}

/** The listeners of the feed behind [map], read by reflection (tests only). */
internal fun listenerCount(map: Any): Int {
    val owner: Any = if (map.javaClass.simpleName == "OffHeapLongMapView") {
        map.javaClass.getDeclaredField("m").apply { isAccessible = true }.get(map)
    } else map
    var c: Class<*>? = owner.javaClass
    var f: java.lang.reflect.Field? = null
    while (c != null && f == null) {
        f = c.declaredFields.firstOrNull { it.name == "feed" }
        c = c.superclass
    }
    val feed = f!!.apply { isAccessible = true }.get(owner) ?: return 0
    val ls = ChangeFeed::class.java.getDeclaredField("listeners").apply { isAccessible = true }.get(feed) as Array<*>?
    return ls?.size ?: 0
}
