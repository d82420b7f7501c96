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

/** The suspending read-modify-write and the bulk load from a flow, on every map kind. */
public class SuspendingUpdateSpec : FunSpec({

    for (kind in TestMaps.kinds) {
        context(kind) {

            test("update inserts, replaces, removes and leaves absent keys absent") {
                runTest {
                    val map = TestMaps.create<String, Int>(kind)
                    map.update("a") { it shouldBe null; 1 } shouldBe 1
                    map.update("a") { it shouldBe 1; delay(5); 2 } shouldBe 2
                    map["a"] shouldBe 2
                    map.update("a") { null } shouldBe null
                    map.containsKey("a") shouldBe false
                    map.update("b") { it shouldBe null; null } shouldBe null
                    map.containsKey("b") shouldBe false
                    map.size shouldBe 0
                }
            }

            test("a result equal to the current value writes nothing") {
                runTest {
                    val map = TestMaps.create<Int, String>(kind)
                    val original = String(charArrayOf('x', 'y'))
                    map[1] = original
                    val equalCopy = String(charArrayOf('x', 'y'))
                    map.update(1) { equalCopy } shouldBeSameInstanceAs original
                    map[1] shouldBeSameInstanceAs original
                }
            }

            test("the function runs again when another writer commits while it is suspended") {
                runTest {
                    val map = TestMaps.create<Int, Int>(kind)
                    map[5] = 1
                    val gate = CompletableDeferred<Unit>()
                    val seen = ArrayList<Int?>()
                    val updater = launch {
                        map.update(5) { current ->
                            seen += current
                            if (seen.size == 1) gate.await()
                            (current ?: 0) + 1
                        } shouldBe 11
                    }
                    runCurrent()
                    // The function is suspended holding nothing: a plain write from another thread goes through.
                    thread { map[5] = 10 }.join()
                    gate.complete(Unit)
                    updater.join()
                    seen shouldBe listOf(1, 10)
                    map[5] shouldBe 11
                }
            }

            test("a removal by another writer while the function is suspended is noticed") {
                runTest {
                    val map = TestMaps.create<Int, Int>(kind)
                    map[5] = 1
                    val gate = CompletableDeferred<Unit>()
                    val seen = ArrayList<Int?>()
                    val updater = launch {
                        map.update(5) { current ->
                            seen += current
                            if (seen.size == 1) gate.await()
                            (current ?: 100) + 1
                        }
                    }
                    runCurrent()
                    map.remove(5)
                    gate.complete(Unit)
                    updater.join()
                    seen shouldBe listOf(1, null)
                    map[5] shouldBe 101
                }
            }

            test("no update is lost when many coroutines on one thread interleave their suspended functions") {
                runTest {
                    val map = TestMaps.create<Int, Int>(kind)
                    val calls = AtomicInteger()
                    val coroutines = 50
                    val each = 10 * TestMaps.scale
                    coroutineScope {
                        repeat(coroutines) { c ->
                            launch {
                                val random = Random(c)
                                repeat(each) {
                                    map.update(c % 3) { current ->
                                        calls.incrementAndGet()
                                        delay(random.nextLong(0, 20))
                                        (current ?: 0) + 1
                                    }
                                }
                            }
                        }
                    }
                    (0 until 3).sumOf { map[it] ?: 0 } shouldBe coroutines * each
                    // Interleaved suspensions make conflicts certain, so some functions ran again.
                    (calls.get() > coroutines * each) shouldBe true
                }
            }

            test("no update is lost when coroutines on several threads update one key") {
                runTest {
                    val map = TestMaps.create<Int, Long>(kind)
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
                    TestMaps.checkInvariants(map)
                }
            }

            test("a failing function propagates its exception and changes nothing") {
                runTest {
                    val map = TestMaps.create<Int, String>(kind)
                    map[1] = "one"
                    shouldThrow<IllegalStateException> {
                        map.update(1) { delay(1); throw IllegalStateException("remote call failed") }
                    }.message shouldBe "remote call failed"
                    shouldThrow<IllegalStateException> {
                        map.update(2) { throw IllegalStateException("absent key") }
                    }
                    map[1] shouldBe "one"
                    map.containsKey(2) shouldBe false
                    map.update(1) { "uno" } shouldBe "uno"
                }
            }

            test("cancellation while the function is suspended changes nothing") {
                runTest {
                    val map = TestMaps.create<Int, String>(kind)
                    map[1] = "one"
                    val started = CompletableDeferred<Unit>()
                    val job = launch {
                        map.update(1) { started.complete(Unit); CompletableDeferred<String>().await() }
                    }
                    started.await()
                    job.cancelAndJoin()
                    job.isCancelled shouldBe true
                    map[1] shouldBe "one"
                }
            }

            test("putAll loads a flow in random, descending and zigzag orders and counts every pair") {
                runTest {
                    val random = Random(kind.hashCode())
                    val keys = (0 until 500 * TestMaps.scale).map { random.nextInt(0, 1_000_000) }.distinct()
                    for ((_, order) in TestMaps.orders(keys, random)) {
                        val map = TestMaps.create<Int, String>(kind)
                        map.putAll(flow { for (k in order) { emit(k to "v$k"); if (k % 7 == 0) yield() } }) shouldBe
                            keys.size.toLong()
                        map.size shouldBe keys.size
                        for (k in keys) map[k] shouldBe "v$k"
                        map.keysFlow().collectSorted() shouldBe keys.sorted()
                        TestMaps.checkInvariants(map)
                    }
                }
            }

            test("putAll counts overwrites, loads nothing from an empty flow, and keeps what came before a failure") {
                runTest {
                    val map = TestMaps.create<Int, String>(kind)
                    map.putAll(flowOf()) shouldBe 0L
                    map.putAll(flowOf(3 to "a", 1 to "b", 3 to "c")) shouldBe 3L
                    map[3] shouldBe "c"
                    map.size shouldBe 2
                    shouldThrow<IllegalStateException> {
                        map.putAll(flow {
                            emit(10 to "x")
                            emit(9 to "y")
                            throw IllegalStateException("source failed")
                        })
                    }.message shouldBe "source failed"
                    map[10] shouldBe "x"
                    map[9] shouldBe "y"
                    shouldThrow<CancellationException> {
                        map.putAll(flow { emit(20 to "z"); throw CancellationException("stopped") })
                    }
                    map[20] shouldBe "z"
                }
            }
        }
    }
})

/** Collects a key flow into a list, checking on the way that it is strictly ascending. */
private suspend fun kotlinx.coroutines.flow.Flow<Int>.collectSorted(): List<Int> {
    val out = ArrayList<Int>()
    collect { k ->
        check(out.isEmpty() || out.last() < k) { "key $k after ${out.last()}" }
        out += k
    }
    return out
}
