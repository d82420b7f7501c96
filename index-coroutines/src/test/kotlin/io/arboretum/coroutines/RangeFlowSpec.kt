package io.arboretum.coroutines

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.ints.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import java.util.Comparator
import java.util.TreeMap
import java.util.concurrent.ConcurrentNavigableMap
import kotlin.random.Random
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.catch
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.flowOn
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.onEach
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.flow.zip
import kotlinx.coroutines.test.runTest

/**
 * Range flows at every edge, checked against a TreeMap, on every map kind with `Long` keys and
 * values (the off-heap map's view included); comparator, key-type and Kotlin-range cases on every
 * generic kind.
 */
public class RangeFlowSpec : FunSpec({

    val maps = LongMaps()
    afterTest { maps.close() }

    /** The value every test stores for key [k]: distinct from the key, so a swap would show. */
    fun v(k: Long): Long = k * 10 + 7

    /** What a range flow must emit: the reference entries in range, in order, at most [limit]. */
    fun expected(
        ref: TreeMap<Long, Long>, range: KeyRange<Long>, descending: Boolean, limit: Long,
    ): List<Pair<Long, Long>> {
        val inRange = ref.entries.filter { (k, _) ->
            val lo = range.lower
            val hi = range.upper
            (lo == null || k > lo || (range.lowerInclusive && k == lo)) &&
                (hi == null || k < hi || (range.upperInclusive && k == hi))
        }.map { it.key to it.value }
        val ordered = if (descending) inRange.reversed() else inRange
        return ordered.take(minOf(limit, Int.MAX_VALUE.toLong()).toInt())
    }

    suspend fun ConcurrentNavigableMap<Long, Long>.collected(
        range: KeyRange<Long>, descending: Boolean, limit: Long, batchSize: Int,
    ): List<Pair<Long, Long>> =
        // At most one more entry than the map holds: a flow that repeats keys fails instead of hanging.
        entriesFlow(range, descending, limit, batchSize).take(size + 1).map { it.key to it.value }.toList()

    for (kind in TestMaps.longKinds) {
        context(kind) {

            test("an empty map emits nothing, whatever the range") {
                runTest {
                    val map = maps.create(kind)
                    map.asFlow().toList() shouldBe emptyList()
                    map.keysFlow(KeyRange.closed(1L, 5L), descending = true).toList() shouldBe emptyList()
                    map.valuesFlow(KeyRange.atMost(3L), batchSize = 1).toList() shouldBe emptyList()
                }
            }

            test("a single key is emitted exactly when the bounds admit it") {
                runTest {
                    val map = maps.create(kind)
                    map[7] = 77
                    val ref = TreeMap(mapOf(7L to 77L))
                    val ranges = listOf<KeyRange<Long>>(
                        KeyRange.all(), KeyRange.closed(7, 7), KeyRange.open(7, 7), KeyRange.closedOpen(7, 7),
                        KeyRange.openClosed(7, 7), KeyRange.closedOpen(7, 8), KeyRange.openClosed(6, 7),
                        KeyRange.open(6, 7), KeyRange.open(7, 8), KeyRange.atLeast(7), KeyRange.greaterThan(7),
                        KeyRange.atMost(7), KeyRange.lessThan(7), KeyRange.closed(8, 6),
                    )
                    for (r in ranges) for (desc in listOf(false, true)) for (batch in listOf(1, 2, 256)) {
                        withClue("range $r descending=$desc batch=$batch") {
                            map.collected(r, desc, Long.MAX_VALUE, batch) shouldBe expected(ref, r, desc, Long.MAX_VALUE)
                        }
                    }
                    map.keysFlow(KeyRange.closed(7L, 7L)).toList() shouldBe listOf(7L)
                    map.valuesFlow(KeyRange.open(7L, 9L)).toList() shouldBe emptyList()
                }
            }

            test("random ranges, limits and batch sizes match a TreeMap, for random, descending and zigzag insert orders") {
                runTest {
                    val random = Random(kind.hashCode())
                    val keys = (0 until 60 * TestMaps.scale).map { random.nextInt(0, 300) }.distinct()
                    for ((order, sequence) in TestMaps.orders(keys, random)) {
                        val map = maps.create(kind)
                        val ref = TreeMap<Long, Long>()
                        for (i in sequence) {
                            val k = i.toLong()
                            map[k] = v(k)
                            ref[k] = v(k)
                        }
                        maps.checkInvariants(map)
                        repeat(150 * TestMaps.scale) {
                            val lo = if (random.nextInt(5) == 0) null else random.nextLong(-5, 305)
                            val hi = if (random.nextInt(5) == 0) null else random.nextLong(-5, 305)
                            val r = KeyRange.of(lo, random.nextBoolean(), hi, random.nextBoolean())
                            val desc = random.nextBoolean()
                            val limit = when (random.nextInt(4)) {
                                0 -> 0L
                                1 -> random.nextLong(1, 12)
                                else -> Long.MAX_VALUE
                            }
                            val batch = listOf(1, 2, 3, 4, 5, 7, 64, 256)[random.nextInt(8)]
                            withClue("order $order range $r descending=$desc limit=$limit batch=$batch") {
                                val want = expected(ref, r, desc, limit)
                                map.collected(r, desc, limit, batch) shouldBe want
                                map.keysFlow(r, desc, limit, batch).take(ref.size + 1).toList() shouldBe
                                    want.map { it.first }
                                map.valuesFlow(r, desc, limit, batch).take(ref.size + 1).toList() shouldBe
                                    want.map { it.second }
                            }
                        }
                    }
                }
            }

            test("limits at and around batch boundaries") {
                runTest {
                    val map = maps.create(kind)
                    val ref = TreeMap<Long, Long>()
                    for (k in (0L until 40L).shuffled(Random(3))) {
                        map[k] = v(k)
                        ref[k] = v(k)
                    }
                    for (batch in listOf(1, 4, 8)) for (limit in listOf(0L, 1L, 3L, 4L, 5L, 8L, 9L, 39L, 40L, 41L)) {
                        for (desc in listOf(false, true)) {
                            withClue("batch=$batch limit=$limit descending=$desc") {
                                map.collected(KeyRange.all(), desc, limit, batch) shouldBe
                                    expected(ref, KeyRange.all(), desc, limit)
                            }
                        }
                    }
                }
            }

            test("Kotlin ranges of longs convert with the bounds they mean") {
                runTest {
                    val longs = maps.create(kind)
                    for (k in listOf(5L, 1L, 9L, 3L, 7L)) longs[k] = v(k)
                    longs.keysFlow((3L..<9L).toKeyRange()).toList() shouldBe listOf(3L, 5L, 7L)
                    longs.keysFlow((3L..9L).toKeyRange(), descending = true).toList() shouldBe listOf(9L, 7L, 5L, 3L)
                    longs.keysFlow((9L..3L).toKeyRange()).toList() shouldBe emptyList()
                }
            }

            if (kind != "offheap") test("Kotlin ranges convert with the bounds they mean") {
                runTest {
                    val map = TestMaps.create<Int, String>(kind)
                    for (k in (0 until 30).reversed()) map[k] = "v$k"
                    map.keysFlow((10..20).toKeyRange()).toList() shouldBe (10..20).toList()
                    map.keysFlow((10..<20).toKeyRange()).toList() shouldBe (10..19).toList()
                    map.keysFlow((20..10).toKeyRange()).toList() shouldBe emptyList()
                    map.keysFlow((10..20).toKeyRange(), descending = true, limit = 3).toList() shouldBe listOf(20, 19, 18)

                    val names = TestMaps.create<String, Int>(kind)
                    for ((i, s) in listOf("dan", "ann", "eve", "bob", "cat").withIndex()) names[s] = i
                    names.keysFlow(("ann".."cat").toKeyRange()).toList() shouldBe listOf("ann", "bob", "cat")
                    names.keysFlow(("ann"..<"cat").toKeyRange()).toList() shouldBe listOf("ann", "bob")
                    names.keysFlow(("b"..<"z").toKeyRange(), descending = true).toList() shouldBe
                        listOf("eve", "dan", "cat", "bob")

                    val longs = TestMaps.create<Long, String>(kind)
                    for (k in listOf(5L, 1L, 9L, 3L, 7L)) longs[k] = "v$k"
                    longs.keysFlow((3L..<9L).toKeyRange()).toList() shouldBe listOf(3L, 5L, 7L)
                }
            }

            if (kind != "offheap") test("the range follows the map's comparator, not natural order") {
                runTest {
                    val map = TestMaps.create<Int, String>(kind, Comparator.reverseOrder())
                    for (k in listOf(4, 9, 1, 7, 3)) map[k] = "v$k"
                    map.keysFlow().toList() shouldBe listOf(9, 7, 4, 3, 1)
                    map.keysFlow(KeyRange.closed(7, 3)).toList() shouldBe listOf(7, 4, 3)
                    map.keysFlow(KeyRange.closed(3, 7)).toList() shouldBe emptyList()
                    map.keysFlow(KeyRange.greaterThan(4), descending = true).toList() shouldBe listOf(1, 3)
                }
            }

            test("flows over sub-map, head-map and descending views keep the view's range and order") {
                runTest {
                    val map = maps.create(kind)
                    for (k in (0L until 50L).shuffled(Random(5))) map[k] = v(k)
                    val sub = map.subMap(10L, true, 40L, false)
                    sub.keysFlow(batchSize = 4).toList() shouldBe (10L until 40L).toList()
                    sub.keysFlow(KeyRange.closed(20L, 25L), descending = true, batchSize = 2).toList() shouldBe
                        (25L downTo 20L).toList()
                    val desc = map.descendingMap()
                    desc.keysFlow(limit = 3).toList() shouldBe listOf(49L, 48L, 47L)
                    desc.keysFlow(KeyRange.closed(30L, 27L), batchSize = 3).toList() shouldBe listOf(30L, 29L, 28L, 27L)
                    desc.keysFlow(KeyRange.lessThan(3L), descending = true).toList() shouldBe (4L until 50L).toList()
                    map.headMap(5L).keysFlow(descending = true, batchSize = 2).toList() shouldBe (4L downTo 0L).toList()
                    map.tailMap(45L, false).valuesFlow().toList() shouldBe (46L until 50L).map { v(it) }
                }
            }

            test("bad arguments fail when the flow is made, with a message naming them") {
                val map = maps.create(kind)
                shouldThrow<IllegalArgumentException> { map.entriesFlow(batchSize = 0) }
                    .message shouldBe "batchSize must be at least 1, was 0"
                shouldThrow<IllegalArgumentException> { map.keysFlow(limit = -1) }
                    .message shouldBe "limit must be at least 0, was -1"
            }

            if (kind != "offheap") test("bounds that cannot be compared fail with ClassCastException when collected") {
                runTest {
                    val map = TestMaps.create<Any, String>(kind)
                    map[1] = "one"
                    val flow = map.keysFlow(KeyRange.closed<Any>(1, "x"))
                    shouldThrow<ClassCastException> { flow.toList() }
                    map.keysFlow().toList() shouldBe listOf(1)
                }
            }

            test("the flow is cold: nothing is read until collected, and each collection reads afresh") {
                runTest {
                    val map = maps.create(kind)
                    val flow = map.keysFlow(KeyRange.atLeast(2L), batchSize = 2)
                    for (k in listOf(5L, 1L, 3L)) map[k] = v(k)
                    flow.toList() shouldBe listOf(3L, 5L)
                    map[4L] = v(4L)
                    map.remove(5L)
                    flow.toList() shouldBe listOf(3L, 4L)
                }
            }

            test("flow operators see a well-behaved flow: take, zip, flowOn, buffer, catch, concurrent collections") {
                runTest {
                    val map = maps.create(kind)
                    for (k in (0L until 300L).shuffled(Random(5))) map[k] = v(k)
                    // take() stops the flow by throwing from emit: a flow that swallowed it would go on.
                    map.keysFlow(batchSize = 64).take(70).toList() shouldBe (0L until 70L).toList()
                    map.keysFlow(descending = true).first() shouldBe 299L
                    map.keysFlow(KeyRange.atLeast(100L)).zip(map.valuesFlow(KeyRange.atLeast(100L))) { k, value -> v(k) == value }
                        .toList() shouldBe List(200) { true }
                    // Collected on another dispatcher, buffered: context preservation holds by construction.
                    map.keysFlow(batchSize = 16).buffer(8).flowOn(Dispatchers.Default).toList() shouldBe (0L until 300L).toList()
                    // An exception thrown downstream reaches catch{}, and nothing is emitted after it.
                    val seen = ArrayList<Long>()
                    map.keysFlow().onEach { if (it == 42L) throw IllegalStateException("stop at $it") }
                        .catch { e -> emit(-1L); e.message shouldBe "stop at 42" }
                        .collect { seen += it }
                    seen shouldBe (0L until 42L).toList() + (-1L)
                    // Each collection has its own cursor.
                    val all = coroutineScope {
                        (0 until 4).map { async(Dispatchers.Default) { map.keysFlow(batchSize = 7).toList() } }.awaitAll()
                    }
                    all.forEach { it shouldBe (0L until 300L).toList() }
                }
            }

            if (kind != "cslm") {
                test("a BatchScannable map is scanned through its cursor (copyBatch by default)") {
                    runTest {
                        val map = maps.create(kind)
                        for (k in 0L until 10L) map[k] = v(k)
                        if (map is BatchScanningSkipListMap<Long, Long>) {
                            map.keysFlow(batchSize = 3).toList() shouldBe (0L until 10L).toList()
                            map.batchCalls shouldBeGreaterThan 3
                        } else {
                            map.keysFlow(batchSize = 3, descending = true).toList() shouldBe (9L downTo 0L).toList()
                        }
                    }
                }
            }
        }
    }
})
