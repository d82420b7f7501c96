package io.arboretum.lincheck

import java.util.NavigableMap
import org.jetbrains.lincheck.datastructures.IntGen
import org.jetbrains.lincheck.datastructures.Operation
import org.jetbrains.lincheck.datastructures.Param

/*
 * Race scenario classes: two or three operations on a small tree whose shape makes one kind of
 * structure change happen in almost every scenario. The general classes (MapScenarios.kt) start
 * every scenario from the same 12 scrambled keys of 25, so a given race (a read of a key that a
 * concurrent split moves, a write into a leaf a concurrent merge removes) needs the random
 * arguments to line up; here the prefill puts every leaf at the edge of a split or a merge and
 * the keys are few, so nearly every write changes the structure and nearly every read looks at a
 * leaf that changes. The scenarios are still random (Lincheck draws the operations and
 * arguments); the seeded-fault kits run these classes to show each fault is caught, and the
 * normal suite runs them on the correct trees. Shapes assume node capacity 4 (Indexes.CAPACITY).
 */

/** Fills [m] with [keys] in ascending order (an ascending load leaves full leaves behind). */
internal fun ascending(m: NavigableMap<Long, Long>, keys: IntProgression) {
    for (k in keys) m[k.toLong()] = LongMapScenario.valueOf(k)
}

/**
 * A root that is one full leaf: keys 0, 2, 4, 6 (ascending), operations on keys 0..7, so the first
 * put of an odd key splits the root leaf and publishes a new root while reads of the keys that
 * move run beside it. Catches a split that releases or publishes too early when the leaf is the
 * root (no parent latch protects the readers then).
 */
abstract class RootSplitOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) :
    LongMapScenario(index, { ascending(it, 0..6 step 2) }) {
    override val specification: Class<*> get() = RootSplitSpecification::class.java
    override val actorsBefore: Int get() = 0
    override val actorsPerThread: Int get() = 2

    /** `get(key)`. */
    @Operation
    fun get(@Param(gen = IntGen::class, conf = "0:7") key: Int): Long? = op("get($key)") { map[key.toLong()] }

    /** `put(key, value)`. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = "0:7") key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("put($key,$value)") { map.put(key.toLong(), value.toLong()) }
}

/** The sequential specification of [RootSplitOperations]. */
class RootSplitSpecification : RootSplitOperations(Indexes.specification())

/**
 * Two full leaves under an inner root: keys 0, 2, .., 14 loaded ascending ([0 2 4 6] [8 10 12 14]),
 * operations on keys 0..15: every put of an odd key splits a leaf below a parent while reads of
 * the keys that move descend through that parent.
 */
abstract class LeafSplitOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) :
    LongMapScenario(index, { ascending(it, 0..14 step 2) }) {
    override val specification: Class<*> get() = LeafSplitSpecification::class.java
    override val actorsBefore: Int get() = 0
    override val actorsPerThread: Int get() = 2

    /** `get(key)`. */
    @Operation
    fun get(@Param(gen = IntGen::class, conf = "0:15") key: Int): Long? = op("get($key)") { map[key.toLong()] }

    /** `put(key, value)`. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = "0:15") key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("put($key,$value)") { map.put(key.toLong(), value.toLong()) }
}

/** The sequential specification of [LeafSplitOperations]. */
class LeafSplitSpecification : LeafSplitOperations(Indexes.specification())

/**
 * Leaves at the merge threshold: keys 0..7 loaded ascending, then the odd ones removed, leaving
 * [0 2] [4 6]; operations on keys 0..7, so removing 0 or 2 leaves the left leaf with one key and
 * merges the right leaf into it while puts, gets and removes run in the right one. Two operations
 * run after the parallel part, and every operation on a key observes it (put and remove return
 * the previous value), so a write that a merge lost is seen.
 */
abstract class MergeRaceOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) :
    LongMapScenario(index, { m -> ascending(m, 0..7); for (k in 1..7 step 2) m.remove(k.toLong()) }) {
    override val specification: Class<*> get() = MergeRaceSpecification::class.java
    override val actorsBefore: Int get() = 0
    override val actorsAfter: Int get() = 2

    /** `get(key)`. */
    @Operation
    fun get(@Param(gen = IntGen::class, conf = "0:7") key: Int): Long? = op("get($key)") { map[key.toLong()] }

    /** `put(key, value)`. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = "0:7") key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("put($key,$value)") { map.put(key.toLong(), value.toLong()) }

    /** `remove(key)`, which merges. */
    @Operation
    fun remove(@Param(gen = IntGen::class, conf = "0:7") key: Int): Long? = op("remove($key)") { map.remove(key.toLong()) }
}

