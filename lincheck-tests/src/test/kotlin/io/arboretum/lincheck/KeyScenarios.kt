package io.arboretum.lincheck

import java.util.NavigableMap
import java.util.TreeMap
import org.jetbrains.lincheck.datastructures.IntGen
import org.jetbrains.lincheck.datastructures.Operation
import org.jetbrains.lincheck.datastructures.Param

/**
 * `String` keys, which `ConcurrentBTreeMap` orders by a 64-bit prefix (the first 8 bytes of the
 * key's `io.arboretum.keys` encoding, one byte per ASCII character) and, when prefixes tie, by the
 * whole string ([stringKey] makes both cases common): point operations, navigation and a poll,
 * racing each other, from the prefill of [LongMapScenario].
 */
abstract class StringKeyOperations(index: IndexUnderTest<NavigableMap<String, Long>>) : LincheckScenario(index) {
    /** The map under test. */
    protected val map: NavigableMap<String, Long> = index.map

    override val specification: Class<*> get() = StringKeySpecification::class.java

    init {
        for (k in LongMapScenario.PREFILL) map[stringKey(k)] = LongMapScenario.valueOf(k)
    }

    /** `get(key)`. */
    @Operation
    fun get(@Param(gen = IntGen::class, conf = LongMapScenario.KEYS) key: Int): Long? = op("get($key)") { map[stringKey(key)] }

    /** `put(key, value)`. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = LongMapScenario.KEYS) key: Int, @Param(gen = IntGen::class, conf = LongMapScenario.VALUE_RANGE) value: Int): Long? =
        op("put($key,$value)") { map.put(stringKey(key), value.toLong()) }

    /** `remove(key)`. */
    @Operation
    fun remove(@Param(gen = IntGen::class, conf = LongMapScenario.KEYS) key: Int): Long? = op("remove($key)") { map.remove(stringKey(key)) }

    /** `ceilingKey(key)`. */
    @Operation
    fun ceilingKey(@Param(gen = IntGen::class, conf = LongMapScenario.KEYS) key: Int): String? = op("ceilingKey($key)") { map.ceilingKey(stringKey(key)) }

    /** `lowerEntry(key)`. */
    @Operation
    fun lowerEntry(@Param(gen = IntGen::class, conf = LongMapScenario.KEYS) key: Int): String? =
        op("lowerEntry($key)") { LongMapScenario.show(map.lowerEntry(stringKey(key))) }

    /** `pollFirstEntry()`. */
    @Operation
    fun pollFirstEntry(): String? = op("pollFirstEntry") { LongMapScenario.show(map.pollFirstEntry()) }

    /** How integers become keys. */
    companion object {
        /**
         * The key for [k]: `"tenant-a/"` or `"tenant-b/"` and two digits, so that the 8-byte prefix
         * (`"tenant-a"` against `"tenant-b"`) decides some comparisons and ties on others
         * (`"tenant-a/12"` against `"tenant-a/14"`, decided by the whole strings).
         */
        fun stringKey(k: Int): String = (if (k % 3 == 0) "tenant-b/" else "tenant-a/") + "%02d".format(k)
    }
}

/** The sequential specification of [StringKeyOperations]. */
class StringKeySpecification : StringKeyOperations(IndexUnderTest(TreeMap(), "specification", measured = false))

/**
 * An order that is neither the keys' natural order nor its reverse: by `key % 5`, then by key.
 * `ConcurrentBTreeMap` given a comparator compares whole keys with it and takes no prefix.
 */
class ModFiveOrder : Comparator<Long>, java.io.Serializable {
    override fun compare(a: Long, b: Long): Int {
        val c = (a % 5).compareTo(b % 5)
        return if (c != 0) c else a.compareTo(b)
    }
}

/**
 * `Long` keys under a custom comparator ([ModFiveOrder]): point writes, navigation and polls,
 * whose answers depend on the order.
 */
abstract class CustomComparatorOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) : LongMapScenario(index) {
    override val specification: Class<*> get() = CustomComparatorSpecification::class.java

