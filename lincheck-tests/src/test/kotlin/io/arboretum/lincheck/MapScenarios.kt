package io.arboretum.lincheck

import java.util.NavigableMap
import java.util.NavigableSet
import java.util.TreeMap
import org.jetbrains.lincheck.datastructures.IntGen
import org.jetbrains.lincheck.datastructures.Operation
import org.jetbrains.lincheck.datastructures.Param

/**
 * The scenario classes over a `NavigableMap<Long, Long>`: each declares a handful of operations
 * of one family, so that in a CI-sized run every pair of them races often. All start from the
 * same map: [PREFILL], about half of the [KEYS], inserted in a scrambled order. With node capacity
 * 4 and a merge threshold that makes removals merge ([Indexes]), the puts of absent keys split
 * nodes and the removals of present keys merge them; `docs/lincheck-coverage.md` shows how often
 * each class does so concurrently with another operation ([StructureProbe]).
 *
 * Remapping functions are pure and deterministic, as model checking requires; each chooses between
 * inserting, replacing and removing by the values involved, so every path of the compute family
 * appears. Entries are returned as `"key=value"` strings ([show]): what the contract promises
 * about them (an immutable snapshot of a mapping), and readable in a failing interleaving.
 *
 * @param index the map under test, empty; the sequential specification passes a `TreeMap`
 * @param prefill what every scenario starts from (by default [PREFILL]); deterministic
 */
abstract class LongMapScenario(
    index: IndexUnderTest<NavigableMap<Long, Long>>,
    prefill: (NavigableMap<Long, Long>) -> Unit = { m -> for (k in PREFILL) m[k.toLong()] = valueOf(k) },
) : LincheckScenario(index) {
    /** The map under test. */
    protected val map: NavigableMap<Long, Long> = index.map

    init {
        prefill(map)
    }

    /** Shared ranges, prefill and helpers. */
    companion object {
        /** The key range of every operation: 25 keys. */
        const val KEYS = "0:24"

        /** The value range: small, so conditional removes and replaces often succeed. */
        const val VALUE_RANGE = "1:3"

        /** The keys every scenario starts from, in this scrambled order: 12 of the 25. */
        val PREFILL = intArrayOf(12, 5, 20, 1, 16, 9, 23, 3, 18, 7, 14, 22)

        /** The prefilled value of key [k]. */
        fun valueOf(k: Int): Long = (k % 3 + 1).toLong()

        /** An entry as `"key=value"`, or null. */
        fun show(e: Map.Entry<*, *>?): String? = e?.let { "${it.key}=${it.value}" }
    }
}

/** Point reads and unconditional writes: `get`, `containsKey`, `put`, `putIfAbsent`, `remove`. */
abstract class PointOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) : LongMapScenario(index) {
    override val specification: Class<*> get() = PointSpecification::class.java

