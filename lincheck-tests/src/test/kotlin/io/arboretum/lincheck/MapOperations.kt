package io.arboretum.lincheck

import java.util.NavigableMap
import java.util.TreeMap
import org.jetbrains.lincheck.datastructures.IntGen
import org.jetbrains.lincheck.datastructures.Operation
import org.jetbrains.lincheck.datastructures.Param
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions
import org.jetbrains.lincheck.datastructures.StressOptions
import org.jetbrains.lincheck.datastructures.Validate
import org.junit.jupiter.api.Test

/**
 * Every linearizable operation of the `ConcurrentNavigableMap<Long, Long>` contract, as Lincheck
 * operations, checked in model checking and stress mode ([MapLincheckSuite]) against a [TreeMap]
 * (the same operations, [MapSpecification]).
 *
 * One subclass of [MapLincheckSuite] per index passes the map under test; that subclass is the
 * whole test. The JUnit tests live in [MapLincheckSuite] so that the specification, which extends
 * this class, carries none. The map is
 * prefilled with [PREFILL] so that with a node capacity of 4 a scenario's few puts and removes
 * split and merge nodes and replace the root. After each scenario Lincheck calls [validate], which
 * runs the index's own structural check ([checkStructure]).
 *
 * Remapping functions are pure and deterministic, as model checking requires; each chooses between
 * inserting, replacing and removing by the values involved, so every path of the compute family
 * appears in scenarios. Entries are returned as `"key=value"` strings, which is what the
 * contract promises about them (an immutable snapshot of a mapping) and prints readably in a
 * failing interleaving.
 *
 * @param index the map under test, empty, and its structural check; the sequential specification
 *     passes a [TreeMap]
 */
abstract class MapOperations(index: IndexUnderTest) {
    /** An index without a structural check of its own. */
    constructor(map: NavigableMap<Long, Long>) : this(IndexUnderTest(map))

    /** The map under test. */
    protected val map: NavigableMap<Long, Long> = index.map

    private val structureCheck: () -> Unit = index.check

    init {
        for (k in PREFILL) {
            map[k.toLong()] = (k % VALUES + 1).toLong()
        }
    }

