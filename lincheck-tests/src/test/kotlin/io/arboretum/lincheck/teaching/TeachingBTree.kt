package io.arboretum.lincheck.teaching

import io.arboretum.sync.HybridLatch

/**
 * A deliberately small B+tree over [HybridLatch], kept in the test sources to teach optimistic lock
 * coupling and to give the test suite known bugs to catch (see [Fault]). `Int` keys and values,
 * node capacity [CAPACITY], optimistic lookups, writers that latch only the nodes they change,
 * eager splits, no merges (a removal may leave a leaf empty, which is still a correct tree).
 *
 * Protocol, in the order the code follows it:
 * 1. **Lookup**: read the root pointer, then the root's version, then the pointer again (a root
 *    split changes the pointer while the old root is latched, so a mismatch means we raced with
 *    one). At each inner node, read the child slot, read the child's version, then validate the
 *    parent: a parent unchanged since its version proves the slot was the right child for the key
 *    when the child's version was read. At the leaf, read the slot, then validate the leaf.
 * 2. **Write**: descend the same way, remembering the parent. A full node met on the way is split
 *    at once (steps 3 to 5), so a node's parent always has room. At a leaf with room, upgrade the
 *    leaf from the version read on the way down; success proves nothing changed it since, so its key
 *    range is still the one the descent validated. Write, unlock (which advances the version).
 * 3. **Split** `n` (parent `p`, or none for the root): upgrade `p`, then `n`, both with try-forms
 *    (a failure releases everything and restarts, so latching against the top-down order cannot
 *    deadlock). Copy the upper half of `n` into a new sibling `s`, then shorten `n`.
 * 4. **Publish** `s`: insert the separator and `s` into `p`, or make a new root over `n` and `s`
 *    and store it in the volatile [root] field. Only now is `s` reachable, and it is complete.
 * 5. Unlock `n` and `p`. Readers that read `n` or `p` before fail validation and restart.
 *
 * Memory model: node fields are plain. A reader's acquire read of a version and the acquire fence
 * in [HybridLatch.validate] order its plain reads against the writer's latching CAS and
 * release-unlock; the volatile write of [root] publishes a new root and everything written into
 * it (and into `s`) before.
 *
 * Notation: `n` node, `p` parent, `c` child, `s` sibling, `v` a version (`pv` the parent's).
 *
 * Pause points: at the few places where a race changes the outcome the tree calls [Pause.at] on
 * the [pause] it was given (none in the Lincheck tests, so their traces are unchanged). The lab's
 * stress recorder (`io.arboretum.lincheck.lab.StressRecorder`) passes one that sometimes parks the
 * thread for a few microseconds, which widens the race windows enough for real threads to hit them.
 *
 * @param fault the bug this instance carries; [Fault.NONE] for the correct tree
 * @param pause called at the pause points, or null (the default) for no pauses
 */
class TeachingBTree(private val fault: Fault = Fault.NONE, private val pause: Pause? = null) {

    /** A callback at the tree's pause points; see the class comment. */
    fun interface Pause {
        /**
         * Called at a pause point.
         *
         * @param point the name of the point, for example `"get:found"`
         */
        fun at(point: String)
    }

    /** One deliberate bug per value, for the negative controls; [NONE] is the correct tree. */
    enum class Fault {
        /** The correct protocol. */
        NONE,

        /** A lookup returns what it read in the leaf without validating the leaf's version. */
        UNVALIDATED_LOOKUP,

        /** A split links the new sibling into the tree before copying its keys into it. */
        EARLY_SIBLING_PUBLISH,

        /**
         * A writer never advances the version readers validate against. Emulated without touching
         * [HybridLatch]: writers exclude each other with a side latch in each node, so the node's
         * own version word, the one optimistic readers and upgrades check, never moves.
         */
        NO_VERSION_BUMP,

        /**
         * Lab exercise 1: a lookup validates the leaf, then reads the value. The solution is in
         * `docs/guides/linearizability-lab-solutions.md`; do not read it before predicting.
         */
        EXERCISE_1,

        /** Lab exercise 2: a descent moves to a child without validating the parent afterwards. */
        EXERCISE_2,

        /** Lab exercise 3: a split unlocks the node it split before linking the new sibling. */
        EXERCISE_3,

        /** Lab exercise 4: `remove` latches its leaf with a blocking lock instead of an upgrade. */
        EXERCISE_4,
    }

    /** A node: its latch (by inheritance), its keys and how many there are. */
    private abstract class Node : HybridLatch() {
        /** How many keys are in use; plain, trusted only under a validated version or a latch. */
        @JvmField var count = 0

        /** Sorted keys (separators in an inner node). */
        @JvmField val keys = IntArray(CAPACITY)

        /** The writers' latch of the [Fault.NO_VERSION_BUMP] variant; unused otherwise. */
        @JvmField val sideLatch = HybridLatch()

        /** Whether the node is full. */
        fun isFull() = count >= CAPACITY
    }

    private class Leaf : Node() {
        @JvmField val values = IntArray(CAPACITY)

