package io.arboretum.coroutines

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.test.runTest

/** Every standard kind of Kotlin range converts to a [KeyRange] with the ends it means. */
public class KeyRangeSpec : FunSpec({

    test("ranges of every standard kind convert with inclusive and exclusive ends as written") {
        ('a'..'c').toKeyRange() shouldBe KeyRange.closed('a', 'c')
        ('a'..<'c').toKeyRange() shouldBe KeyRange.closed('a', 'b')
        ('c'..'a').toKeyRange() shouldBe KeyRange.closed('c', 'a')
        (1u..3u).toKeyRange() shouldBe KeyRange.closed(1u, 3u)
        (1u..<3u).toKeyRange() shouldBe KeyRange.closed(1u, 2u)
        (1uL..3uL).toKeyRange() shouldBe KeyRange.closed(1uL, 3uL)
        (1uL..<3uL).toKeyRange() shouldBe KeyRange.closed(1uL, 2uL)
        (1..3).toKeyRange() shouldBe KeyRange.closed(1, 3)
        (1..<3).toKeyRange() shouldBe KeyRange.closed(1, 2)
        (1L..3L).toKeyRange() shouldBe KeyRange.closed(1L, 3L)
        (1L..<3L).toKeyRange() shouldBe KeyRange.closed(1L, 2L)
        (1.0..2.0).toKeyRange() shouldBe KeyRange.closed(1.0, 2.0)
        (1.0..<2.0).toKeyRange() shouldBe KeyRange.closedOpen(1.0, 2.0)
        (1.5f..2.5f).toKeyRange() shouldBe KeyRange.closed(1.5f, 2.5f)
        ("ann".."bob").toKeyRange() shouldBe KeyRange.closed("ann", "bob")
        ("ann"..<"bob").toKeyRange() shouldBe KeyRange.closedOpen("ann", "bob")
    }

    test("empty ranges of every integral kind convert to ranges that hold nothing") {
        runTest {
            for (kind in TestMaps.kinds) {
                val chars = TestMaps.create<Char, Int>(kind)
                for (c in "zyxcba") chars[c] = c.code
                chars.keysFlow(('c'..<'c').toKeyRange()).toList() shouldBe emptyList()
                chars.keysFlow(('c'..'a').toKeyRange()).toList() shouldBe emptyList()
                val uints = TestMaps.create<UInt, Int>(kind)
                for (u in listOf(5u, 0u, UInt.MAX_VALUE)) uints[u] = 0
                uints.keysFlow((0u..<0u).toKeyRange()).toList() shouldBe emptyList()
                uints.keysFlow((5u..1u).toKeyRange()).toList() shouldBe emptyList()
                val ulongs = TestMaps.create<ULong, Int>(kind)
                for (u in listOf(5uL, 0uL, ULong.MAX_VALUE)) ulongs[u] = 0
                ulongs.keysFlow((0uL..<0uL).toKeyRange()).toList() shouldBe emptyList()
            }
        }
    }

    for (kind in TestMaps.kinds) {
        test("$kind: flows over converted ranges emit exactly the keys the Kotlin range contains") {
            runTest {
                val chars = TestMaps.create<Char, Int>(kind)
                for (c in "edcba") chars[c] = c.code
                chars.keysFlow(('a'..'c').toKeyRange()).toList() shouldBe listOf('a', 'b', 'c')
                chars.keysFlow(('a'..<'c').toKeyRange()).toList() shouldBe listOf('a', 'b')
                chars.keysFlow(('b'..'z').toKeyRange(), descending = true).toList() shouldBe listOf('e', 'd', 'c', 'b')

                // Unsigned order: UInt.MAX_VALUE is the largest key, not -1.
                val uints = TestMaps.create<UInt, String>(kind)
                for (u in listOf(UInt.MAX_VALUE, 3u, 1u, 2u, 0u)) uints[u] = "u$u"
                uints.keysFlow((1u..3u).toKeyRange()).toList() shouldBe listOf(1u, 2u, 3u)
                uints.keysFlow((1u..<3u).toKeyRange()).toList() shouldBe listOf(1u, 2u)
                uints.keysFlow((2u..UInt.MAX_VALUE).toKeyRange()).toList() shouldBe listOf(2u, 3u, UInt.MAX_VALUE)

                val ulongs = TestMaps.create<ULong, String>(kind)
                for (u in listOf(ULong.MAX_VALUE, 3uL, 1uL, 2uL, 0uL)) ulongs[u] = "u$u"
                ulongs.keysFlow((1uL..<3uL).toKeyRange()).toList() shouldBe listOf(1uL, 2uL)
                ulongs.keysFlow((1uL..3uL).toKeyRange(), descending = true).toList() shouldBe listOf(3uL, 2uL, 1uL)
                ulongs.keysFlow((3uL..ULong.MAX_VALUE).toKeyRange()).toList() shouldBe listOf(3uL, ULong.MAX_VALUE)

                val ints = TestMaps.create<Int, String>(kind)
                for (i in listOf(4, -1, 3, 0, 2, 1)) ints[i] = "i$i"
                ints.keysFlow((0..2).toKeyRange()).toList() shouldBe listOf(0, 1, 2)
                ints.keysFlow((0..<2).toKeyRange()).toList() shouldBe listOf(0, 1)

                val longs = TestMaps.create<Long, String>(kind)
                for (l in listOf(4L, -1L, 3L, 0L, 2L, 1L)) longs[l] = "l$l"
                longs.keysFlow((-1L..1L).toKeyRange()).toList() shouldBe listOf(-1L, 0L, 1L)
                longs.keysFlow((-1L..<1L).toKeyRange()).toList() shouldBe listOf(-1L, 0L)

                val doubles = TestMaps.create<Double, String>(kind)
                for (d in listOf(2.5, 1.0, 0.5, 2.0, 1.5)) doubles[d] = "d$d"
                doubles.keysFlow((1.0..2.0).toKeyRange()).toList() shouldBe listOf(1.0, 1.5, 2.0)
                doubles.keysFlow((1.0..<2.0).toKeyRange()).toList() shouldBe listOf(1.0, 1.5)

                val strings = TestMaps.create<String, Int>(kind)
                for ((i, s) in listOf("dan", "ann", "eve", "bob", "cat").withIndex()) strings[s] = i
                strings.keysFlow(("ann".."cat").toKeyRange()).toList() shouldBe listOf("ann", "bob", "cat")
                strings.keysFlow(("ann"..<"cat").toKeyRange()).toList() shouldBe listOf("ann", "bob")
                strings.keysFlow(("b".."d").toKeyRange(), descending = true).toList() shouldBe listOf("cat", "bob")
            }
        }
    }
})
