package io.arboretum.lincheck

import io.arboretum.keys.KeyEncoder
import io.arboretum.keys.KeyEncoders
import java.util.Comparator

/*
 * The Lincheck tests of MasstreeMap (node width 3; the race classes other than MergeRaceOperations
 * at width 4, the capacity their prefills are shaped for), with its invariant check after each
 * scenario. MergeRaceOperations stays at width 3, where its prefill leaves border nodes of one key
 * ([0 2] [4] [6]): a Masstree unlinks a border node only when it is emptied.
 * One line per scenario class: the test runs that class's operations in model checking and stress
 * (see [LincheckScenario]). The comparator classes run on a Masstree given a KeyEncoder of the same
 * order ([ModFiveEncoder], [PoisonEncoder]): a Masstree takes an encoder, not a comparator.
 */

/** [PointOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreePointLincheckTest : PointOperations(Indexes.masstree())

/** [ConditionalOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreeConditionalLincheckTest : ConditionalOperations(Indexes.masstree())

/** [ComputeOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreeComputeLincheckTest : ComputeOperations(Indexes.masstree())

/** [NavigationOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreeNavigationLincheckTest : NavigationOperations(Indexes.masstree())

/** [EntryNavigationOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreeEntryNavigationLincheckTest : EntryNavigationOperations(Indexes.masstree())

/** [EndpointOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreeEndpointLincheckTest : EndpointOperations(Indexes.masstree())

/** [WholeMapOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreeWholeMapLincheckTest : WholeMapOperations(Indexes.masstree())

/** [ClearOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreeClearLincheckTest : ClearOperations(Indexes.masstree())

/** [SubMapWriteOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreeSubMapWriteLincheckTest : SubMapWriteOperations(Indexes.masstree())

/** [HeadMapWriteOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreeHeadMapWriteLincheckTest : HeadMapWriteOperations(Indexes.masstree())

/** [TailMapWriteOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreeTailMapWriteLincheckTest : TailMapWriteOperations(Indexes.masstree())

/** [DescendingSubMapWriteOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreeDescendingSubMapWriteLincheckTest : DescendingSubMapWriteOperations(Indexes.masstree())

/** [SubMapReadOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreeSubMapReadLincheckTest : SubMapReadOperations(Indexes.masstree())

/** [HeadMapReadOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreeHeadMapReadLincheckTest : HeadMapReadOperations(Indexes.masstree())

/** [TailMapReadOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreeTailMapReadLincheckTest : TailMapReadOperations(Indexes.masstree())

/** [DescendingSubMapReadOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreeDescendingSubMapReadLincheckTest : DescendingSubMapReadOperations(Indexes.masstree())

/**
 * [RedistributionOperations] on [io.arboretum.masstree.MasstreeMap]: its point writes and
 * navigation; a Masstree never redistributes (it unlinks emptied border nodes only).
 */
class MasstreeRedistributionLincheckTest : RedistributionOperations(Indexes.masstree())

/** [StringKeyOperations] on a `String`-keyed [io.arboretum.masstree.MasstreeMap]: keys share their first 8 bytes, so layers form. */
class MasstreeStringKeyLincheckTest : StringKeyOperations(Indexes.masstree())

/** [CustomComparatorOperations] on a [io.arboretum.masstree.MasstreeMap] encoded in [ModFiveOrder] by [ModFiveEncoder]. */
class MasstreeCustomComparatorLincheckTest : CustomComparatorOperations(Indexes.masstree(ModFiveEncoder()))

/** [ThrowingComparatorOperations] on a [io.arboretum.masstree.MasstreeMap] whose encoder throws as [PoisonOrder] does ([PoisonEncoder]). */
class MasstreeThrowingComparatorLincheckTest : ThrowingComparatorOperations(Indexes.masstree(PoisonEncoder()))

/** [RootSplitOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreeRootSplitLincheckTest : RootSplitOperations(Indexes.masstree(width = Indexes.CAPACITY))

/** [LeafSplitOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreeLeafSplitLincheckTest : LeafSplitOperations(Indexes.masstree(width = Indexes.CAPACITY))

/** [MergeRaceOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreeMergeRaceLincheckTest : MergeRaceOperations(Indexes.masstree())

/** [CrossLeafOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreeCrossLeafLincheckTest : CrossLeafOperations(Indexes.masstree(width = Indexes.CAPACITY))

/** [PollRaceOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreePollRaceLincheckTest : PollRaceOperations(Indexes.masstree(width = Indexes.CAPACITY))

/** [SplitMergeOperations] on [io.arboretum.masstree.MasstreeMap]. */
class MasstreeSplitMergeLincheckTest : SplitMergeOperations(Indexes.masstree(width = Indexes.CAPACITY))

/**
 * `Long` keys in [ModFiveOrder] as bytes: `key % 5` (shifted to be unsigned), then the built-in
 * 8-byte `Long` encoding.
 */
class ModFiveEncoder : KeyEncoder<Long>, java.io.Serializable {
    override fun keyType(): Class<Long> = Long::class.javaObjectType

    override fun comparator(): Comparator<in Long> = ORDER

    override fun encode(key: Long): ByteArray = byteArrayOf((key % 5 + 4).toByte()) + KeyEncoders.longs().encode(key)

    override fun decode(bytes: ByteArray, offset: Int, length: Int): Long = KeyEncoders.longs().decode(bytes, offset + 1, length - 1)

    override fun fixedLength(): Int = 9

    private companion object {
        val ORDER = ModFiveOrder()
    }
}

/**
 * `Long` keys in natural order, except that encoding [PoisonOrder.POISON] throws
 * [PoisonKeyException], as [PoisonOrder] does when it compares that key; its comparator is a
 * [PoisonOrder].
 */
class PoisonEncoder : KeyEncoder<Long>, java.io.Serializable {
    override fun keyType(): Class<Long> = Long::class.javaObjectType

    override fun comparator(): Comparator<in Long> = ORDER

    override fun encode(key: Long): ByteArray {
        if (key == PoisonOrder.POISON) throw PoisonKeyException()
        return KeyEncoders.longs().encode(key)
    }

    override fun decode(bytes: ByteArray, offset: Int, length: Int): Long = KeyEncoders.longs().decode(bytes, offset, length)

    override fun fixedLength(): Int = 8

    private companion object {
        val ORDER = PoisonOrder()
    }
}
