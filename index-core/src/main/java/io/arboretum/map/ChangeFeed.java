package io.arboretum.map;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Objects;

/**
 * The publishing side of an index's change feed: its listeners and its sequence numbers.
 *
 * <p><b>Structure.</b> An index that publishes its changes holds one {@code volatile} field of
 * this type, {@code null} until the first {@link ChangeObservable#subscribe subscription}
 * installs a feed (and then never reset). The feed holds a copy-on-write array of listeners
 * ({@code null} when there are none) and the last sequence number handed out.
 *
 * <p><b>What an index adds (the whole hook).</b> These lines, and a call of the helper at each
 * write site, after the change is made and before the latch that made it is released:
 * <pre>{@code
 *   private transient volatile ChangeFeed<K, V> feed;            // null until subscribed
 *
 *   public ChangeFeed.Subscription subscribe(ChangeListener<? super K, ? super V> l) {
 *       return ChangeFeed.subscribe(FEED, this, l);               // implements ChangeObservable
 *   }
 *
 *   private void publishChange(K key, V oldValue, V newValue) {
 *       ChangeFeed<K, V> f = feed;                                // the one read of the write path
 *       if (f != null) {
 *           f.publish(key, oldValue, newValue);
 *       }
 *   }
 *
 *   FEED = MethodHandles.lookup().findVarHandle(TheIndex.class, "feed", ChangeFeed.class);
 * }</pre>
 * {@code ConcurrentBTreeMap}, {@code OffHeapLongBTreeMap}, {@code MasstreeMap} and
 * {@code PackedMemoryArrayMap} are written exactly so ({@code MasstreeMap}'s helper also takes the
 * key's bytes, to publish a {@code byte[]} key as a copy). {@code BwTreeMap}, which commits a
 * change by one CAS and has no latch to publish under, reads {@code feed} after that CAS and
 * orders its publications by a flag on each change delta instead (see its class notes). Write sites:
 * every place a mapping is inserted, replaced or removed (a removal per entry in {@code clear});
 * not splits, merges, redistributions or resizes, which move mappings without changing any.
 *
 * <p><b>Protocol.</b>
 * <ol>
 *   <li>A writer latches the leaf (a CAS on its version word), changes it, and reads the index's
 *       {@code feed} field with a volatile read. If it is null, or has no listeners, that read is
 *       all the change feed costs the write.</li>
 *   <li>Otherwise {@link #publish} takes the next sequence number (an atomic add) and calls each
 *       listener, still under the leaf latch; then the writer releases the latch. Two changes to
 *       one key hold the same leaf latch in turn (a key's leaf changes only under the latches of
 *       a split or merge, which also cover it), so their publications, and their sequence
 *       numbers, come in commit order.</li>
 *   <li>A subscriber installs the feed if absent (CAS on the index's field), adds its listener
 *       (CAS of a longer copy of the array), and issues a full fence before it returns.</li>
 *   <li>A subscription's {@link Subscription#close} removes the listener (CAS of a shorter copy).
 *       A writer that read the old array may still call the listener once more; a listener must
 *       tolerate calls after close (the Kotlin flows ignore them).</li>
 * </ol>
 *
 * <p><b>Memory model: why a change is never lost at subscription.</b> Step 1 and step 3 form a
 * store-load pair in each thread (Dekker's pattern): the writer stores the latch word (CAS) and
 * then loads the listener field; the subscriber stores the listener field (CAS, then a full
 * fence) and then loads latch words as it scans. Both loads and stores are volatile (or stronger),
 * so they are totally ordered: if the writer's load missed the new listener, its latch store came
 * before the subscriber's store, so every scan the subscriber starts afterwards sees the latch
 * taken or released, and (optimistic reads validate) reads the change. Either the listener
 * receives the change or the scan reflects it, possibly both; never neither. This needs scans to
 * treat a latch taken by a writer as a change, as optimistic reads of a {@code HybridLatch} do.
 * An index whose readers ignore a lock taken without a change ({@code MasstreeMap}, whose change
 * becomes visible at a later, unfenced dirty mark) makes the scans it opens while the feed has
 * listeners strict instead: they treat a locked node as changed (see its class notes). The
 * volatile read of step 1 costs what a plain load does on x86 (a {@code mov}) and what an acquire
 * load does on ARMv8 ({@code ldar}); a plain read would not do on ARM, where it may move before
 * the latch CAS.
 *
 * <p><b>Writers never wait.</b> Nothing here blocks: the listener array is copied on write, the
 * sequence is an atomic add, and listeners must not block (see {@link ChangeListener}). A listener
 * that throws is dropped (its {@link ChangeListener#onDetached} is called) so that no exception
 * escapes into the writer, whose change is already made and whose latch must be released.
 *
 * <p><b>Notation.</b> {@code ls} a listener array, {@code l} a listener, {@code f} a feed,
 * {@code s} a sequence number.
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 */
public final class ChangeFeed<K, V> {
    /** The listeners, or null when there are none; replaced, never changed in place. */
    @SuppressWarnings("unused") // accessed through LISTENERS
    private volatile ChangeListener<? super K, ? super V>[] listeners;

    /** The last sequence number handed out; 0 before the first change. */
    @SuppressWarnings("unused") // accessed through SEQUENCE
    private volatile long sequence;

    private ChangeFeed() {
    }

