package io.arboretum.lincheck

import java.util.NavigableMap
import java.util.TreeMap
import org.jetbrains.lincheck.datastructures.IntGen
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions
import org.jetbrains.lincheck.datastructures.Operation
import org.jetbrains.lincheck.datastructures.Param
import org.jetbrains.lincheck.datastructures.StressOptions
import org.jetbrains.lincheck.datastructures.Validate
import org.junit.jupiter.api.Test

/**
 * The linearizable operations of sub-map and descending views, checked like [MapOperations]: the
 * sub-map `[SUB_LO, SUB_HI)` (operations prefixed `sub`), the descending map (`desc`), the
 * descending view of the sub-map (`subDesc`), and writes to the whole map racing them.
 *
 * Keys outside a view's range reach it too: a write must throw `IllegalArgumentException` and a
 * read must behave as if the key were absent, both of which the [TreeMap] specification does.
 *
 * @param map the map under test, empty; the sequential specification passes a [TreeMap]
 */
abstract class ViewOperations(protected val map: NavigableMap<Int, Int>) {
    init {
        for (k in MapOperations.PREFILL) {
            map[k] = k % 3 + 1
        }
    }

    private val sub: NavigableMap<Int, Int> = map.subMap(SUB_LO, true, SUB_HI, false)
    private val desc: NavigableMap<Int, Int> = map.descendingMap()
    private val subDesc: NavigableMap<Int, Int> = sub.descendingMap()

    /** Whole map: `put(key, value)`, racing the views. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int, @Param(gen = IntGen::class, conf = MapOperations.VALUE_RANGE) value: Int): Int? =
        map.put(key, value)

    /** Whole map: `remove(key)`, racing the views. */
    @Operation
    fun remove(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Int? = map.remove(key)

    /** Sub-map: `get(key)`. */
    @Operation
    fun subGet(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Int? = sub[key]

    /** Sub-map: `containsKey(key)`. */
    @Operation
    fun subContainsKey(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Boolean = sub.containsKey(key)

    /** Sub-map: `put(key, value)`. */
    @Operation
    fun subPut(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int, @Param(gen = IntGen::class, conf = MapOperations.VALUE_RANGE) value: Int): Int? =
        sub.put(key, value)

    /** Sub-map: `putIfAbsent(key, value)`. */
    @Operation
    fun subPutIfAbsent(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int, @Param(gen = IntGen::class, conf = MapOperations.VALUE_RANGE) value: Int): Int? =
        sub.putIfAbsent(key, value)

    /** Sub-map: `remove(key)`. */
    @Operation
    fun subRemove(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Int? = sub.remove(key)

    /** Sub-map: `firstKey()`. */
    @Operation
    fun subFirstKey(): Int = sub.firstKey()

    /** Sub-map: `lastKey()`. */
    @Operation
    fun subLastKey(): Int = sub.lastKey()

    /** Sub-map: `pollFirstEntry()`. */
    @Operation
    fun subPollFirstEntry(): String? = MapOperations.show(sub.pollFirstEntry())

    /** Sub-map: `pollLastEntry()`. */
    @Operation
    fun subPollLastEntry(): String? = MapOperations.show(sub.pollLastEntry())

    /** Sub-map: `ceilingKey(key)`. */
    @Operation
    fun subCeilingKey(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Int? = sub.ceilingKey(key)

    /** Sub-map: `floorKey(key)`. */
    @Operation
    fun subFloorKey(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Int? = sub.floorKey(key)

    /** Sub-map: `higherKey(key)`. */
    @Operation
    fun subHigherKey(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Int? = sub.higherKey(key)

    /** Sub-map: `lowerKey(key)`. */
    @Operation
    fun subLowerKey(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Int? = sub.lowerKey(key)

    /** Descending map: `firstKey()` (the greatest key). */
    @Operation
    fun descFirstKey(): Int = desc.firstKey()

    /** Descending map: `pollFirstEntry()` (removes the greatest entry). */
    @Operation
    fun descPollFirstEntry(): String? = MapOperations.show(desc.pollFirstEntry())

    /** Descending map: `ceilingKey(key)` (the greatest key at most [key]). */
    @Operation
    fun descCeilingKey(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Int? = desc.ceilingKey(key)

    /** Descending map: `higherKey(key)` (the greatest key below [key]). */
    @Operation
    fun descHigherKey(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Int? = desc.higherKey(key)

    /** Descending map: `put(key, value)`. */
    @Operation
    fun descPut(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int, @Param(gen = IntGen::class, conf = MapOperations.VALUE_RANGE) value: Int): Int? =
        desc.put(key, value)

    /** Descending sub-map: `firstKey()` (the greatest key in range). */
    @Operation
    fun subDescFirstKey(): Int = subDesc.firstKey()

    /** Descending sub-map: `pollFirstEntry()`. */
    @Operation
    fun subDescPollFirstEntry(): String? = MapOperations.show(subDesc.pollFirstEntry())

    /** Descending sub-map: `ceilingKey(key)`. */
    @Operation
    fun subDescCeilingKey(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Int? = subDesc.ceilingKey(key)

    /** Runs after every scenario (Lincheck's `@Validate`): the index's structural check. */
    @Validate
    fun validate() = checkStructure()

    /** The index's own invariant check; none for plain maps. */
    protected open fun checkStructure() {}

    /** The sub-map's bounds. */
    companion object {
        /** Inclusive low bound of the sub-map view. */
        const val SUB_LO = 4

        /** Exclusive high bound of the sub-map view. */
        const val SUB_HI = 12
    }
}

/** The sequential specification of [ViewOperations]: the same views of a [TreeMap]. */
class ViewSpecification : ViewOperations(TreeMap())

/**
 * The Lincheck tests of [ViewOperations], in both modes; an index's view test extends this class.
 *
 * @param map the map under test, empty
 */
abstract class ViewLincheckSuite(map: NavigableMap<Int, Int>) : ViewOperations(map) {
    /** Model checking of the view operations. */
    @Test
    fun modelCheckingTest() = ModelCheckingOptions()
        .iterations(TestSizes.iterations(15))
        .invocationsPerIteration(TestSizes.invocations(200))
        .threads(2)
        .actorsPerThread(3)
        .actorsBefore(2)
        .actorsAfter(1)
        .sequentialSpecification(ViewSpecification::class.java)
        .check(this::class)

    /** Stress of the view operations. */
    @Test
    fun stressTest() = StressOptions()
        .iterations(TestSizes.iterations(8))
        .invocationsPerIteration(TestSizes.invocations(300))
        .threads(2)
        .actorsPerThread(3)
        .actorsBefore(2)
        .actorsAfter(1)
        .sequentialSpecification(ViewSpecification::class.java)
        .check(this::class)
}

/** Positive control for the views: views of a [TreeMap] behind one lock. */
class CoarseLockedViewsLincheckTest : ViewLincheckSuite(java.util.Collections.synchronizedNavigableMap(TreeMap()))