        /** Slot of [key], or -1; bounded even on a torn [count]. */
        fun find(key: Int): Int {
            val m = count.coerceIn(0, CAPACITY)
            for (i in 0 until m) {
                if (keys[i] == key) return i
            }
            return -1
        }
    }

    private class Inner : Node() {
        /** `count + 1` children; child `i` holds the keys `k` with `keys[i-1] <= k < keys[i]`. */
        @JvmField val kids = arrayOfNulls<Node>(CAPACITY + 1)

        /** Index of the child for [key]; bounded even on a torn [count]. */
        fun childIndex(key: Int): Int {
            val m = count.coerceIn(0, CAPACITY)
            var i = 0
            while (i < m && keys[i] <= key) i++
            return i
        }
    }

    /** The root; changes only while the old root is exclusively latched. */
    @Volatile
    private var root: Node = Leaf()

    /**
     * The value of [key], or null.
     *
     * @param key the key
     * @return its value, or null if absent
     */
    fun get(key: Int): Int? {
        while (true) {
            val leaf = descend(key) ?: continue
            val n = leaf.first
            val v = leaf.second
            val i = n.find(key)
            pause?.at("get:found")
            if (fault == Fault.EXERCISE_1) {
                if (!n.validate(v)) continue
                pause?.at("get:validated")
                return if (i >= 0) n.values[i] else null
            }
            // Untrusted until validated: i, and the value at i, may come from a half-done write.
            val value = if (i >= 0) n.values[i] else null
            if (fault != Fault.UNVALIDATED_LOOKUP && !n.validate(v)) continue
            return value
        }
    }

    /**
     * Maps [key] to [value].
     *
     * @param key the key
     * @param value the value
     * @return the previous value, or null
     */
    fun put(key: Int, value: Int): Int? {
        while (true) {
            val leaf = descendForInsert(key) ?: continue
            val n = leaf.first
            pause?.at("put:descended")
            if (!tryLock(n, leaf.second)) continue
            // Latched at the version the descent validated: n still holds key's range, and has room.
            val i = n.find(key)
            val old: Int?
            if (i >= 0) {
                old = n.values[i]
                n.values[i] = value
            } else {
                old = null
                var j = n.count
                while (j > 0 && n.keys[j - 1] > key) {
                    n.keys[j] = n.keys[j - 1]
                    n.values[j] = n.values[j - 1]
                    j--
                }
                n.keys[j] = key
                n.values[j] = value
                n.count++
            }
            unlock(n)
            return old
        }
    }

    /**
     * Removes [key].
     *
     * @param key the key
     * @return the removed value, or null if absent
     */
    fun remove(key: Int): Int? {
        while (true) {
            val leaf = descend(key) ?: continue
            val n = leaf.first
            pause?.at("remove:descended")
            if (fault == Fault.EXERCISE_4) {
                n.lockExclusive()
            } else if (!tryLock(n, leaf.second)) {
                continue
            }
            val i = n.find(key)
            if (i < 0) {
                unlock(n)
                return null
            }
            val old = n.values[i]
            for (j in i until n.count - 1) {
                n.keys[j] = n.keys[j + 1]
                n.values[j] = n.values[j + 1]
            }
            n.count--
            unlock(n)
            return old
        }
    }

    /** Optimistic descent to the leaf for [key]: the leaf and its version, or null to restart. */
    private fun descend(key: Int): Pair<Leaf, Long>? {
        var n = root
        var v = n.tryOptimisticRead()
        // The pointer is read again after the version: a root split in between changes it.
        if (v == HybridLatch.RESTART || n !== root) return null
        while (n is Inner) {
            val c = n.kids.getOrNull(n.childIndex(key))
            pause?.at("descend:child")
            val cv = c?.tryOptimisticRead() ?: HybridLatch.RESTART
            if (fault == Fault.EXERCISE_2) {
                if (c == null || cv == HybridLatch.RESTART) return null
                n = c
                v = cv
                continue
            }
            // Lock coupling: n unchanged since v proves c was key's child when cv was read.
            if (!n.validate(v) || c == null || cv == HybridLatch.RESTART) return null
            n = c
            v = cv
        }
        return Pair(n as Leaf, v)
    }

    /**
     * Descent for a writer that may insert: splits every full node on the way (and then returns
     * null, to restart), so the leaf returned has room and its parent had room too.
     */
    private fun descendForInsert(key: Int): Pair<Leaf, Long>? {
        var p: Inner? = null
        var pv = 0L
        var n = root
        var v = n.tryOptimisticRead()
        if (v == HybridLatch.RESTART || n !== root) return null
        while (true) {
            if (n.isFull()) {
                // The count read is untrusted; upgrading at v proves it (and everything else) current.
                splitThenRestart(p, pv, n, v)
                return null
            }
            if (n !is Inner) return Pair(n as Leaf, v)
            val c = n.kids.getOrNull(n.childIndex(key))
            val cv = c?.tryOptimisticRead() ?: HybridLatch.RESTART
            if (!n.validate(v) || c == null || cv == HybridLatch.RESTART) return null
            p = n
            pv = v
            n = c
            v = cv
        }
    }