    /**
     * A subscription to an index's changes. Closing it unregisters the listener; closing it again
     * does nothing.
     */
    @FunctionalInterface
    public interface Subscription extends AutoCloseable {
        /** Unregisters the listener. */
        @Override
        void close();
    }

    /**
     * Subscribes {@code listener} to the feed of the index {@code owner}, whose field
     * {@code feedField} (a {@code volatile ChangeFeed}) is installed first if still null.
     *
     * @param feedField the VarHandle of the index's feed field
     * @param owner the index
     * @param listener the listener
     * @param <K> the type of keys
     * @param <V> the type of values
     * @return the subscription
     * @throws NullPointerException if {@code listener} is null
     */
    @SuppressWarnings("unchecked")
    public static <K, V> Subscription subscribe(VarHandle feedField, Object owner,
                                                ChangeListener<? super K, ? super V> listener) {
        Objects.requireNonNull(listener, "null listener");
        ChangeFeed<K, V> f = (ChangeFeed<K, V>) feedField.getVolatile(owner);
        if (f == null) {
            ChangeFeed<K, V> fresh = new ChangeFeed<>();
            // A CAS so that two first subscribers agree on one feed; the loser takes the winner's.
            // The volatile write publishes the fresh feed, fields and all, to writers that read it.
            f = feedField.compareAndSet(owner, null, fresh) ? fresh
                    : (ChangeFeed<K, V>) feedField.getVolatile(owner);
        }
        return f.add(listener);
    }

    /**
     * Whether any listener is registered; a volatile read.
     *
     * @return true if {@link #publish} would call a listener
     */
    public boolean hasListeners() {
        return listenersVolatile() != null;
    }

    /**
     * The last sequence number handed out (0 if none): every change published so far has a number
     * at most this.
     *
     * @return the last sequence number
     */
    public long lastSequence() {
        return (long) SEQUENCE.getVolatile(this);
    }

    /**
     * Publishes one committed change to every listener. Called by an index while it holds the
     * latch that made the change; returns at once when there is no listener.
     *
     * @param key the key changed
     * @param oldValue its value before, or null if it was absent
     * @param newValue its value after, or null if it was removed
     */
    public void publish(K key, V oldValue, V newValue) {
        ChangeListener<? super K, ? super V>[] ls = listenersVolatile();
        if (ls == null) {
            return;
        }
        // Under the leaf latch (see the class comment), so per key the numbers follow commit
        // order; the add is atomic because writers of different leaves publish concurrently.
        long s = (long) SEQUENCE.getAndAdd(this, 1L) + 1;
        for (ChangeListener<? super K, ? super V> l : ls) {
            try {
                l.onChange(s, key, oldValue, newValue);
            } catch (Throwable t) {
                // The write is committed and its latch must still be released: drop the
                // listener rather than let its failure escape into the writer.
                remove(l);
                try {
                    l.onDetached(t);
                } catch (Throwable ignored) {
                    // nothing more can be done for a listener that fails twice
                }
            }
        }
    }

    /** Adds {@code l} by a CAS of a longer copy; a full fence orders it before later scans. */
    @SuppressWarnings("unchecked")
    private Subscription add(ChangeListener<? super K, ? super V> l) {
        for (;;) {
            ChangeListener<? super K, ? super V>[] ls = listenersVolatile();
            ChangeListener<? super K, ? super V>[] next;
            if (ls == null) {
                next = new ChangeListener[] {l};
            } else {
                next = Arrays.copyOf(ls, ls.length + 1);
                next[ls.length] = l;
            }
            if (casListeners(ls, next)) {
                break;
            }
        }
        // The store-load pair of the class comment: the CAS above is volatile, and this fence
        // keeps every load of the caller's later scan after it, also on hardware where a CAS
        // alone would let a later load pass it.
        VarHandle.fullFence();
        return () -> remove(l);
    }

    /** Removes {@code l} (by identity) if present, by a CAS of a shorter copy. */
    @SuppressWarnings("unchecked")
    private void remove(ChangeListener<? super K, ? super V> l) {
        for (;;) {
            ChangeListener<? super K, ? super V>[] ls = listenersVolatile();
            if (ls == null) {
                return;
            }
            int i = 0;
            while (i < ls.length && ls[i] != l) {
                i++;
            }
            if (i == ls.length) {
                return; // already removed
            }
            ChangeListener<? super K, ? super V>[] next = null;
            if (ls.length > 1) {
                next = new ChangeListener[ls.length - 1];
                System.arraycopy(ls, 0, next, 0, i);
                System.arraycopy(ls, i + 1, next, i, ls.length - i - 1);
            }
            if (casListeners(ls, next)) {
                return;
            }
        }
    }

    // VarHandle mechanics

    @SuppressWarnings("unchecked")
    private ChangeListener<? super K, ? super V>[] listenersVolatile() {
        return (ChangeListener<? super K, ? super V>[]) LISTENERS.getVolatile(this);
    }

    private boolean casListeners(ChangeListener<? super K, ? super V>[] expected,
                                 ChangeListener<? super K, ? super V>[] next) {
        return LISTENERS.compareAndSet(this, expected, next);
    }

    private static final VarHandle LISTENERS;
    private static final VarHandle SEQUENCE;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            LISTENERS = lookup.findVarHandle(ChangeFeed.class, "listeners", ChangeListener[].class);
            SEQUENCE = lookup.findVarHandle(ChangeFeed.class, "sequence", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
