package io.arboretum.coroutines

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainAll
import io.kotest.matchers.shouldBe
import java.util.concurrent.ConcurrentNavigableMap
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicBoolean
import kotlin.concurrent.thread
import kotlin.random.Random
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch
import kotlinx.coroutines.test.runTest
import kotlinx.coroutines.yield

/**
 * Range flows under cancellation, failing collectors, suspended collectors and concurrent writers,
 * on every map kind with `Long` keys, the off-heap map's view included.
 */
public class FlowConcurrencySpec : FunSpec({

    val maps = LongMaps()
    afterTest { maps.close() }

    fun filled(kind: String, keys: Iterable<Long>): ConcurrentNavigableMap<Long, Long> {
        val map = maps.create(kind)
        for (k in keys.shuffled(Random(11))) map[k] = k
        return map
    }

    /** Runs writes to every key in [keys] from another thread; true if they finished within 10 s. */
    fun writerFinishes(map: ConcurrentNavigableMap<Long, Long>, keys: LongRange): Boolean {
        val done = CountDownLatch(1)
        val writer = thread(name = "writer") {
            for (k in keys.reversed()) {
                map[k] = -k
                map.remove(k)
                map.putIfAbsent(k, k)
                map.replace(k, k, k + 1)
                map[k] = k
            }
            done.countDown()
        }
        val finished = done.await(10, TimeUnit.SECONDS)
        writer.join(10_000)
        return finished
    }

    for (kind in TestMaps.longKinds) {
        context(kind) {

            test("cancelling the collector in the middle of a batch stops the flow at once") {
                runTest {
                    val map = filled(kind, 0L until 100L)
                    for (descending in listOf(false, true)) {
                        val seen = ArrayList<Long>()
                        val job = launch {
                            map.keysFlow(descending = descending, batchSize = 32).collect { k ->
                                seen += k
                                if (seen.size == 37) currentCoroutineContext().cancel()
                            }
                        }
                        job.join()
                        job.isCancelled shouldBe true
                        // 37 is 5 entries into the second batch: the rest of that batch was not emitted.
                        seen shouldBe (if (descending) (99L downTo 63L) else (0L until 37L)).toList()
                    }
                    map.keysFlow().toList() shouldBe (0L until 100L).toList()
                }
            }

            test("an exception in the collector propagates and leaves the map usable from every thread") {
                runTest {
                    val map = filled(kind, 0L until 200L)
                    val thrown = shouldThrow<IllegalStateException> {
                        var n = 0
                        map.entriesFlow(KeyRange.closed(10L, 150L), batchSize = 16).collect {
                            if (++n == 21) throw IllegalStateException("collector failed at ${it.key}")
                        }
                    }
                    thrown.message shouldBe "collector failed at 30"
                    writerFinishes(map, 0L until 200L) shouldBe true
                    val readers = (0 until 2).map {
                        thread { for (k in 0L until 200L) check(map[k] == k) { "key $k lost" } }
                    }
                    readers.forEach { it.join(10_000) }
                    maps.checkInvariants(map)
                    map.keysFlow(descending = true).toList() shouldBe (199L downTo 0L).toList()
                }
            }

            test("a collector suspended inside collect does not delay writers to the keys being scanned") {
                runTest {
                    val map = filled(kind, 0L until 64L)
                    for (descending in listOf(false, true)) {
                        val inside = CompletableDeferred<Long>()
                        val collector = launch {
                            map.keysFlow(descending = descending, batchSize = 16).collect { k ->
                                // Third entry of the first batch: suspend here until cancelled.
                                if (k == (if (descending) 61L else 2L)) {
                                    inside.complete(k)
                                    awaitCancellation()
                                }
                            }
                        }
                        inside.await()
                        withClue("descending=$descending") {
                            // Writes to the batch being emitted, to the next batch and to everything else.
                            writerFinishes(map, 0L until 64L) shouldBe true
                        }
                        collector.cancelAndJoin()
                        maps.checkInvariants(map)
                    }
                }
            }

            test("concurrent writers: order, no duplicates, stable keys always seen, no phantom keys") {
                runTest {
                    val n = 400L * TestMaps.scale
                    // Even keys are stable (their values change, they never leave); odd keys churn.
                    val map = filled(kind, (0L until n step 2))
                    val stop = AtomicBoolean(false)
                    // Writers on their own threads, so that they cannot starve the collector's dispatcher.
                    val writers = (0 until 2).map { w ->
                        thread(name = "churn-$w") {
                            val random = Random(w)
                            var version = 0
                            while (!stop.get()) {
                                val k = random.nextLong(n)
                                version++
                                if (k % 2 == 1L && random.nextBoolean()) map.remove(k)
                                else map[k] = k * 1000 + version % 1000
                            }
                        }
                    }
                    try {
                        val random = Random(42)
                        repeat(12 * TestMaps.scale) { round ->
                            val descending = round % 2 == 1
                            val batch = listOf(1, 3, 4, 16, 256)[round % 5]
                            val keys = ArrayList<Long>()
                            map.entriesFlow(descending = descending, batchSize = batch).collect { (k, v) ->
                                keys += k
                                check(v / 1000 == k || v == k) { "value $v emitted for key $k" }
                                if (random.nextInt(8) == 0) yield()
                            }
                            withClue("round $round descending=$descending batch=$batch") {
                                val ordered = if (descending) keys.reversed() else keys
                                ordered.zipWithNext().all { (a, b) -> a < b } shouldBe true
                                keys.all { it in 0L until n } shouldBe true
                                keys shouldContainAll (0L until n step 2).toList()
                            }
                        }
                    } finally {
                        stop.set(true)
                        writers.forEach { it.join(10_000) }
                    }
                    maps.checkInvariants(map)
                }
            }
        }
    }
})