    /** `get(key)`. */
    @Operation
    fun get(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = op("get($key)") { map[key.toLong()] }

    /** `containsKey(key)`. */
    @Operation
    fun containsKey(@Param(gen = IntGen::class, conf = KEYS) key: Int): Boolean = op("containsKey($key)") { map.containsKey(key.toLong()) }

    /** `put(key, value)`. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("put($key,$value)") { map.put(key.toLong(), value.toLong()) }

    /** `putIfAbsent(key, value)`. */
    @Operation
    fun putIfAbsent(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("putIfAbsent($key,$value)") { map.putIfAbsent(key.toLong(), value.toLong()) }

    /** `remove(key)`. */
    @Operation
    fun remove(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = op("remove($key)") { map.remove(key.toLong()) }
}

/** The sequential specification of [PointOperations]. */
class PointSpecification : PointOperations(Indexes.specification())

/** Conditional writes: `remove(key, value)`, both `replace` forms, racing `put` and `remove`. */
abstract class ConditionalOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) : LongMapScenario(index) {
    override val specification: Class<*> get() = ConditionalSpecification::class.java

    /** `remove(key, value)`. */
    @Operation
    fun removeMapping(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Boolean =
        op("removeMapping($key,$value)") { map.remove(key.toLong(), value.toLong()) }

    /** `replace(key, value)`. */
    @Operation
    fun replace(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("replace($key,$value)") { map.replace(key.toLong(), value.toLong()) }

    /** `replace(key, oldValue, newValue)`. */
    @Operation
    fun replaceMapping(
        @Param(gen = IntGen::class, conf = KEYS) key: Int,
        @Param(gen = IntGen::class, conf = VALUE_RANGE) oldValue: Int,
        @Param(gen = IntGen::class, conf = VALUE_RANGE) newValue: Int,
    ): Boolean = op("replaceMapping($key,$oldValue,$newValue)") { map.replace(key.toLong(), oldValue.toLong(), newValue.toLong()) }

    /** `put(key, value)`, which splits. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("put($key,$value)") { map.put(key.toLong(), value.toLong()) }
}

/** The sequential specification of [ConditionalOperations]. */
class ConditionalSpecification : ConditionalOperations(Indexes.specification())

/** The compute family: `compute`, `computeIfAbsent`, `computeIfPresent`, `merge`. */
abstract class ComputeOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) : LongMapScenario(index) {
    override val specification: Class<*> get() = ComputeSpecification::class.java

    /** `compute(key, f)`: inserts [value] if absent, removes the mapping if it equals [value], else adds [value]. */
    @Operation
    fun compute(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("compute($key,$value)") { map.compute(key.toLong()) { _, old -> remap(old, value) } }

    /** `computeIfAbsent(key, f)`: maps an absent key to [value]. */
    @Operation
    fun computeIfAbsent(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("computeIfAbsent($key,$value)") { map.computeIfAbsent(key.toLong()) { value.toLong() } }

    /** `computeIfPresent(key, f)`: removes the mapping if it equals [value], else replaces it by [value]. */
    @Operation
    fun computeIfPresent(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("computeIfPresent($key,$value)") { map.computeIfPresent(key.toLong()) { _, old -> if (old == value.toLong()) null else value.toLong() } }

    /** `merge(key, value, f)`: inserts [value] if absent, removes the mapping if equal, else adds. */
    @Operation
    fun merge(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("merge($key,$value)") { map.merge(key.toLong(), value.toLong()) { old, v -> if (old == v) null else old + v } }
}

/** The remapping of `compute`: insert when absent, remove when equal to [value], else add. */
internal fun remap(old: Long?, value: Int): Long? = if (old == null) value.toLong() else if (old == value.toLong()) null else old + value

/** The sequential specification of [ComputeOperations]. */
class ComputeSpecification : ComputeOperations(Indexes.specification())

/** Key navigation: `ceilingKey`, `floorKey`, `higherKey`, `lowerKey`, racing `put` and `remove`. */
abstract class NavigationOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) : LongMapScenario(index) {
    override val specification: Class<*> get() = NavigationSpecification::class.java

    /** `ceilingKey(key)`. */
    @Operation
    fun ceilingKey(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = op("ceilingKey($key)") { map.ceilingKey(key.toLong()) }

    /** `floorKey(key)`. */
    @Operation
    fun floorKey(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = op("floorKey($key)") { map.floorKey(key.toLong()) }

    /** `higherKey(key)`. */
    @Operation
    fun higherKey(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = op("higherKey($key)") { map.higherKey(key.toLong()) }

    /** `lowerKey(key)`. */
    @Operation
    fun lowerKey(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = op("lowerKey($key)") { map.lowerKey(key.toLong()) }

    /** `put(key, value)`, which splits. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("put($key,$value)") { map.put(key.toLong(), value.toLong()) }

    /** `remove(key)`, which merges. */
    @Operation
    fun remove(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = op("remove($key)") { map.remove(key.toLong()) }
}

/** The sequential specification of [NavigationOperations]. */
class NavigationSpecification : NavigationOperations(Indexes.specification())

/** Entry navigation: `ceilingEntry`, `floorEntry`, `higherEntry`, `lowerEntry`, racing `put` and `remove`. */
abstract class EntryNavigationOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) : LongMapScenario(index) {
    override val specification: Class<*> get() = EntryNavigationSpecification::class.java

    /** `ceilingEntry(key)`. */
    @Operation
    fun ceilingEntry(@Param(gen = IntGen::class, conf = KEYS) key: Int): String? = op("ceilingEntry($key)") { show(map.ceilingEntry(key.toLong())) }

    /** `floorEntry(key)`. */
    @Operation
    fun floorEntry(@Param(gen = IntGen::class, conf = KEYS) key: Int): String? = op("floorEntry($key)") { show(map.floorEntry(key.toLong())) }

    /** `higherEntry(key)`. */
    @Operation
    fun higherEntry(@Param(gen = IntGen::class, conf = KEYS) key: Int): String? = op("higherEntry($key)") { show(map.higherEntry(key.toLong())) }

    /** `lowerEntry(key)`. */
    @Operation
    fun lowerEntry(@Param(gen = IntGen::class, conf = KEYS) key: Int): String? = op("lowerEntry($key)") { show(map.lowerEntry(key.toLong())) }

    /** `put(key, value)`, which splits. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("put($key,$value)") { map.put(key.toLong(), value.toLong()) }

    /** `remove(key)`, which merges. */
    @Operation
    fun remove(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = op("remove($key)") { map.remove(key.toLong()) }
}

/** The sequential specification of [EntryNavigationOperations]. */
class EntryNavigationSpecification : EntryNavigationOperations(Indexes.specification())

/**
 * The ends of the map: `firstKey`, `lastKey`, `firstEntry`, `lastEntry`, both polls, racing `put`.
 * `firstKey` on an empty map throws `NoSuchElementException`, which Lincheck compares too.
 */
abstract class EndpointOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) : LongMapScenario(index) {
    override val specification: Class<*> get() = EndpointSpecification::class.java

    /** `firstKey()`. */
    @Operation
    fun firstKey(): Long = op("firstKey") { map.firstKey() }

    /** `lastKey()`. */
    @Operation
    fun lastKey(): Long = op("lastKey") { map.lastKey() }

    /** `firstEntry()`. */
    @Operation
    fun firstEntry(): String? = op("firstEntry") { show(map.firstEntry()) }

    /** `lastEntry()`. */
    @Operation
    fun lastEntry(): String? = op("lastEntry") { show(map.lastEntry()) }

    /** `pollFirstEntry()`, which merges at the left end. */
    @Operation
    fun pollFirstEntry(): String? = op("pollFirstEntry") { show(map.pollFirstEntry()) }

    /** `pollLastEntry()`, which merges at the right end. */
    @Operation
    fun pollLastEntry(): String? = op("pollLastEntry") { show(map.pollLastEntry()) }

    /** `put(key, value)`, which splits. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("put($key,$value)") { map.put(key.toLong(), value.toLong()) }
}

/** The sequential specification of [EndpointOperations]. */
class EndpointSpecification : EndpointOperations(Indexes.specification())

/**
 * `isEmpty` (documented linearizable) and the navigable key set's `contains`, `remove`, `ceiling`
 * and `pollFirst`, racing `put` and `remove` of the map.
 */
abstract class WholeMapOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) : LongMapScenario(index) {
    override val specification: Class<*> get() = WholeMapSpecification::class.java

    private val keys: NavigableSet<Long> = map.navigableKeySet()

    /** `isEmpty()`. */
    @Operation
    fun isEmpty(): Boolean = op("isEmpty") { map.isEmpty() }

    /** `put(key, value)`. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("put($key,$value)") { map.put(key.toLong(), value.toLong()) }

    /** `remove(key)`. */
    @Operation
    fun remove(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = op("remove($key)") { map.remove(key.toLong()) }

    /** `navigableKeySet().contains(key)`. */
    @Operation
    fun keySetContains(@Param(gen = IntGen::class, conf = KEYS) key: Int): Boolean = op("keySetContains($key)") { keys.contains(key.toLong()) }

    /** `navigableKeySet().remove(key)`. */
    @Operation
    fun keySetRemove(@Param(gen = IntGen::class, conf = KEYS) key: Int): Boolean = op("keySetRemove($key)") { keys.remove(key.toLong()) }

    /** `navigableKeySet().ceiling(key)`. */
    @Operation
    fun keySetCeiling(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = op("keySetCeiling($key)") { keys.ceiling(key.toLong()) }

    /** `navigableKeySet().pollFirst()`. */
    @Operation
    fun keySetPollFirst(): Long? = op("keySetPollFirst") { keys.pollFirst() }
}

/** The sequential specification of [WholeMapOperations]. */
class WholeMapSpecification : WholeMapOperations(Indexes.specification())

/**
 * `clear()`, which the contract makes weakly consistent (like `ConcurrentSkipListMap`'s): it
 * empties the map one leaf at a time, left to right, so a reader of a key on the left may see it
 * gone while a key on the right is still there, which no atomic clear explains. What it does
 * promise is checked here against the atomic specification, with the only readers whose answers
 * every left-to-right clearing explains: `isEmpty` (true only once every leaf is empty), `lastKey`
 * and `lastEntry` (the rightmost leaf is emptied last). Operations that read the left of the map
 * while a clear runs are not linearizable by contract, and are not in this class.
 */
abstract class ClearOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) : LongMapScenario(index) {
    override val specification: Class<*> get() = ClearSpecification::class.java

    /** `clear()`. */
    @Operation
    fun clear() = op("clear") { map.clear() }

    /** `isEmpty()`. */
    @Operation
    fun isEmpty(): Boolean = op("isEmpty") { map.isEmpty() }

    /** `lastKey()`. */
    @Operation
    fun lastKey(): Long = op("lastKey") { map.lastKey() }

    /** `lastEntry()`. */
    @Operation
    fun lastEntry(): String? = op("lastEntry") { show(map.lastEntry()) }
}

/** The sequential specification of [ClearOperations]. */
class ClearSpecification : ClearOperations(Indexes.specification())
