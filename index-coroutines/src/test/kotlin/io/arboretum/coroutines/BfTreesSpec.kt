package io.arboretum.coroutines

import io.arboretum.bftree.BfMap
import io.arboretum.bftree.BfTree
import io.arboretum.bftree.BfTreeConfig
import io.arboretum.bftree.Durability
import io.arboretum.bftree.ValueCodec
import io.arboretum.keys.KeyEncoders
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.nio.ByteBuffer
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.util.Collections
import java.util.TreeMap
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import kotlin.concurrent.thread
import kotlin.random.Random
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.flow.collect
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.yield
import kotlin.coroutines.CoroutineContext

/**
 * The Bf-tree's coroutine layer over a real tree on disk (512-byte pages, a 16-page budget, so
 * flows and suspending reads load evicted leaves): the blocking work runs on the injected
 * dispatcher, results match a TreeMap for keys inserted in random, descending and adversarial
 * orders, and a flow holds no latch while its collector is suspended or after it is cancelled.
 */
public class BfTreesSpec : FunSpec({

    val dirs = mutableListOf<Path>()
    val trees = mutableListOf<BfTree>()
    val pool = Executors.newSingleThreadExecutor { r -> Thread(r, "bf-io") }
    val io = pool.asCoroutineDispatcher()

    fun newTree(): BfTree {
        val dir = Files.createTempDirectory("bfspec")
        dirs.add(dir)
        val config = BfTreeConfig.builder().pageSize(512).memoryBudget(16L * 512)
            .durability(Durability.async(Duration.ofMillis(50))).build()
        return BfTree.create(dir.resolve("t"), config).also { trees += it }
    }

    afterTest {
        trees.forEach { it.close() }
        trees.clear()
        dirs.forEach { d -> d.toFile().deleteRecursively() }
        dirs.clear()
    }
    afterSpec { io.close() }

    /** Counts dispatches, so a test can see the work went through [inner]. */
    class Counting(private val inner: CoroutineDispatcher) : CoroutineDispatcher() {
        val dispatches = AtomicInteger()
        override fun dispatch(context: CoroutineContext, block: Runnable) {
            dispatches.incrementAndGet()
            inner.dispatch(context, block)
        }
    }

    /** Longs padded to 40 bytes, recording the threads that encode and decode them. */
    class RecordingLongs : ValueCodec<Long> {
        val threads: MutableSet<String> = Collections.synchronizedSet(HashSet())
        override fun valueType(): Class<Long> = Long::class.javaObjectType
        override fun encode(value: Long): ByteArray {
            threads += Thread.currentThread().name.substringBefore(" @") // debug mode appends the coroutine
            return ByteBuffer.allocate(40).putLong(value).array()
        }
        override fun decode(bytes: ByteArray): Long {
            threads += Thread.currentThread().name.substringBefore(" @") // debug mode appends the coroutine
            return ByteBuffer.wrap(bytes).getLong()
        }
    }

    /** Keys 0, 3, 6, ... in the named order; "adversarial" alternates ends and middles. */
    fun keys(order: String, n: Int): List<Long> {
        val base = (0 until n).map { it * 3L }
        return when (order) {
            "random" -> base.shuffled(Random(7))
            "descending" -> base.reversed()
            else -> (0 until n).map { i -> if (i % 2 == 0) base[i / 2] else base[n - 1 - i / 2] }
        }
    }

    fun bytes(k: Long): ByteArray = ByteBuffer.allocate(8).putLong(k xor Long.MIN_VALUE).array()

    for (order in listOf("random", "descending", "adversarial")) {
        test("suspending get, put and delete on the injected dispatcher match a TreeMap ($order)") {
            val tree = newTree()
            val codec = RecordingLongs()
            val map: BfMap<Long, Long> = tree.asMap(KeyEncoders.longs(), codec)
            val counting = Counting(io)
            val ref = TreeMap<Long, Long>()
            runBlocking {
                for (k in keys(order, 600)) {
                    map.putSuspending(k, -k, counting) shouldBe ref.put(k, -k)
                }
                val rnd = Random(3)
                repeat(600) {
                    val k = rnd.nextLong(0, 1800)
                    when (rnd.nextInt(3)) {
                        0 -> map.getSuspending(k, counting) shouldBe ref[k]
                        1 -> map.putSuspending(k, k, counting) shouldBe ref.put(k, k)
                        else -> map.deleteSuspending(k, counting) shouldBe ref.remove(k)
                    }
                }
                // The byte-level functions, on the same tree and dispatcher.
                tree.putSuspending(bytes(7), byteArrayOf(1, 2), counting) shouldBe null
                tree.getSuspending(bytes(7), counting)!!.toList() shouldBe listOf<Byte>(1, 2)
                tree.deleteSuspending(bytes(7), counting)!!.toList() shouldBe listOf<Byte>(1, 2)
                tree.getSuspending(bytes(7), counting) shouldBe null
            }
            withClue("every call went through the dispatcher") { (counting.dispatches.get() >= 1204) shouldBe true }
            withClue("every value was encoded and decoded on bf-io") { codec.threads shouldBe setOf("bf-io") }
            map.entries.toList().map { it.key to it.value } shouldBe ref.entries.map { it.key to it.value }
        }

        test("flows match a TreeMap for ranges, both directions and limits ($order)") {
            val tree = newTree()
            val codec = RecordingLongs()
            val map = tree.asMap(KeyEncoders.longs(), codec)
            val ref = TreeMap<Long, Long>()
            for (k in keys(order, 500)) {
                map[k] = k * 10
                ref[k] = k * 10
            }
            codec.threads.clear()
            val rnd = Random(5)
            runBlocking {
                repeat(40) {
                    val a = rnd.nextLong(-10, 1600)
                    val b = a + rnd.nextLong(0, 600)
                    val descending = rnd.nextBoolean()
                    val limit = if (rnd.nextBoolean()) Long.MAX_VALUE else rnd.nextLong(0, 50)
                    val batch = 1 + rnd.nextInt(40)
                    val sub = ref.subMap(a, true, b, false)
                    val expected = (if (descending) sub.descendingMap() else sub).entries
                        .take(minOf(limit, Int.MAX_VALUE.toLong()).toInt()).map { it.key to it.value }
                    val got = map.entriesFlowOn(io, KeyRange.closedOpen(a, b), descending, limit, batch)
                        .map { it.key to it.value }.toList()
                    withClue("[$a, $b) descending=$descending limit=$limit batch=$batch") { got shouldBe expected }
                }
                val all = tree.entriesFlowOn(null, null, dispatcher = io).toList()
                all.size shouldBe ref.size
                val someBytes = tree.entriesFlowOn(bytes(300), bytes(600), descending = true, dispatcher = io)
                    .map { ByteBuffer.wrap(it.key).getLong() xor Long.MIN_VALUE }.toList()
                someBytes shouldBe ref.subMap(300L, true, 600L, false).descendingKeySet().toList()
            }
            withClue("batches were copied (values decoded) on bf-io only") { codec.threads shouldBe setOf("bf-io") }
        }
    }

    test("a suspended collector holds no latch: writers to the leaves it is reading finish") {
        val tree = newTree()
        val map = tree.asMap(KeyEncoders.longs(), ValueCodec.longs())
        for (k in keys("random", 400)) map[k] = k
        runBlocking {
            var writerDone = false
            map.entriesFlowOn(io, batchSize = 8).collect { e ->
                if (e.key == 30L) {
                    // Suspended in the middle of a batch of the leaf holding 30: write that leaf
                    // and its neighbours from another thread, and wait for it.
                    val done = CountDownLatch(1)
                    thread(name = "writer") {
                        for (k in 0L..120L) {
                            map[k] = -k
                            map.remove(k)
                            map[k] = k
                        }
                        tree.checkpoint()
                        done.countDown()
                    }
                    writerDone = done.await(10, TimeUnit.SECONDS)
                }
            }
            writerDone shouldBe true
        }
    }

    test("cancelling a collector leaves nothing latched; bad arguments fail at once") {
        val tree = newTree()
        val map = tree.asMap(KeyEncoders.longs(), ValueCodec.longs())
        for (k in keys("descending", 300)) map[k] = k
        runBlocking {
            val job = launch {
                map.entriesFlowOn(io, batchSize = 5).collect { yield() }
            }
            yield()
            job.cancelAndJoin()
        }
        for (k in 0L..897L step 3) map.remove(k) shouldBe k // every leaf can be latched exclusive
        tree.checkpoint()
        shouldThrow<IllegalArgumentException> { map.entriesFlowOn(io, limit = -1) }.message shouldBe
            "limit must be at least 0, was -1"
        shouldThrow<IllegalArgumentException> { map.entriesFlowOn(io, batchSize = 0) }.message shouldBe
            "batchSize must be at least 1, was 0"
        runBlocking {
            shouldThrow<IllegalArgumentException> { tree.putSuspending(ByteArray(33), ByteArray(1), io) }
                .message!!.contains("maximum key size is 32") shouldBe true
        }
    }
})
