package io.arboretum.lincheck

import io.arboretum.btree.ConcurrentBTreeMap
import io.arboretum.map.BatchScannable
import java.util.concurrent.ConcurrentNavigableMap
import java.util.concurrent.ConcurrentSkipListMap
import java.util.concurrent.CyclicBarrier
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicReference
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.Test
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.MethodSource

/**
 * Stress checks of the operations that are weakly consistent by contract: iteration, batch scans,
 * `size()` and bulk writes. Lincheck cannot check these (they are not linearizable, so no
 * sequential specification fits); what they do promise is checked here, with real threads.
 *
 * Keys fall into four classes by `key % 4`, so every guarantee has keys that test it:
 *
 * | class | who writes it | what a scan must do |
 * |---|---|---|
 * | 0 *stable* | inserted before the race, never touched | always seen, with its value |
 * | 1 *absent* | never inserted | never seen |
 * | 2 *churned* | the writer thread, put, remove and `putAll` in a loop | may or may not be seen |
 * | 3 *own* | the scanning thread, between its scans | seen iff the scanner left it present |
 *
 * **The weak guarantees checked** (those of `ConcurrentSkipListMap`, which the contract adopts):
 * a scan never throws `ConcurrentModificationException`; returns keys strictly in its order (so
 * each at most once); returns every key present throughout the scan (stable keys, and the
 * scanner's own keys, which it changed only *before* the scan: the scan reflects every change
 * made before it started); returns no key absent throughout the scan (absent keys, and own keys
 * it removed before); and returns each key with a value it held at some time during the scan.
 * `size()` during the race lies between the number of keys present throughout and the number
 * present at any time. `putAll` is not atomic: each of its puts is, and a scan sees any subset.
 */
class WeakConsistencyStressTest {

    /** A map under test and the scans it offers. */
    class Subject(
        val name: String,
        val factory: () -> ConcurrentNavigableMap<Int, Int>,
        val scans: List<Pair<String, (ConcurrentNavigableMap<Int, Int>) -> List<Pair<Int, Int>>>>,
    ) {
        override fun toString() = name
    }

    /** Every scan of [subject] keeps the weak guarantees while a writer churns keys. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    fun `scans keep the weak guarantees under churn`(subject: Subject) {
        for ((scanName, scan) in subject.scans) {
            race(subject.factory()) { map, own ->
                val descending = scanName.contains("descending")
                val range = if (scanName.contains("sub-map")) SUB_RANGE else 0 until KEY_SPACE
                checkScan("${subject.name} $scanName", scan(map), descending, own, range)
            }
        }
    }

    /** `size()` of [subject] stays within its bounds while a writer churns keys. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    fun `size stays between the keys present throughout and the keys ever present`(subject: Subject) {
        race(subject.factory()) { map, own ->
            repeat(SIZE_PROBES) {
                val size = map.size
                val low = STABLE + own.count { it }
            val high = STABLE + CHURNED + own.count { it }
                assertTrue(size in low..high, "${subject.name}: size() = $size outside [$low, $high] during churn")
            }
        }
    }

    /** The checker itself must fail on scans that break each guarantee (its negative controls). */
    @Test
    fun `checker rejects scans that break a guarantee`() {
        val broken = mapOf<String, (ConcurrentNavigableMap<Int, Int>) -> List<Pair<Int, Int>>>(
            "skips a stable key" to { m -> iterate(m).filter { it.first != 40 } },
            "repeats a key" to { m -> iterate(m).let { it + it.last() } },
            "returns a key never inserted" to { m -> (iterate(m) + (KEY_SPACE + 1 to 0)).sortedBy { it.first } },
            "misses the scanner's own earlier insert" to { m -> iterate(m).filter { it.first % 4 != 3 } },
        )
        for ((what, scan) in broken) {
            assertThrows(AssertionError::class.java, { race(ConcurrentSkipListMap()) { map, own -> checkScan(what, scan(map), false, own) } }, what)
        }
    }

