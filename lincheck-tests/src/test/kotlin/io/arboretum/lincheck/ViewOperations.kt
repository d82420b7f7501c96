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
 * @param index the map under test, empty, and its structural check; the sequential specification
 *     passes a [TreeMap]
 */
abstract class ViewOperations(index: IndexUnderTest) {
    /** An index without a structural check of its own. */
    constructor(map: NavigableMap<Long, Long>) : this(IndexUnderTest(map))

    /** The map under test. */
    protected val map: NavigableMap<Long, Long> = index.map

    private val structureCheck: () -> Unit = index.check

    init {
        for (k in MapOperations.PREFILL) {
            map[k.toLong()] = (k % 3 + 1).toLong()
        }
    }

    private val sub: NavigableMap<Long, Long> = map.subMap(SUB_LO.toLong(), true, SUB_HI.toLong(), false)
    private val desc: NavigableMap<Long, Long> = map.descendingMap()
    private val subDesc: NavigableMap<Long, Long> = sub.descendingMap()

    /** Whole map: `put(key, value)`, racing the views. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int, @Param(gen = IntGen::class, conf = MapOperations.VALUE_RANGE) value: Int): Long? =
        map.put(key.toLong(), value.toLong())

    /** Whole map: `remove(key)`, racing the views. */
    @Operation
    fun remove(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Long? = map.remove(key.toLong())

    /** Sub-map: `get(key)`. */
    @Operation
    fun subGet(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Long? = sub[key.toLong()]

    /** Sub-map: `containsKey(key)`. */
    @Operation
    fun subContainsKey(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Boolean = sub.containsKey(key.toLong())

    /** Sub-map: `put(key, value)`. */
    @Operation
    fun subPut(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int, @Param(gen = IntGen::class, conf = MapOperations.VALUE_RANGE) value: Int): Long? =
        sub.put(key.toLong(), value.toLong())

    /** Sub-map: `putIfAbsent(key, value)`. */
    @Operation
    fun subPutIfAbsent(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int, @Param(gen = IntGen::class, conf = MapOperations.VALUE_RANGE) value: Int): Long? =
        sub.putIfAbsent(key.toLong(), value.toLong())

    /** Sub-map: `remove(key)`. */
    @Operation
    fun subRemove(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Long? = sub.remove(key.toLong())

    /** Sub-map: `firstKey()`. */
    @Operation
    fun subFirstKey(): Long = sub.firstKey()

    /** Sub-map: `lastKey()`. */
    @Operation
    fun subLastKey(): Long = sub.lastKey()

    /** Sub-map: `pollFirstEntry()`. */
    @Operation
    fun subPollFirstEntry(): String? = MapOperations.show(sub.pollFirstEntry())

    /** Sub-map: `pollLastEntry()`. */
    @Operation
    fun subPollLastEntry(): String? = MapOperations.show(sub.pollLastEntry())

    /** Sub-map: `ceilingKey(key)`. */
    @Operation
    fun subCeilingKey(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Long? = sub.ceilingKey(key.toLong())

    /** Sub-map: `floorKey(key)`. */
    @Operation
    fun subFloorKey(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Long? = sub.floorKey(key.toLong())

    /** Sub-map: `higherKey(key)`. */
    @Operation
    fun subHigherKey(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Long? = sub.higherKey(key.toLong())

    /** Sub-map: `lowerKey(key)`. */
    @Operation
    fun subLowerKey(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Long? = sub.lowerKey(key.toLong())

    /** Descending map: `firstKey()` (the greatest key). */
    @Operation
    fun descFirstKey(): Long = desc.firstKey()

    /** Descending map: `pollFirstEntry()` (removes the greatest entry). */
    @Operation
    fun descPollFirstEntry(): String? = MapOperations.show(desc.pollFirstEntry())

    /** Descending map: `ceilingKey(key)` (the greatest key at most [key]). */
    @Operation
    fun descCeilingKey(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Long? = desc.ceilingKey(key.toLong())

    /** Descending map: `higherKey(key)` (the greatest key below [key]). */
    @Operation
    fun descHigherKey(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Long? = desc.higherKey(key.toLong())

    /** Descending map: `put(key, value)`. */
    @Operation
    fun descPut(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int, @Param(gen = IntGen::class, conf = MapOperations.VALUE_RANGE) value: Int): Long? =
        desc.put(key.toLong(), value.toLong())

    /** Descending sub-map: `firstKey()` (the greatest key in range). */
    @Operation
    fun subDescFirstKey(): Long = subDesc.firstKey()

    /** Descending sub-map: `pollFirstEntry()`. */
    @Operation
    fun subDescPollFirstEntry(): String? = MapOperations.show(subDesc.pollFirstEntry())

    /** Descending sub-map: `ceilingKey(key)`. */
    @Operation
    fun subDescCeilingKey(@Param(gen = IntGen::class, conf = MapOperations.KEYS) key: Int): Long? = subDesc.ceilingKey(key.toLong())

    /** Runs after every scenario (Lincheck's `@Validate`): the index's structural check. */
    @Validate
    fun validate() = checkStructure()

    /** The index's name, as the columns of `docs/lincheck-coverage.md` call it. */
    open val indexName: String get() = map.javaClass.simpleName

    /** The index's own invariant check; none for plain maps. */
    protected open fun checkStructure() = structureCheck()

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
 * @param index the map under test, empty, and its structural check
 */
abstract class ViewLincheckSuite(index: IndexUnderTest) : ViewOperations(index) {
    /** An index without a structural check of its own. */
    constructor(map: NavigableMap<Long, Long>) : this(IndexUnderTest(map))

    /** Model checking of the view operations. */
    @Test
    fun modelCheckingTest() = modelCheckingOptions().check(this::class)

    /** Stress of the view operations. */
    @Test
    fun stressTest() = stressOptions().check(this::class)

    /** The model-checking configuration; the sizes scale with `arboretum.test.scale`. */
    protected open fun modelCheckingOptions(): ModelCheckingOptions = ModelCheckingOptions()
        .mapScenarios(ViewSpecification::class.java, iterations = 15, invocations = 200)

    /** The stress configuration; the sizes scale with `arboretum.test.scale`. */
    protected open fun stressOptions(): StressOptions = StressOptions()
        .mapScenarios(ViewSpecification::class.java, iterations = 8, invocations = 300)
}

/** Positive control for the views: views of a [TreeMap] behind one lock. */
class CoarseLockedViewsLincheckTest : ViewLincheckSuite(java.util.Collections.synchronizedNavigableMap(TreeMap())) {
    override val indexName: String get() = "control"
}
