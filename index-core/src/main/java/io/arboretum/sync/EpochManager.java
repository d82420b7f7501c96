package io.arboretum.sync;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Epoch-based reclamation: memory that an index reuses is handed back only after every thread
 * that could still be reading it has left its read-side critical section.
 *
 * <p>On the JVM the garbage collector already keeps an on-heap node alive for any reader that
 * still holds a reference to it, so on-heap indexes need none of this. It is needed where an
 * index reuses its own memory (off-heap node arenas, buffer pools, recycled slots) while
 * optimistic readers may still be looking at it.
 *
 * <h2>Protocol</h2>
 * <ol>
 *   <li><b>Pin</b> ({@link #pin()}): a thread announces "I may be reading shared memory" by
 *       copying the global epoch into its own slot. Pins nest (a counter in the thread's
 *       {@link Guard}); only the outermost pin and the matching {@link Guard#close()} touch
 *       shared memory.</li>
 *   <li><b>Retire</b> ({@link #retire(long, long, RangeReclaimer)},
 *       {@link #retire(Object, long, Consumer)}): after unlinking a memory range or object so that
 *       no new reader can reach it, a writer records it with the action that frees it, stamped
 *       with the global epoch read after the unlink.</li>
 *   <li><b>Advance</b> ({@link #tryAdvance()}): the global epoch moves from {@code E} to
 *       {@code E + 1} only when every pinned thread has announced {@code E}.</li>
 *   <li><b>Reclaim</b> ({@link #collect()}): an item stamped {@code S} is freed once the global
 *       epoch is at least {@code S + 2}. Because of rule 3, every thread pinned at that time
 *       pinned at {@code S + 1} or later, hence after the item's unlink was visible, so it cannot
 *       hold a reference to the item.</li>
 * </ol>
 *
 * <h2>Memory ordering</h2>
 * <p>The global epoch and every thread's slot are accessed with volatile (sequentially
 * consistent) operations, and two full fences supply the store-load orderings that volatile
 * accesses alone do not give to the plain data reads around them:
 * <ul>
 *   <li>pin stores its slot (volatile) and then issues {@link VarHandle#fullFence()}, so no read
 *       of the protected structure can be performed before the pin is visible to reclaimers;</li>
 *   <li>retire issues a full fence between the caller's unlink and the read of the stamp, so the
 *       unlink is ordered before the stamp; advance issues a full fence before it reads the
 *       slots, so an advance that observed a slot as unpinned (or at the current epoch) is ordered
 *       after that thread's pin, or that thread's later pin observes the unlink;</li>
 *   <li>unpin is a release store of the slot: every read made while pinned happens before a
 *       reclaimer that observes the thread as unpinned (it reads the slot with acquire
 *       semantics) runs a free action.</li>
 * </ul>
 * This is the scheme of Fraser's epoch-based reclamation ("Practical lock-freedom", 2004) as
 * also used by Rust's crossbeam-epoch, restated for the Java memory model.
 *
 * <h2>Bounded garbage</h2>
 * <p>The bytes retired but not yet freed are counted. When the count exceeds the configured
 * limit, the next outermost {@link #pin()} first forces advancement and reclamation, and if a
 * pinned thread still holds the epoch back, waits for it (back-pressure); the waiting thread is
 * not pinned itself, so it never blocks its own reclamation. If reclamation stays stalled for
 * longer than the stall timeout, {@code pin()} throws {@link IllegalStateException} naming the
 * thread that holds the epoch back, instead of letting memory grow without bound. Garbage is
 * thereby bounded by the limit plus what the threads already pinned retire before they unpin.
 *
 * <h2>Dead threads</h2>
 * <p>A thread's slot refers to its thread weakly. When a pinned slot holds the epoch back, the
 * advancing thread checks whether the owning thread has terminated; a terminated thread can no
 * longer read anything, so its slot is released and unregistered. A thread that is interrupted
 * while pinned is unaffected by the interrupt: pinning never waits, and the back-pressure wait
 * happens before pinning, keeps the interrupt status and ends at the stall timeout at the latest.
 *
 * <h2>Reachability</h2>
 * <p>A manager, and everything its retired items refer to (for an off-heap map: the map and its
 * memory), must become garbage once the program drops it, even while the threads that pinned it
 * live on. The per-thread record ({@link Guard}) lives in a {@link ThreadLocal}: the thread's map
 * refers to the manager's {@code ThreadLocal} only weakly (the entry's key) but to the guard
 * strongly (the entry's value) until a later thread-local operation of that thread expunges the
 * stale entry. A guard that referred to its manager would therefore keep the manager reachable
 * from every thread that ever pinned it, and through the manager's {@code ThreadLocal} field keep
 * the weak key itself alive, so the entry would never even go stale. Hence a guard refers to
 * nothing of its manager: it holds its slot, its nesting depth, a pin counter and a weak reference
 * to its thread; the references run from the manager to the guards (the participant array), never
 * back. Nothing in the protocol needs the reverse edge: unpinning is the release store to the
 * guard's own slot (so {@link Guard#close()} works without the manager, and a guard closed after
 * its manager was dropped only writes its own slot), and the opportunistic collection that must
 * reach the manager runs on every 64th outermost {@link #pin()}, before the slot is announced,
 * where the manager is the receiver. The hot path keeps its shape: one thread-local lookup, one
 * counter, no weak dereference and no allocation. A dropped manager
 * leaves one small stale guard per thread that used it, which the thread's next thread-local
 * insertions and rehashes expunge.
 *
 * <p>Instances are thread-safe. One manager may be shared by several structures.
 */
public final class EpochManager {

    /**
     * The action that frees a retired memory range; called once, by whichever thread reclaims
     * the range, with the arguments given to {@link #retire(long, long, RangeReclaimer)}. It must
     * not throw and must not pin or retire through the same manager from within.
     */
    @FunctionalInterface
    public interface RangeReclaimer {
        /**
         * Frees a memory range that no reader can observe any more.
         *
         * @param address the start of the range, as given to {@code retire}
         * @param length the length of the range in bytes, as given to {@code retire}
         */
        void reclaim(long address, long length);
    }

    /** Default limit on bytes retired but not yet freed: 64 MiB. */
    public static final long DEFAULT_GARBAGE_LIMIT_BYTES = 64L << 20;
    /** Default time reclamation may stay stalled before {@link #pin()} gives up: 30 s. */
    public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(30);

    /** Slot value of a thread that is not pinned. */
    static final long UNPINNED = -1L;
    /** Outermost pins between two opportunistic collections by the same thread (64, as the essay says). */
    private static final int COLLECT_EVERY = 64;

    private final long garbageLimitBytes;
    private final long stallTimeoutNanos;
    private final ThreadLocal<Guard> local = ThreadLocal.withInitial(this::register);
    private final Object registryLock = new Object();
    private final Object garbageLock = new Object();

    /** The global epoch; starts at 2 so that {@code stamp + 2} never underflows any test. */
    private volatile long epoch = 2;
    /** Registered slots; copy-on-write under {@link #registryLock}. */
    private volatile Guard[] participants = new Guard[0];
    /** Bytes retired and not yet freed. */
    private volatile long pendingBytes;
    /** Largest value {@link #pendingBytes} has had. */
    private volatile long peakPendingBytes;
    /** Total items freed so far. */
    private volatile long reclaimedCount;

    // Retired items: a ring buffer of parallel arrays, guarded by garbageLock.
    private long[] stamps = new long[64];
    private long[] addresses = new long[64];
    private long[] lengths = new long[64];
    private Object[] actions = new Object[64];
    private Object[] objects = new Object[64];
    private int head;
    private int count;

    /** A manager with the default garbage limit and stall timeout. */
    public EpochManager() {
        this(DEFAULT_GARBAGE_LIMIT_BYTES, DEFAULT_STALL_TIMEOUT);
    }

    /**
     * A manager with the given garbage bound.
     *
     * @param garbageLimitBytes bytes retired but not yet freed above which pinning applies
     *     back-pressure; positive
     * @param stallTimeout how long back-pressure may wait for a stalled epoch before
     *     {@link #pin()} throws; positive
     * @throws IllegalArgumentException if an argument is not positive
     */
    public EpochManager(long garbageLimitBytes, Duration stallTimeout) {
        Objects.requireNonNull(stallTimeout, "stallTimeout");
        if (garbageLimitBytes <= 0) {
            throw new IllegalArgumentException("garbageLimitBytes must be positive: " + garbageLimitBytes);
        }
        if (stallTimeout.isNegative() || stallTimeout.isZero()) {
            throw new IllegalArgumentException("stallTimeout must be positive: " + stallTimeout);
        }
        this.garbageLimitBytes = garbageLimitBytes;
        this.stallTimeoutNanos = stallTimeout.toNanos();
    }

    // ------------------------------------------------------------------ pinning

    /**
     * Pins the calling thread: until the returned guard is closed, nothing retired after this
     * call's epoch is freed. Reentrant and cheap (a thread-local lookup; the outermost pin adds
     * one volatile store and a full fence). Use with try-with-resources; the guard is the
     * thread's own reusable object, so pinning allocates nothing.
     *
     * @return the calling thread's guard; close it exactly once per call, on the same thread
     * @throws IllegalStateException if garbage is over the limit and reclamation has stayed
     *     stalled (by a pinned thread) for longer than the stall timeout
     */
    public Guard pin() {
        Guard g = local.get();
        if (g.depth == 0) {
            if (pendingBytes > garbageLimitBytes) {
                applyBackPressure();
            } else if (++g.pins >= COLLECT_EVERY) {
                // Here, not at unpin: the guard does not refer to its manager (see "Reachability").
                // Still unpinned, so this thread's own slot holds nothing back.
                g.pins = 0;
                if (count > 0) { // racy read of a heuristic: collect() itself reads under the lock
                    collect();
                }
            }
            long e = epoch;
            g.setEpochVolatile(e);
            // StoreLoad: the slot store must be visible before any read of the protected data.
            VarHandle.fullFence();
        }
        g.depth++;
        return g;
    }

    /**
     * Whether the calling thread is pinned by this manager.
     *
     * @return true between an outermost {@link #pin()} and its close
     */
    public boolean isPinned() {
        return local.get().depth > 0;
    }

    private void applyBackPressure() {
        long deadline = 0;
        for (int round = 0; pendingBytes > garbageLimitBytes; round++) {
            collect();
            if (pendingBytes <= garbageLimitBytes) {
                return;
            }
            long now = System.nanoTime();
            if (deadline == 0) {
                deadline = now + stallTimeoutNanos;
            } else if (now - deadline > 0) {
                throw new IllegalStateException("epoch reclamation stalled: " + pendingBytes
                        + " bytes retired (limit " + garbageLimitBytes + ") cannot be freed while "
                        + describeBlocker());
            }
            if (Thread.currentThread().isInterrupted()) {
                Thread.yield(); // park would return at once; keep the interrupt for the caller
            } else {
                HybridLatch.backOff(round);
            }
        }
    }

    private String describeBlocker() {
        long g = epoch;
        for (Guard p : participants) {
            long e = p.epochVolatile();
            if (e != UNPINNED && e != g) {
                Thread t = p.thread.get();
                return "thread " + (t == null ? "(collected)" : t.getName()) + " stays pinned at epoch "
                        + e + " (global epoch " + g + ")";
            }
        }
        return "threads keep re-pinning at epoch " + g;
    }

    // ------------------------------------------------------------------ retiring

    /**
     * Retires a memory range that the caller has already unlinked: {@code action} is called
     * with {@code address} and {@code length} once no pinned thread can still observe it.
     *
     * @param address the start of the range (any meaning the action understands)
     * @param length the bytes the range holds, counted against the garbage limit; not negative
     * @param action frees the range; not null
     * @throws IllegalArgumentException if {@code length} is negative
     * @throws NullPointerException if {@code action} is null
     */
    public void retire(long address, long length, RangeReclaimer action) {
        Objects.requireNonNull(action, "action");
        enqueue(null, address, length, action);
    }

    /**
     * Retires an object that the caller has already unlinked: {@code action} is called with it
     * once no pinned thread can still observe it.
     *
     * @param object the retired object; not null
     * @param bytes the bytes it stands for, counted against the garbage limit; not negative
     * @param action frees the object; not null
     * @param <T> the object's type
     * @throws IllegalArgumentException if {@code bytes} is negative
     * @throws NullPointerException if {@code object} or {@code action} is null
     */
    public <T> void retire(T object, long bytes, Consumer<? super T> action) {
        Objects.requireNonNull(object, "object");
        Objects.requireNonNull(action, "action");
        enqueue(object, 0, bytes, action);
    }

    private void enqueue(Object object, long address, long length, Object action) {
        if (length < 0) {
            throw new IllegalArgumentException("retired length must not be negative: " + length);
        }
        // Orders the caller's unlink before the stamp read (see "Memory ordering").
        VarHandle.fullFence();
        long stamp = epoch;
        long pending;
        synchronized (garbageLock) {
            if (count == stamps.length) {
                grow();
            }
            int i = (head + count) & (stamps.length - 1);
            stamps[i] = stamp;
            addresses[i] = address;
            lengths[i] = length;
            actions[i] = action;
            objects[i] = object;
            count++;
            pending = pendingBytes + length;
            pendingBytes = pending; // written only under garbageLock; read racily for heuristics
            if (pending > peakPendingBytes) {
                peakPendingBytes = pending;
            }
        }
        if (pending > garbageLimitBytes / 2) {
            collect(); // forced advancement: keeps the common case far below the limit
        }
    }

    private void grow() {
        int n = stamps.length;
        long[] s = new long[2 * n];
        long[] a = new long[2 * n];
        long[] l = new long[2 * n];
        Object[] ac = new Object[2 * n];
        Object[] ob = new Object[2 * n];
        for (int k = 0; k < count; k++) {
            int i = (head + k) & (n - 1);
            s[k] = stamps[i];
            a[k] = addresses[i];
            l[k] = lengths[i];
            ac[k] = actions[i];
            ob[k] = objects[i];
        }
        stamps = s;
        addresses = a;
        lengths = l;
        actions = ac;
        objects = ob;
        head = 0;
    }

    // ------------------------------------------------------------------ advancing and reclaiming

    /**
     * Advances the global epoch by one if every pinned thread has announced the current epoch.
     * Pinned slots of terminated threads are released on the way.
     *
     * @return whether the epoch is now later than when this call began
     */
    public boolean tryAdvance() {
        long g = epoch;
        // Orders prior unlinks and stamps before the slot reads below (see "Memory ordering").
        VarHandle.fullFence();
        boolean sawDead = false;
        for (Guard p : participants) {
            long e = p.epochVolatile();
            if (e != UNPINNED && e != g) {
                if (!p.isThreadAlive()) {
                    // A terminated thread reads nothing any more; its pin is void.
                    p.setEpochVolatile(UNPINNED);
                    sawDead = true;
                    continue;
                }
                return false;
            }
        }
        if (sawDead) {
            pruneDead();
        }
        return casEpoch(g, g + 1) || epoch != g;
    }

    /**
     * Advances the epoch if possible and runs every retired action whose epoch no pinned thread
     * can still observe. Called automatically by retire, pin and back-pressure; callable
     * directly (for example before measuring memory).
     *
     * @return how many retired items this call freed
     */
    public int collect() {
        tryAdvance();
        tryAdvance();
        int freed = 0;
        for (;;) {
            long address;
            long length;
            Object action;
            Object object;
            synchronized (garbageLock) {
                if (count == 0) {
                    break;
                }
                int i = head;
                if (stamps[i] + 2 > epoch) {
                    break; // items behind it may be older, but are freed by a later collect
                }
                address = addresses[i];
                length = lengths[i];
                action = actions[i];
                object = objects[i];
                actions[i] = null;
                objects[i] = null;
                head = (head + 1) & (stamps.length - 1);
                count--;
                pendingBytes = pendingBytes - length;
                reclaimedCount = reclaimedCount + 1;
            }
            runAction(action, object, address, length);
            freed++;
        }
        return freed;
    }

    @SuppressWarnings("unchecked")
    private static void runAction(Object action, Object object, long address, long length) {
        if (object == null) {
            ((RangeReclaimer) action).reclaim(address, length);
        } else {
            ((Consumer<Object>) action).accept(object);
        }
    }

    // ------------------------------------------------------------------ observation

    /**
     * The current global epoch.
     *
     * @return the epoch
     */
    public long epoch() {
        return epoch;
    }

    /**
     * Bytes retired and not yet freed.
     *
     * @return a snapshot of the retired-but-not-freed byte count
     */
    public long pendingBytes() {
        return pendingBytes;
    }

    /**
     * The most bytes that have ever been retired and not yet freed at once.
     *
     * @return the peak of {@link #pendingBytes()}
     */
    public long peakPendingBytes() {
        return peakPendingBytes;
    }

    /**
     * Retired items not yet freed.
     *
     * @return a snapshot of the count
     */
    public int pendingCount() {
        synchronized (garbageLock) {
            return count;
        }
    }

    /**
     * Retired items freed since creation.
     *
     * @return the count
     */
    public long reclaimedCount() {
        return reclaimedCount;
    }

    /**
     * The configured garbage limit.
     *
     * @return bytes retired but not freed above which pinning applies back-pressure
     */
    public long garbageLimitBytes() {
        return garbageLimitBytes;
    }

    /**
     * Threads currently registered (alive or not yet noticed dead).
     *
     * @return the number of registered thread slots
     */
    public int registeredThreads() {
        return participants.length;
    }

    // ------------------------------------------------------------------ registry

    private Guard register() {
        Guard g = new Guard(Thread.currentThread());
        synchronized (registryLock) {
            // Each guard is tested once: a thread may die between two passes over the array, and
            // a count from one pass and a fill from another would leave a null slot (CI saw that
            // as a NullPointerException in the next scan of the participants).
            Guard[] kept = keep(participants, true, 1);
            kept[kept.length - 1] = g;
            participants = kept;
        }
        return g;
    }

    private void pruneDead() {
        synchronized (registryLock) {
            Guard[] old = participants;
            Guard[] kept = keep(old, false, 0);
            if (kept.length != old.length) {
                participants = kept;
            }
        }
    }

    /**
     * The guards of {@code old} still worth scanning, each tested exactly once, in a new array with
     * {@code extra} empty slots at its end. A guard is kept while its thread lives, and also, when
     * {@code keepPinned}, while it is pinned (a pin outlives the check of a thread just exiting).
     */
    private static Guard[] keep(Guard[] old, boolean keepPinned, int extra) {
        Guard[] next = new Guard[old.length + extra];
        int k = 0;
        for (Guard p : old) {
            if (p.isThreadAlive() || (keepPinned && p.epochVolatile() != UNPINNED)) {
                next[k++] = p;
            }
        }
        if (k == old.length) {
            return next;
        }
        return Arrays.copyOf(next, k + extra);
    }

    /**
     * One thread's pin: returned by {@link #pin()}, closed to unpin. Each thread has exactly one
     * guard per manager, reused for every pin, so pinning allocates nothing. Not for sharing
     * between threads. A guard refers to nothing of its manager, so the guards a thread keeps
     * never keep a dropped manager reachable (see "Reachability" in {@link EpochManager}).
     */
    public static final class Guard implements AutoCloseable {
        private final WeakReference<Thread> thread;
        /** The announced epoch, or {@link #UNPINNED}; written by its thread (and for a dead one). */
        private volatile long slot = UNPINNED;
        /** Nesting depth; touched only by the guard's thread. */
        int depth;
        /** Outermost pins since the last opportunistic collection; the guard's thread only. */
        int pins;

        Guard(Thread thread) {
            this.thread = new WeakReference<>(thread);
        }

        /**
         * Unpins once; the thread stays pinned until every nested pin is closed.
         *
         * @throws IllegalStateException if the thread is not pinned
         */
        @Override
        public void close() {
            if (depth <= 0) {
                throw new IllegalStateException("guard closed more often than the thread pinned");
            }
            if (--depth == 0) {
                // Release: every read made while pinned happens-before a reclaimer that sees this.
                setEpochRelease(UNPINNED);
            }
        }

        boolean isThreadAlive() {
            Thread t = thread.get();
            return t != null && t.isAlive();
        }

        long epochVolatile() {
            return (long) SLOT.getVolatile(this);
        }

        void setEpochVolatile(long e) {
            SLOT.setVolatile(this, e);
        }

        void setEpochRelease(long e) {
            SLOT.setRelease(this, e);
        }

        private static final VarHandle SLOT;

        static {
            try {
                SLOT = MethodHandles.lookup().findVarHandle(Guard.class, "slot", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    // ------------------------------------------------------------------ VarHandle mechanics

    private boolean casEpoch(long expected, long next) {
        return EPOCH.compareAndSet(this, expected, next);
    }

    private static final VarHandle EPOCH;

    static {
        try {
            EPOCH = MethodHandles.lookup().findVarHandle(EpochManager.class, "epoch", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