/** The sequential specification of [MergeRaceOperations]. */
class MergeRaceSpecification : MergeRaceOperations(Indexes.specification())

/**
 * Navigation that must leave a leaf: keys 0, 2, 4, 6, 8 loaded ascending, then 6 removed, leaving
 * [0 2 4] [8]: `ceilingKey(3)`, `ceilingKey(4)`, `higherKey(2)` and `higherKey(3)` find 4 in the
 * left leaf only if they read it whole, and a put of 1 or 3 shifts 4 one slot right while they
 * search; keys above 4 send them on to the right leaf. Operations on keys 0..8.
 */
abstract class CrossLeafOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) :
    LongMapScenario(index, { m -> ascending(m, 0..8 step 2); m.remove(6L) }) {
    override val specification: Class<*> get() = CrossLeafSpecification::class.java
    override val actorsBefore: Int get() = 0

    /** `ceilingKey(key)`. */
    @Operation
    fun ceilingKey(@Param(gen = IntGen::class, conf = "0:8") key: Int): Long? = op("ceilingKey($key)") { map.ceilingKey(key.toLong()) }

    /** `higherKey(key)`. */
    @Operation
    fun higherKey(@Param(gen = IntGen::class, conf = "0:8") key: Int): Long? = op("higherKey($key)") { map.higherKey(key.toLong()) }

    /** `put(key, value)`. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = "0:8") key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("put($key,$value)") { map.put(key.toLong(), value.toLong()) }
}

/** The sequential specification of [CrossLeafOperations]. */
class CrossLeafSpecification : CrossLeafOperations(Indexes.specification())

/**
 * Polls racing each other on a small map: keys 0, 2, 4, 6, 8 (ascending: [0 2 4 6] [8]), both
 * polls and `put` on keys 0..9, so two polls of the same end in different threads are common and
 * each poll that empties or thins a leaf merges it.
 */
abstract class PollRaceOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) :
    LongMapScenario(index, { ascending(it, 0..8 step 2) }) {
    override val specification: Class<*> get() = PollRaceSpecification::class.java
    override val actorsBefore: Int get() = 0

    /** `pollFirstEntry()`. */
    @Operation
    fun pollFirstEntry(): String? = op("pollFirstEntry") { show(map.pollFirstEntry()) }

    /** `pollLastEntry()`. */
    @Operation
    fun pollLastEntry(): String? = op("pollLastEntry") { show(map.pollLastEntry()) }

    /** `put(key, value)`. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = "0:9") key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("put($key,$value)") { map.put(key.toLong(), value.toLong()) }
}

/** The sequential specification of [PollRaceOperations]. */
class PollRaceSpecification : PollRaceOperations(Indexes.specification())

/**
 * Splits and merges side by side: keys 0, 2, .., 14 loaded ascending, then 11 inserted and
 * removed, leaving [0 2 4 6] [8 10] [12 14] in `ConcurrentBTreeMap` (the off-heap tree, which
 * merges a leaf left with two keys, keeps [8 10 12 14]); operations on keys 0..15. A put of an odd
 * key below 8 splits the full left leaf while a remove from one of the two-key leaves merges them,
 * so both structure changes run concurrently with other operations in most scenarios.
 */
abstract class SplitMergeOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) :
    LongMapScenario(index, { m -> ascending(m, 0..14 step 2); m[11L] = valueOf(11); m.remove(11L) }) {
    override val specification: Class<*> get() = SplitMergeSpecification::class.java
    override val actorsBefore: Int get() = 0

    /** Eight scenarios: the class is cheap (three operations), and its fractions are the suite's measure of both changes at once. */
    override val modelCheckingIterations: Int get() = 8

    /** `get(key)`. */
    @Operation
    fun get(@Param(gen = IntGen::class, conf = "0:15") key: Int): Long? = op("get($key)") { map[key.toLong()] }

    /** `put(key, value)`, which splits. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = "0:15") key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("put($key,$value)") { map.put(key.toLong(), value.toLong()) }

    /** `remove(key)`, which merges. */
    @Operation
    fun remove(@Param(gen = IntGen::class, conf = "0:15") key: Int): Long? = op("remove($key)") { map.remove(key.toLong()) }
}

/** The sequential specification of [SplitMergeOperations]. */
class SplitMergeSpecification : SplitMergeOperations(Indexes.specification())