    /**
     * Runs one race: the writer churns class-2 keys while this thread toggles its own class-3 keys
     * between rounds and runs [probe] in each round, both released together by a barrier.
     */
    private fun race(map: ConcurrentNavigableMap<Int, Int>, probe: (ConcurrentNavigableMap<Int, Int>, BooleanArray) -> Unit) {
        // Stable keys inserted in descending order, the others never before the race.
        for (k in KEY_SPACE - 4 downTo 0 step 4) map[k] = stableValue(k)
        val own = BooleanArray(OWN)
        val done = AtomicBoolean()
        val failure = AtomicReference<Throwable>()
        val start = CyclicBarrier(2)
        val writer = Thread {
            try {
                start.await()
                var i = 0
                val batch = HashMap<Int, Int>()
                while (!done.get()) {
                    // Scrambled order (a stride coprime with the class size) over the churned keys.
                    val k = ((i * 7) % CHURNED) * 4 + 2
                    when (i % 5) {
                        0, 1 -> map[k] = churnValue(k, i)
                        2 -> map.remove(k)
                        3 -> {
                            batch.clear()
                            for (j in 0 until 6) {
                                val b = (((i + j) * 5) % CHURNED) * 4 + 2
                                batch[b] = churnValue(b, i)
                            }
                            map.putAll(batch)
                        }
                        else -> map.remove(KEY_SPACE - 2 - ((i * 3) % CHURNED) * 4)
                    }
                    i++
                }
            } catch (t: Throwable) {
                failure.compareAndSet(null, t)
            }
        }
        writer.start()
        try {
            start.await()
            for (round in 0 until TestSizes.rounds(ROUNDS)) {
                // Before the probe, so the probe must reflect it: toggle one own key.
                val o = (round * 5) % OWN
                val k = o * 4 + 3
                if (own[o]) map.remove(k) else map[k] = ownValue(k)
                own[o] = !own[o]
                probe(map, own)
                failure.get()?.let { throw it }
            }
        } finally {
            done.set(true)
            writer.join()
        }
        failure.get()?.let { throw AssertionError("writer failed", it) }
    }

    private fun checkScan(what: String, seen: List<Pair<Int, Int>>, descending: Boolean, own: BooleanArray, range: IntRange = 0 until KEY_SPACE) {
        for (i in 1 until seen.size) {
            val a = seen[i - 1].first
            val b = seen[i].first
            if (if (descending) a <= b else a >= b) fail<Unit>("$what: keys out of order or repeated: $a then $b in $seen")
        }
        val seenKeys = HashSet<Int>()
        for ((k, v) in seen) {
            seenKeys += k
            assertTrue(k in range, "$what: key $k outside the scanned range $range")
            when (k % 4) {
                0 -> assertEquals(stableValue(k), v, "$what: stable key $k with value $v")
                1 -> fail<Unit>("$what: key $k was never inserted but the scan returned it")
                2 -> assertTrue(v == churnValue(k, 0) || v == churnValue(k, 1), "$what: churned key $k with value $v")
                else -> {
                    assertTrue(own[k / 4], "$what: key $k was removed before the scan began but the scan returned it")
                    assertEquals(ownValue(k), v, "$what: own key $k with value $v")
                }
            }
        }
        for (k in range.filter { it % 4 == 0 }) {
            assertTrue(k in seenKeys, "$what: stable key $k, present throughout, was not returned")
        }
        for (o in 0 until OWN) {
            if (own[o] && o * 4 + 3 in range) assertTrue(o * 4 + 3 in seenKeys, "$what: key ${o * 4 + 3}, inserted before the scan began, was not returned")
        }
    }

