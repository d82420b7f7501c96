package io.arboretum.sync;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A latch with three modes over one 64-bit version word: optimistic reads that write nothing to
 * shared memory, shared (read) latching, and exclusive (write) latching.
 *
 * <p>Index nodes <em>extend</em> this class, so a node carries its latch as one {@code long}
 * field and costs no extra object.
 *
 * <h2>Implementation notes</h2>
 *
 * <p>The version word is laid out as
 * <pre>
 *   bit 0        EXCLUSIVE  set while a writer holds the latch
 *   bit 1        OBSOLETE   set by the final exclusive unlock of a node removed from its structure
 *   bits 2..15   SHARED     number of shared holders (at most {@value #MAX_SHARED})
 *   bits 16..63  VERSION    advanced by every exclusive unlock
 * </pre>
 *
 * <p><b>Optimistic read</b> ({@link #optimisticRead()} then {@link #validate(long)}): read the
 * word with acquire semantics and refuse it while EXCLUSIVE or OBSOLETE is set; read the protected
 * data with plain loads; then issue an acquire fence and re-read the word. The data reads cannot be
 * reordered after the fence, so if any of them observed a write made under a later exclusive
 * latch, the re-read observes at least that latch's CAS, and validation fails. Shared holders do
 * not change what optimistic readers see, so the SHARED bits are ignored by validation. This is
 * the protocol of {@link java.util.concurrent.locks.StampedLock#validate} (see also Boehm, "Can
 * seqlocks get along with programming language memory models?", MSPC 2012).
 *
 * <p><b>Exclusive</b>: a CAS sets EXCLUSIVE (the CAS is a volatile read and write, so the writer's
 * later data stores cannot become visible before it); writers then wait for shared holders to
 * drain. Unlock is a release store of the next version with EXCLUSIVE cleared, publishing every
 * data store made under the latch to any reader that acquires the new version.
 *
 * <p><b>Shared</b>: a CAS adds one holder while EXCLUSIVE is clear; unlock subtracts one by CAS.
 *
 * <p><b>Waiting</b>: the blocking acquisitions spin with {@link Thread#onSpinWait()} for a bounded
 * number of rounds, then yield, then park with a growing timeout (capped at about a millisecond),
 * so a waiting thread never burns a core forever under contention. Waiters are not queued: the
 * latch costs one word, and index latches are held for a few hundred nanoseconds.
 *
 * <p><b>Deadlock rule</b> for callers: blocking acquisitions ({@link #lockExclusive()},
 * {@link #lockShared()}) are made only in a fixed global order (top-down, then left to right);
 * any acquisition against that order uses the try forms ({@link #tryUpgrade(long)},
 * {@link #tryLockExclusive()}) and restarts on failure.
 */
public class HybridLatch {
    /** Bit set while a writer holds the latch. */
    static final long EXCLUSIVE = 1L;
    /** Bit set once the latched object has been unlinked from its structure. */
    static final long OBSOLETE = 2L;
    /** One shared holder. */
    static final long SHARED_UNIT = 4L;
    /** All bits of the shared-holder count. */
    static final long SHARED_MASK = 0xFFFCL;
    /** The most shared holders at once. */
    static final int MAX_SHARED = (int) (SHARED_MASK / SHARED_UNIT);
    /** One version step. */
    static final long VERSION_UNIT = 1L << 16;

    /** The value returned by optimistic reads that must restart. */
    public static final long RESTART = -1L;

    private static final int SPINS = 128;
    private static final int YIELDS = 16;
    private static final long MAX_PARK_NANOS = 1_000_000L;

    /** The version word; accessed only through the mode-named accessors below. */
    private volatile long version;

    /** Creates an unlatched latch at version zero. */
    public HybridLatch() {
    }

    // ------------------------------------------------------------------ optimistic mode

    /**
     * Starts an optimistic read without waiting.
     *
     * @return the version to pass to {@link #validate(long)}, or {@link #RESTART} if a writer holds
     *     the latch or the latched object is obsolete
     */
    public final long tryOptimisticRead() {
        long v = versionAcquire();
        return (v & (EXCLUSIVE | OBSOLETE)) == 0 ? v & ~SHARED_MASK : RESTART;
    }

    /**
     * Starts an optimistic read, waiting (spin, then park) while a writer holds the latch.
     *
     * @return the version to pass to {@link #validate(long)}, or {@link #RESTART} if the latched
     *     object is obsolete
     */
    public final long optimisticRead() {
        long v = versionAcquire();
        if ((v & (EXCLUSIVE | OBSOLETE)) == 0) {
            return v & ~SHARED_MASK;
        }
        for (int round = 0; ; round++) {
            if ((v & OBSOLETE) != 0) {
                return RESTART;
            }
            backOff(round);
            v = versionAcquire();
            if ((v & (EXCLUSIVE | OBSOLETE)) == 0) {
                return v & ~SHARED_MASK;
            }
        }
    }

    /**
     * Ends an optimistic read: true if no writer latched since {@code v} was read, so every value
     * read in between is consistent. Safe to call more than once for one read.
     *
     * @param v a version from an optimistic read
     * @return whether the reads made since {@code v} are valid
     */
    public final boolean validate(long v) {
        // Orders the caller's plain data reads before the re-read of the version (StampedLock.validate).
        VarHandle.acquireFence();
        return (versionOpaque() & ~SHARED_MASK) == v;
    }

    /**
     * The version of the data a shared latch protects, read while holding that shared latch, to
     * {@link #validate(long) validate} after releasing it: validation then succeeds only if no
     * writer has latched exclusively since. A writer that is already waiting for the shared holders
     * to leave (its exclusive bit set, nothing written yet) makes the later validation fail, as it
     * will change the data as soon as the latch is free.
     *
     * @return the version, with the shared-holder count and the exclusive bit cleared
     */
    public final long sharedVersion() {
        return versionAcquire() & ~(SHARED_MASK | EXCLUSIVE);
    }

    /**
     * Whether the latched object has been marked obsolete. Meaningful only after validation or
     * under a latch.
     *
     * @return whether the obsolete bit is set
     */
    public final boolean isObsolete() {
        return (versionAcquire() & OBSOLETE) != 0;
    }

    // ------------------------------------------------------------------ exclusive mode

    /**
     * Upgrades a validated optimistic read to the exclusive latch, without waiting: succeeds only
     * if the version is still {@code v} and no shared holder is present.
     *
     * @param v a version from an optimistic read
     * @return whether the exclusive latch is now held
     */
    public final boolean tryUpgrade(long v) {
        // v has EXCLUSIVE, OBSOLETE and SHARED clear, so this CAS fails if any of them is now set.
        return casVersion(v, v | EXCLUSIVE);
    }

    /**
     * Takes the exclusive latch if it is free right now.
     *
     * @return whether the exclusive latch is now held; false also when the object is obsolete
     */
    public final boolean tryLockExclusive() {
        long v = versionAcquire();
        return (v & (EXCLUSIVE | OBSOLETE | SHARED_MASK)) == 0 && casVersion(v, v | EXCLUSIVE);
    }

    /**
     * Takes the exclusive latch, waiting for other writers and for shared holders to leave.
     *
     * @return true when the latch is held; false, without the latch, if the object is obsolete
     */
    public final boolean lockExclusive() {
        for (int round = 0; ; round++) {
            long v = versionAcquire();
            if ((v & OBSOLETE) != 0) {
                return false;
            }
            if ((v & EXCLUSIVE) == 0 && casVersion(v, v | EXCLUSIVE)) {
                awaitNoSharedHolders();
                return true;
            }
            backOff(round);
        }
    }

    private void awaitNoSharedHolders() {
        for (int round = 0; (versionAcquire() & SHARED_MASK) != 0; round++) {
            backOff(round);
        }
    }

    /** Releases the exclusive latch and advances the version, so optimistic readers restart. */
    public final void unlockExclusive() {
        // Only the holder writes the word while EXCLUSIVE is set (shared lockers CAS only when it is
        // clear), so a plain read-modify-write is enough; the release store publishes the data.
        long v = versionPlain();
        setVersionRelease((v & ~EXCLUSIVE) + VERSION_UNIT);
    }

    /**
     * Releases the exclusive latch <em>without</em> advancing the version, for a holder that wrote
     * nothing under it (it latched, looked, and found nothing to do). Optimistic reads and
     * {@link #tryUpgrade(long) upgrades} that read the version before the latch was taken stay
     * valid, which is right because the protected data did not change; an advancing unlock would
     * make them fail for nothing (a caller that goes on to upgrade a node it read before would then
     * conflict with itself).
     */
    public final void unlockExclusiveUnchanged() {
        // As in unlockExclusive: only the holder writes the word while EXCLUSIVE is set. Readers
        // that started while it was set saw EXCLUSIVE and restart; readers that started before
        // read the same version and nothing written since.
        long v = versionPlain();
        setVersionRelease(v & ~EXCLUSIVE);
    }

    /**
     * Releases the exclusive latch and marks the object obsolete: every optimistic reader still
     * holding it fails validation, and every later latch attempt fails.
     */
    public final void unlockExclusiveObsolete() {
        long v = versionPlain();
        setVersionRelease(((v & ~EXCLUSIVE) | OBSOLETE) + VERSION_UNIT);
    }

    /**
     * Whether the calling code may assume it holds the exclusive latch (for assertions).
     *
     * @return whether the exclusive bit is set
     */
    public final boolean isExclusivelyLatched() {
        return (versionOpaque() & EXCLUSIVE) != 0;
    }

    // ------------------------------------------------------------------ shared mode

    /**
     * Takes a shared latch, waiting while a writer holds the latch.
     *
     * @return true when the latch is held; false, without the latch, if the object is obsolete
     */
    public final boolean lockShared() {
        for (int round = 0; ; round++) {
            long v = versionAcquire();
            if ((v & OBSOLETE) != 0) {
                return false;
            }
            if ((v & EXCLUSIVE) == 0 && (v & SHARED_MASK) != SHARED_MASK
                    && casVersion(v, v + SHARED_UNIT)) {
                return true;
            }
            backOff(round);
        }
    }

    /**
     * Upgrades an optimistic read to a shared latch if the version is still {@code v}.
     *
     * @param v a version from an optimistic read
     * @return whether the shared latch is now held
     */
    public final boolean tryLockShared(long v) {
        for (;;) {
            long cur = versionAcquire();
            if ((cur & ~SHARED_MASK) != v || (cur & SHARED_MASK) == SHARED_MASK) {
                return false;
            }
            if (casVersion(cur, cur + SHARED_UNIT)) {
                return true;
            }
        }
    }

    /** Releases one shared latch. */
    public final void unlockShared() {
        for (;;) {
            long v = versionPlain();
            if (casVersion(v, v - SHARED_UNIT)) {
                return;
            }
            Thread.onSpinWait();
        }
    }

    // ------------------------------------------------------------------ waiting

    /**
     * One step of the bounded back-off: spin, then yield, then park with a growing timeout.
     *
     * @param round how many times the caller has already waited
     */
    public static void backOff(int round) {
        if (round < SPINS) {
            Thread.onSpinWait();
        } else if (round < SPINS + YIELDS) {
            Thread.yield();
        } else {
            int shift = Math.min(round - SPINS - YIELDS, 10);
            LockSupport.parkNanos(Math.min(MAX_PARK_NANOS, 1_000L << shift));
        }
    }

    // ------------------------------------------------------------------ VarHandle mechanics

    private long versionAcquire() {
        return (long) VERSION.getAcquire(this);
    }

    private long versionOpaque() {
        return (long) VERSION.getOpaque(this);
    }

    private long versionPlain() {
        return (long) VERSION.get(this);
    }

    private void setVersionRelease(long v) {
        VERSION.setRelease(this, v);
    }

    private boolean casVersion(long expected, long next) {
        return VERSION.compareAndSet(this, expected, next);
    }

    private static final VarHandle VERSION;

    static {
        try {
            VERSION = MethodHandles.lookup().findVarHandle(HybridLatch.class, "version", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
