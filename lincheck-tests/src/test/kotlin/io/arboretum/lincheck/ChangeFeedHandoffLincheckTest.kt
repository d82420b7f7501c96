package io.arboretum.lincheck

import io.arboretum.btree.ConcurrentBTreeMap
import io.arboretum.map.ChangeFeed
import java.util.TreeMap
import java.util.concurrent.ConcurrentLinkedQueue
import org.jetbrains.lincheck.LincheckAssertionError
import org.jetbrains.lincheck.datastructures.IntGen
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions
import org.jetbrains.lincheck.datastructures.Operation
import org.jetbrains.lincheck.datastructures.Param
import org.jetbrains.lincheck.datastructures.StressOptions
import org.jetbrains.lincheck.datastructures.Validate
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * The change feed's subscribe/write hand-off (issue 21): a subscriber that subscribes, scans, and
 * then applies what its listener buffered meanwhile (the protocol of `snapshotThenChanges`) must
 * end, once the writers stop, with exactly the map's content, and every change buffered after that
 * cut must extend what it holds (its old value is the subscriber's current one): no change is lost
 * at the boundary and none is applied twice. Writers `put` and `remove` on six keys of a
 * `ConcurrentBTreeMap` of node capacity 4 (three prefilled), so writes split and merge leaves while
 * the subscriber scans; the subscription itself races with them.
 *
 * This test found a real ordering bug while it was written: `ConcurrentBTreeMap` published an
 * insert that split the root leaf only after linking the new sibling, so a removal of the new key
 * through the (unlatched) sibling could be published first; the insert is now published before
 * the sibling is linked.
 *
 * The check runs in a [Validate] function after each scenario; the operations' results are
 * checked for linearizability against the class run on one thread as usual. The negative control
 * [ChangeFeedScanFirstLincheckTest] scans before subscribing, which loses changes made in between,
 * and must be caught.
 */
@Param(name = "key", gen = IntGen::class, conf = "0:5")
@Param(name = "value", gen = IntGen::class, conf = "1:3")
public abstract class ChangeFeedHandoffScenarios(private val subscribeFirst: Boolean) {
    private val map: ConcurrentBTreeMap<Int, Int> =
        ConcurrentBTreeMap.builder<Int, Int>().nodeCapacity(4).mergeThreshold(2).build().also {
            for (k in intArrayOf(4, 0, 2)) it[k] = 1
        }

    /** What the listener received: (key, old, new), in the order it was called. */
    private val buffered = ConcurrentLinkedQueue<Triple<Int, Int?, Int?>>()

    /** The subscriber's map after its cut, or null before it subscribed. */
    @Volatile
    private var rebuilt: TreeMap<Int, Int>? = null

    private var subscription: ChangeFeed.Subscription? = null

    /** A write. */
    @Operation
    public fun put(@Param(name = "key") key: Int, @Param(name = "value") value: Int): Int? = map.put(key, value)

    /** A removal. */
    @Operation
    public fun remove(@Param(name = "key") key: Int): Int? = map.remove(key)

    /** A conditional write (goes through the same write path under another name). */
    @Operation
    public fun putIfAbsent(@Param(name = "key") key: Int, @Param(name = "value") value: Int): Int? =
        map.putIfAbsent(key, value)

    /**
     * Subscribes (once), scans, and applies what was buffered meanwhile: the cut. The negative
     * control scans first and subscribes afterwards.
     */
    @Operation(runOnce = true)
    public fun subscribeAndSnapshot() {
        if (subscribeFirst) subscription = map.subscribe { _, k, o, n -> buffered.add(Triple(k, o, n)) }
        val snapshot = TreeMap<Int, Int>()
        for ((k, v) in map.entries) snapshot[k] = v
        if (!subscribeFirst) subscription = map.subscribe { _, k, o, n -> buffered.add(Triple(k, o, n)) }
        while (true) {
            val (k, _, n) = buffered.poll() ?: break
            if (n == null) snapshot.remove(k) else snapshot[k] = n
        }
        rebuilt = snapshot
    }

    /** After the scenario: the subscriber converges, each later change extending what it holds. */
    @Validate
    public fun converged() {
        map.checkInvariants()
        val view = rebuilt ?: return
        while (true) {
            val (k, o, n) = buffered.poll() ?: break
            check(view[k] == o) { "change of key $k from $o, but the subscriber holds ${view[k]}" }
            if (n == null) view.remove(k) else view[k] = n
        }
        check(view == TreeMap(map)) { "subscriber holds $view, the map is ${TreeMap(map)}" }
        subscription?.close()
    }

    /** Model checking: every interleaving of small scenarios, explored systematically. */
    @Test
    public open fun modelChecking(): Unit = modelOptions().check(this::class)

    /** Stress: the same scenarios on real threads, where a missing fence could show. */
    @Test
    public open fun stress(): Unit = StressOptions()
        .threads(2)
        .actorsPerThread(3)
        .actorsBefore(1)
        .actorsAfter(0)
        .iterations(4 * TestSizes.scale)
        .invocationsPerIteration(100 * TestSizes.scale)
        .check(this::class)

    protected fun modelOptions(): ModelCheckingOptions = ModelCheckingOptions()
        .threads(2)
        .actorsPerThread(3)
        .actorsBefore(1)
        .actorsAfter(0)
        .iterations(4 * TestSizes.scale)
        .invocationsPerIteration(100 * TestSizes.scale)
}

/** The real hand-off: subscribe, scan, apply the buffer. */
public class ChangeFeedHandoffLincheckTest : ChangeFeedHandoffScenarios(subscribeFirst = true)

/** Negative control: scanning before subscribing loses the changes in between; Lincheck must say so. */
public class ChangeFeedScanFirstLincheckTest : ChangeFeedHandoffScenarios(subscribeFirst = false) {
    @Test
    override fun modelChecking() {
        val e = assertThrows<LincheckAssertionError> { modelOptions().minimizeFailedScenario(false).check(this::class) }
        check("subscriber holds" in e.message.orEmpty() || "from" in e.message.orEmpty()) { e.message.orEmpty() }
    }

    /** Not a test here (no @Test): stress may or may not hit the window; the model checker is the control. */
    override fun stress(): Unit = Unit
}