    companion object {
        /** Keys are 0 until this; a quarter of them in each class. */
        private const val KEY_SPACE = 400
        private const val STABLE = KEY_SPACE / 4
        private const val CHURNED = KEY_SPACE / 4
        private const val OWN = KEY_SPACE / 4
        private const val ROUNDS = 500
        private const val SIZE_PROBES = 50

        /** The keys of the sub-map scans: `subMap(100, true, 300, false)`. */
        private val SUB_RANGE = 100 until 300

        private fun stableValue(k: Int) = k * 10
        private fun churnValue(k: Int, i: Int) = k * 10 + 1 + (i and 1)
        private fun ownValue(k: Int) = k * 10 + 5

        private fun iterate(m: Map<Int, Int>): List<Pair<Int, Int>> = m.entries.map { it.key to it.value }

        /** A full scan by [BatchScannable.copyBatch] in small batches, resuming after the last key. */
        private fun batchScan(m: ConcurrentNavigableMap<Int, Int>, descending: Boolean): List<Pair<Int, Int>> {
            @Suppress("UNCHECKED_CAST")
            val scannable = m as BatchScannable<Int, Int>
            val keys = arrayOfNulls<Any>(5)
            val values = arrayOfNulls<Any>(5)
            val out = ArrayList<Pair<Int, Int>>()
            var from: Int? = null
            while (true) {
                val n = if (descending) scannable.copyBatch(null, false, from, false, true, keys, values)
                else scannable.copyBatch(from, false, null, false, false, keys, values)
                if (n == 0) return out
                for (i in 0 until n) out += (keys[i] as Int) to (values[i] as Int)
                from = keys[n - 1] as Int
            }
        }

        /**
         * A full scan through the index's cursor ([BatchScannable.openCursor]), at most three
         * entries per batch, so that batches end inside leaves as well as at their ends.
         */
        private fun cursorScan(m: ConcurrentNavigableMap<Int, Int>, descending: Boolean): List<Pair<Int, Int>> {
            @Suppress("UNCHECKED_CAST")
            val cursor = (m as BatchScannable<Int, Int>).openCursor(null, false, null, false, descending, 3)
            val out = ArrayList<Pair<Int, Int>>()
            while (true) {
                val n = cursor.advance()
                if (n == 0) return out
                for (i in 0 until n) out += cursor.key(i) to cursor.value(i)
            }
        }

        /** The scans of an Arboretum index: the JDK's iterators and the index's own batch primitives. */
        private fun indexScans(): List<Pair<String, (ConcurrentNavigableMap<Int, Int>) -> List<Pair<Int, Int>>>> = listOf(
            "entry iterator" to { m -> iterate(m) },
            "descending entry iterator" to { m -> iterate(m.descendingMap()) },
            "sub-map entry iterator" to { m -> iterate(m.subMap(SUB_RANGE.first, true, SUB_RANGE.last + 1, false)) },
            "descending sub-map entry iterator" to { m -> iterate(m.subMap(SUB_RANGE.first, true, SUB_RANGE.last + 1, false).descendingMap()) },
            "copyBatch ascending" to { m -> batchScan(m, false) },
            "copyBatch descending" to { m -> batchScan(m, true) },
            "openCursor ascending" to { m -> cursorScan(m, false) },
            "openCursor descending" to { m -> cursorScan(m, true) },
        )

        /** The maps under test; a new index adds its line here and in docs/lincheck-coverage.md. */
        @JvmStatic
        fun subjects(): List<Subject> = listOf(
            Subject(
                "ConcurrentBTreeMap",
                { newBTree<Int, Int>() },
                indexScans(),
            ),
            Subject(
                Indexes.MASSTREE,
                { io.arboretum.masstree.MasstreeMap.builder<Int, Int>().nodeWidth(Indexes.MASSTREE_WIDTH).build() },
                indexScans(),
            ),
            Subject(
                Indexes.PMA,
                { io.arboretum.pma.PackedMemoryArrayMap.builder<Int, Int>().segmentSize(Indexes.PMA_SEGMENT).build() },
                indexScans(),
            ),
            Subject(
                Indexes.BWTREE,
                { io.arboretum.bwtree.BwTreeMap.builder<Int, Int>().nodeCapacity(Indexes.CAPACITY).build() },
                indexScans(),
            ),
            Subject(
                Indexes.BFTREE,
                // A tree in its own directory, SYNC, 512-byte pages and a 16-page pool ([BfTrees]):
                // the key space fills many leaves, so the churn splits them and the pool sweeps.
                { BfTrees.fresh().asMap(io.arboretum.keys.KeyEncoders.integers(), io.arboretum.bftree.ValueCodec.integers()) },
                indexScans(),
            ),
            Subject(
                "ConcurrentSkipListMap (control)",
                { ConcurrentSkipListMap() },
                listOf(
                    "entry iterator" to { m -> iterate(m) },
                    "descending entry iterator" to { m -> iterate(m.descendingMap()) },
                    "sub-map entry iterator" to { m -> iterate(m.subMap(SUB_RANGE.first, true, SUB_RANGE.last + 1, false)) },
                    "descending sub-map entry iterator" to { m -> iterate(m.subMap(SUB_RANGE.first, true, SUB_RANGE.last + 1, false).descendingMap()) },
                ),
            ),
        )
    }
}
