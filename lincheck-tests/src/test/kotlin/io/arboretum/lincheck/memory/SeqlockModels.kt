package io.arboretum.lincheck.memory

import io.arboretum.sync.HybridLatch
import java.lang.invoke.MethodHandles
import java.lang.invoke.VarHandle

/**
 * A record guarded by a [HybridLatch]: [SLOTS] plain ints a writer sets to the same value under
 * the exclusive latch. A reader that sees two different values has seen a *torn* record.
 */
internal class LatchedRecord : HybridLatch() {
    /** The payload; plain fields, as node arrays are. */
    @JvmField val slots = IntArray(SLOTS)

    /** Writes [value] into every slot under the exclusive latch. */
    fun write(value: Int) {
        lockExclusive()
        for (i in slots.indices) slots[i] = value
        unlockExclusive()
    }

    companion object {
        /** Slots per record: enough that a read spans a write. */
        const val SLOTS = 8
    }
}

/**
 * A model of the latch's optimistic protocol with one bug: the writer's unlock restores the
 * version it found instead of advancing it (negative control (c) at the memory-model level).
 * Version even = free, odd = write in progress.
 */
internal class NoBumpSeqlock {
    @JvmField val slots = IntArray(LatchedRecord.SLOTS)

    @Volatile
    private var version = 0L

    /** Start of an optimistic read: the version, or -1 while a write is in progress. */
    fun begin(): Long {
        val v = version
        return if (v and 1L == 0L) v else -1L
    }

    /** End of an optimistic read, with the same fence as [HybridLatch.validate]. */
    fun validate(v: Long): Boolean {
        VarHandle.acquireFence()
        return version == v
    }

    /** The buggy writer: latches (odd version), writes, then stores the *old* version back. */
    fun write(value: Int) {
        var v: Long
        do {
            v = version
        } while (v and 1L != 0L || !VERSION.compareAndSet(this, v, v + 1))
        for (i in slots.indices) slots[i] = value
        version = v // the bug: should be v + 2
    }

    private companion object {
        val VERSION: VarHandle = MethodHandles.lookup().findVarHandle(NoBumpSeqlock::class.java, "version", Long::class.javaPrimitiveType)
    }
}

/**
 * A parent guarded by a [HybridLatch] whose child pointer a writer replaces with a fresh node
 * (the publication step of a split). [publishEarly] selects the bug of negative control (b): the
 * pointer is stored before the new node is filled, and without latching the parent.
 */
internal class PublishingParent(private val publishEarly: Boolean) : HybridLatch() {
    /** The published child; plain, as node child slots are. */
    @JvmField var child: Node? = null

    /** A node: [count] keys, written before (or, with the bug, after) publication. */
    internal class Node : HybridLatch() {
        @JvmField var count = 0
        @JvmField val keys = IntArray(LatchedRecord.SLOTS)
    }

    /** Publishes a new node holding [LatchedRecord.SLOTS] copies of [value]. */
    fun publish(value: Int) {
        val n = Node()
        if (publishEarly) {
            child = n
            for (i in n.keys.indices) n.keys[i] = value
            n.count = n.keys.size
            return
        }
        lockExclusive()
        for (i in n.keys.indices) n.keys[i] = value
        n.count = n.keys.size
        child = n
        // The release store of the new version orders the fill and the pointer before it.
        unlockExclusive()
    }
}
