package io.arboretum.coroutines

import io.arboretum.btree.ConcurrentBTreeMap
import io.arboretum.keys.KeyEncoders
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.util.concurrent.ConcurrentSkipListMap
import kotlin.random.Random
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.test.runTest

/**
 * Prefix ranges of `String` and `ByteArray` keys are exact at both edges, including the edges
 * where the successor of a prefix carries: trailing U+FFFF units and 0xFF bytes, and surrogates
 * against U+E000..U+FFFF (where `String.compareTo` order and code point order disagree).
 */
public class PrefixRangeSpec : FunSpec({

    /** Units that sit at the edges of the orders involved. */
    val edgeUnits = charArrayOf(
        '\u0000', 'a', 'b', '\u007F', '\u0080', '\u7EFF', '\u7F00', '\uD7FF', '\uD800', '\uDBFF', '\uDC00', '\uDFFF',
        '\uE000', '\uFFFE', '\uFFFF',
    )

    fun randomString(random: Random, maxLength: Int): String =
        String(CharArray(random.nextInt(0, maxLength + 1)) { edgeUnits[random.nextInt(edgeUnits.size)] })

    fun ByteArray.startsWith(p: ByteArray): Boolean = size >= p.size && p.indices.all { this[it] == p[it] }

    test("String prefix bounds are what they should be at the carrying edges") {
        KeyRange.prefix("ab") shouldBe KeyRange.closedOpen("ab", "ac")
        KeyRange.prefix("a\uFFFF") shouldBe KeyRange.closedOpen("a\uFFFF", "b")
        KeyRange.prefix("a\uFFFF\uFFFF") shouldBe KeyRange.closedOpen("a\uFFFF\uFFFF", "b")
        KeyRange.prefix("\uD83D") shouldBe KeyRange.closedOpen("\uD83D", "\uD83E")
        KeyRange.prefix("\uFFFF\uFFFF") shouldBe KeyRange.atLeast("\uFFFF\uFFFF")
        KeyRange.prefix("") shouldBe KeyRange.all()
    }

    test("a String key is in a prefix range exactly when it starts with the prefix, and when its encoding starts with the prefix's") {
        val random = Random(21)
        val encoder = KeyEncoders.strings()
        val keys = (0 until 2_000 * TestMaps.scale).map { randomString(random, 4) }.toSortedSet()
        for (kind in TestMaps.kinds) {
            val map = TestMaps.create<String, Int>(kind)
            // random, descending and zigzag insertion orders by index into the key list
            val list = keys.toList()
            val order = TestMaps.orders(list.indices.toList(), random).values.elementAt(kind.length % 3)
            for (i in order) map[list[i]] = i
            repeat(300) {
                val p = if (it < keys.size && it % 3 == 0) list[random.nextInt(list.size)].take(random.nextInt(0, 3))
                else randomString(random, 3)
                val range = KeyRange.prefix(p)
                val expected = keys.filter { k -> k.startsWith(p) }
                val pCode = encoder.encode(p)
                keys.filter { k -> encoder.encode(k).startsWith(pCode) } shouldBe expected
                runTest { map.keysFlow(range).toList() shouldBe expected }
            }
            TestMaps.checkInvariants(map)
        }
    }

    test("ByteArray prefix ranges are exact at 0xFF edges, on the B+tree and a skip list in unsigned order") {
        val random = Random(7)
        val edgeBytes = byteArrayOf(0x00, 0x01, 0x7F, 0x80.toByte(), 0xFE.toByte(), 0xFF.toByte())
        fun randomBytes(max: Int) = ByteArray(random.nextInt(0, max + 1)) { edgeBytes[random.nextInt(edgeBytes.size)] }
        val order = ConcurrentBTreeMap.unsignedBytesComparator()
        val maps = listOf(
            ConcurrentBTreeMap.builder<ByteArray, Int>().comparator(order).nodeCapacity(4).build(),
            ConcurrentSkipListMap<ByteArray, Int>(order),
        )
        val keys = (0 until 1_500 * TestMaps.scale).map { randomBytes(4) }.distinctBy { it.toList() }
        val sorted = keys.sortedWith(order)
        for (map in maps) {
            for (k in keys.shuffled(random)) map[k] = k.size
            val ff = byteArrayOf(0xFF.toByte(), 0xFF.toByte())
            KeyRange.prefix(ff).upper shouldBe null
            KeyRange.prefix(byteArrayOf()) shouldBe KeyRange.all()
            KeyRange.prefix(byteArrayOf(1, 0xFF.toByte())).upper!!.toList() shouldBe listOf<Byte>(2)
            repeat(300) {
                val p = randomBytes(3)
                val expected = sorted.filter { k -> k.startsWith(p) }.map { it.toList() }
                runTest { map.keysFlow(KeyRange.prefix(p)).toList().map { it.toList() } shouldBe expected }
            }
            TestMaps.checkInvariants(map)
        }
        // The range keeps its own copy of the prefix.
        val p = byteArrayOf(5, 6)
        val r = KeyRange.prefix(p)
        p[0] = 9
        r.lower!!.toList() shouldBe listOf<Byte>(5, 6)
    }
})
