package io.arboretum.coroutines

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeSameInstanceAs
import java.util.concurrent.atomic.AtomicInteger
import kotlin.concurrent.thread
import kotlin.random.Random
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.flow.flowOf
import kotlinx.coroutines.launch
import kotlinx.coroutines.test.runCurrent
import kotlinx.coroutines.test.runTest
import kotlinx.coroutines.withContext
import kotlinx.coroutines.yield

/**
 * The suspending read-modify-write and the bulk load from a flow, on every map kind with `Long`
 * keys and values, the off-heap map's view included.
 */
public class SuspendingUpdateSpec : FunSpec({

    val maps = LongMaps()
    afterTest { maps.close() }

    for (kind in TestMaps.longKinds) {
        context(kind) {

            test("update inserts, replaces, removes and leaves absent keys absent") {
                runTest {
                    val map = maps.create(kind)
                    map.updateAndGet(-3L) { it shouldBe null; 1L } shouldBe 1L
                    map.updateAndGet(-3L) { it shouldBe 1L; delay(5); 2L } shouldBe 2L
                    map[-3L] shouldBe 2L
                    map.updateAndGet(-3L) { null } shouldBe null
                    map.containsKey(-3L) shouldBe false
                    map.updateAndGet(Long.MAX_VALUE) { it shouldBe null; null } shouldBe null
                    map.containsKey(Long.MAX_VALUE) shouldBe false
                    map.size shouldBe 0
                }
            }

            if (kind != "offheap") test("a result equal to the current value writes nothing") {
                runTest {
                    val map = TestMaps.create<Int, String>(kind)
                    val original = String(charArrayOf('x', 'y'))
                    map[1] = original
                    val equalCopy = String(charArrayOf('x', 'y'))
                    map.updateAndGet(1) { equalCopy } shouldBeSameInstanceAs original
                    map[1] shouldBeSameInstanceAs original
                }
            }

            test("the function runs again when another writer commits while it is suspended") {
                runTest {
                    val map = maps.create(kind)
                    map[5] = 1
                    val gate = CompletableDeferred<Unit>()
                    val seen = ArrayList<Long?>()
                    val updater = launch {
                        map.updateAndGet(5) { current ->
                            seen += current
                            if (seen.size == 1) gate.await()
                            (current ?: 0L) + 1
                        } shouldBe 11L
                    }
                    runCurrent()
                    // The function is suspended holding nothing: a plain write from another thread goes through.
                    thread { map[5] = 10 }.join()
                    gate.complete(Unit)
                    updater.join()
                    seen shouldBe listOf(1L, 10L)
                    map[5] shouldBe 11L
                }
            }

            test("a removal by another writer while the function is suspended is noticed") {
                runTest {
                    val map = maps.create(kind)
                    map[5] = 1
                    val gate = CompletableDeferred<Unit>()
                    val seen = ArrayList<Long?>()
                    val updater = launch {
                        map.update(5) { current ->
                            seen += current
                            if (seen.size == 1) gate.await()
                            (current ?: 100L) + 1
                        }
                    }
                    runCurrent()
                    map.remove(5)
                    gate.complete(Unit)
                    updater.join()
                    seen shouldBe listOf(1L, null)
                    map[5] shouldBe 101L
                }
            }

            test("no update is lost when many coroutines on one thread interleave their suspended functions") {
                runTest {
                    val map = maps.create(kind)
                    val calls = AtomicInteger()
                    val coroutines = 50
                    val each = 10 * TestMaps.scale
                    coroutineScope {
                        repeat(coroutines) { c ->
                            launch {
                                val random = Random(c)
                                repeat(each) {
                                    map.update(c % 3L) { current ->
                                        calls.incrementAndGet()
                                        delay(random.nextLong(0, 20))
                                        (current ?: 0L) + 1
                                    }
                                }
                            }
                        }
                    }
                    (0L until 3L).sumOf { map[it] ?: 0L } shouldBe (coroutines * each).toLong()
                    // Interleaved suspensions make conflicts certain, so some functions ran again.
                    (calls.get() > coroutines * each) shouldBe true
                }
            }

            test("no update is lost when coroutines on several threads update one key") {
                runTest {
                    val map = maps.create(kind)
                    val coroutines = 8
                    val each = 300 * TestMaps.scale
                    withContext(Dispatchers.Default) {
                        repeat(coroutines) { c ->
                            launch {
                                repeat(each) { i ->
                                    map.update(7) { current ->
                                        if (i % 4 == c % 4) yield()
                                        (current ?: 0L) + 1
                                    }
                                }
                            }
                        }
                    }
                    map[7] shouldBe (coroutines * each).toLong()
                    maps.checkInvariants(map)
                }
            }

            test("a failing function propagates its exception and changes nothing") {
                runTest {
                    val map = maps.create(kind)
                    map[1] = 100
                    shouldThrow<IllegalStateException> {
                        map.update(1) { delay(1); throw IllegalStateException("remote call failed") }
                    }.message shouldBe "remote call failed"
                    shouldThrow<IllegalStateException> {
                        map.update(2) { throw IllegalStateException("absent key") }
                    }
                    map[1] shouldBe 100L
                    map.containsKey(2) shouldBe false
                    map.updateAndGet(1) { 101L } shouldBe 101L
                }
            }

            test("cancellation while the function is suspended changes nothing") {
                runTest {
                    val map = maps.create(kind)
                    map[1] = 100
                    val started = CompletableDeferred<Unit>()
                    val job = launch {
                        map.update(1) { started.complete(Unit); CompletableDeferred<Long>().await() }
                    }
                    started.await()
                    job.cancelAndJoin()
                    job.isCancelled shouldBe true
                    map[1] shouldBe 100L
                }
            }

            test("putAll loads a flow in random, descending and zigzag orders and counts every pair") {
                runTest {
                    val random = Random(kind.hashCode())
                    val keys = (0 until 500 * TestMaps.scale).map { random.nextInt(0, 1_000_000) }.distinct()
                    for ((_, order) in TestMaps.orders(keys, random)) {
                        val map = maps.create(kind)
                        map.putAll(flow { for (k in order) { emit(k.toLong() to -k.toLong()); if (k % 7 == 0) yield() } }) shouldBe
                            keys.size.toLong()
                        map.size shouldBe keys.size
                        for (k in keys) map[k.toLong()] shouldBe -k.toLong()
                        map.keysFlow().collectSorted() shouldBe keys.sorted().map { it.toLong() }
                        maps.checkInvariants(map)
                    }
                }
            }

            test("putAll counts overwrites, loads nothing from an empty flow, and keeps what came before a failure") {
                runTest {
                    val map = maps.create(kind)
                    map.putAll(flowOf()) shouldBe 0L
                    map.putAll(flowOf(3L to 30L, 1L to 10L, 3L to 31L)) shouldBe 3L
                    map[3] shouldBe 31L
                    map.size shouldBe 2
                    shouldThrow<IllegalStateException> {
                        map.putAll(flow {
                            emit(10L to 100L)
                            emit(9L to 90L)
                            throw IllegalStateException("source failed")
                        })
                    }.message shouldBe "source failed"
                    map[10] shouldBe 100L
                    map[9] shouldBe 90L
                    shouldThrow<CancellationException> {
                        map.putAll(flow { emit(20L to 200L); throw CancellationException("stopped") })
                    }
                    map[20] shouldBe 200L
                }
            }
        }
    }
})

/** Collects a key flow into a list, checking on the way that it is strictly ascending. */
private suspend fun kotlinx.coroutines.flow.Flow<Long>.collectSorted(): List<Long> {
    val out = ArrayList<Long>()
    collect { k ->
        check(out.isEmpty() || out.last() < k) { "key $k after ${out.last()}" }
        out += k
    }
    return out
}