    /** `get(key)`. */
    @Operation
    fun get(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = map[key.toLong()]

    /** `containsKey(key)`. */
    @Operation
    fun containsKey(@Param(gen = IntGen::class, conf = KEYS) key: Int): Boolean = map.containsKey(key.toLong())

    /** `put(key, value)`. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        map.put(key.toLong(), value.toLong())

    /** `putIfAbsent(key, value)`. */
    @Operation
    fun putIfAbsent(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        map.putIfAbsent(key.toLong(), value.toLong())

    /** `remove(key)`. */
    @Operation
    fun remove(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = map.remove(key.toLong())

    /** `remove(key, value)`: the conditional form. */
    @Operation
    fun removeMapping(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Boolean =
        map.remove(key.toLong(), value.toLong())

    /** `replace(key, value)`. */
    @Operation
    fun replace(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        map.replace(key.toLong(), value.toLong())

    /** `replace(key, oldValue, newValue)`: the conditional form. */
    @Operation
    fun replaceMapping(
        @Param(gen = IntGen::class, conf = KEYS) key: Int,
        @Param(gen = IntGen::class, conf = VALUE_RANGE) oldValue: Int,
        @Param(gen = IntGen::class, conf = VALUE_RANGE) newValue: Int,
    ): Boolean = map.replace(key.toLong(), oldValue.toLong(), newValue.toLong())

    /** `compute(key, f)`: inserts [value] if absent, removes the mapping if it equals [value], else adds [value]. */
    @Operation
    fun compute(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        map.compute(key.toLong()) { _, old -> if (old == null) value.toLong() else if (old == value.toLong()) null else old + value }

    /** `computeIfAbsent(key, f)`: maps an absent key to [value]. */
    @Operation
    fun computeIfAbsent(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        map.computeIfAbsent(key.toLong()) { value.toLong() }

    /** `computeIfPresent(key, f)`: removes the mapping if it equals [value], else replaces it by [value]. */
    @Operation
    fun computeIfPresent(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        map.computeIfPresent(key.toLong()) { _, old -> if (old == value.toLong()) null else value.toLong() }

    /** `merge(key, value, f)`: inserts [value] if absent, removes the mapping if equal, else adds. */
    @Operation
    fun merge(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        map.merge(key.toLong(), value.toLong()) { old, v -> if (old == v) null else old + v }

    /** `ceilingKey(key)`. */
    @Operation
    fun ceilingKey(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = map.ceilingKey(key.toLong())

    /** `floorKey(key)`. */
    @Operation
    fun floorKey(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = map.floorKey(key.toLong())

    /** `higherKey(key)`. */
    @Operation
    fun higherKey(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = map.higherKey(key.toLong())

    /** `lowerKey(key)`. */
    @Operation
    fun lowerKey(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = map.lowerKey(key.toLong())

    /** `ceilingEntry(key)`. */
    @Operation
    fun ceilingEntry(@Param(gen = IntGen::class, conf = KEYS) key: Int): String? = show(map.ceilingEntry(key.toLong()))

    /** `floorEntry(key)`. */
    @Operation
    fun floorEntry(@Param(gen = IntGen::class, conf = KEYS) key: Int): String? = show(map.floorEntry(key.toLong()))

    /** `higherEntry(key)`. */
    @Operation
    fun higherEntry(@Param(gen = IntGen::class, conf = KEYS) key: Int): String? = show(map.higherEntry(key.toLong()))

    /** `lowerEntry(key)`. */
    @Operation
    fun lowerEntry(@Param(gen = IntGen::class, conf = KEYS) key: Int): String? = show(map.lowerEntry(key.toLong()))

    /** `firstKey()`; throws `NoSuchElementException` on an empty map, which Lincheck compares too. */
    @Operation
    fun firstKey(): Long = map.firstKey()

    /** `lastKey()`. */
    @Operation
    fun lastKey(): Long = map.lastKey()

    /** `firstEntry()`. */
    @Operation
    fun firstEntry(): String? = show(map.firstEntry())

    /** `lastEntry()`. */
    @Operation
    fun lastEntry(): String? = show(map.lastEntry())

    /** `pollFirstEntry()`. */
    @Operation
    fun pollFirstEntry(): String? = show(map.pollFirstEntry())

    /** `pollLastEntry()`. */
    @Operation
    fun pollLastEntry(): String? = show(map.pollLastEntry())

    /** Runs after every scenario (Lincheck's `@Validate`): the index's structural check. */
    @Validate
    fun validate() = checkStructure()

    /** The index's name, as the columns of `docs/lincheck-coverage.md` call it. */
    open val indexName: String get() = map.javaClass.simpleName

    /** The index's own invariant check; throws if the structure is broken. None for plain maps. */
    protected open fun checkStructure() = structureCheck()

    companion object {
        /** The key range of every operation: present and absent keys on both sides of [PREFILL]. */
        const val KEYS = "0:15"

        /** The value range: small, so conditional removes and replaces often succeed. */
        const val VALUE_RANGE = "1:3"

        private const val VALUES = 3

        /**
         * The keys every scenario starts from, inserted in this scrambled order. Six keys with
         * node capacity 4 make a root over two leaves: a few puts split a leaf, a few removes
         * merge the leaves and collapse the root to a leaf.
         */
        val PREFILL = intArrayOf(9, 3, 12, 6, 0, 15)

        /** An entry as `"key=value"`, or null. */
        fun show(e: Map.Entry<Long, Long>?): String? = e?.let { "${it.key}=${it.value}" }
    }
}

/** The sequential specification of [MapOperations]: the same operations on a [TreeMap]. */
class MapSpecification : MapOperations(TreeMap())

/**
 * The Lincheck tests of [MapOperations], in both modes; an index's test extends this class.
 *
 * @param index the map under test, empty, and its structural check
 */
abstract class MapLincheckSuite(index: IndexUnderTest) : MapOperations(index) {
    /** An index without a structural check of its own. */
    constructor(map: NavigableMap<Long, Long>) : this(IndexUnderTest(map))

    /** Model checking: every interleaving Lincheck explores, under sequential consistency. */
    @Test
    fun modelCheckingTest() = modelCheckingOptions().check(this::class)

    /** Stress: real threads on real hardware, where the JVM memory model applies. */
    @Test
    fun stressTest() = stressOptions().check(this::class)

    /** The model-checking configuration; the sizes scale with `arboretum.test.scale`. */
    protected open fun modelCheckingOptions(): ModelCheckingOptions = ModelCheckingOptions()
        .mapScenarios(MapSpecification::class.java, iterations = 20, invocations = 200)

    /** The stress configuration; the sizes scale with `arboretum.test.scale`. */
    protected open fun stressOptions(): StressOptions = StressOptions()
        .mapScenarios(MapSpecification::class.java, iterations = 10, invocations = 300)
}


/**
 * A map under test and the structural check to run after each scenario, for indexes whose check
 * lives on an object other than the map (the off-heap index checks itself, not its `asMap()` view).
 *
 * @property map the map under test, empty
 * @property check throws if the structure is broken
 */
class IndexUnderTest(val map: NavigableMap<Long, Long>, val check: () -> Unit = {})
