package io.arboretum.lincheck

import java.util.NavigableMap
import org.jetbrains.lincheck.datastructures.IntGen
import org.jetbrains.lincheck.datastructures.Operation
import org.jetbrains.lincheck.datastructures.Param

/**
 * The views a view scenario class works on, each cut from the whole map. Keys outside a view's
 * range reach it too: a write must throw `IllegalArgumentException` and a read must behave as if
 * the key were absent, as `ConcurrentSkipListMap`'s views do ([Indexes.viewSpecification]).
 */
enum class ViewKind(private val cut: (NavigableMap<Long, Long>) -> NavigableMap<Long, Long>) {
    /** `subMap(6, true, 19, false)`. */
    SUB({ it.subMap(6L, true, 19L, false) }),

    /** `headMap(13, false)`. */
    HEAD({ it.headMap(13L, false) }),

    /** `tailMap(12, true)`. */
    TAIL({ it.tailMap(12L, true) }),

    /** `subMap(6, true, 19, false).descendingMap()`: a descending view of a sub-map. */
    DESCENDING_SUB({ it.subMap(6L, true, 19L, false).descendingMap() });

    /** The view of [map]. */
    fun of(map: NavigableMap<Long, Long>): NavigableMap<Long, Long> = cut(map)
}

/**
 * Writes through a view ([kind]): the compute family, `merge`, both `replace` forms,
 * `remove(key, value)`, `put` and `remove`; out-of-range keys must throw as the specification does.
 *
 * @param kind the view written through
 */
abstract class ViewWriteOperations(index: IndexUnderTest<NavigableMap<Long, Long>>, kind: ViewKind) : LongMapScenario(index) {
    /** The view under test. */
    protected val view: NavigableMap<Long, Long> = kind.of(map)

    override val modelCheckingIterations: Int get() = 2
    override val modelCheckingInvocations: Int get() = 40
    override val stressIterations: Int get() = 2
    override val stressInvocations: Int get() = 30

