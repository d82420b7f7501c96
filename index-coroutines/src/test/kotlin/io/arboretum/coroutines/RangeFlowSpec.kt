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

/** Range flows at every edge, checked against a TreeMap, on every map kind. */
public class RangeFlowSpec : FunSpec({

    /** What a range flow must emit: the reference entries in range, in order, at most [limit]. */
    fun expected(
        ref: TreeMap<Int, String>, range: KeyRange<Int>, descending: Boolean, limit: Long,
    ): List<Pair<Int, String>> {
        val inRange = ref.entries.filter { (k, _) ->
            val lo = range.lower
            val hi = range.upper
            (lo == null || k > lo || (range.lowerInclusive && k == lo)) &&
                (hi == null || k < hi || (range.upperInclusive && k == hi))
        }.map { it.key to it.value }
        val ordered = if (descending) inRange.reversed() else inRange
        return ordered.take(minOf(limit, Int.MAX_VALUE.toLong()).toInt())
    }

    suspend fun ConcurrentNavigableMap<Int, String>.collected(
        range: KeyRange<Int>, descending: Boolean, limit: Long, batchSize: Int,
    ): List<Pair<Int, String>> =
        // At most one more entry than the map holds: a flow that repeats keys fails instead of hanging.
        entriesFlow(range, descending, limit, batchSize).take(size + 1).map { it.key to it.value }.toList()

    for (kind in TestMaps.kinds) {
        context(kind) {

            test("an empty map emits nothing, whatever the range") {
                runTest {
                    val map = TestMaps.create<Int, String>(kind)
                    map.asFlow().toList() shouldBe emptyList()
                    map.keysFlow(KeyRange.closed(1, 5), descending = true).toList() shouldBe emptyList()
                    map.valuesFlow(KeyRange.atMost(3), batchSize = 1).toList() shouldBe emptyList()
                }
            }

            test("a single key is emitted exactly when the bounds admit it") {
                runTest {
                    val map = TestMaps.create<Int, String>(kind)
                    map[7] = "seven"
                    val ref = TreeMap(mapOf(7 to "seven"))
                    val ranges = listOf(
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
                    map.keysFlow(KeyRange.closed(7, 7)).toList() shouldBe listOf(7)
                    map.valuesFlow(KeyRange.open(7, 9)).toList() shouldBe emptyList()
                }
            }

            test("random ranges, limits and batch sizes match a TreeMap, for random, descending and zigzag insert orders") {
                runTest {
                    val random = Random(kind.hashCode())
                    val keys = (0 until 60 * TestMaps.scale).map { random.nextInt(0, 300) }.distinct()
                    for ((order, sequence) in TestMaps.orders(keys, random)) {
                        val map = TestMaps.create<Int, String>(kind)
                        val ref = TreeMap<Int, String>()
                        for (k in sequence) {
                            map[k] = "v$k"
                            ref[k] = "v$k"
                        }
                        TestMaps.checkInvariants(map)
                        repeat(150 * TestMaps.scale) {
                            val lo = if (random.nextInt(5) == 0) null else random.nextInt(-5, 305)
                            val hi = if (random.nextInt(5) == 0) null else random.nextInt(-5, 305)
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
                    val map = TestMaps.create<Int, String>(kind)
                    val ref = TreeMap<Int, String>()
                    for (k in (0 until 40).shuffled(Random(3))) {
                        map[k] = "v$k"
                        ref[k] = "v$k"
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

            test("Kotlin ranges convert with the bounds they mean") {
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

            test("the range follows the map's comparator, not natural order") {
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
                    val map = TestMaps.create<Int, String>(kind)
                    for (k in (0 until 50).shuffled(Random(5))) map[k] = "v$k"
                    val sub = map.subMap(10, true, 40, false)
                    sub.keysFlow(batchSize = 4).toList() shouldBe (10 until 40).toList()
                    sub.keysFlow(KeyRange.closed(20, 25), descending = true, batchSize = 2).toList() shouldBe
                        (25 downTo 20).toList()
                    val desc = map.descendingMap()
                    desc.keysFlow(limit = 3).toList() shouldBe listOf(49, 48, 47)
                    desc.keysFlow(KeyRange.closed(30, 27), batchSize = 3).toList() shouldBe listOf(30, 29, 28, 27)
                    desc.keysFlow(KeyRange.lessThan(3), descending = true).toList() shouldBe (4 until 50).toList()
                    map.headMap(5).keysFlow(descending = true, batchSize = 2).toList() shouldBe (4 downTo 0).toList()
                    map.tailMap(45, false).valuesFlow().toList() shouldBe (46 until 50).map { "v$it" }
                }
            }

            test("bad arguments fail when the flow is made, with a message naming them") {
                val map = TestMaps.create<Int, String>(kind)
                shouldThrow<IllegalArgumentException> { map.entriesFlow(batchSize = 0) }
                    .message shouldBe "batchSize must be at least 1, was 0"
                shouldThrow<IllegalArgumentException> { map.keysFlow(limit = -1) }
                    .message shouldBe "limit must be at least 0, was -1"
            }

            test("bounds that cannot be compared fail with ClassCastException when collected") {
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
                    val map = TestMaps.create<Int, String>(kind)
                    val flow = map.keysFlow(KeyRange.atLeast(2), batchSize = 2)
                    for (k in listOf(5, 1, 3)) map[k] = "v$k"
                    flow.toList() shouldBe listOf(3, 5)
                    map[4] = "v4"
                    map.remove(5)
                    flow.toList() shouldBe listOf(3, 4)
                }
            }

            test("flow operators see a well-behaved flow: take, zip, flowOn, buffer, catch, concurrent collections") {
                runTest {
                    val map = TestMaps.create<Int, String>(kind)
                    for (k in (0 until 300).shuffled(Random(5))) map[k] = "v$k"
                    // take() stops the flow by throwing from emit: a flow that swallowed it would go on.
                    map.keysFlow(batchSize = 64).take(70).toList() shouldBe (0 until 70).toList()
                    map.keysFlow(descending = true).first() shouldBe 299
                    map.keysFlow(KeyRange.atLeast(100)).zip(map.valuesFlow(KeyRange.atLeast(100))) { k, v -> "v$k" == v }
                        .toList() shouldBe List(200) { true }
                    // Collected on another dispatcher, buffered: context preservation holds by construction.
                    map.keysFlow(batchSize = 16).buffer(8).flowOn(Dispatchers.Default).toList() shouldBe (0 until 300).toList()
                    // An exception thrown downstream reaches catch{}, and nothing is emitted after it.
                    val seen = ArrayList<Int>()
                    map.keysFlow().onEach { if (it == 42) throw IllegalStateException("stop at $it") }
                        .catch { e -> emit(-1); e.message shouldBe "stop at 42" }
                        .collect { seen += it }
                    seen shouldBe (0 until 42).toList() + (-1)
                    // Each collection has its own cursor.
                    val all = coroutineScope {
                        (0 until 4).map { async(Dispatchers.Default) { map.keysFlow(batchSize = 7).toList() } }.awaitAll()
                    }
                    all.forEach { it shouldBe (0 until 300).toList() }
                }
            }

            if (kind != "cslm") {
                test("a BatchScannable map is scanned through its cursor (copyBatch by default)") {
                    runTest {
                        val map = TestMaps.create<Int, String>(kind)
                        for (k in 0 until 10) map[k] = "v$k"
                        if (map is BatchScanningSkipListMap<Int, String>) {
                            map.keysFlow(batchSize = 3).toList() shouldBe (0 until 10).toList()
                            map.batchCalls shouldBeGreaterThan 3
                        } else {
                            map.keysFlow(batchSize = 3, descending = true).toList() shouldBe (9 downTo 0).toList()
                        }
                    }
                }
            }
        }
    }
})