    /** `put(key, value)`. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("put($key,$value)") { map.put(key.toLong(), value.toLong()) }

    /** `remove(key)`. */
    @Operation
    fun remove(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = op("remove($key)") { map.remove(key.toLong()) }

    /** `higherKey(key)`. */
    @Operation
    fun higherKey(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = op("higherKey($key)") { map.higherKey(key.toLong()) }

    /** `floorEntry(key)`. */
    @Operation
    fun floorEntry(@Param(gen = IntGen::class, conf = KEYS) key: Int): String? = op("floorEntry($key)") { show(map.floorEntry(key.toLong())) }

    /** `pollLastEntry()`. */
    @Operation
    fun pollLastEntry(): String? = op("pollLastEntry") { show(map.pollLastEntry()) }
}

/** The sequential specification of [CustomComparatorOperations]: a `TreeMap` with the same order. */
class CustomComparatorSpecification : CustomComparatorOperations(IndexUnderTest(TreeMap(ModFiveOrder()), "specification", measured = false))

/** What [PoisonOrder] throws. */
class PoisonKeyException : RuntimeException("poisoned key compared")

/**
 * Natural order, except that comparing [POISON] with anything throws [PoisonKeyException]: a user
 * comparator that fails on some keys. The contract: the exception reaches the caller, and the map
 * is unchanged (so later operations see no trace of the failed one).
 */
class PoisonOrder : Comparator<Long>, java.io.Serializable {
    override fun compare(a: Long, b: Long): Int {
        if (a == POISON || b == POISON) throw PoisonKeyException()
        return a.compareTo(b)
    }

    /** The poisoned key. */
    companion object {
        /** Comparing this key throws. */
        const val POISON = 13L
    }
}

/**
 * A comparator that throws ([PoisonOrder]) on one key of the range: writes, reads and navigation
 * with the poisoned key must throw [PoisonKeyException], as the `TreeMap` specification does, and
 * leave the map as it was. The map always holds [SENTINEL] (outside the operations' key range, and
 * no operation here removes the smallest or largest entry), so both maps always compare the key:
 * a `TreeMap` skips the comparator only when it is empty.
 */
abstract class ThrowingComparatorOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) : LongMapScenario(index) {
    override val specification: Class<*> get() = ThrowingComparatorSpecification::class.java

    init {
        map[SENTINEL] = 1L
    }

    /** `get(key)`. */
    @Operation
    fun get(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = op("get($key)") { map[key.toLong()] }

    /** `put(key, value)`. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("put($key,$value)") { map.put(key.toLong(), value.toLong()) }

    /** `remove(key)`. */
    @Operation
    fun remove(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = op("remove($key)") { map.remove(key.toLong()) }

    /** `compute(key, f)`. */
    @Operation
    fun compute(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("compute($key,$value)") { map.compute(key.toLong()) { _, old -> remap(old, value) } }

    /** `ceilingEntry(key)`. */
    @Operation
    fun ceilingEntry(@Param(gen = IntGen::class, conf = KEYS) key: Int): String? = op("ceilingEntry($key)") { show(map.ceilingEntry(key.toLong())) }

    /** The always-present key. */
    companion object {
        /** Above every operation's key. */
        const val SENTINEL = 100L
    }
}

/** The sequential specification of [ThrowingComparatorOperations]: a `TreeMap` with the same comparator. */
class ThrowingComparatorSpecification : ThrowingComparatorOperations(IndexUnderTest(TreeMap(PoisonOrder()), "specification", measured = false))

/**
 * Leaf redistribution: point writes at a node capacity and merge threshold where an underfull leaf
 * next to a full one takes entries from it instead of merging ([Indexes.redistributingBTree]).
 */
abstract class RedistributionOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) : LongMapScenario(index) {
    override val specification: Class<*> get() = RedistributionSpecification::class.java

    /** `get(key)`. */
    @Operation
    fun get(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = op("get($key)") { map[key.toLong()] }

    /** `put(key, value)`. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("put($key,$value)") { map.put(key.toLong(), value.toLong()) }

    /** `remove(key)`. */
    @Operation
    fun remove(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = op("remove($key)") { map.remove(key.toLong()) }

    /** `higherEntry(key)`. */
    @Operation
    fun higherEntry(@Param(gen = IntGen::class, conf = KEYS) key: Int): String? = op("higherEntry($key)") { show(map.higherEntry(key.toLong())) }
}

/** The sequential specification of [RedistributionOperations]. */
class RedistributionSpecification : RedistributionOperations(Indexes.specification())