    /** `compute(key, f)` on the view; the function as in [ComputeOperations]. */
    @Operation
    fun compute(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("compute($key,$value)") { view.compute(key.toLong()) { _, old -> remap(old, value) } }

    /** `computeIfAbsent(key, f)` on the view. */
    @Operation
    fun computeIfAbsent(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("computeIfAbsent($key,$value)") { view.computeIfAbsent(key.toLong()) { value.toLong() } }

    /** `computeIfPresent(key, f)` on the view. */
    @Operation
    fun computeIfPresent(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("computeIfPresent($key,$value)") { view.computeIfPresent(key.toLong()) { _, old -> if (old == value.toLong()) null else value.toLong() } }

    /** `merge(key, value, f)` on the view. */
    @Operation
    fun merge(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("merge($key,$value)") { view.merge(key.toLong(), value.toLong()) { old, v -> if (old == v) null else old + v } }

    /** `replace(key, value)` on the view. */
    @Operation
    fun replace(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("replace($key,$value)") { view.replace(key.toLong(), value.toLong()) }

    /** `replace(key, oldValue, newValue)` on the view. */
    @Operation
    fun replaceMapping(
        @Param(gen = IntGen::class, conf = KEYS) key: Int,
        @Param(gen = IntGen::class, conf = VALUE_RANGE) oldValue: Int,
        @Param(gen = IntGen::class, conf = VALUE_RANGE) newValue: Int,
    ): Boolean = op("replaceMapping($key,$oldValue,$newValue)") { view.replace(key.toLong(), oldValue.toLong(), newValue.toLong()) }

    /** `remove(key, value)` on the view. */
    @Operation
    fun removeMapping(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Boolean =
        op("removeMapping($key,$value)") { view.remove(key.toLong(), value.toLong()) }

    /** `put(key, value)` on the view. */
    @Operation
    fun put(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("put($key,$value)") { view.put(key.toLong(), value.toLong()) }

    /** `remove(key)` on the view. */
    @Operation
    fun remove(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = op("remove($key)") { view.remove(key.toLong()) }
}

/**
 * Reads through a view ([kind]): point reads, the entry-returning navigation, the ends and both
 * polls, racing `put` and `remove` on the whole map (inside and outside the view's range).
 *
 * @param kind the view read through
 */
abstract class ViewReadOperations(index: IndexUnderTest<NavigableMap<Long, Long>>, kind: ViewKind) : LongMapScenario(index) {
    /** The view under test. */
    protected val view: NavigableMap<Long, Long> = kind.of(map)

    override val modelCheckingIterations: Int get() = 2
    override val modelCheckingInvocations: Int get() = 40
    override val stressIterations: Int get() = 2
    override val stressInvocations: Int get() = 30

    /** `get(key)` on the view. */
    @Operation
    fun get(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = op("get($key)") { view[key.toLong()] }

    /** `ceilingEntry(key)` on the view. */
    @Operation
    fun ceilingEntry(@Param(gen = IntGen::class, conf = KEYS) key: Int): String? = op("ceilingEntry($key)") { show(view.ceilingEntry(key.toLong())) }

    /** `floorEntry(key)` on the view. */
    @Operation
    fun floorEntry(@Param(gen = IntGen::class, conf = KEYS) key: Int): String? = op("floorEntry($key)") { show(view.floorEntry(key.toLong())) }

    /** `higherEntry(key)` on the view. */
    @Operation
    fun higherEntry(@Param(gen = IntGen::class, conf = KEYS) key: Int): String? = op("higherEntry($key)") { show(view.higherEntry(key.toLong())) }

    /** `lowerEntry(key)` on the view. */
    @Operation
    fun lowerEntry(@Param(gen = IntGen::class, conf = KEYS) key: Int): String? = op("lowerEntry($key)") { show(view.lowerEntry(key.toLong())) }

    /** `firstEntry()` on the view. */
    @Operation
    fun firstEntry(): String? = op("firstEntry") { show(view.firstEntry()) }

    /** `lastKey()` on the view; throws `NoSuchElementException` when the view is empty. */
    @Operation
    fun lastKey(): Long = op("lastKey") { view.lastKey() }

    /** `pollFirstEntry()` on the view. */
    @Operation
    fun pollFirstEntry(): String? = op("pollFirstEntry") { show(view.pollFirstEntry()) }

    /** `pollLastEntry()` on the view. */
    @Operation
    fun pollLastEntry(): String? = op("pollLastEntry") { show(view.pollLastEntry()) }

    /** `put(key, value)` on the whole map. */
    @Operation
    fun mapPut(@Param(gen = IntGen::class, conf = KEYS) key: Int, @Param(gen = IntGen::class, conf = VALUE_RANGE) value: Int): Long? =
        op("mapPut($key,$value)") { map.put(key.toLong(), value.toLong()) }

    /** `remove(key)` on the whole map. */
    @Operation
    fun mapRemove(@Param(gen = IntGen::class, conf = KEYS) key: Int): Long? = op("mapRemove($key)") { map.remove(key.toLong()) }
}

/** Writes through `subMap(6, true, 19, false)`. */
abstract class SubMapWriteOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) : ViewWriteOperations(index, ViewKind.SUB) {
    override val specification: Class<*> get() = SubMapWriteSpecification::class.java
}

/** The sequential specification of [SubMapWriteOperations]. */
class SubMapWriteSpecification : SubMapWriteOperations(Indexes.viewSpecification())

/** Writes through `headMap(13, false)`. */
abstract class HeadMapWriteOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) : ViewWriteOperations(index, ViewKind.HEAD) {
    override val specification: Class<*> get() = HeadMapWriteSpecification::class.java
}

/** The sequential specification of [HeadMapWriteOperations]. */
class HeadMapWriteSpecification : HeadMapWriteOperations(Indexes.viewSpecification())

/** Writes through `tailMap(12, true)`. */
abstract class TailMapWriteOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) : ViewWriteOperations(index, ViewKind.TAIL) {
    override val specification: Class<*> get() = TailMapWriteSpecification::class.java
}

/** The sequential specification of [TailMapWriteOperations]. */
class TailMapWriteSpecification : TailMapWriteOperations(Indexes.viewSpecification())

/** Writes through the descending view of `subMap(6, true, 19, false)`. */
abstract class DescendingSubMapWriteOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) : ViewWriteOperations(index, ViewKind.DESCENDING_SUB) {
    override val specification: Class<*> get() = DescendingSubMapWriteSpecification::class.java
}

/** The sequential specification of [DescendingSubMapWriteOperations]. */
class DescendingSubMapWriteSpecification : DescendingSubMapWriteOperations(Indexes.viewSpecification())

/** Reads through `subMap(6, true, 19, false)`. */
abstract class SubMapReadOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) : ViewReadOperations(index, ViewKind.SUB) {
    override val specification: Class<*> get() = SubMapReadSpecification::class.java
}

/** The sequential specification of [SubMapReadOperations]. */
class SubMapReadSpecification : SubMapReadOperations(Indexes.viewSpecification())

/** Reads through `headMap(13, false)`. */
abstract class HeadMapReadOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) : ViewReadOperations(index, ViewKind.HEAD) {
    override val specification: Class<*> get() = HeadMapReadSpecification::class.java
}

/** The sequential specification of [HeadMapReadOperations]. */
class HeadMapReadSpecification : HeadMapReadOperations(Indexes.viewSpecification())

/** Reads through `tailMap(12, true)`. */
abstract class TailMapReadOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) : ViewReadOperations(index, ViewKind.TAIL) {
    override val specification: Class<*> get() = TailMapReadSpecification::class.java
}

/** The sequential specification of [TailMapReadOperations]. */
class TailMapReadSpecification : TailMapReadOperations(Indexes.viewSpecification())

/** Reads through the descending view of `subMap(6, true, 19, false)`. */
abstract class DescendingSubMapReadOperations(index: IndexUnderTest<NavigableMap<Long, Long>>) : ViewReadOperations(index, ViewKind.DESCENDING_SUB) {
    override val specification: Class<*> get() = DescendingSubMapReadSpecification::class.java
}

/** The sequential specification of [DescendingSubMapReadOperations]. */
class DescendingSubMapReadSpecification : DescendingSubMapReadOperations(Indexes.viewSpecification())
