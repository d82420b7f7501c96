package io.arboretum.lincheck

import io.arboretum.btree.ConcurrentBTreeMap
import io.arboretum.coroutines.updateAndGet
import java.util.concurrent.ConcurrentMap
import java.util.concurrent.ConcurrentNavigableMap
import java.util.concurrent.ConcurrentSkipListMap
import kotlinx.coroutines.yield
import org.jetbrains.lincheck.datastructures.IntGen
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions
import org.jetbrains.lincheck.datastructures.Operation
import org.jetbrains.lincheck.datastructures.Param
import org.jetbrains.lincheck.datastructures.StressOptions
import org.jetbrains.lincheck.datastructures.Validate
import org.junit.jupiter.api.Test

/**
 * Linearizability of the suspending read-modify-write `update` of the coroutine layer: suspending
 * increments, decrements that remove a key at zero, and plain reads and writes on ten keys, five
 * of them present at the start, in model checking and stress mode, two threads. With ten keys two
 * threads often update the same key (where a lost update would show); over the B+tree with node
 * capacity 4 and merge threshold 2 the five prefilled keys already fill two leaves, inserts of
 * absent keys split them and removals (a decrement to zero, `remove`) merge them. The sequential specification is the class itself
 * run on one thread, which for these operations is exactly a sequential map.
 *
 * The update functions call `yield()`, which is a suspension point of the `update` loop; under
 * Lincheck there is no dispatcher, so it returns at once, but the interleavings between the read,
 * the function and the conditional write are all explored by the model checker.
 *
 * Sizes come from [TestSizes] (`arboretum.test.scale`: 1 in CI, 10 under `-Pthorough`): in CI
 * [ciScenarios] scenarios of 50 interleavings (model checking) and 50 runs (stress); under
 * `-Pthorough` ten times the scenarios, each with 200 interleavings and 150 runs.
 */
@Param(name = "key", gen = IntGen::class, conf = "0:9")
@Param(name = "value", gen = IntGen::class, conf = "1:4")
public abstract class SuspendingUpdateScenarios(private val map: ConcurrentMap<Int, Int>) {

    init {
        // Half the keys start present, in scrambled order: updates of present keys race each
        // other, and inserts of absent ones split the prefilled leaves.
        for (k in intArrayOf(6, 1, 8, 3, 5)) map[k] = 1
    }

    /** Adds one to the value of [key], inserting 1 when absent; returns the value committed. */
    @Operation
    public suspend fun increment(@Param(name = "key") key: Int): Int? =
        map.updateAndGet(key) { current ->
            yield()
            (current ?: 0) + 1
        }

    /** Takes one from the value of [key], removing the key when it would reach zero. */
    @Operation
    public suspend fun decrement(@Param(name = "key") key: Int): Int? =
        map.updateAndGet(key) { current ->
            yield()
            if (current == null || current <= 1) null else current - 1
        }

    /** Doubles the value of [key] when present; an absent key stays absent. */
    @Operation
    public suspend fun double(@Param(name = "key") key: Int): Int? =
        map.updateAndGet(key) { current -> current?.let { it * 2 } }

    /** A plain read. */
    @Operation
    public fun get(@Param(name = "key") key: Int): Int? = map[key]

    /** A plain write, racing with the updates' conditional writes. */
    @Operation
    public fun put(@Param(name = "key") key: Int, @Param(name = "value") value: Int): Int? = map.put(key, value)

    /** A plain removal. */
    @Operation
    public fun remove(@Param(name = "key") key: Int): Int? = map.remove(key)

    /** Structure check after each scenario, for maps that can check themselves. */
    @Validate
    public fun checkStructure() {
        (map as? ConcurrentBTreeMap<*, *>)?.checkInvariants()
    }

    /** Model checking: every interleaving of small scenarios, explored systematically. */
    @Test
    public fun modelChecking(): Unit = ModelCheckingOptions()
        .threads(2)
        .actorsPerThread(3)
        .actorsBefore(2)
        .actorsAfter(1)
        .iterations(TestSizes.iterations(ciScenarios))
        .invocationsPerIteration(TestSizes.invocations(if (TestSizes.scale == 1) 50 else 200))
        .check(this::class)

    /** Stress: the same scenarios on real threads, where missing fences can show. */
    @Test
    public fun stress(): Unit = StressOptions()
        .threads(2)
        .actorsPerThread(3)
        .actorsBefore(2)
        .actorsAfter(1)
        .iterations(TestSizes.iterations(ciScenarios))
        .invocationsPerIteration(TestSizes.invocations(if (TestSizes.scale == 1) 50 else 150))
        .check(this::class)

    /** Scenarios per check at CI size (multiplied by the scale). */
    protected open val ciScenarios: Int get() = 8
}

/** `update` over [ConcurrentBTreeMap] with node capacity 4 and merge threshold 2, so scenarios split and merge leaves. */
public class SuspendingUpdateLincheckTest : SuspendingUpdateScenarios(bTreeForUpdates())

/**
 * `update` over `ConcurrentSkipListMap`, the JDK baseline: the control that shows the class and its
 * specification agree, which two scenarios do in CI.
 */
public class SuspendingUpdateSkipListLincheckTest : SuspendingUpdateScenarios(ConcurrentSkipListMap()) {
    override val ciScenarios: Int get() = 2
}

private fun bTreeForUpdates(): ConcurrentNavigableMap<Int, Int> =
    ConcurrentBTreeMap.builder<Int, Int>().nodeCapacity(4).mergeThreshold(2).build()