    /** Steps 3 to 5 of the split; any failed latch gives up (the caller restarts either way). */
    private fun splitThenRestart(p: Inner?, pv: Long, n: Node, v: Long) {
        // Top-down order: parent first; both try-forms, so no wait against another writer.
        if (p != null && !tryLock(p, pv)) return
        if (!tryLock(n, v)) {
            if (p != null) unlock(p)
            return
        }
        // The root pointer only changes under the root's latch, which we hold if n is still root.
        if (p == null && n !== root) {
            unlock(n)
            return
        }
        if (!split(p, n)) unlock(n)
        if (p != null) unlock(p)
    }

    /**
     * Splits the latched, full [n] into itself and a new right sibling linked into [p] or a new
     * root. Returns whether it already unlocked [n] (only the [Fault.EXERCISE_3] variant does).
     */
    private fun split(p: Inner?, n: Node): Boolean {
        val mid = CAPACITY / 2
        val s: Node
        val sep: Int
        if (n is Leaf) {
            s = Leaf()
            sep = n.keys[mid]
        } else {
            s = Inner()
            sep = n.keys[mid]
        }
        if (fault == Fault.EARLY_SIBLING_PUBLISH) {
            // The bug: s is reachable before it holds anything. s is new, so unlatched, and a
            // reader that reaches it validates it successfully while it is still empty.
            publish(p, n, s, sep)
        }
        if (n is Leaf) {
            val l = s as Leaf
            for (i in mid until n.count) {
                l.keys[i - mid] = n.keys[i]
                l.values[i - mid] = n.values[i]
            }
            l.count = n.count - mid
        } else {
            val a = s as Inner
            val b = n as Inner
            for (i in mid + 1 until b.count) a.keys[i - mid - 1] = b.keys[i]
            for (i in mid + 1..b.count) a.kids[i - mid - 1] = b.kids[i]
            a.count = b.count - mid - 1
        }
        n.count = mid
        if (fault == Fault.EXERCISE_3) {
            unlock(n)
            pause?.at("split:unlocked")
            publish(p, n, s, sep)
            return true
        }
        pause?.at("split:filled")
        if (fault != Fault.EARLY_SIBLING_PUBLISH) {
            publish(p, n, s, sep)
        }
        return false
    }

    /** Links [s] right of [n] under the separator [sep]: into the latched [p], or as a new root. */
    private fun publish(p: Inner?, n: Node, s: Node, sep: Int) {
        if (p == null) {
            val r = Inner()
            r.keys[0] = sep
            r.kids[0] = n
            r.kids[1] = s
            r.count = 1
            // Volatile store: r and s are complete (in the correct variant) before readers can see r.
            root = r
            return
        }
        var j = p.count
        while (j > 0 && p.keys[j - 1] > sep) {
            p.keys[j] = p.keys[j - 1]
            p.kids[j + 1] = p.kids[j]
            j--
        }
        p.keys[j] = sep
        p.kids[j + 1] = s
        p.count++
    }

    /** Latches [n] exclusively if its version is still [v]. */
    private fun tryLock(n: Node, v: Long): Boolean {
        if (fault != Fault.NO_VERSION_BUMP) return n.tryUpgrade(v)
        // The bug: writers exclude each other, but the version word readers check never changes.
        if (!n.sideLatch.tryLockExclusive()) return false
        if (!n.validate(v)) {
            n.sideLatch.unlockExclusive()
            return false
        }
        return true
    }

    private fun unlock(n: Node) {
        if (fault == Fault.NO_VERSION_BUMP) n.sideLatch.unlockExclusive() else n.unlockExclusive()
    }

    /**
     * Checks the structure in quiescence: keys sorted and inside each node's range, children
     * present, every leaf at the same depth.
     *
     * @throws IllegalStateException describing the first violation found
     */
    fun checkInvariants() {
        var leafDepth = -1
        fun walk(n: Node, lo: Int?, hi: Int?, depth: Int) {
            check(n.count in 0..CAPACITY) { "node count ${n.count} outside 0..$CAPACITY" }
            for (i in 0 until n.count) {
                val k = n.keys[i]
                check(i == 0 || n.keys[i - 1] < k) { "keys not strictly ascending at slot $i: ${n.keys.take(n.count)}" }
                check((lo == null || k >= lo) && (hi == null || k < hi)) { "key $k outside its node's range [$lo, $hi)" }
            }
            if (n is Inner) {
                check(n.count >= 1) { "inner node without separators" }
                for (i in 0..n.count) {
                    val c = checkNotNull(n.kids[i]) { "inner node lacks child $i" }
                    walk(c, if (i == 0) lo else n.keys[i - 1], if (i == n.count) hi else n.keys[i], depth + 1)
                }
            } else if (leafDepth < 0) {
                leafDepth = depth
            } else {
                check(leafDepth == depth) { "leaves at depths $leafDepth and $depth" }
            }
        }
        walk(root, null, null, 0)
    }

    /** Constants. */
    companion object {
        /** Keys per node. */
        const val CAPACITY = 4
    }
}
