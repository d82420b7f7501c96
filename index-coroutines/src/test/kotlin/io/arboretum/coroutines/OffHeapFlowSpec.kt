package io.arboretum.coroutines

import io.arboretum.btree.OffHeapLongBTreeMap
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.lang.management.ManagementFactory
import java.util.TreeMap
import kotlin.random.Random
import kotlinx.coroutines.flow.collect
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.test.runTest

/** [batchesFlow]: primitive batches over an [OffHeapLongBTreeMap], against a [TreeMap]. */
public class OffHeapFlowSpec : FunSpec({

    val open = ArrayList<OffHeapLongBTreeMap>()
    afterTest { open.forEach { it.checkInvariants(); it.close() }; open.clear() }

    fun newMap(): OffHeapLongBTreeMap = OffHeapLongBTreeMap.builder().nodeCapacity(4).build().also { open += it }

    suspend fun OffHeapLongBTreeMap.pairs(from: Long, to: Long, descending: Boolean, batchSize: Int): List<Pair<Long, Long>> {
        val out = ArrayList<Pair<Long, Long>>()
        batchesFlow(from, to, descending, batchSize).collect { b ->
            check(b.size in 1..batchSize) { "batch of ${b.size}, batchSize $batchSize" }
            check(b.values.size == b.size)
            for (i in 0 until b.size) out += b.keys[i] to b.values[i]
        }
        return out
    }

    test("batches hold every entry of the range in order, ascending and descending, for random, descending and zigzag loads") {
        runTest {
            val random = Random(3)
            val keys = (0 until 600 * TestMaps.scale).map { random.nextInt(-5_000, 5_000) }.distinct()
            for ((order, list) in TestMaps.orders(keys, random)) {
                val map = newMap()
                val model = TreeMap<Long, Long>()
                for (k in list) { map.put(k.toLong(), k * 3L, -1); model[k.toLong()] = k * 3L }
                // Remove a third so that leaves merge and the scan crosses sparse leaves.
                for (k in list.filter { it % 3 == 0 }) { map.remove(k.toLong(), -1); model.remove(k.toLong()) }
                repeat(40) {
                    val a = random.nextLong(-6_000, 6_000)
                    val b = random.nextLong(a, 6_001)
                    val batch = random.nextInt(1, 70)
                    val expected = model.subMap(a, true, b, true).map { it.key to it.value }
                    withClue(order, a, b, batch) {
                        map.pairs(a, b, false, batch) shouldBe expected
                        map.pairs(a, b, true, batch) shouldBe expected.reversed()
                    }
                }
                map.pairs(Long.MIN_VALUE, Long.MAX_VALUE, false, DEFAULT_FLOW_BATCH_SIZE) shouldBe model.map { it.key to it.value }
                map.pairs(5, 4, false, 3) shouldBe emptyList()
            }
        }
    }

    test("the edges of the key space and a batch size of one") {
        runTest {
            val map = newMap()
            for (k in listOf(Long.MAX_VALUE, Long.MIN_VALUE, 0L, -1L)) map.put(k, k, 0)
            map.pairs(Long.MIN_VALUE, Long.MAX_VALUE, false, 1).map { it.first } shouldBe listOf(Long.MIN_VALUE, -1L, 0L, Long.MAX_VALUE)
            map.pairs(Long.MIN_VALUE, Long.MAX_VALUE, true, 1).map { it.first } shouldBe listOf(Long.MAX_VALUE, 0L, -1L, Long.MIN_VALUE)
            map.batchesFlow().first().keys.toList() shouldBe listOf(Long.MIN_VALUE, -1L, 0L, Long.MAX_VALUE)
            newMap().batchesFlow().toList() shouldBe emptyList()
        }
    }

    test("a bad batch size is rejected at once, and a closed map fails the collection") {
        shouldThrow<IllegalArgumentException> { newMap().batchesFlow(batchSize = 0) }.message shouldBe
            "batchSize must be at least 1, was 0"
        val map = OffHeapLongBTreeMap.builder().nodeCapacity(4).build()
        for (k in 0L until 100L) map.put(k, k, 0)
        map.close()
        runTest { shouldThrow<IllegalStateException> { map.batchesFlow().collect() } }
    }

    test("keys and values are not boxed: a scan allocates well under the 32 bytes an entry that two boxed Longs cost") {
        val bean = ManagementFactory.getThreadMXBean() as? com.sun.management.ThreadMXBean
        if (bean != null && bean.isThreadAllocatedMemorySupported) {
            val map = newMap()
            val n = 50_000
            // Values far outside the Long cache, so boxing would allocate.
            for (k in 0 until n) map.put(k * 7919L, k + 1_000_000L, 0)
            fun allocated() = bean.getThreadAllocatedBytes(Thread.currentThread().id)
            var sum = 0L
            runBlocking {
                repeat(3) { map.batchesFlow().collect { b -> for (i in 0 until b.size) sum += b.values[i] } } // warm up
                val before = allocated()
                map.batchesFlow().collect { b -> for (i in 0 until b.size) sum += b.keys[i] xor b.values[i] }
                val perEntry = (allocated() - before).toDouble() / n
                // Two long arrays per batch: 16 bytes an entry plus array headers.
                withClue("bytes per entry $perEntry") { (perEntry < 20.0) shouldBe true }
            }
            (sum != 0L) shouldBe true
        }
    }
})

private inline fun <T> withClue(vararg what: Any, block: () -> T): T = io.kotest.assertions.withClue(what.joinToString()) { block() }
