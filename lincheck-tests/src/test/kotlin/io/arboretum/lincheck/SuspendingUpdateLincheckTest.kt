package io.arboretum.lincheck

import io.arboretum.btree.ConcurrentBTreeMap
import io.arboretum.coroutines.update
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
 * threads often update the same key (the case where a lost update would show), and with node
 * capacity 4 and merge threshold 2 the inserts of absent keys split leaves and the removals merge
 * them; each check reports the fraction of its scenarios in which a split and a merge ran
 * concurrently with another operation ([StructureProbe]; `docs/lincheck-coverage.md`). The sequential specification is the class itself
 * run on one thread, which for these operations is exactly a sequential map.
 *
 * The update functions call `yield()`, which is a suspension point of the `update` loop; under
 * Lincheck there is no dispatcher, so it returns at once, but the interleavings between the read,
 * the function and the conditional write are all explored by the model checker.
 *
 * Sizes scale with the system property `arboretum.test.scale` (1 in CI, 10 under `-Pthorough`).
 */
@Param(name = "key", gen = IntGen::class, conf = "0:9")
@Param(name = "value", gen = IntGen::class, conf = "1:4")
public abstract class SuspendingUpdateScenarios(private val map: ConcurrentMap<Int, Int>) {

    private val probe = StructureProbe(map is ConcurrentBTreeMap<*, *>)

    init {
        // Half the keys start present, scrambled: updates of present keys race, and inserts of
        // absent ones split the prefilled leaves.
        for (k in intArrayOf(6, 1, 8, 3, 5)) map[k] = 1
    }

    /** Adds one to the value of [key], inserting 1 when absent; returns the value committed. */
    @Operation
    public suspend fun increment(@Param(name = "key") key: Int): Int? = measured("increment($key)") {
        map.update(key) { current ->
            yield()
            (current ?: 0) + 1
        }
    }

    /** Takes one from the value of [key], removing the key when it would reach zero. */
    @Operation
    public suspend fun decrement(@Param(name = "key") key: Int): Int? = measured("decrement($key)") {
        map.update(key) { current ->
            yield()
            if (current == null || current <= 1) null else current - 1
        }
    }

    /** Doubles the value of [key] when present; an absent key stays absent. */
    @Operation
    public suspend fun double(@Param(name = "key") key: Int): Int? = measured("double($key)") {
        map.update(key) { current -> current?.let { it * 2 } }
    }

    /** A plain read. */
    @Operation
    public fun get(@Param(name = "key") key: Int): Int? = measured("get($key)") { map[key] }

    /** A plain write, racing with the updates' conditional writes. */
    @Operation
    public fun put(@Param(name = "key") key: Int, @Param(name = "value") value: Int): Int? = measured("put($key,$value)") { map.put(key, value) }

    /** A plain removal. */
    @Operation
    public fun remove(@Param(name = "key") key: Int): Int? = measured("remove($key)") { map.remove(key) }

    /** Runs [body] as one operation for the structure probe. */
    private inline fun <R> measured(label: String, body: () -> R): R {
        probe.begin(label)
        try {
            return body()
        } finally {
            probe.end()
        }
    }

    /** Structure check after each scenario, for maps that can check themselves. */
    @Validate
    public fun checkStructure() {
        (map as? ConcurrentBTreeMap<*, *>)?.checkInvariants()
    }

    /** Model checking: every interleaving of small scenarios, explored systematically. */
    @Test
    public fun modelChecking() {
        StructureProbe.measure("${this::class.simpleName} MC", OPERATIONS) { modelCheckingOptions().check(this::class) }
    }

    private fun modelCheckingOptions(): ModelCheckingOptions = ModelCheckingOptions()
        .addGuarantee(StructureProbe.IGNORED)
        .threads(2)
        .actorsPerThread(3)
        .actorsBefore(2)
        .actorsAfter(1)
        .iterations(8 * scale)
        .invocationsPerIteration(200 * scale)

    /** Stress: the same scenarios on real threads, where missing fences can show. */
    @Test
    public fun stress() {
        StructureProbe.measure("${this::class.simpleName} stress", OPERATIONS) { stressOptions().check(this::class) }
    }

    private fun stressOptions(): StressOptions = StressOptions()
        .threads(2)
        .actorsPerThread(3)
        .actorsBefore(2)
        .actorsAfter(1)
        .iterations(8 * scale)
        .invocationsPerIteration(150 * scale)

    private companion object {
        /** Operations per scenario: two before, three per thread, one after. */
        const val OPERATIONS = 9
        val scale: Int = (System.getProperty("arboretum.test.scale")?.toIntOrNull() ?: 1).coerceAtLeast(1)
    }
}

/** `update` over [ConcurrentBTreeMap] with node capacity 4 and merge threshold 2, so scenarios split and merge leaves. */
public class SuspendingUpdateLincheckTest : SuspendingUpdateScenarios(bTreeForUpdates())

/** `update` over `ConcurrentSkipListMap`, the JDK baseline. */
public class SuspendingUpdateSkipListLincheckTest : SuspendingUpdateScenarios(ConcurrentSkipListMap())

private fun bTreeForUpdates(): ConcurrentNavigableMap<Int, Int> =
    ConcurrentBTreeMap.builder<Int, Int>().nodeCapacity(Indexes.CAPACITY).mergeThreshold(Indexes.MERGE_THRESHOLD).build()
