package io.arboretum.btree;

import io.arboretum.map.AbstractIndexMap;
import io.arboretum.map.BatchCursor;
import io.arboretum.map.ChangeFeed;
import io.arboretum.map.ChangeListener;
import io.arboretum.map.ChangeObservable;
import io.arboretum.map.CodedEntry;
import io.arboretum.sync.HybridLatch;
import io.arboretum.sync.TestHooks;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongFunction;

/**
 * A concurrent, ordered map on a B+tree with optimistic lock coupling: a drop-in replacement for
 * {@link java.util.concurrent.ConcurrentSkipListMap} that searches faster and keeps entries in
 * far less memory.
 *
 * <p>Keys are kept sorted by their natural ordering or by the comparator given at construction.
 * Null keys and values are not permitted. Single-key operations ({@code get}, {@code put},
 * {@code remove}, {@code putIfAbsent}, {@code replace}) and navigation ({@code ceilingEntry},
 * {@code firstKey}, {@code pollFirstEntry} and their relatives, on this map and on its sub-map
 * views) are linearizable. The compute family ({@code compute}, {@code computeIfAbsent},
 * {@code computeIfPresent}, {@code merge}) runs the user's function outside every latch and commits
 * with a conditional write. {@code computeIfAbsent} runs its function at most once per call (a
 * lost race returns the other thread's value); {@code compute}, {@code computeIfPresent} and
 * {@code merge} retry when their conditional write loses a race, so under contention <em>their
 * function may run more than once</em>, as with {@code ConcurrentSkipListMap}. Iterators and
 * views are weakly consistent: they never throw
 * {@link java.util.ConcurrentModificationException}, return each key at most once and in order,
 * reflect every change made before they were created and may reflect later ones; the entries
 * they return are immutable snapshots. {@link #size()} is O(1) but, like every aggregate here, only
 * exact when no write is in flight.
 *
 * <p>Tuning: {@code ConcurrentBTreeMap.builder().nodeCapacity(128).build()}; a
 * {@link Builder#mergeThreshold(int) merge threshold} sets how empty a node may get before it is
 * merged with a sibling.
 *
 * <h2>Implementation notes</h2>
 *
 * <p><b>Structure.</b> A B+tree of {@code Inner} and {@code Leaf} nodes, each of which
 * <em>is</em> a {@link HybridLatch} (it extends it, so the latch costs one {@code long} field). A
 * node holds up to {@code cap} keys in sorted arrays: {@code pfx}, the keys' 64-bit order-preserving
 * prefixes (see {@link KeyCodec}), and {@code keys}, the key objects (absent when the prefix is the
 * whole key, as for {@code Long} and {@code Integer}). A leaf holds the values in {@code vals}; an
 * inner node with {@code n} separators has {@code n + 1} children in {@code kids}, child {@code i}
 * holding the keys {@code k} with {@code sep[i-1] <= k < sep[i]}. Every node carries immutable-in-
 * practice <em>fence keys</em> {@code low} (never changes for the life of a node) and {@code high}
 * (changes only under the node's exclusive latch, by a split or a merge); {@code null} stands for
 * minus and plus infinity. Every leaf has a {@code next} link to its right neighbour (the leaf whose
 * {@code low} is its {@code high}), written only under that leaf's exclusive latch and trusted only
 * after the leaf validates. Ascending batch scans and iterators ({@code LeafCursor}) follow it;
 * everything else that crosses a leaf boundary (navigation, polls, descending scans) descends again
 * from the root with the fence key.
 *
 * <p><b>Latch protocol.</b> Readers descend by optimistic lock coupling: read a node's version,
 * read the child slot, read the child's version, then validate the parent. A validated parent
 * proves the child was the right one at the moment its version was read, so an optimistic reader
 * latches no node and writes no shared memory. Every value read before validation is
 * untrusted: the code bounds-checks, tolerates nulls and catches the exceptions a torn read can
 * cause; an exception (including one from a user comparator) is rethrown only if the node still
 * validates, which proves the read that caused it was consistent.
 *
 * <p><b>Bounded retries.</b> Every reader path ({@code get}, navigation and first/last, batch
 * copies, the ascending leaf cursor, and the polls) makes at most {@value #OPTIMISTIC_ATTEMPTS}
 * optimistic attempts and then falls back to blocking latches taken in the global order, so a
 * writer that never pauses cannot starve it. The fallback <em>does</em> write shared memory: a
 * shared latch is a CAS on the holder count in the version word. It descends with shared latches
 * coupled top-down (a child cannot become obsolete while its parent is share-latched) and latches
 * leaves (shared; exclusive for polls) left to right along the next links, holding every leaf it
 * passes until it answers, so the answer holds at one instant. Leftward searches (floor, lower,
 * last, pollLast, descending copies) cannot latch right to left without risking a deadlock with a
 * left-to-right writer, so each round latches, left to right, every leaf from a start leaf to the
 * one holding the key, starting one leaf further left each round until it finds a key.
 *
 * <p>Writers descend the same way and then upgrade only the leaf to exclusive (a CAS from the
 * version they read: success proves nothing changed since). Every acquisition that would wait is
 * made top-down or left to right; acquisitions against that order (a parent after its child, a
 * left sibling) use the try forms and restart on failure, so the tree cannot deadlock.
 *
 * <p><b>Split</b> (leaf {@code n} full, parent {@code p} or none):
 * <ol>
 *   <li>On the way down, a writer that may insert splits every full inner node it meets (steps 2
 *       to 5 one level up), so {@code p} always has room.</li>
 *   <li>From the optimistic read of {@code n}, choose the split point and the separator
 *       {@code sep} and allocate the right sibling {@code s} (with {@code s.low = sep}) and, for a
 *       root split, the new root. Then upgrade {@code p} from the version read on the way down,
 *       then {@code n} (both try-forms, top-down); any failure releases both and restarts, and
 *       success proves the read the allocation was based on.</li>
 *   <li>Copy the upper half of {@code n} into {@code s} (on the rightmost leaf, an append moves
 *       nothing, so ascending loads fill nodes completely); set {@code s.high = n.high},
 *       {@code s.next = n.next}, then {@code n.next = s} and {@code n.high = sep}.</li>
 *   <li>Insert {@code sep} and {@code s} into {@code p}, or, if {@code n} was the root, publish a
 *       new root holding {@code n} and {@code s} with a release store.</li>
 *   <li>Unlock {@code n} and {@code p} (each unlock advances the version). {@code s} becomes
 *       reachable only through {@code p} and {@code n.next}, and a reader trusts what it read of
 *       {@code s} only after validating {@code p} or {@code n}, which happens after that node's
 *       release-unlock: so {@code s} is never seen half-filled.</li>
 * </ol>
 *
 * <p><b>Merge</b> (a node {@code n} is <em>underfull</em>, holding fewer keys than the merge
 * threshold, by default a quarter of the capacity and at least 1; or a leaf left at most half full
 * by a removal whose sibling, read as a hint, would fit with it into three quarters of a node):
 * <ol>
 *   <li>After releasing {@code n}, descend again recording the path, and upgrade the parent
 *       {@code p}, then {@code n}, then its sibling {@code s} (the right one, or the left one for a
 *       last child), all with the try forms. A conflict releases all three, backs off and
 *       descends again; after 16 conflicts ({@code MAX_MERGE_CONFLICTS}) the rebalance stops and
 *       leaves its key in {@code pendingRebalance}, which the next removal that does not
 *       rebalance itself takes up, so an underfull or empty node is revisited rather than
 *       forgotten. Until then the tree is correct with an underfull node. Underfull nodes go
 *       first, deepest first; a node whose parent has no other child passes its turn to the
 *       parent. Latches taken here that find nothing to do are released with
 *       {@code unlockExclusiveUnchanged}, which leaves the versions as they were, so the next level
 *       of the same round can still upgrade with the versions read on the way down.</li>
 *   <li>If both fit into one node (an at-most-half-full pair that is not underfull: into three
 *       quarters of one), move the right node's entries (and, for inner nodes, the separator
 *       from {@code p}) into the left node, set its {@code high} (and, for leaves, its
 *       {@code next}) to the right node's, and remove the separator and the right child from
 *       {@code p}. An underfull node whose pair does not fit shares the entries evenly instead
 *       (a fresh right node replaces the old one, whose low fence would change).</li>
 *   <li>Unlock the right node as <em>obsolete</em>: every optimistic reader still holding it
 *       fails validation and restarts from the root, and every later latch attempt on it fails.</li>
 *   <li>If {@code p} is the root and has one child left, that child becomes the root and
 *       {@code p} is made obsolete; if {@code p} is underfull, repeat one level up.</li>
 * </ol>
 *
 * <p><b>Root.</b> The root pointer changes only while the current root is exclusively latched
 * (a root split or a root collapse), and is published with a release store before that unlock. A
 * reader reads the root, then its version, then the root pointer again: a mismatch means it raced
 * with a change and restarts.
 *
 * <p><b>Navigation across leaves</b> ({@code ceilingEntry} when the leaf has no larger key, and the
 * like) descends to the neighbour by the fence key, validates it, and then validates the first leaf
 * again. Both versions held across the same instant, so the answer is linearizable. Polls latch the
 * leaves exclusively, left to right (right to left with try-locks), for the same reason.
 *
 * <p><b>Errors.</b> Splits and the codec choice allocate their nodes and arrays before latching;
 * a redistribution allocates under its latches but before its first write. Every region that
 * holds a latch across more than plain array writes (splits, merges, redistributions, the codec
 * choice, polls and the latched fallbacks) releases it in {@code finally}. So an
 * {@link OutOfMemoryError} or any other throwable leaves no node latched, and one thrown before a
 * region's first write leaves the tree unchanged.
 *
 * <p><b>Test hooks.</b> Seeded faults (realistic mistakes such as a skipped validation, for the
 * linearizability checks to catch), structure-event counters and an error-injection site are
 * compiled into the code paths behind {@link TestHooks#ENABLED}, a {@code static final} that is
 * false unless the JVM runs with {@code -Darboretum.testHooks=true}; the JIT folds every hook
 * away in production.
 *
 * <p><b>Change feed.</b> Each write that changes a mapping (an insert, a replacement, a removal,
 * a poll, a leaf emptied by {@code clear}) calls {@code publishChange} after the change and before
 * the leaf's exclusive unlock, so subscribers ({@link #subscribe}) receive a key's changes in
 * commit order. Until someone subscribes this is one volatile read of {@code feed}; the protocol
 * and why that read is enough are in {@link ChangeFeed}. Splits and merges publish nothing.
 *
 * <p><b>Memory model.</b> Node fields are plain. Optimistic readers are ordered by the latch's
 * acquire read of the version and its acquire fence before validation; writers by the CAS that
 * latches and the release store that unlocks (see {@link HybridLatch}). The size counter is a
 * {@link LongAdder}, so {@code size()} is a sum that is exact only in quiescence.
 *
 * <p><b>Notation</b> for locals: {@code n} node, {@code p} parent, {@code s} sibling, {@code v}
 * a version ({@code pv} the parent's), {@code k} key, {@code kp} its prefix, {@code i} a slot.
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 */
public class ConcurrentBTreeMap<K, V> extends AbstractIndexMap<K, V>
        implements ChangeObservable<K, V>, Serializable {
    private static final long serialVersionUID = 1L;

    /** The node capacity used when none is given. */
    public static final int DEFAULT_NODE_CAPACITY = 64;
    /** The smallest node capacity accepted. */
    public static final int MIN_NODE_CAPACITY = 4;
    /** The largest node capacity accepted. */
    public static final int MAX_NODE_CAPACITY = 4096;

    /** Optimistic restarts before a reader falls back to shared latches. */
    static final int OPTIMISTIC_ATTEMPTS = 16;

    /**
     * This map's optimistic attempts before a reader falls back to latches:
     * {@link #OPTIMISTIC_ATTEMPTS}, or 0 in tests that drive every reader path through its
     * pessimistic fallback ({@link Builder#optimisticAttempts}, package-private).
     */
    final transient int optimisticAttempts;

    // ------------------------------------------------------------------ seeded faults (tests only)
    // Each is a realistic mistake compiled into the real code path behind
    // "TestHooks.ENABLED && TestHooks.faultActive(NAME)"; ENABLED is a static final false in
    // production, so the JIT removes every hook (see TestHooks).

    /** Fault: {@code get} returns what it read in the leaf without validating the leaf's version. */
    static final String GET_SKIP_LEAF_VALIDATION = TestHooks.declareFault("btree.get.skipLeafValidation",
            "get returns the value it read optimistically in the leaf without validating the leaf's version,"
                    + " so a read torn by a concurrent insert, remove or split is returned");
    /** Fault: descents trust a child pointer without validating the parent afterwards. */
    static final String DESCEND_SKIP_PARENT_VALIDATION = TestHooks.declareFault(
            "btree.descend.skipParentValidation",
            "the optimistic descent (get, remove, navigation, scans, polls) reads a child pointer and the"
                    + " child's version but does not validate the parent afterwards, so after a concurrent"
                    + " split it searches the left half for a key that moved to the new right sibling");
    /** Fault: navigation crosses to the neighbouring leaf without validating the leaf it leaves. */
    static final String NAVIGATE_CROSS_LEAF_UNVALIDATED = TestHooks.declareFault(
            "btree.navigate.crossLeafUnvalidated",
            "ceiling/floor/higher/lower/first/last, finding nothing on their side in a leaf, move to the"
                    + " neighbouring leaf without validating the leaf they leave (neither before reading its"
                    + " fence nor together with the neighbour), so a key inserted there meanwhile is skipped");
    /** Fault: a poll reads its entry in one latch period and removes it in another. */
    static final String POLL_NEIGHBOUR_UNLATCHED = TestHooks.declareFault("btree.poll.neighbourUnlatched",
            "pollFirst/pollLast read the first/last entry of a leaf, release the leaf's exclusive latch and"
                    + " retake it before removing that slot without checking it again, so two polls can"
                    + " return the same entry while another entry is removed silently");
    /** Fault: a leaf split publishes the new sibling before filling it. */
    static final String SPLIT_PUBLISH_BEFORE_FILL = TestHooks.declareFault("btree.split.publishBeforeFill",
            "a leaf split links the new right sibling into the parent (or a new root) and releases the"
                    + " parent before moving the upper half of the entries into it, so readers find an"
                    + " empty sibling where keys are present");
    /** Fault: a leaf split releases the leaf before the parent separator and next link exist. */
    static final String SPLIT_UNLOCK_BEFORE_LINK = TestHooks.declareFault("btree.split.unlockBeforeLink",
            "a leaf split moves the upper half to the new sibling and releases the leaf's latch before the"
                    + " next link and the parent separator (or new root) are written, so a reader entering the"
                    + " leaf in between misses the moved keys and a writer may insert outside the leaf's range");
    /** Fault: a merge unlinks the right node without latching it and marking it obsolete. */
    static final String MERGE_SKIP_OBSOLETE_MARK = TestHooks.declareFault("btree.merge.skipObsoleteMark",
            "a merge or redistribution copies the right sibling's entries and unlinks it from the parent"
                    + " without taking its latch and marking it obsolete, so a reader or writer that reached"
                    + " it before goes on: an insert into the unlinked leaf is lost, a get reads stale entries");

    /** The comparator, or null for natural ordering. */
    private final Comparator<? super K> comparator;
    /** Keys per node. */
    private final int cap;
    /** Nodes with fewer keys than this (the merge threshold) are merged with a sibling when possible. */
    private final transient int minKeys;
    /**
     * Two siblings, one of them at most half full, are coalesced into one node when they hold at
     * most this many keys together (three quarters of the capacity), even when neither is
     * underfull: so a tree thinned by random removals keeps its nodes at least about half full on
     * average, and a coalesced node has room for a quarter of a node of inserts before it splits.
     */
    private final transient int coalesceLimit;
    /**
     * A key whose rebalance gave up under contention, or null: the next removal that does not
     * rebalance itself retries it, so underfull and empty nodes are revisited. Racy by design (a
     * newer key overwrites an older one); a hint, never trusted for correctness.
     */
    private transient volatile Object pendingRebalance;
    /** Rebalance rounds lost to a latch conflict (for tests: one thread alone must lose none). */
    private final transient LongAdder rebalanceConflicts = new LongAdder();
    /** The root; changes only under the old root's exclusive latch. */
    private transient volatile Node root;
    /** How keys become prefixes; set once, from UNDECIDED, for natural-order maps. */
    transient volatile KeyCodec codec;
    /** Number of entries. */
    private final transient LongAdder count = new LongAdder();
    /**
     * Serializes the choice of a natural-order map's codec. Private, so that code synchronizing on
     * the map object itself cannot block it or be blocked by it.
     */
    private final transient Object codecLock = new Object();
    /**
     * The change feed, or null until the first {@link #subscribe}; then never reset. Every write
     * reads it once, under its leaf latch ({@link #publishChange}).
     */
    private transient volatile ChangeFeed<K, V> feed;

    // ------------------------------------------------------------------ construction

    /** Creates an empty map ordered by the keys' natural ordering. */
    public ConcurrentBTreeMap() {
        this(null, DEFAULT_NODE_CAPACITY);
    }

    /**
     * Creates an empty map ordered by {@code comparator}.
     *
     * @param comparator the order of keys; {@code null} for natural ordering
     */
    public ConcurrentBTreeMap(Comparator<? super K> comparator) {
        this(comparator, DEFAULT_NODE_CAPACITY);
    }

    /**
     * Creates a map with the mappings of {@code m}, ordered by natural ordering.
     *
     * @param m the mappings to copy
     * @throws NullPointerException if {@code m} or any of its keys or values is null
     * @throws ClassCastException if the keys are not mutually comparable
     */
    public ConcurrentBTreeMap(Map<? extends K, ? extends V> m) {
        this(null, DEFAULT_NODE_CAPACITY);
        putAll(m);
    }

    /**
     * Creates a map with the mappings and the ordering of {@code m}.
     *
     * @param m the sorted map whose mappings and comparator to copy
     * @throws NullPointerException if {@code m} or any of its keys or values is null
     */
    public ConcurrentBTreeMap(SortedMap<K, ? extends V> m) {
        this(m.comparator(), DEFAULT_NODE_CAPACITY);
        putAll(m);
    }

    private ConcurrentBTreeMap(Comparator<? super K> comparator, int nodeCapacity) {
        this(comparator, nodeCapacity, defaultMergeThreshold(nodeCapacity));
    }

    private ConcurrentBTreeMap(Comparator<? super K> comparator, int nodeCapacity, int mergeThreshold) {
        this(comparator, nodeCapacity, mergeThreshold, OPTIMISTIC_ATTEMPTS);
    }

    private ConcurrentBTreeMap(Comparator<? super K> comparator, int nodeCapacity, int mergeThreshold,
                               int optimisticAttempts) {
        if (nodeCapacity < MIN_NODE_CAPACITY || nodeCapacity > MAX_NODE_CAPACITY) {
            throw new IllegalArgumentException("nodeCapacity must be between " + MIN_NODE_CAPACITY
                    + " and " + MAX_NODE_CAPACITY + ", was " + nodeCapacity);
        }
        checkMergeThreshold(mergeThreshold, nodeCapacity);
        this.comparator = comparator;
        this.cap = nodeCapacity;
        this.minKeys = mergeThreshold;
        this.optimisticAttempts = optimisticAttempts;
        this.coalesceLimit = nodeCapacity * 3 / 4;
        this.codec = KeyCodec.forComparator(comparator);
        this.root = new Leaf(null, null, cap, codec);
    }

    /** The merge threshold used when none is given: a quarter of the capacity, at least 1. */
    static int defaultMergeThreshold(int nodeCapacity) {
        return Math.max(1, nodeCapacity / 4);
    }

    /** Rejects a merge threshold outside [1, nodeCapacity / 2], saying why. */
    static void checkMergeThreshold(int mergeThreshold, int nodeCapacity) {
        if (mergeThreshold < 1 || mergeThreshold > nodeCapacity / 2) {
            throw new IllegalArgumentException("mergeThreshold must be between 1 and nodeCapacity / 2 = "
                    + nodeCapacity / 2 + " (so that two siblings sharing their entries both end at or above it),"
                    + " was " + mergeThreshold + " with nodeCapacity " + nodeCapacity);
        }
    }

    /**
     * Starts a builder for a map with non-default settings.
     *
     * @param <K> the type of keys
     * @param <V> the type of values
     * @return a new builder with natural ordering and the default node capacity
     */
    public static <K, V> Builder<K, V> builder() {
        return new Builder<>();
    }

    /**
     * The comparator of unsigned lexicographic order on {@code byte[]} keys. A map built with it
     * recognises it and stores each key's first eight bytes as a search prefix. It is the
     * comparator of {@link io.arboretum.keys.KeyEncoders#byteArrays()}, one serializable instance.
     *
     * @return the singleton comparator
     */
    public static Comparator<byte[]> unsignedBytesComparator() {
        return KeyCodec.UNSIGNED_BYTES_ORDER;
    }

    /**
     * Settings for a {@link ConcurrentBTreeMap}.
     *
     * @param <K> the type of keys
     * @param <V> the type of values
     */
    public static final class Builder<K, V> {
        private Comparator<? super K> comparator;
        private int nodeCapacity = DEFAULT_NODE_CAPACITY;
        /** The merge threshold, or 0 for the default of the capacity chosen. */
        private int mergeThreshold;
        private int optimisticAttempts = OPTIMISTIC_ATTEMPTS;

        private Builder() {
        }

        /**
         * Orders keys by {@code comparator} instead of their natural ordering.
         *
         * @param comparator the order; {@code null} means natural ordering
         * @return this builder
         */
        public Builder<K, V> comparator(Comparator<? super K> comparator) {
            this.comparator = comparator;
            return this;
        }

        /**
         * Sets how many keys a node holds (default {@value #DEFAULT_NODE_CAPACITY}). Small
         * capacities make tests split and merge nodes with few keys.
         *
         * @param nodeCapacity keys per node, from {@value #MIN_NODE_CAPACITY} to {@value #MAX_NODE_CAPACITY}
         * @return this builder
         * @throws IllegalArgumentException if the capacity is out of range
         */
        public Builder<K, V> nodeCapacity(int nodeCapacity) {
            if (nodeCapacity < MIN_NODE_CAPACITY || nodeCapacity > MAX_NODE_CAPACITY) {
                throw new IllegalArgumentException("nodeCapacity must be between " + MIN_NODE_CAPACITY
                        + " and " + MAX_NODE_CAPACITY + ", was " + nodeCapacity);
            }
            this.nodeCapacity = nodeCapacity;
            return this;
        }

        /**
         * Sets the merge threshold: a node left holding <em>fewer</em> than {@code mergeThreshold}
         * keys by a removal is underfull, and is merged with a sibling (or, if the two do not fit
         * in one node, shares the sibling's entries evenly). The default is a quarter of the node
         * capacity, at least 1, so by default only nodes below a quarter full are merged, and at
         * capacity 4 only empty ones. A higher threshold keeps nodes fuller after deletes at the
         * price of more merges; tests use it to make small trees merge and redistribute often
         * (at capacity 8, a threshold of 4 merges any leaf left with 3 keys or fewer).
         *
         * @param mergeThreshold from 1 to half the node capacity (checked by {@link #build()},
         *     so that two siblings that share their entries both end at or above it)
         * @return this builder
         * @throws IllegalArgumentException if {@code mergeThreshold} is below 1
         */
        public Builder<K, V> mergeThreshold(int mergeThreshold) {
            if (mergeThreshold < 1) {
                throw new IllegalArgumentException("mergeThreshold must be at least 1, was " + mergeThreshold);
            }
            this.mergeThreshold = mergeThreshold;
            return this;
        }

        /**
         * Creates the map.
         *
         * @return a new, empty map with these settings
         * @throws IllegalArgumentException if the merge threshold is above half the node capacity
         */
        public ConcurrentBTreeMap<K, V> build() {
            int t = mergeThreshold == 0 ? defaultMergeThreshold(nodeCapacity) : mergeThreshold;
            return new ConcurrentBTreeMap<>(comparator, nodeCapacity, t, optimisticAttempts);
        }

        /**
         * Test-only (package-private): optimistic attempts before a reader falls back to latches;
         * 0 sends every reader through its pessimistic path.
         */
        Builder<K, V> optimisticAttempts(int attempts) {
            if (attempts < 0) {
                throw new IllegalArgumentException("optimisticAttempts must be >= 0, was " + attempts);
            }
            this.optimisticAttempts = attempts;
            return this;
        }
    }

    // ------------------------------------------------------------------ nodes

    /** A node: its latch, its keys and its fences. */
    abstract static class Node extends HybridLatch {
        /** Number of keys. Plain: written under the exclusive latch, read optimistically. */
        int n;
        /** Key prefixes, or null for codecs without prefixes. */
        long[] pfx;
        /** Key objects, or null for exact codecs (and for the first root before its first key). */
        Object[] keys;
        /** Low fence: every key here is {@code >= low}; null is minus infinity. Never changes. */
        final Object low;
        /** High fence: every key here is {@code < high}; null is plus infinity. */
        Object high;

        Node(Object low, Object high, int keySlots, KeyCodec c) {
            this.low = low;
            this.high = high;
            this.pfx = c.hasPrefixes() ? new long[keySlots] : null;
            this.keys = c.storesKeys() ? new Object[keySlots] : null;
        }
    }

    /** A leaf: keys and values. */
    static final class Leaf extends Node {
        final Object[] vals;
        /**
         * The right neighbour (the leaf whose low fence is this leaf's high fence), or null for the
         * rightmost leaf. Plain: written only under this leaf's exclusive latch (split, merge and
         * redistribution of this leaf with its right sibling), read optimistically and trusted
         * only after this leaf validates.
         */
        Leaf next;

        Leaf(Object low, Object high, int cap, KeyCodec c) {
            super(low, high, cap, c);
            this.vals = new Object[cap];
        }
    }

    /** An inner node: {@code n} separators and {@code n + 1} children. */
    static final class Inner extends Node {
        final Node[] kids;

        Inner(Object low, Object high, int cap, KeyCodec c) {
            super(low, high, cap, c);
            this.kids = new Node[cap + 1];
        }
    }

    /** Thrown inside optimistic code to restart; preallocated, no stack trace. */
    private static final class Restart extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Restart() {
            super(null, null, false, false);
        }
    }

    private static final Restart RESTART = new Restart();

    // ------------------------------------------------------------------ error injection (tests only)

    /** Error site: inside a leaf split, with the leaf (and parent) latched, before the first write. */
    static final String ERROR_IN_LEAF_SPLIT = "leafSplit";
    /** Error site: inside an inner split, with the node (and parent) latched, before the first write. */
    static final String ERROR_IN_INNER_SPLIT = "innerSplit";
    /** Error site: inside a merge or redistribution, with all three nodes latched, before the first write. */
    static final String ERROR_IN_MERGE = "merge";
    /** Error site: inside {@code codecForWrite}, with the first root latched, before the first write. */
    static final String ERROR_IN_CODEC = "codec";

    /**
     * Test-only: the site at which the next {@link #injectError} call throws an
     * {@link OutOfMemoryError}, or null. Consulted only when {@link TestHooks#ENABLED}, so it
     * costs nothing in production; one-shot (cleared when it fires).
     */
    static volatile String injectErrorAt;

    /**
     * Throws the injected error if a test armed {@link #injectErrorAt} for {@code site}; a no-op,
     * folded away by the JIT, in production.
     */
    private static void injectError(String site) {
        // The body lives out of line so that this guard stays a few bytes of bytecode: the JIT
        // inlines by bytecode size, and a larger guard would change what gets inlined around it.
        if (TestHooks.ENABLED) {
            throwIfArmed(site);
        }
    }

    /** The test-only body of {@link #injectError}. */
    private static void throwIfArmed(String site) {
        String armed = injectErrorAt;
        if (site.equals(armed)) {
            injectErrorAt = null;
            throw new OutOfMemoryError("injected by a test at " + site);
        }
    }

    // ------------------------------------------------------------------ keys

    /** Checks a key and returns its prefix, choosing the codec on a natural-order map's first key. */
    private long prefixOf(Object key, KeyCodec c) {
        if (key == null) {
            throw new NullPointerException("null key");
        }
        return c.prefix(key);
    }

    /** The codec to store {@code key} with: decides it on the first key of a natural-order map. */
    private KeyCodec codecForWrite(Object key) {
        KeyCodec c = codec;
        if (c != KeyCodec.UNDECIDED) {
            return c;
        }
        synchronized (codecLock) {
            c = codec;
            if (c == KeyCodec.UNDECIDED) {
                c = KeyCodec.forFirstKey(key); // may throw (a key that is not Comparable): nothing latched yet
                // Allocate before latching, so that an OutOfMemoryError leaves nothing latched.
                long[] pfx = c.hasPrefixes() ? new long[cap] : null;
                Object[] keys = c.storesKeys() ? new Object[cap] : null;
                // Only the first root exists and it holds no key: give it arrays of the new codec
                // under its exclusive latch, so optimistic readers restart rather than see the swap.
                Node r = root;
                if (r.lockExclusive()) {
                    try {
                        injectError(ERROR_IN_CODEC);
                        if (r.n == 0 && r instanceof Leaf) {
                            r.pfx = pfx;
                            r.keys = keys;
                        }
                        codec = c;
                    } finally {
                        r.unlockExclusive();
                    }
                } else {
                    codec = c;
                }
            }
            return c;
        }
    }

    /** The key at slot {@code i}; untrusted under an optimistic read. */
    private static Object keyAt(Node n, int i, KeyCodec c) {
        return c.kind == KeyCodec.EXACT ? c.decode(n.pfx[i]) : n.keys[i];
    }

    /**
     * Binary search among the first {@code cnt} keys of {@code n}: the slot of {@code key} if
     * present, else {@code -(insertion point) - 1}. Untrusted under an optimistic read: callers
     * catch what a torn node throws.
     */
    private static int search(Node n, int cnt, Object key, long kp, KeyCodec c) {
        int lo = 0;
        int hi = cnt - 1;
        switch (c.kind) {
            case KeyCodec.EXACT: {
                long[] pfx = n.pfx;
                while (lo <= hi) {
                    int mid = (lo + hi) >>> 1;
                    long mp = pfx[mid];
                    if (mp < kp) {
                        lo = mid + 1;
                    } else if (mp > kp) {
                        hi = mid - 1;
                    } else {
                        return mid;
                    }
                }
                return -(lo + 1);
            }
            case KeyCodec.PREFIXED: {
                long[] pfx = n.pfx;
                Object[] keys = n.keys;
                while (lo <= hi) {
                    int mid = (lo + hi) >>> 1;
                    long mp = pfx[mid];
                    int r = mp < kp ? -1 : mp > kp ? 1 : c.compare(keys[mid], key);
                    if (r < 0) {
                        lo = mid + 1;
                    } else if (r > 0) {
                        hi = mid - 1;
                    } else {
                        return mid;
                    }
                }
                return -(lo + 1);
            }
            default: {
                Object[] keys = n.keys;
                while (lo <= hi) {
                    int mid = (lo + hi) >>> 1;
                    int r = c.compare(keys[mid], key);
                    if (r < 0) {
                        lo = mid + 1;
                    } else if (r > 0) {
                        hi = mid - 1;
                    } else {
                        return mid;
                    }
                }
                return -(lo + 1);
            }
        }
    }

    /**
     * The child slot of an inner node for {@code key}: the child holding {@code key} itself, or,
     * if {@code before}, the child holding the keys just below {@code key}. A null key means the
     * leftmost child, or the rightmost if {@code before}.
     */
    private static int childSlot(Inner n, int cnt, Object key, long kp, boolean before, KeyCodec c) {
        if (key == null) {
            return before ? cnt : 0;
        }
        int r = search(n, cnt, key, kp, c);
        if (r >= 0) {
            return before ? r : r + 1;
        }
        return -r - 1;
    }

    /** Compares a key with a fence; fences are never null here. */
    private int cmp(Object a, Object b, KeyCodec c) {
        return c.compare(a, b);
    }

    // ------------------------------------------------------------------ optimistic descent

    /**
     * Reads the root and its version consistently.
     *
     * @return the root, with its version in {@code at[0]}
     */
    private Node readRoot(long[] at) {
        for (int round = 0; ; round++) {
            Node r = root;
            long v = r.optimisticRead();
            // The root pointer is published before the old root's unlock; re-reading it after the
            // acquire read of the version detects a root that changed in between.
            if (v != HybridLatch.RESTART && r == root) {
                at[0] = v;
                return r;
            }
            HybridLatch.backOff(round);
        }
    }

    /**
     * A leaf found by optimistic descent, with the version it was validated at; and what
     * {@link #probeLeaf} read in it.
     */
    static final class Found {
        Leaf leaf;
        long v;
        /** Number of keys in the probed leaf. */
        int cnt;
        /** The key's slot, or {@code -(insertion point) - 1}. */
        int slot;
        /** The value in that slot, or null. */
        Object old;
        /** The leaf's parent on the way down (null for a root leaf) and the leaf's slot in it: hints only. */
        Inner parent;
        int parentSlot;
    }

    /**
     * Probes {@code leaf} for {@code key} under the optimistic version {@code v}, filling
     * {@code out.cnt}, {@code out.slot} and {@code out.old}. Returns false if the caller must
     * restart; true means the probe was consistent at the moment of validation. An exception
     * (a user comparator's) is rethrown only if the leaf still validates.
     */
    private static boolean probeLeaf(Leaf leaf, long v, Object key, long kp, KeyCodec c, Found out) {
        try {
            int cnt = leaf.n;
            int i = search(leaf, cnt, key, kp, c);
            out.cnt = cnt;
            out.slot = i;
            out.old = i >= 0 ? leaf.vals[i] : null;
        } catch (RuntimeException e) {
            if (leaf.validate(v)) {
                throw e;
            }
            return false;
        }
        return leaf.validate(v);
    }

    /**
     * Descends optimistically to the leaf for {@code key} (see {@link #childSlot}); throws
     * {@link #RESTART} if a validation fails.
     */
    private void descend(Object key, long kp, boolean before, KeyCodec c, Found out, long[] tmp) {
        Node n = readRoot(tmp);
        long v = tmp[0];
        out.parent = null;
        while (n instanceof Inner) {
            Inner in = (Inner) n;
            Node child;
            int i;
            try {
                int cnt = in.n;
                i = childSlot(in, cnt, key, kp, before, c);
                child = in.kids[i];
            } catch (RuntimeException e) {
                if (in.validate(v)) {
                    throw e; // a consistent read threw: the comparator's own exception
                }
                throw RESTART;
            }
            if (child == null) {
                throw RESTART;
            }
            // Never wait on the child before the parent validates: an unvalidated slot may even be a
            // leaf this thread holds (polls call this while holding leaves), so a latched child
            // means restart. Validating the parent after reading the child's version proves the
            // child was the right one when that version was read.
            long cv = child.tryOptimisticRead();
            if (cv == HybridLatch.RESTART || !parentValidates(in, v)) {
                throw RESTART;
            }
            out.parent = in;
            out.parentSlot = i;
            n = child;
            v = cv;
        }
        out.leaf = (Leaf) n;
        out.v = v;
    }

    /**
     * The parent validation of an optimistic descent step; always {@code in.validate(v)} in
     * production (the seeded fault {@link #DESCEND_SKIP_PARENT_VALIDATION} skips it in tests).
     */
    private static boolean parentValidates(Inner in, long v) {
        if (TestHooks.ENABLED && TestHooks.faultActive(DESCEND_SKIP_PARENT_VALIDATION)) {
            return true;
        }
        return in.validate(v);
    }

    // ------------------------------------------------------------------ get

    /**
     * Returns the value mapped to {@code key}, or {@code null}. Linearizable. Its optimistic
     * attempts write no shared memory; after {@value #OPTIMISTIC_ATTEMPTS} failed ones it falls back
     * to shared latches, each a CAS on the node's holder count.
     *
     * @param key the key
     * @return the value, or {@code null} if absent
     * @throws NullPointerException if the key is null
     * @throws ClassCastException if the key cannot be compared with the map's keys
     */
    @Override
    @SuppressWarnings("unchecked")
    public V get(Object key) {
        KeyCodec c = codec;
        long kp = prefixOf(key, c);
        if (c == KeyCodec.UNDECIDED) {
            return null; // nothing was ever stored
        }
        for (int attempt = 0; attempt < optimisticAttempts; attempt++) {
            Node n = root;
            long v = n.optimisticRead();
            if (v == HybridLatch.RESTART || n != root) {
                continue;
            }
            Object result = null;
            boolean ok = true;
            try {
                while (n instanceof Inner) {
                    Inner in = (Inner) n;
                    Node child = in.kids[childSlot(in, in.n, key, kp, false, c)];
                    long cv = child == null ? HybridLatch.RESTART : child.optimisticRead();
                    if (cv == HybridLatch.RESTART || !parentValidates(in, v)) {
                        ok = false;
                        break;
                    }
                    n = child;
                    v = cv;
                }
                if (ok) {
                    Leaf leaf = (Leaf) n;
                    int i = search(leaf, leaf.n, key, kp, c);
                    result = i >= 0 ? leaf.vals[i] : null;
                    ok = leaf.validate(v)
                            || (TestHooks.ENABLED && TestHooks.faultActive(GET_SKIP_LEAF_VALIDATION));
                }
            } catch (RuntimeException e) {
                if (n.validate(v)) {
                    throw e;
                }
                ok = false;
            }
            if (ok) {
                return (V) result;
            }
            HybridLatch.backOff(attempt);
        }
        return (V) getShared(key, kp, c);
    }

    /** The pessimistic fallback of {@link #get}: shared latches, coupled top-down. */
    Object getShared(Object key, long kp, KeyCodec c) {
        for (;;) {
            Node n = root;
            if (!n.lockShared()) {
                continue;
            }
            if (n != root) {
                n.unlockShared();
                continue;
            }
            try {
                while (n instanceof Inner) {
                    Inner in = (Inner) n;
                    Node child = in.kids[childSlot(in, in.n, key, kp, false, c)];
                    // The child cannot become obsolete while its parent is share-latched (merges
                    // need the parent exclusively), so this only waits for a writer of the child;
                    // that writer cannot be waiting for us, because parents are upgraded with the
                    // try form, which fails while we share the parent.
                    if (!child.lockShared()) {
                        throw new IllegalStateException("child of a share-latched node became obsolete");
                    }
                    in.unlockShared();
                    n = child;
                }
                Leaf leaf = (Leaf) n;
                int i = search(leaf, leaf.n, key, kp, c);
                return i >= 0 ? leaf.vals[i] : null;
            } finally {
                n.unlockShared();
            }
        }
    }

    /**
     * Whether {@code key} is mapped. Linearizable.
     *
     * @param key the key
     * @return whether a mapping exists
     * @throws NullPointerException if the key is null
     * @throws ClassCastException if the key cannot be compared with the map's keys
     */
    @Override
    public boolean containsKey(Object key) {
        return get(key) != null;
    }

    // ------------------------------------------------------------------ change feed

    /**
     * Registers {@code listener} for every change this map commits from now on (see
     * {@link ChangeObservable} and {@link ChangeFeed}). The Kotlin {@code changes} and
     * {@code snapshotThenChanges} flows use it.
     *
     * @param listener called under the writer's latch for each change; must not block
     * @return the subscription; closing it unregisters the listener
     * @throws NullPointerException if {@code listener} is null
     */
    @Override
    public ChangeFeed.Subscription subscribe(ChangeListener<? super K, ? super V> listener) {
        return ChangeFeed.subscribe(FEED, this, listener);
    }

    /**
     * The change-feed hook of every write path: called after a mapping changed, before the latch
     * that changed it is released, so per key the publications follow commit order. With no
     * subscriber ever, this is one volatile read of {@link #feed} (a plain load on x86); it is
     * small so that the JIT inlines it into the write paths, with {@link ChangeFeed#publish}
     * out of line. Why a volatile read is enough, and needed, against a concurrent subscription:
     * the store-load argument of {@link ChangeFeed}, with the latch CAS before it.
     */
    private void publishChange(K key, V oldValue, V newValue) {
        ChangeFeed<K, V> f = feed; // volatile, after the latch CAS: the store-load pair of ChangeFeed
        if (f != null) {
            f.publish(key, oldValue, newValue);
        }
    }

    /** {@link #clear}'s hook: a removal for each of the {@code cnt} entries of the latched {@code leaf}. */
    @SuppressWarnings("unchecked")
    private void publishLeafCleared(Leaf leaf, int cnt, KeyCodec c) {
        ChangeFeed<K, V> f = feed;
        if (f != null && f.hasListeners()) {
            for (int i = 0; i < cnt; i++) {
                f.publish((K) keyAt(leaf, i, c), (V) leaf.vals[i], null); // latched: trusted
            }
        }
    }

    // ------------------------------------------------------------------ writes

    private static final int PUT = 0;
    private static final int PUT_IF_ABSENT = 1;
    private static final int REPLACE = 2;
    private static final int REPLACE_IF_EQUAL = 3;

    /**
     * Maps {@code key} to {@code value}. Linearizable.
     *
     * @param key the key
     * @param value the value
     * @return the previous value, or {@code null} if there was none
     * @throws NullPointerException if the key or value is null
     * @throws ClassCastException if the key cannot be compared with the map's keys
     */
    @Override
    public V put(K key, V value) {
        return doPut(key, value, PUT, null);
    }

    /**
     * Maps {@code key} to {@code value} unless it is already mapped. Linearizable.
     *
     * @param key the key
     * @param value the value
     * @return the current value if the key was mapped (and the map is unchanged), else {@code null}
     * @throws NullPointerException if the key or value is null
     * @throws ClassCastException if the key cannot be compared with the map's keys
     */
    @Override
    public V putIfAbsent(K key, V value) {
        return doPut(key, value, PUT_IF_ABSENT, null);
    }

    /**
     * Replaces the value of {@code key} if it is mapped. Linearizable.
     *
     * @param key the key
     * @param value the new value
     * @return the previous value, or {@code null} if the key was not mapped (nothing changes)
     * @throws NullPointerException if the key or value is null
     * @throws ClassCastException if the key cannot be compared with the map's keys
     */
    @Override
    public V replace(K key, V value) {
        return doPut(key, value, REPLACE, null);
    }

    /**
     * Replaces the value of {@code key} if it is currently mapped to a value equal to
     * {@code oldValue}. Linearizable.
     *
     * @param key the key
     * @param oldValue the expected value
     * @param newValue the new value
     * @return whether the value was replaced
     * @throws NullPointerException if any argument is null
     * @throws ClassCastException if the key cannot be compared with the map's keys
     */
    @Override
    public boolean replace(K key, V oldValue, V newValue) {
        Objects.requireNonNull(oldValue, "null value");
        return doPut(key, newValue, REPLACE_IF_EQUAL, oldValue) != null;
    }

    /**
     * The one write path: find the leaf optimistically, upgrade it, change it, and split on
     * overflow. Returns the previous value (for REPLACE_IF_EQUAL: the replaced value, or null).
     */
    @SuppressWarnings("unchecked")
    private V doPut(K key, V value, int mode, Object expected) {
        if (value == null) {
            throw new NullPointerException("null value");
        }
        KeyCodec c = codecForWrite(Objects.requireNonNull(key, "null key"));
        long kp = c.prefix(key);
        long[] tmp = new long[1];
        Found probe = new Found();
        for (int attempt = 0; ; attempt++) {
            if (attempt > 0) {
                HybridLatch.backOff(attempt);
            }
            // --- descend, splitting full inner nodes on the way (split step 1)
            Node n = readRoot(tmp);
            long v = tmp[0];
            Inner p = null;
            long pv = 0;
            int pi = -1;
            boolean restart = false;
            while (n instanceof Inner) {
                Inner in = (Inner) n;
                int i;
                Node child;
                int cnt;
                try {
                    cnt = in.n;
                    i = childSlot(in, cnt, key, kp, false, c);
                    child = in.kids[i];
                } catch (RuntimeException e) {
                    if (in.validate(v)) {
                        throw e;
                    }
                    restart = true;
                    break;
                }
                if (cnt >= cap) {
                    if (in.validate(v)) {
                        splitInner(p, pv, pi, in, v, c);
                    }
                    restart = true;
                    break;
                }
                long cv = child == null ? HybridLatch.RESTART : child.optimisticRead();
                if (cv == HybridLatch.RESTART || !in.validate(v)) {
                    restart = true;
                    break;
                }
                p = in;
                pv = v;
                pi = i;
                n = child;
                v = cv;
            }
            if (restart) {
                continue;
            }
            Leaf leaf = (Leaf) n;
            // --- search the leaf optimistically; the result is trusted once the upgrade succeeds
            if (!probeLeaf(leaf, v, key, kp, c, probe)) {
                continue;
            }
            int cnt = probe.cnt;
            int i = probe.slot;
            Object old = probe.old;
            if (i >= 0) {
                if (mode == PUT_IF_ABSENT) {
                    return (V) old;
                }
                if (mode == REPLACE_IF_EQUAL && !expected.equals(old)) {
                    // equals ran on a validated snapshot; re-validate so the answer is current
                    if (leaf.validate(v)) {
                        return null;
                    }
                    continue;
                }
                if (!leaf.tryUpgrade(v)) {
                    continue;
                }
                leaf.vals[i] = value;
                publishChange(key, (V) old, value);
                leaf.unlockExclusive();
                return (V) old;
            }
            if (mode == REPLACE || mode == REPLACE_IF_EQUAL) {
                return null; // validated absent
            }
            int ins = -i - 1;
            if (cnt < cap) {
                if (!leaf.tryUpgrade(v)) {
                    continue;
                }
                insertAt(leaf, cnt, ins, key, kp, value, c);
                publishChange(key, null, value);
                leaf.unlockExclusive();
                count.increment();
                return null;
            }
            // --- the leaf is full: split it (split steps 2 to 5), inserting the key on the way.
            // Everything the split needs is allocated first, before any latch (an OutOfMemoryError
            // then leaves nothing latched), from this optimistic read of the split point; the
            // upgrade in latchForSplit succeeds only at version v, which proves the read.
            int at;
            Object sep;
            long sepPfx;
            try {
                at = splitPoint(leaf, cnt, ins);
                sep = at == cnt ? key : keyAt(leaf, at, c);
                sepPfx = at == cnt ? kp : leaf.pfx != null ? leaf.pfx[at] : 0L;
            } catch (RuntimeException e) {
                continue; // a torn read: the upgrade would fail anyway
            }
            if (sep == null) {
                continue;
            }
            Leaf s = new Leaf(sep, null, cap, c);
            Inner newRoot = p == null ? new Inner(null, null, cap, c) : null;
            if (!latchForSplit(p, pv, leaf, v)) {
                continue;
            }
            splitLeafAndInsert(p, pi, leaf, ins, at, sep, sepPfx, s, newRoot, key, kp, value, c);
            count.increment();
            return null;
        }
    }

    /** Inserts into a latched node with room: shift right, then write the slot. */
    private static void insertAt(Leaf leaf, int cnt, int i, Object key, long kp, Object value, KeyCodec c) {
        int move = cnt - i;
        if (leaf.pfx != null) {
            System.arraycopy(leaf.pfx, i, leaf.pfx, i + 1, move);
            leaf.pfx[i] = kp;
        }
        if (leaf.keys != null) {
            System.arraycopy(leaf.keys, i, leaf.keys, i + 1, move);
            leaf.keys[i] = key;
        }
        System.arraycopy(leaf.vals, i, leaf.vals, i + 1, move);
        leaf.vals[i] = value;
        leaf.n = cnt + 1;
    }

    /**
     * Where a full leaf of {@code cnt} keys splits for an insert at slot {@code ins}: the first
     * slot that moves to the new right sibling. Ascending loads append to the rightmost leaf,
     * descending ones prepend to the leftmost: moving nothing then leaves full nodes behind.
     * Otherwise split in the middle.
     */
    private static int splitPoint(Leaf n, int cnt, int ins) {
        if (ins == cnt && n.high == null) {
            return cnt;
        } else if (ins == 0 && n.low == null) {
            return 0;
        }
        return cnt / 2;
    }

    /**
     * Splits the latched full leaf {@code n} (parent {@code p} latched, or {@code n} is the latched
     * root) at slot {@code at} into the preallocated sibling {@code s} (low fence {@code sep}),
     * publishing it in {@code p} or in the preallocated {@code newRoot}; inserts the new entry into
     * the half it belongs to; and unlocks both, whatever is thrown. Allocates nothing.
     */
    @SuppressWarnings("unchecked")
    private void splitLeafAndInsert(Inner p, int pi, Leaf n, int ins, int at, Object sep, long sepPfx, Leaf s,
                                    Inner newRoot, Object key, long kp, Object value, KeyCodec c) {
        boolean nHeld = true;
        boolean pHeld = p != null;
        try {
            injectError(ERROR_IN_LEAF_SPLIT);
            int cnt = n.n;
            s.high = n.high;
            // Test hooks stay small guards with their bodies out of line (see injectError).
            boolean linked = TestHooks.ENABLED && publishBeforeFillFault(p, pi, n, s, sep, sepPfx, newRoot, c);
            if (linked) {
                pHeld = false;
            }
            int moved = moveUpperHalf(n, s, at, cnt);
            n.high = sep;
            // Keys below sep stay in n: a new key with ins <= at is below n's old key at (= sep),
            // except for an append (at == cnt), where the new key itself is the separator.
            if (at == cnt) {
                insertAt(s, 0, 0, key, kp, value, c);
            } else if (ins <= at) {
                insertAt(n, at, ins, key, kp, value, c);
            } else {
                insertAt(s, moved, ins - at, key, kp, value, c);
            }
            // Published before s is linked: a key that went to s is unreachable until then (s is not
            // latched), and one in n stays under n's latch, so no other write to it can come first.
            // (Publishing after linkSibling let a removal through s be published before this
            // insert: ChangeFeedHandoffLincheckTest found that interleaving.)
            publishChange((K) key, null, (V) value);
            if (TestHooks.ENABLED && unlockBeforeLinkFault(n)) {
                nHeld = false;
            }
            if (!linked) {
                s.next = n.next;
                n.next = s;
                linkSibling(p, pi, n, s, sep, sepPfx, newRoot, c);
            }
            if (TestHooks.ENABLED) {
                TestHooks.recordEvent(TestHooks.SPLIT);
            }
        } finally {
            // An Error before the first write above leaves the tree unchanged; either way nothing
            // stays latched. (Nothing above allocates, so only a test's injected error or a stack
            // overflow can get here early.)
            if (nHeld) {
                n.unlockExclusive();
            }
            if (pHeld) {
                p.unlockExclusive();
            }
        }
    }

    /**
     * Moves entries {@code at..cnt-1} of the latched full leaf {@code n} to the empty sibling
     * {@code s} and truncates {@code n}; returns how many moved.
     */
    private static int moveUpperHalf(Leaf n, Leaf s, int at, int cnt) {
        int moved = cnt - at;
        if (n.pfx != null) {
            System.arraycopy(n.pfx, at, s.pfx, 0, moved);
        }
        if (n.keys != null) {
            System.arraycopy(n.keys, at, s.keys, 0, moved);
            java.util.Arrays.fill(n.keys, at, cnt, null);
        }
        System.arraycopy(n.vals, at, s.vals, 0, moved);
        java.util.Arrays.fill(n.vals, at, cnt, null);
        s.n = moved;
        n.n = at;
        return moved;
    }

    /**
     * The seeded fault {@link #SPLIT_PUBLISH_BEFORE_FILL}, when active: links the still-empty,
     * unlatched sibling {@code s} and releases the parent, and returns true; otherwise false.
     */
    private boolean publishBeforeFillFault(Inner p, int pi, Leaf n, Leaf s, Object sep, long sepPfx,
                                           Inner newRoot, KeyCodec c) {
        if (!TestHooks.faultActive(SPLIT_PUBLISH_BEFORE_FILL)) {
            return false;
        }
        s.next = n.next;
        n.next = s;
        linkSibling(p, pi, n, s, sep, sepPfx, newRoot, c);
        if (p != null) {
            p.unlockExclusive();
        }
        return true;
    }

    /**
     * The seeded fault {@link #SPLIT_UNLOCK_BEFORE_LINK}, when active: releases {@code n} holding
     * only the lower half, with no link to its sibling anywhere yet, and returns true.
     */
    private static boolean unlockBeforeLinkFault(Leaf n) {
        if (!TestHooks.faultActive(SPLIT_UNLOCK_BEFORE_LINK)) {
            return false;
        }
        n.unlockExclusive();
        return true;
    }

    /**
     * Publishes a new right sibling {@code s} of {@code n}: in the latched parent, or, if there is
     * none, in the preallocated {@code r}, which becomes the root.
     */
    private void linkSibling(Inner p, int pi, Node n, Node s, Object sep, long sepPfx, Inner r, KeyCodec c) {
        if (p == null) {
            if (r.pfx != null) {
                r.pfx[0] = sepPfx;
            }
            if (r.keys != null) {
                r.keys[0] = sep;
            }
            r.kids[0] = n;
            r.kids[1] = s;
            r.n = 1;
            // Volatile store, before the old root (n) is unlocked: see "Root" in the class notes.
            root = r;
            return;
        }
        int cnt = p.n;
        int move = cnt - pi;
        if (p.pfx != null) {
            System.arraycopy(p.pfx, pi, p.pfx, pi + 1, move);
            p.pfx[pi] = sepPfx;
        }
        if (p.keys != null) {
            System.arraycopy(p.keys, pi, p.keys, pi + 1, move);
            p.keys[pi] = sep;
        }
        System.arraycopy(p.kids, pi + 1, p.kids, pi + 2, move);
        p.kids[pi + 1] = s;
        p.n = cnt + 1;
    }

    /**
     * Split step 2: upgrades {@code p} (if any) from {@code pv}, then {@code n} from {@code v}, both
     * try-forms, top-down; without a parent, {@code n} must still be the root (checked under its
     * latch, since the root changes only under the old root's latch). Returns true with both
     * latched, false with neither.
     */
    private boolean latchForSplit(Inner p, long pv, Node n, long v) {
        if (p != null && !p.tryUpgrade(pv)) {
            return false;
        }
        if (!n.tryUpgrade(v)) {
            if (p != null) {
                p.unlockExclusive();
            }
            return false;
        }
        if (p == null && root != n) {
            n.unlockExclusive();
            return false;
        }
        return true;
    }

    /**
     * Splits a full inner node met on the way down (split step 1); always followed by a restart.
     * Allocates the sibling (and a new root) before latching, from an optimistic read of the
     * separator that the upgrade in {@link #latchForSplit} proves; unlocks whatever is thrown.
     */
    private void splitInner(Inner p, long pv, int pi, Inner n, long v, KeyCodec c) {
        int cnt;
        int mid;
        Object sep;
        long sepPfx;
        try {
            cnt = n.n;
            mid = cnt / 2;
            sep = keyAt(n, mid, c);
            sepPfx = n.pfx != null ? n.pfx[mid] : 0L;
        } catch (RuntimeException e) {
            return; // a torn read: the upgrade would fail anyway
        }
        if (sep == null) {
            return;
        }
        Inner s = new Inner(sep, null, cap, c);
        Inner newRoot = p == null ? new Inner(null, null, cap, c) : null;
        if (!latchForSplit(p, pv, n, v)) {
            return;
        }
        try {
            injectError(ERROR_IN_INNER_SPLIT);
            s.high = n.high;
            int moved = cnt - mid - 1;
            if (n.pfx != null) {
                System.arraycopy(n.pfx, mid + 1, s.pfx, 0, moved);
            }
            if (n.keys != null) {
                System.arraycopy(n.keys, mid + 1, s.keys, 0, moved);
                java.util.Arrays.fill(n.keys, mid, cnt, null);
            }
            System.arraycopy(n.kids, mid + 1, s.kids, 0, moved + 1);
            java.util.Arrays.fill(n.kids, mid + 1, cnt + 1, null);
            s.n = moved;
            n.n = mid;
            n.high = sep;
            linkSibling(p, pi, n, s, sep, sepPfx, newRoot, c);
            if (TestHooks.ENABLED) {
                TestHooks.recordEvent(TestHooks.SPLIT);
            }
        } finally {
            n.unlockExclusive();
            if (p != null) {
                p.unlockExclusive();
            }
        }
    }

    // ------------------------------------------------------------------ removal and merging

    /**
     * Removes the mapping for {@code key}. Linearizable.
     *
     * @param key the key
     * @return the removed value, or {@code null} if the key was not mapped
     * @throws NullPointerException if the key is null
     * @throws ClassCastException if the key cannot be compared with the map's keys
     */
    @Override
    public V remove(Object key) {
        return doRemove(key, null);
    }

    /**
     * Removes the mapping for {@code key} if its value equals {@code value}. Linearizable.
     *
     * @param key the key
     * @param value the expected value; {@code null} never matches
     * @return whether the mapping was removed
     * @throws NullPointerException if the key is null
     * @throws ClassCastException if the key cannot be compared with the map's keys
     */
    @Override
    public boolean remove(Object key, Object value) {
        if (key == null) {
            throw new NullPointerException("null key");
        }
        return value != null && doRemove(key, value) != null;
    }

    @SuppressWarnings("unchecked")
    private V doRemove(Object key, Object expected) {
        KeyCodec c = codec;
        long kp = prefixOf(key, c);
        if (c == KeyCodec.UNDECIDED) {
            return null;
        }
        Found f = new Found();
        long[] tmp = new long[1];
        for (int attempt = 0; ; attempt++) {
            if (attempt > 0) {
                HybridLatch.backOff(attempt);
            }
            try {
                descend(key, kp, false, c, f, tmp);
            } catch (Restart r) {
                continue;
            }
            Leaf leaf = f.leaf;
            long v = f.v;
            if (!probeLeaf(leaf, v, key, kp, c, f)) {
                continue;
            }
            int cnt = f.cnt;
            int i = f.slot;
            Object old = f.old;
            if (i < 0) {
                return null; // validated absent
            }
            if (expected != null && !expected.equals(old)) {
                if (leaf.validate(v)) {
                    return null;
                }
                continue;
            }
            if (!leaf.tryUpgrade(v)) {
                continue;
            }
            removeAt(leaf, cnt, i);
            publishChange((K) key, (V) old, null);
            int left = leaf.n;
            boolean rebalance = leaf != root && (left < minKeys || coalescible(f.parent, f.parentSlot, left));
            leaf.unlockExclusive();
            count.decrement();
            if (rebalance) {
                rebalance(key, c);
            } else {
                revisitPending(c);
            }
            return (V) old;
        }
    }

    /** Removes slot {@code i} of a latched leaf, clearing the freed slot so the GC can collect it. */
    private static Object removeAt(Leaf leaf, int cnt, int i) {
        Object old = leaf.vals[i];
        int move = cnt - i - 1;
        if (leaf.pfx != null) {
            System.arraycopy(leaf.pfx, i + 1, leaf.pfx, i, move);
        }
        if (leaf.keys != null) {
            System.arraycopy(leaf.keys, i + 1, leaf.keys, i, move);
            leaf.keys[cnt - 1] = null;
        }
        System.arraycopy(leaf.vals, i + 1, leaf.vals, i, move);
        leaf.vals[cnt - 1] = null;
        leaf.n = cnt - 1;
        return old;
    }

    private static final int MAX_DEPTH = 64;

    /**
     * Descends optimistically to the leaf for {@code key} (leftmost if null), recording every node,
     * its version and the child slot taken. Returns the depth; throws {@link #RESTART}.
     */
    private int descendPath(Object key, long kp, KeyCodec c, Node[] nodes, long[] versions, int[] slots) {
        long[] tmp = new long[1];
        Node n = readRoot(tmp);
        long v = tmp[0];
        int depth = 0;
        while (true) {
            if (depth == MAX_DEPTH) {
                throw RESTART;
            }
            nodes[depth] = n;
            versions[depth] = v;
            if (!(n instanceof Inner)) {
                return depth + 1;
            }
            Inner in = (Inner) n;
            int i;
            Node child;
            try {
                i = childSlot(in, in.n, key, kp, false, c);
                child = in.kids[i];
            } catch (RuntimeException e) {
                if (in.validate(v)) {
                    throw e;
                }
                throw RESTART;
            }
            long cv = child == null ? HybridLatch.RESTART : child.tryOptimisticRead();
            if (cv == HybridLatch.RESTART || !in.validate(v)) {
                throw RESTART;
            }
            slots[depth] = i;
            n = child;
            v = cv;
            depth++;
        }
    }

    /**
     * Whether a leaf left with {@code left} keys, child {@code slot} of {@code p}, looks worth
     * coalescing with a neighbour although it is not underfull: it is at most half full and a
     * sibling's key count, read racily here (a hint only; {@link #mergeWithSibling} decides under
     * the latches), leaves the pair within {@link #coalesceLimit}.
     */
    private boolean coalescible(Inner p, int slot, int left) {
        if (p == null || left > cap / 2) {
            return false;
        }
        try {
            Node[] kids = p.kids;
            int pc = p.n;
            Node r = slot < pc ? kids[slot + 1] : null;
            Node l = slot > 0 ? kids[slot - 1] : null;
            return (r != null && left + r.n <= coalesceLimit) || (l != null && left + l.n <= coalesceLimit);
        } catch (RuntimeException e) {
            return false; // a torn read of a parent we hold no latch on: no hint
        }
    }

    /**
     * Retries a rebalance that an earlier removal gave up under contention (see
     * {@link #pendingRebalance}), if there is one.
     */
    private void revisitPending(KeyCodec c) {
        // A plain volatile read first, so the common case (nothing pending) writes nothing; then
        // an atomic take, so that two removers never work on the same key and collide.
        if (pendingRebalance != null) {
            Object k = takePendingVolatile();
            if (k != null) {
                rebalance(k, c, REVISIT_CONFLICTS);
            }
        }
    }

    /** Rebalance rounds lost to latch conflicts since creation (tests). */
    long rebalanceConflicts() {
        return rebalanceConflicts.sum();
    }

    /** Takes the pending key, leaving null (a volatile getAndSet). */
    private Object takePendingVolatile() {
        return PENDING.getAndSet(this, (Object) null);
    }

    private static final VarHandle PENDING;
    private static final VarHandle FEED;

    static {
        try {
            PENDING = MethodHandles.lookup().findVarHandle(ConcurrentBTreeMap.class, "pendingRebalance", Object.class);
            FEED = MethodHandles.lookup().findVarHandle(ConcurrentBTreeMap.class, "feed", ChangeFeed.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Merges or redistributes underfull nodes on the path to {@code key} (merge steps 1 to 4),
     * deepest first, one merge per round, coalesces at-most-half-full nodes whose pair fits in
     * {@link #coalesceLimit}, and collapses a root left with one child. Conflicting latches make it
     * back off and retry, up to {@value #MAX_MERGE_CONFLICTS} times; then it records {@code key}
     * in {@link #pendingRebalance}, and the next removal that does not rebalance itself retries.
     */
    private void rebalance(Object key, KeyCodec c) {
        rebalance(key, c, MAX_MERGE_CONFLICTS);
    }

    /** {@link #rebalance(Object, KeyCodec)}, leaving the key pending after {@code maxConflicts}. */
    private void rebalance(Object key, KeyCodec c, int maxConflicts) {
        long kp = key == null ? 0L : c.prefix(key);
        Node[] nodes = new Node[MAX_DEPTH];
        long[] versions = new long[MAX_DEPTH];
        int[] slots = new int[MAX_DEPTH];
        int conflicts = 0;
        for (int round = 0; round < 4 * MAX_DEPTH; round++) {
            if (conflicts > maxConflicts) {
                pendingRebalance = key;
                return;
            }
            int depth;
            try {
                depth = descendPath(key, kp, c, nodes, versions, slots);
            } catch (Restart r) {
                conflicts++;
                rebalanceConflicts.increment();
                continue;
            }
            // Root with a single child: the child becomes the root.
            Node r = nodes[0];
            if (r instanceof Inner && r.n == 0) {
                if (!r.tryUpgrade(versions[0])) {
                    conflicts++;
                    rebalanceConflicts.increment();
                    continue;
                }
                if (root == r && r.n == 0) {
                    root = ((Inner) r).kids[0]; // volatile store before the old root's unlock
                    r.unlockExclusiveObsolete();
                    continue;
                }
                r.unlockExclusive();
                return;
            }
            // Deepest first, underfull nodes and then at-most-half-full ones (racy reads here,
            // decided under the latches by mergeWithSibling); a node without a sibling to merge
            // with passes the turn to its parent.
            int outcome = DONE;
            for (int pass = 0; pass < 2 && outcome == DONE; pass++) {
                for (int d = depth - 1; d >= 1 && outcome == DONE; d--) {
                    int cnt = nodes[d].n;
                    if (pass == 0 ? cnt < minKeys : cnt >= minKeys && cnt <= cap / 2) {
                        outcome = mergeWithSibling((Inner) nodes[d - 1], versions[d - 1], slots[d - 1],
                                nodes[d], versions[d], c);
                    }
                }
            }
            if (outcome == DONE) {
                return;
            }
            if (outcome == CONFLICT) {
                conflicts++;
                rebalanceConflicts.increment();
                HybridLatch.backOff(SPIN_ROUNDS_BEFORE_YIELD + conflicts);
            }
        }
    }

    /** Outcomes of {@link #mergeWithSibling}. */
    private static final int MERGED = 0;
    private static final int DONE = 1;
    private static final int CONFLICT = 2;
    /**
     * Conflicts after which a revisit of a pending key gives up and leaves it pending again: few,
     * since the remover that revisits is doing someone else's work.
     */
    private static final int REVISIT_CONFLICTS = 2;
    /** Conflicts after which a rebalance leaves its key to {@link #pendingRebalance}. */
    private static final int MAX_MERGE_CONFLICTS = 16;
    /** Back-off rounds that are pure spinning in {@link HybridLatch#backOff}. */
    private static final int SPIN_ROUNDS_BEFORE_YIELD = 128;

    /**
     * Merge steps 1 to 3 for node {@code n}, child {@code pi} of {@code p}: {@link #MERGED}
     * (merged, or entries redistributed instead: the path changed, descend again), {@link #DONE}
     * (nothing to do) or {@link #CONFLICT}.
     *
     * <p>A call that writes nothing releases its latches with
     * {@link HybridLatch#unlockExclusiveUnchanged()}: the caller goes on up the same path with the
     * versions it read on the way down, and an advancing unlock of {@code p} would make the next
     * level's upgrade fail against this call's own latch, every round, so that a removal backed off
     * its full conflict budget (yielding each time) for nothing: under a loaded machine a writer
     * then managed a few hundred removals a second (BTreeConcurrencyTest, 2026-12-03).
     */
    private int mergeWithSibling(Inner p, long pv, int pi, Node n, long v, KeyCodec c) {
        if (!p.tryUpgrade(pv)) {
            return CONFLICT;
        }
        if (!n.tryUpgrade(v)) {
            p.unlockExclusiveUnchanged();
            return CONFLICT;
        }
        int pc = p.n;
        Node s;
        int ai; // slot in p of the left node of the pair
        if (pi < pc) {
            s = p.kids[pi + 1];
            ai = pi;
        } else if (pi > 0) {
            s = p.kids[pi - 1];
            ai = pi - 1;
        } else {
            n.unlockExclusiveUnchanged();
            p.unlockExclusiveUnchanged();
            return DONE;
        }
        // The seeded fault MERGE_SKIP_OBSOLETE_MARK reads a right sibling without latching it, so
        // it can neither keep writers out of it nor mark it obsolete when it is unlinked.
        boolean sLatched = !(TestHooks.ENABLED && ai == pi && TestHooks.faultActive(MERGE_SKIP_OBSOLETE_MARK));
        // Right sibling: left-to-right order; left sibling: against it. Try-lock either way.
        if (sLatched && !s.tryLockExclusive()) {
            n.unlockExclusiveUnchanged();
            p.unlockExclusiveUnchanged();
            return CONFLICT;
        }
        Node a = ai == pi ? n : s;
        Node b = ai == pi ? s : n;
        boolean bRemoved = false;
        boolean written = false; // set before the first write: an Error after it must advance the versions
        try {
            injectError(ERROR_IN_MERGE);
            // Decided here, under the latches: the caller's reads were racy.
            int nc = n.n;
            boolean underfull = nc < minKeys;
            if (!underfull && nc > cap / 2) {
                return DONE;
            }
            boolean leaves = a instanceof Leaf;
            int total = a.n + b.n + (leaves ? 0 : 1);
            if (total > cap || (!underfull && total > coalesceLimit)) {
                if (!underfull) {
                    return DONE; // not underfull and the pair is too full to coalesce: nothing to do
                }
                // Too many for one node: share them evenly instead (merge step 2, alternative).
                // Allocates, but before its first write.
                written = true;
                redistribute(p, ai, a, b, c);
                bRemoved = true;
                return MERGED;
            }
            written = true;
            mergeInto(p, pc, ai, a, b, leaves);
            bRemoved = true;
            return MERGED;
        } finally {
            // b keeps its contents for readers that still hold it: they fail validation (obsolete)
            // and restart, so they never use them. An Error thrown before the first write leaves
            // the three nodes unchanged and unlatched.
            if (!written) {
                if (b == n || sLatched) {
                    b.unlockExclusiveUnchanged();
                }
                a.unlockExclusiveUnchanged();
                p.unlockExclusiveUnchanged();
            } else {
                if (b == n || sLatched) {
                    if (bRemoved) {
                        unlockRemoved(b);
                    } else {
                        b.unlockExclusive();
                    }
                }
                a.unlockExclusive();
                p.unlockExclusive();
            }
        }
    }

    /** Merge step 2 for the latched pair {@code a}, {@code b} (slots {@code ai}, {@code ai + 1} of {@code p}). */
    private static void mergeInto(Inner p, int pc, int ai, Node a, Node b, boolean leaves) {
        if (leaves) {
            Leaf la = (Leaf) a;
            Leaf lb = (Leaf) b;
            int an = la.n;
            int bn = lb.n;
            if (la.pfx != null) {
                System.arraycopy(lb.pfx, 0, la.pfx, an, bn);
            }
            if (la.keys != null) {
                System.arraycopy(lb.keys, 0, la.keys, an, bn);
            }
            System.arraycopy(lb.vals, 0, la.vals, an, bn);
            la.n = an + bn;
            la.next = lb.next;
        } else {
            Inner ia = (Inner) a;
            Inner ib = (Inner) b;
            int an = ia.n;
            int bn = ib.n;
            // The separator between them comes down from p.
            if (ia.pfx != null) {
                ia.pfx[an] = p.pfx[ai];
                System.arraycopy(ib.pfx, 0, ia.pfx, an + 1, bn);
            }
            if (ia.keys != null) {
                ia.keys[an] = p.keys[ai];
                System.arraycopy(ib.keys, 0, ia.keys, an + 1, bn);
            }
            System.arraycopy(ib.kids, 0, ia.kids, an + 1, bn + 1);
            ia.n = an + 1 + bn;
        }
        a.high = b.high;
        // Remove separator ai and child ai + 1 from p.
        int move = pc - ai - 1;
        if (p.pfx != null) {
            System.arraycopy(p.pfx, ai + 1, p.pfx, ai, move);
        }
        if (p.keys != null) {
            System.arraycopy(p.keys, ai + 1, p.keys, ai, move);
            p.keys[pc - 1] = null;
        }
        System.arraycopy(p.kids, ai + 2, p.kids, ai + 1, move);
        p.kids[pc] = null;
        p.n = pc - 1;
        if (TestHooks.ENABLED) {
            TestHooks.recordEvent(TestHooks.MERGE);
        }
    }

    /**
     * Shares the entries of the latched siblings {@code a} (slot {@code ai} of the latched
     * {@code p}) and {@code b} evenly. The separator between them moves, and with it {@code b}'s
     * low fence; since a low fence never changes for the life of a node, {@code b} is replaced by a
     * fresh node {@code b2} (published through {@code p}, so readers trust it only after
     * validating {@code p}). Allocates before its first write; the caller unlocks the three.
     */
    private void redistribute(Inner p, int ai, Node a, Node b, KeyCodec c) {
        int an = a.n;
        int bn = b.n;
        Object sep;
        long sepPfx;
        Node b2;
        if (a instanceof Leaf) {
            Leaf la = (Leaf) a;
            Leaf lb = (Leaf) b;
            int total = an + bn;
            int h = total / 2;
            long[] pf = la.pfx == null ? null : new long[total];
            Object[] ks = la.keys == null ? null : new Object[total];
            Object[] vs = new Object[total];
            if (pf != null) {
                System.arraycopy(la.pfx, 0, pf, 0, an);
                System.arraycopy(lb.pfx, 0, pf, an, bn);
            }
            if (ks != null) {
                System.arraycopy(la.keys, 0, ks, 0, an);
                System.arraycopy(lb.keys, 0, ks, an, bn);
            }
            System.arraycopy(la.vals, 0, vs, 0, an);
            System.arraycopy(lb.vals, 0, vs, an, bn);
            sep = ks != null ? ks[h] : c.decode(pf[h]);
            sepPfx = pf != null ? pf[h] : 0L;
            Leaf nb = new Leaf(sep, lb.high, cap, c);
            fillLeaf(la, pf, ks, vs, 0, h);
            fillLeaf(nb, pf, ks, vs, h, total);
            nb.next = lb.next;
            la.next = nb; // b is always the right node of the pair, so a is its only left neighbour
            b2 = nb;
        } else {
            Inner ia = (Inner) a;
            Inner ib = (Inner) b;
            int total = an + 1 + bn;
            int h = total / 2;
            long[] pf = ia.pfx == null ? null : new long[total];
            Object[] ks = ia.keys == null ? null : new Object[total];
            Node[] kids = new Node[total + 1];
            if (pf != null) {
                System.arraycopy(ia.pfx, 0, pf, 0, an);
                pf[an] = p.pfx[ai];
                System.arraycopy(ib.pfx, 0, pf, an + 1, bn);
            }
            if (ks != null) {
                System.arraycopy(ia.keys, 0, ks, 0, an);
                ks[an] = p.keys[ai];
                System.arraycopy(ib.keys, 0, ks, an + 1, bn);
            }
            System.arraycopy(ia.kids, 0, kids, 0, an + 1);
            System.arraycopy(ib.kids, 0, kids, an + 1, bn + 1);
            sep = ks != null ? ks[h] : c.decode(pf[h]);
            sepPfx = pf != null ? pf[h] : 0L;
            Inner nb = new Inner(sep, ib.high, cap, c);
            fillInner(ia, pf, ks, kids, 0, h);
            fillInner(nb, pf, ks, kids, h + 1, total);
            b2 = nb;
        }
        a.high = sep;
        if (p.pfx != null) {
            p.pfx[ai] = sepPfx;
        }
        if (p.keys != null) {
            p.keys[ai] = sep;
        }
        p.kids[ai + 1] = b2;
        if (TestHooks.ENABLED) {
            TestHooks.recordEvent(TestHooks.REDISTRIBUTE);
        }
    }

    /**
     * Releases the latched node {@code b}, just unlinked from its parent, as obsolete; under the
     * seeded fault {@link #MERGE_SKIP_OBSOLETE_MARK}, with a plain unlock. (The fault leaves a
     * right sibling it never latched as it is.)
     */
    private static void unlockRemoved(Node b) {
        if (TestHooks.ENABLED && TestHooks.faultActive(MERGE_SKIP_OBSOLETE_MARK)) {
            b.unlockExclusive();
        } else {
            b.unlockExclusiveObsolete();
        }
    }

    /** Makes latched leaf {@code n} hold entries {@code from..to} of the given arrays. */
    private static void fillLeaf(Leaf n, long[] pf, Object[] ks, Object[] vs, int from, int to) {
        int m = to - from;
        if (pf != null) {
            System.arraycopy(pf, from, n.pfx, 0, m);
        }
        if (ks != null) {
            System.arraycopy(ks, from, n.keys, 0, m);
            java.util.Arrays.fill(n.keys, m, n.keys.length, null);
        }
        System.arraycopy(vs, from, n.vals, 0, m);
        java.util.Arrays.fill(n.vals, m, n.vals.length, null);
        n.n = m;
    }

    /** Makes latched inner {@code n} hold separators {@code from..to} and their children. */
    private static void fillInner(Inner n, long[] pf, Object[] ks, Node[] kids, int from, int to) {
        int m = to - from;
        if (pf != null) {
            System.arraycopy(pf, from, n.pfx, 0, m);
        }
        if (ks != null) {
            System.arraycopy(ks, from, n.keys, 0, m);
            java.util.Arrays.fill(n.keys, m, n.keys.length, null);
        }
        System.arraycopy(kids, from, n.kids, 0, m + 1);
        java.util.Arrays.fill(n.kids, m + 1, n.kids.length, null);
        n.n = m;
    }

    // ------------------------------------------------------------------ pessimistic fallback

    /**
     * Latches the leaf for {@code key} (see {@link #childSlot}) by shared latches coupled
     * top-down, the leaf itself shared or, if {@code exclusive}, exclusive. Blocking, in the
     * global order, and never restarted: a child cannot become obsolete while its parent is
     * share-latched (merges need the parent exclusively), and a writer holding the child never
     * waits for the parent (parents are upgraded with the try form, first). The caller unlocks.
     */
    private Leaf latchLeaf(Object key, long kp, boolean before, boolean exclusive, KeyCodec c) {
        for (;;) {
            Node n = root;
            boolean leafRoot = n instanceof Leaf;
            if (!(leafRoot && exclusive ? n.lockExclusive() : n.lockShared())) {
                continue;
            }
            if (n != root) {
                unlock(n, leafRoot && exclusive);
                continue;
            }
            while (n instanceof Inner) {
                Inner in = (Inner) n;
                Node child;
                try {
                    child = in.kids[childSlot(in, in.n, key, kp, before, c)];
                } catch (RuntimeException | Error e) {
                    in.unlockShared(); // a consistent read threw: the comparator's own exception
                    throw e;
                }
                boolean x = exclusive && child instanceof Leaf;
                if (!(x ? child.lockExclusive() : child.lockShared())) {
                    in.unlockShared();
                    throw new IllegalStateException("child of a share-latched node became obsolete");
                }
                in.unlockShared();
                n = child;
            }
            return (Leaf) n;
        }
    }

    private static void unlock(Node n, boolean exclusive) {
        if (exclusive) {
            n.unlockExclusive();
        } else {
            n.unlockShared();
        }
    }

    /** Latches {@code l.next} of the latched leaf {@code l} (left to right: the global order). */
    private static Leaf latchNext(Leaf l, boolean exclusive) {
        // l.next changes only under l's exclusive latch, and cannot become obsolete while l is
        // latched: it would have to merge into its left sibling, l, which a merge latches first.
        Leaf nx = l.next;
        if (nx == null || !(exclusive ? nx.lockExclusive() : nx.lockShared())) {
            throw new IllegalStateException("the right neighbour of a latched leaf is missing or obsolete");
        }
        return nx;
    }

    /**
     * The pessimistic search upwards: latches (shared, or exclusive) the leaf for {@code key} and
     * then its right neighbours, left to right, adding each to {@code held}, until one holds a key
     * above (or at, if {@code inclusive}) {@code key} (any key if null) that is not beyond
     * {@code hi}. Returns its slot, the leaf being the last in {@code held}; or -1 if there is
     * none. Every leaf on the way stays latched until the caller releases {@code held}, so the
     * answer holds at one instant.
     */
    private int latchUp(Object key, long kp, boolean inclusive, Object hi, boolean hiInclusive, boolean exclusive,
                        KeyCodec c, ArrayList<Leaf> held) {
        Leaf l = latchLeaf(key, kp, false, exclusive, c);
        held.add(l);
        boolean first = true;
        for (;;) {
            int cnt = l.n;
            int idx = 0;
            if (first && key != null) {
                int r = search(l, cnt, key, kp, c);
                idx = r >= 0 ? (inclusive ? r : r + 1) : -r - 1;
            }
            if (idx < cnt) {
                return aboveTo(keyAt(l, idx, c), hi, hiInclusive, c) ? -1 : idx;
            }
            Object fence = l.high;
            if (fence == null || aboveTo(fence, hi, hiInclusive, c)) {
                return -1;
            }
            l = latchNext(l, exclusive);
            held.add(l);
            first = false;
        }
    }

    /**
     * The pessimistic search downwards, with {@link #latchUp}'s contract mirrored: the greatest key
     * below (or at, if {@code inclusive}) {@code key} (any key if null) that is not below
     * {@code lo}. Leaves have no left links, and latching right to left could deadlock with a
     * writer going left to right, so each round latches, left to right, every leaf from a start
     * leaf to the one holding {@code key}: first the latter alone; then, while nothing is found,
     * from the leaf left of the previous start's low fence (releasing everything in between
     * rounds). Returns the slot, the leaf being {@code held.get(found[0])}; or -1.
     */
    private int latchDown(Object key, long kp, boolean inclusive, Object lo, boolean loInclusive, boolean exclusive,
                          KeyCodec c, ArrayList<Leaf> held, int[] found) {
        Object from = key;
        long fromP = kp;
        boolean before = key == null;
        for (;;) {
            Leaf start = latchLeaf(from, fromP, before, exclusive, c);
            held.add(start);
            Leaf l = start;
            while (l.high != null && (key == null || c.compare(l.high, key) <= 0)) {
                l = latchNext(l, exclusive);
                held.add(l);
            }
            for (int j = held.size() - 1; j >= 0; j--) {
                Leaf x = held.get(j);
                int cnt = x.n;
                int idx = cnt - 1;
                if (key != null) {
                    int r = search(x, cnt, key, kp, c);
                    idx = r >= 0 ? (inclusive ? r : r - 1) : -r - 2;
                }
                if (idx >= 0) {
                    if (belowFrom(keyAt(x, idx, c), lo, loInclusive, c)) {
                        return -1;
                    }
                    found[0] = j;
                    return idx;
                }
            }
            Object fence = start.low;
            if (fence == null || (lo != null && c.compare(fence, lo) <= 0)) {
                return -1;
            }
            release(held, exclusive);
            from = fence;
            fromP = c.prefix(fence);
            before = true;
        }
    }

    /** Unlocks every leaf in {@code held}, right to left, and empties it. */
    private static void release(ArrayList<Leaf> held, boolean exclusive) {
        for (int j = held.size() - 1; j >= 0; j--) {
            unlock(held.get(j), exclusive);
        }
        held.clear();
    }

    /** The pessimistic fallback of {@link #findNear}: {@link #latchUp} or {@link #latchDown}, shared. */
    private Map.Entry<Object, Object> findNearLatched(Object key, long kp, boolean up, boolean inclusive, KeyCodec c) {
        ArrayList<Leaf> held = new ArrayList<>(4);
        try {
            int[] found = new int[1];
            int idx = up ? latchUp(key, kp, inclusive, null, false, false, c, held)
                    : latchDown(key, kp, inclusive, null, false, false, c, held, found);
            if (idx < 0) {
                return null;
            }
            Leaf l = held.get(up ? held.size() - 1 : found[0]);
            return new SimpleImmutableEntry<>(keyAt(l, idx, c), l.vals[idx]);
        } finally {
            release(held, false);
        }
    }

    // ------------------------------------------------------------------ navigation

    @Override
    @SuppressWarnings("unchecked")
    protected Map.Entry<K, V> findNear(K key, int relation) {
        KeyCodec c = codec;
        long kp = key == null ? 0L : prefixOf(key, c);
        if (c == KeyCodec.UNDECIDED) {
            return null;
        }
        boolean up = relation == GT || relation == GE;
        boolean inclusive = relation == GE || relation == LE;
        Found f = new Found();
        long[] tmp = new long[1];
        for (int attempt = 0; attempt < optimisticAttempts; attempt++) {
            if (attempt > 0) {
                HybridLatch.backOff(attempt);
            }
            try {
                return (Map.Entry<K, V>) findNearOnce(key, kp, up, inclusive, c, f, tmp);
            } catch (Restart r) {
                // retry
            }
        }
        return (Map.Entry<K, V>) findNearLatched(key, kp, up, inclusive, c);
    }

    /** One optimistic attempt of {@link #findNear}; throws {@link #RESTART}. */
    private Map.Entry<Object, Object> findNearOnce(Object key, long kp, boolean up, boolean inclusive,
                                                   KeyCodec c, Found f, long[] tmp) {
        descend(key, kp, key == null && !up, c, f, tmp);
        Leaf leaf = f.leaf;
        long v = f.v;
        int idx;
        int cnt;
        Object fence;
        try {
            cnt = leaf.n;
            if (key == null) {
                idx = up ? 0 : cnt - 1;
            } else {
                int r = search(leaf, cnt, key, kp, c);
                if (r >= 0) {
                    idx = inclusive ? r : up ? r + 1 : r - 1;
                } else {
                    idx = up ? -r - 1 : -r - 2;
                }
            }
            if (idx >= 0 && idx < cnt) {
                Object k = keyAt(leaf, idx, c);
                Object val = leaf.vals[idx];
                if (!leaf.validate(v) || k == null || val == null) {
                    throw RESTART;
                }
                return new SimpleImmutableEntry<>(k, val);
            }
            fence = up ? leaf.high : leaf.low;
        } catch (Restart r) {
            throw r;
        } catch (RuntimeException e) {
            if (leaf.validate(v)) {
                throw e;
            }
            throw RESTART;
        }
        boolean crossUnvalidated = TestHooks.ENABLED && TestHooks.faultActive(NAVIGATE_CROSS_LEAF_UNVALIDATED);
        if (!crossUnvalidated && !leaf.validate(v)) {
            throw RESTART;
        }
        // Nothing on this side in this leaf: walk to the neighbours, keeping every version read
        // so they can all be validated together at the end.
        Leaf[] chain = {leaf};
        long[] chainV = {v};
        int held = 1;
        while (fence != null) {
            descend(fence, c.prefix(fence), !up, c, f, tmp);
            Leaf nb = f.leaf;
            long nv = f.v;
            Object k;
            Object val;
            Object nextFence;
            try {
                int nc = nb.n;
                if (nc > 0) {
                    int j = up ? 0 : nc - 1;
                    k = keyAt(nb, j, c);
                    val = nb.vals[j];
                    nextFence = null;
                } else {
                    k = null;
                    val = null;
                    nextFence = up ? nb.high : nb.low;
                }
            } catch (RuntimeException e) {
                throw RESTART; // only plain reads here: any exception is a torn read
            }
            if (!nb.validate(nv)) {
                throw RESTART;
            }
            for (int j = held - 1; j >= 0 && !crossUnvalidated; j--) {
                if (!chain[j].validate(chainV[j])) {
                    throw RESTART;
                }
            }
            if (k != null) {
                if (val == null) {
                    throw RESTART;
                }
                return new SimpleImmutableEntry<>(k, val);
            }
            if (held == chain.length) {
                chain = java.util.Arrays.copyOf(chain, held * 2);
                chainV = java.util.Arrays.copyOf(chainV, held * 2);
            }
            chain[held] = nb;
            chainV[held] = nv;
            held++;
            fence = nextFence;
        }
        return null;
    }

    // ------------------------------------------------------------------ batch scans

    @Override
    @SuppressWarnings("unchecked")
    public int copyBatch(K from, boolean fromInclusive, K to, boolean toInclusive, boolean descending,
                         Object[] keys, Object[] values) {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(values, "values");
        if (keys.length == 0 || values.length < keys.length) {
            throw new IllegalArgumentException("need keys.length > 0 and values.length >= keys.length, were "
                    + keys.length + " and " + values.length);
        }
        KeyCodec c = codec;
        long fromP = from == null ? 0L : c.prefix(from);
        long toP = to == null ? 0L : c.prefix(to);
        if (c == KeyCodec.UNDECIDED) {
            return 0;
        }
        Found f = new Found();
        long[] tmp = new long[1];
        for (int attempt = 0; attempt < optimisticAttempts; attempt++) {
            if (attempt > 0) {
                HybridLatch.backOff(attempt);
            }
            try {
                return descending
                        ? copyRange(to, toP, toInclusive, from, fromInclusive, true, keys, values, c, f, tmp)
                        : copyRange(from, fromP, fromInclusive, to, toInclusive, false, keys, values, c, f, tmp);
            } catch (Restart r) {
                // retry
            }
        }
        return descending
                ? copyRangeLatched(to, toP, toInclusive, from, fromInclusive, true, keys, values, c)
                : copyRangeLatched(from, fromP, fromInclusive, to, toInclusive, false, keys, values, c);
    }

    /**
     * The pessimistic fallback of {@link #copyRange}, with its contract: the first entry comes
     * from {@link #latchUp} or {@link #latchDown} (shared), so a result of zero means the range was
     * empty at one instant; then each leaf is copied under its shared latch, ascending by the next
     * links (latching the next leaf before releasing the last), descending by a descent to the leaf
     * left of the last low fence.
     */
    private int copyRangeLatched(Object start, long startP, boolean startInclusive, Object end, boolean endInclusive,
                                 boolean desc, Object[] keys, Object[] values, KeyCodec c) {
        ArrayList<Leaf> held = new ArrayList<>(4);
        try {
            int[] found = new int[1];
            int idx = desc ? latchDown(start, startP, startInclusive, end, endInclusive, false, c, held, found)
                    : latchUp(start, startP, startInclusive, end, endInclusive, false, c, held);
            if (idx < 0) {
                return 0;
            }
            Leaf l = held.get(desc ? found[0] : held.size() - 1);
            int m = 0;
            for (;;) {
                int cnt = l.n;
                boolean ended = false;
                for (; idx >= 0 && idx < cnt && m < keys.length; idx += desc ? -1 : 1) {
                    Object k = keyAt(l, idx, c);
                    if (desc ? belowFrom(k, end, endInclusive, c) : aboveTo(k, end, endInclusive, c)) {
                        ended = true;
                        break;
                    }
                    keys[m] = k;
                    values[m] = l.vals[idx];
                    m++;
                }
                Object fence = desc ? l.low : l.high;
                if (ended || m == keys.length || fence == null || (desc
                        ? end != null && c.compare(fence, end) <= 0
                        : aboveTo(fence, end, endInclusive, c))) {
                    return m;
                }
                if (desc) {
                    release(held, false);
                    long fp = c.prefix(fence);
                    l = latchLeaf(fence, fp, true, false, c);
                    held.add(l);
                    int r = search(l, l.n, fence, fp, c);
                    idx = r >= 0 ? r - 1 : -r - 2; // keys below the fence: not copied yet
                } else {
                    Leaf nx = latchNext(l, false);
                    release(held, false);
                    held.add(nx);
                    l = nx;
                    idx = 0;
                }
            }
        } finally {
            release(held, false);
        }
    }

    /** Whether key {@code k} lies beyond the upper bound {@code to}. */
    private static boolean aboveTo(Object k, Object to, boolean toInclusive, KeyCodec c) {
        if (to == null) {
            return false;
        }
        int r = c.compare(k, to);
        return r > 0 || (r == 0 && !toInclusive);
    }

    /** Whether key {@code k} lies below the lower bound {@code from}. */
    private static boolean belowFrom(Object k, Object from, boolean fromInclusive, KeyCodec c) {
        if (from == null) {
            return false;
        }
        int r = c.compare(k, from);
        return r < 0 || (r == 0 && !fromInclusive);
    }

    /**
     * One attempt of {@link #copyBatch} in either direction ({@code start} is where the scan
     * begins: the lower bound ascending, the upper bound descending; {@code end} where it stops).
     * Copies leaf after leaf until the arrays are full or the range ends. Each leaf's copy is
     * validated on its own, which is what weak consistency needs: every entry copied was in its
     * leaf at that leaf's validation, and a continuation starts at the previous leaf's fence, past
     * every key already copied, so keys stay strictly ordered. While nothing has been copied yet,
     * the empty leaves passed on the way are validated again together, so that a result of zero
     * means the range was empty at one instant. Throws {@link #RESTART} only before anything was
     * copied; after that a failed validation just ends the batch early.
     */
    private int copyRange(Object start, long startP, boolean startInclusive, Object end, boolean endInclusive,
                          boolean desc, Object[] keys, Object[] values, KeyCodec c, Found f, long[] tmp) {
        descend(start, startP, desc && start == null, c, f, tmp);
        Leaf leaf = f.leaf;
        long v = f.v;
        Leaf[] chain = null;
        long[] chainV = null;
        int held = 0;
        int m = 0;
        for (;;) {
            int copied = m;
            Object fence;
            Leaf right;
            boolean ended = false;
            try {
                int cnt = leaf.n;
                int idx = desc ? cnt - 1 : 0;
                if (start != null) {
                    int r = search(leaf, cnt, start, startP, c);
                    if (desc) {
                        idx = r >= 0 ? (startInclusive ? r : r - 1) : -r - 2;
                    } else {
                        idx = r >= 0 ? (startInclusive ? r : r + 1) : -r - 1;
                    }
                }
                for (; idx >= 0 && idx < cnt && copied < keys.length; idx += desc ? -1 : 1) {
                    Object k = keyAt(leaf, idx, c);
                    if (desc ? belowFrom(k, end, endInclusive, c) : aboveTo(k, end, endInclusive, c)) {
                        ended = true;
                        break;
                    }
                    keys[copied] = k;
                    values[copied] = leaf.vals[idx];
                    copied++;
                }
                fence = desc ? leaf.low : leaf.high;
                right = leaf.next;
            } catch (RuntimeException e) {
                if (leaf.validate(v)) {
                    throw e;
                }
                if (m > 0) {
                    return m;
                }
                throw RESTART;
            }
            // A validated copy is consistent: no slot below n is null, so nothing more to check.
            boolean valid = leaf.validate(v);
            for (int j = held - 1; valid && j >= 0; j--) {
                valid = chain[j].validate(chainV[j]);
            }
            if (!valid) {
                if (m > 0) {
                    return m;
                }
                throw RESTART;
            }
            if (m == 0 && copied == 0) {
                if (chain == null) {
                    chain = new Leaf[4];
                    chainV = new long[4];
                } else if (held == chain.length) {
                    chain = java.util.Arrays.copyOf(chain, held * 2);
                    chainV = java.util.Arrays.copyOf(chainV, held * 2);
                }
                chain[held] = leaf;
                chainV[held] = v;
                held++;
            } else {
                held = 0; // something was copied: the emptiness claim is no longer needed
            }
            m = copied;
            // Ascending, the next leaf holds keys >= fence; descending, keys < fence.
            boolean rangeEnds = fence == null || (desc
                    ? end != null && c.compare(fence, end) <= 0
                    : aboveTo(fence, end, endInclusive, c));
            if (ended || m == keys.length || rangeEnds) {
                return m;
            }
            start = fence;
            startP = c.prefix(fence);
            startInclusive = !desc;
            // Ascending: step to the right neighbour by coupling versions (read its version, then
            // re-validate this leaf, so it was this leaf's neighbour when that version was read).
            // Descending, or if the neighbour is latched: descend again by the fence.
            long rv = !desc && right != null ? right.tryOptimisticRead() : HybridLatch.RESTART;
            if (rv != HybridLatch.RESTART && leaf.validate(v)) {
                leaf = right;
                v = rv;
                continue;
            }
            try {
                descend(fence, startP, desc, c, f, tmp);
            } catch (Restart r) {
                if (m > 0) {
                    return m;
                }
                throw r;
            }
            leaf = f.leaf;
            v = f.v;
        }
    }

    // ------------------------------------------------------------------ iterator cursor

    /** Entries an ascending iterator's cursor copies at most per batch (one leaf, or part of one). */
    private static final int CURSOR_BATCH = 64;

    /**
     * Ascending scans (iterators, range flows) read the leaves directly through a
     * {@link LeafCursor}; descending ones copy batches through {@link #copyBatch} (leaves have no
     * links to the left).
     *
     * @throws IllegalArgumentException {@inheritDoc}
     * @throws ClassCastException {@inheritDoc}
     */
    @Override
    public BatchCursor<K, V> openCursor(K from, boolean fromInclusive, K to, boolean toInclusive,
                                        boolean descending, int maxBatch) {
        KeyCodec c = codec;
        if (descending || c == KeyCodec.UNDECIDED) {
            return super.openCursor(from, fromInclusive, to, toInclusive, descending, maxBatch);
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1, was " + maxBatch);
        }
        return new LeafCursor<>(this, c, from, fromInclusive, to, toInclusive, maxBatch);
    }

    /**
     * The cursor of ascending scans (iterators and range flows). Each batch is one validated copy of a stretch of one leaf
     * (at most {@link #CURSOR_BATCH} entries), made with bulk array copies; keys of exact codecs
     * are copied as prefixes and rebuilt only when the iterator asks for one. Between batches the
     * cursor keeps its place, holding no latch, in one of three forms:
     * <ol>
     *   <li>the leaf it copied from, the version it copied at and the slot to go on from (when the
     *       leaf had more entries than a batch holds). Trusted only if the leaf still validates at
     *       that version, which proves it holds exactly what it held;</li>
     *   <li>the right neighbour of that leaf, read with the copy. Trusted only if its version,
     *       read now, is neither latched nor obsolete: then it is a leaf of the tree, and its low
     *       fence, which never changes, is the high fence of the leaf before, so it holds every
     *       key from there up to its own high fence (a merge or redistribution that moves those
     *       keys elsewhere makes it obsolete first);</li>
     *   <li>otherwise a start key: the last key returned (exclusive) or that fence (inclusive),
     *       from which it descends again from the root.</li>
     * </ol>
     * So a scan descends once, not once per batch, and every batch is consistent on its own: keys
     * come out strictly ordered, and a key present throughout lies in a leaf the cursor copies.
     * Callers that will read the values ask for them to be loaded together
     * ({@link #prefetchValues()}).
     */
    private static final class LeafCursor<K, V> implements BatchCursor<K, V> {
        private final ConcurrentBTreeMap<K, V> map;
        private final KeyCodec c;
        private final Object hi;
        private final long hiP;
        private final boolean hiInclusive;
        /** Prefixes of the batch's keys (exact codecs), or null. */
        private final long[] codes;
        /** The batch's keys (other codecs), or null. */
        private final Object[] keys;
        /** Rebuilds a key from its prefix (exact codecs), for the batch's entries ({@link CodedEntry}). */
        private final LongFunction<K> decoder;
        private final Object[] vals;
        private final Found f = new Found();
        private final long[] tmp = new long[1];

        /** Where a descent starts: null is the leftmost leaf. */
        private Object start;
        private long startP;
        private boolean startInclusive;
        /** Form 1: the leaf to go on in, its version and slot; null when not in that form. */
        private Leaf leaf;
        private long v;
        private int pos;
        /** Form 2: the right neighbour to try next; null when not in that form. */
        private Leaf right;
        private boolean done;
        /** Entries in the current batch. */
        private int count;
        /**
         * Written by {@link #prefetchValues()} so that its loads have a use and stay in the
         * compiled code; never read.
         */
        @SuppressWarnings("unused")
        private int prefetched;

        @SuppressWarnings("unchecked")
        LeafCursor(ConcurrentBTreeMap<K, V> map, KeyCodec c, Object lo, boolean loInclusive,
                   Object hi, boolean hiInclusive, int maxBatch) {
            this.map = map;
            this.c = c;
            this.start = lo;
            this.startP = lo == null ? 0L : c.prefix(lo);
            this.startInclusive = loInclusive;
            this.hi = hi;
            this.hiP = hi == null ? 0L : c.prefix(hi);
            this.hiInclusive = hiInclusive;
            int size = Math.min(Math.min(map.cap, CURSOR_BATCH), maxBatch);
            this.codes = c.kind == KeyCodec.EXACT ? new long[size] : null;
            this.keys = c.kind == KeyCodec.EXACT ? null : new Object[size];
            this.vals = new Object[size];
            this.decoder = p -> (K) c.decode(p);
        }

        @Override
        public int advance() {
            count = 0; // until a batch validates: a failed or throwing call leaves no batch
            if (done) {
                return 0;
            }
            for (int attempt = 0; ; ) {
                if (attempt >= map.optimisticAttempts) {
                    return advanceLatched();
                }
                Leaf l;
                long lv;
                int from; // -1: search the leaf for the start key
                if (leaf != null) {
                    l = leaf;
                    lv = v;
                    from = pos;
                    leaf = null; // if this fails to validate, the next round descends
                } else if (right != null) {
                    l = right;
                    right = null;
                    lv = l.tryOptimisticRead();
                    if (lv == HybridLatch.RESTART) {
                        continue; // latched or obsolete: descend by the fence instead
                    }
                    from = 0;
                } else {
                    try {
                        map.descend(start, startP, false, c, f, tmp);
                    } catch (Restart r) {
                        HybridLatch.backOff(++attempt);
                        continue;
                    }
                    l = f.leaf;
                    lv = f.v;
                    from = -1;
                }
                int n;
                int cnt;
                int end;
                Object fence;
                Leaf nx;
                try {
                    // Untrusted until l validates: indices are bounds-checked by arraycopy, and
                    // whatever a torn read throws is caught below.
                    cnt = l.n;
                    if (from < 0) {
                        from = 0;
                        if (start != null) {
                            int r = search(l, cnt, start, startP, c);
                            from = r >= 0 ? (startInclusive ? r : r + 1) : -r - 1;
                        }
                    }
                    end = cnt;
                    if (hi != null) {
                        int r = search(l, cnt, hi, hiP, c);
                        end = r >= 0 ? (hiInclusive ? r + 1 : r) : -r - 1;
                    }
                    n = Math.max(0, Math.min(end - from, vals.length));
                    if (n > 0) {
                        if (codes != null) {
                            System.arraycopy(l.pfx, from, codes, 0, n);
                        } else {
                            System.arraycopy(l.keys, from, keys, 0, n);
                        }
                        System.arraycopy(l.vals, from, vals, 0, n);
                    }
                    fence = l.high;
                    nx = l.next;
                } catch (RuntimeException e) {
                    if (l.validate(lv)) {
                        throw e; // a consistent read threw: the comparator's own exception
                    }
                    HybridLatch.backOff(++attempt);
                    continue;
                }
                if (!l.validate(lv)) {
                    HybridLatch.backOff(++attempt);
                    continue;
                }
                // Slots [from, from + n) of l, as they were at version lv.
                if (from + n < end) {
                    leaf = l;
                    v = lv;
                    pos = from + n;
                    startInclusive = false;
                    if (codes != null) {
                        startP = codes[n - 1];
                        start = c.decode(startP);
                    } else {
                        start = keys[n - 1];
                        startP = c.prefix(start);
                    }
                } else if (end < cnt || fence == null || (hi != null && aboveTo(fence, hi, hiInclusive, c))) {
                    done = true;
                } else {
                    start = fence;
                    startP = c.prefix(fence);
                    startInclusive = true;
                    right = nx;
                }
                if (n > 0) {
                    return count = n;
                }
                if (done) {
                    return 0;
                }
                // Nothing of the range in this leaf: go on to the next one.
            }
        }

        /**
         * The pessimistic fallback of {@link #advance()} after {@link #OPTIMISTIC_ATTEMPTS} failed
         * optimistic rounds: {@link #latchUp} from the start key (shared latches, blocking, in the
         * global order) finds the leaf and slot of the first entry, which is copied under the
         * leaf's shared latch; the cursor then keeps its place as the optimistic path does (the
         * version for form 1 is read while the latch is held, so it is the leaf's current one).
         */
        private int advanceLatched() {
            ArrayList<Leaf> held = new ArrayList<>(4);
            try {
                leaf = null;
                right = null;
                int from = map.latchUp(start, startP, startInclusive, hi, hiInclusive, false, c, held);
                if (from < 0) {
                    done = true;
                    return 0;
                }
                Leaf l = held.get(held.size() - 1);
                int cnt = l.n;
                int end = cnt;
                if (hi != null) {
                    int r = search(l, cnt, hi, hiP, c);
                    end = r >= 0 ? (hiInclusive ? r + 1 : r) : -r - 1;
                }
                int n = Math.min(end - from, vals.length); // at least 1: latchUp found slot from in range
                if (codes != null) {
                    System.arraycopy(l.pfx, from, codes, 0, n);
                } else {
                    System.arraycopy(l.keys, from, keys, 0, n);
                }
                System.arraycopy(l.vals, from, vals, 0, n);
                Object fence = l.high;
                // RESTART only if a writer waits for the latch (it set the exclusive bit): then
                // the cursor goes on from the start key instead of from this leaf.
                long lv = l.tryOptimisticRead();
                if (from + n < end) {
                    if (lv != HybridLatch.RESTART) {
                        leaf = l;
                        v = lv;
                        pos = from + n;
                    }
                    startInclusive = false;
                    if (codes != null) {
                        startP = codes[n - 1];
                        start = c.decode(startP);
                    } else {
                        start = keys[n - 1];
                        startP = c.prefix(start);
                    }
                } else if (end < cnt || fence == null || (hi != null && aboveTo(fence, hi, hiInclusive, c))) {
                    done = true;
                } else {
                    start = fence;
                    startP = c.prefix(fence);
                    startInclusive = true;
                    right = l.next;
                }
                return count = n;
            } finally {
                release(held, false);
            }
        }

        /**
         * Loads the header of every value of the batch, in a loop with nothing else in it, and,
         * when the batch ended a leaf, the right neighbour the next batch will read. Values are
         * objects wherever the heap put them, so reading each is a cache miss. Issued here the
         * misses overlap, as no load depends on another, while a caller's loop, with an
         * iterator's work between two values, keeps only a few in flight; the neighbour's own
         * misses (the node, then its two arrays) overlap with them instead of starting when the
         * next batch does. Measured on 100-entry scans of a 1M-entry map (the loop of
         * {@code ReadMicroBenchmark.scan100}, in pairs of runs with and without): the values loop
         * took them from 237 k to 377 k and from 326 k to 423 k scans per second; the neighbour
         * added 3 to 13 percent in five pairs of six. A loop over entries that reads only keys pays for loads it never uses,
         * which is why key iterators do not call this.
         *
         * <p>Nothing read here is trusted or kept, so nothing needs validating: the batch holds
         * references to objects that stay valid whatever the leaf did since the copy, and the
         * neighbour's fields are read only to touch their cache lines.
         */
        @Override
        public void prefetchValues() {
            int t = 0; // a use for every load, so that the JIT keeps them; stored, never read
            Leaf r = right;
            if (r != null) {
                long[] p = r.pfx; // null for codecs without prefixes
                t += r.n + r.vals.length + (p != null ? p.length : 0);
            }
            prefetched = t + BatchCursor.touchAll(vals, count);
        }

        @Override
        @SuppressWarnings("unchecked")
        public K key(int i) {
            return (K) (codes != null ? c.decode(codes[i]) : keys[i]);
        }

        @Override
        @SuppressWarnings("unchecked")
        public V value(int i) {
            return (V) vals[i];
        }

        @Override
        @SuppressWarnings("unchecked")
        public Map.Entry<K, V> entry(int i) {
            return codes != null ? new CodedEntry<>(decoder, codes[i], (V) vals[i])
                    : new SimpleImmutableEntry<>((K) keys[i], (V) vals[i]);
        }
    }

    // ------------------------------------------------------------------ polls

    @Override
    @SuppressWarnings("unchecked")
    protected Map.Entry<K, V> pollInRange(K lo, boolean loInclusive, K hi, boolean hiInclusive, boolean highest) {
        KeyCodec c = codec;
        long loP = lo == null ? 0L : c.prefix(lo);
        long hiP = hi == null ? 0L : c.prefix(hi);
        if (c == KeyCodec.UNDECIDED) {
            return null;
        }
        Found f = new Found();
        long[] tmp = new long[1];
        ArrayList<Leaf> held = new ArrayList<>(2);
        for (int attempt = 0; ; attempt++) {
            if (attempt > 0) {
                HybridLatch.backOff(attempt);
            }
            Object[] removed = null;
            try {
                if (attempt >= optimisticAttempts) {
                    // The pessimistic fallback: exclusive latches, blocking, in the global order.
                    int[] found = new int[1];
                    int idx = highest ? latchDown(hi, hiP, hiInclusive, lo, loInclusive, true, c, held, found)
                            : latchUp(lo, loP, loInclusive, hi, hiInclusive, true, c, held);
                    if (idx >= 0) {
                        Leaf l = held.get(highest ? found[0] : held.size() - 1);
                        Object k = keyAt(l, idx, c);
                        removed = new Object[] {k, removeAt(l, l.n, idx), l};
                    }
                } else {
                    removed = highest
                            ? pollDown(hi, hiP, hiInclusive, lo, loInclusive, c, f, tmp, held)
                            : pollUp(lo, loP, loInclusive, hi, hiInclusive, c, f, tmp, held);
                }
                if (removed != null) {
                    publishChange((K) removed[0], (V) removed[1], null); // its leaf is in held, latched
                }
            } catch (Restart r) {
                continue;
            } finally {
                for (int j = held.size() - 1; j >= 0; j--) {
                    held.get(j).unlockExclusive();
                }
                held.clear();
            }
            if (removed == null) {
                return null;
            }
            count.decrement();
            Object k = removed[0];
            Leaf from = (Leaf) removed[2];
            if (from.n < minKeys) {
                rebalance(k, c);
            }
            return new SimpleImmutableEntry<>((K) k, (V) removed[1]);
        }
    }

    /**
     * Latches leaves exclusively from the one holding {@code lo}, left to right (blocking is in
     * order), until one holds a key of the range; removes it. Returns {key, value, leaf} or null.
     * The caller unlocks every leaf in {@code held}.
     */
    private Object[] pollUp(Object lo, long loP, boolean loInclusive, Object hi, boolean hiInclusive,
                            KeyCodec c, Found f, long[] tmp, ArrayList<Leaf> held) {
        descend(lo, loP, false, c, f, tmp);
        Leaf leaf = f.leaf;
        if (!leaf.tryUpgrade(f.v)) {
            throw RESTART;
        }
        held.add(leaf);
        boolean first = true;
        for (;;) {
            int cnt = leaf.n;
            int idx = 0;
            if (first && lo != null) {
                int r = search(leaf, cnt, lo, loP, c);
                idx = r >= 0 ? (loInclusive ? r : r + 1) : -r - 1;
            }
            if (idx < cnt) {
                Object k = keyAt(leaf, idx, c);
                if (aboveTo(k, hi, hiInclusive, c)) {
                    return null;
                }
                if (TestHooks.ENABLED && TestHooks.faultActive(POLL_NEIGHBOUR_UNLATCHED)) {
                    return takeInLaterLatchPeriod(leaf, idx, k, c, held, true);
                }
                Object val = removeAt(leaf, cnt, idx);
                return new Object[] {k, val, leaf};
            }
            Object fence = leaf.high;
            if (fence == null || aboveTo(fence, hi, hiInclusive, c)) {
                return null;
            }
            descend(fence, c.prefix(fence), false, c, f, tmp);
            Leaf next = f.leaf;
            if (!next.lockExclusive()) {
                throw RESTART;
            }
            if (next.low == null || c.compare(next.low, fence) != 0) {
                next.unlockExclusive();
                throw RESTART;
            }
            held.add(next);
            leaf = next;
            first = false;
        }
    }

    /**
     * The seeded fault {@link #POLL_NEIGHBOUR_UNLATCHED} (tests only): having read entry {@code idx}
     * of the latched {@code leaf} (the last one in {@code held}), release the latch and retake it
     * (blocking when polling upwards, where every leaf held is to the left; a try-lock downwards),
     * then remove slot {@code idx} without looking again, and return the entry read before.
     */
    private static Object[] takeInLaterLatchPeriod(Leaf leaf, int idx, Object k, KeyCodec c,
                                                   ArrayList<Leaf> held, boolean up) {
        Object val = leaf.vals[idx];
        held.remove(held.size() - 1);
        leaf.unlockExclusive();
        if (!(up ? leaf.lockExclusive() : leaf.tryLockExclusive())) {
            throw RESTART;
        }
        held.add(leaf);
        int cnt = leaf.n;
        if (idx < cnt) {
            removeAt(leaf, cnt, idx);
        }
        return new Object[] {k, val, leaf};
    }

    /** The mirror of {@link #pollUp}, right to left, with try-locks (against the latch order). */
    private Object[] pollDown(Object hi, long hiP, boolean hiInclusive, Object lo, boolean loInclusive,
                              KeyCodec c, Found f, long[] tmp, ArrayList<Leaf> held) {
        descend(hi, hiP, hi == null, c, f, tmp);
        Leaf leaf = f.leaf;
        if (!leaf.tryUpgrade(f.v)) {
            throw RESTART;
        }
        held.add(leaf);
        boolean first = true;
        for (;;) {
            int cnt = leaf.n;
            int idx = cnt - 1;
            if (first && hi != null) {
                int r = search(leaf, cnt, hi, hiP, c);
                idx = r >= 0 ? (hiInclusive ? r : r - 1) : -r - 2;
            }
            if (idx >= 0) {
                Object k = keyAt(leaf, idx, c);
                if (belowFrom(k, lo, loInclusive, c)) {
                    return null;
                }
                if (TestHooks.ENABLED && TestHooks.faultActive(POLL_NEIGHBOUR_UNLATCHED)) {
                    return takeInLaterLatchPeriod(leaf, idx, k, c, held, false);
                }
                Object val = removeAt(leaf, cnt, idx);
                return new Object[] {k, val, leaf};
            }
            Object fence = leaf.low;
            if (fence == null || (lo != null && c.compare(fence, lo) <= 0)) {
                return null;
            }
            descend(fence, c.prefix(fence), true, c, f, tmp);
            Leaf prev = f.leaf;
            if (!prev.tryUpgrade(f.v)) {
                throw RESTART;
            }
            if (prev.high == null || c.compare(prev.high, fence) != 0) {
                prev.unlockExclusive();
                throw RESTART;
            }
            held.add(prev);
            leaf = prev;
            first = false;
        }
    }

    // ------------------------------------------------------------------ aggregates

    /**
     * The number of mappings, in O(1). Exact when no write is in flight; under concurrent writes
     * it is the sum of per-thread counters and may not match any single instant.
     *
     * @return the number of mappings, capped at {@link Integer#MAX_VALUE}
     */
    @Override
    public int size() {
        long s = count.sum();
        return s < 0 ? 0 : s > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) s;
    }

    /**
     * Removes every mapping, one leaf at a time, left to right; each leaf is emptied atomically.
     * Weakly consistent: a mapping added concurrently to a part already cleared survives.
     */
    @Override
    public void clear() {
        KeyCodec c = codec;
        if (c == KeyCodec.UNDECIDED) {
            return;
        }
        Found f = new Found();
        long[] tmp = new long[1];
        Object from = null;
        for (int attempt = 0; ; ) {
            try {
                descend(from, from == null ? 0L : c.prefix(from), false, c, f, tmp);
            } catch (Restart r) {
                HybridLatch.backOff(++attempt);
                continue;
            }
            Leaf leaf = f.leaf;
            if (!leaf.tryUpgrade(f.v)) {
                HybridLatch.backOff(++attempt);
                continue;
            }
            int cnt = leaf.n;
            publishLeafCleared(leaf, cnt, c);
            if (leaf.pfx != null) {
                java.util.Arrays.fill(leaf.pfx, 0, cnt, 0L);
            }
            if (leaf.keys != null) {
                java.util.Arrays.fill(leaf.keys, 0, cnt, null);
            }
            java.util.Arrays.fill(leaf.vals, 0, cnt, null);
            leaf.n = 0;
            Object next = leaf.high;
            boolean isRoot = leaf == root;
            leaf.unlockExclusive();
            count.add(-cnt);
            if (!isRoot) {
                rebalance(from, c);
            }
            if (next == null) {
                return;
            }
            from = next;
        }
    }

    /**
     * The comparator ordering the keys, or {@code null} for natural ordering.
     *
     * @return the comparator, or {@code null}
     */
    @Override
    public Comparator<? super K> comparator() {
        return comparator;
    }

    // ------------------------------------------------------------------ diagnostics

    /**
     * Checks the tree's structure and throws if it is broken: keys strictly ordered inside every
     * node and inside its fences, child fences equal to the parent's separators, all leaves at one
     * depth and linked left to right, no node latched or obsolete, no stale references in free slots, and the size counter
     * equal to the number of entries. Meant for tests and diagnostics, with no write in flight.
     *
     * @throws IllegalStateException describing the first violation found
     */
    public void checkInvariants() {
        KeyCodec c = codec;
        long[] leafDepth = {-1};
        Leaf[] previousLeaf = {null};
        long entries = checkNode(root, null, null, 0, leafDepth, previousLeaf, c, true);
        if (previousLeaf[0] != null && previousLeaf[0].next != null) {
            throw new IllegalStateException("the rightmost leaf links to another leaf");
        }
        long counted = count.sum();
        if (entries != counted) {
            throw new IllegalStateException("size counter is " + counted + " but the leaves hold " + entries);
        }
    }

    private long checkNode(Node n, Object low, Object high, int depth, long[] leafDepth, Leaf[] previousLeaf,
                           KeyCodec c, boolean isRoot) {
        String where = (n instanceof Leaf ? "leaf" : "inner node") + " at depth " + depth;
        if (n.isExclusivelyLatched() || n.isObsolete()) {
            throw new IllegalStateException(where + " is still latched or is obsolete");
        }
        if (!fenceEquals(n.low, low, c) || !fenceEquals(n.high, high, c)) {
            throw new IllegalStateException(where + " has fences [" + n.low + ", " + n.high
                    + ") but its parent gives [" + low + ", " + high + ")");
        }
        int cnt = n.n;
        if (cnt < 0 || cnt > cap) {
            throw new IllegalStateException(where + " has " + cnt + " keys, capacity " + cap);
        }
        if (c.storesKeys() != (n.keys != null) && !(isRoot && cnt == 0)) {
            throw new IllegalStateException(where + " key array does not match the key codec");
        }
        Object prev = null;
        for (int i = 0; i < cnt; i++) {
            Object k = keyAt(n, i, c);
            if (k == null) {
                throw new IllegalStateException(where + " has a null key in slot " + i);
            }
            if (c.hasPrefixes() && n.pfx[i] != c.prefix(k)) {
                throw new IllegalStateException(where + " has a wrong prefix for key " + k);
            }
            if (prev != null && c.compare(prev, k) >= 0) {
                throw new IllegalStateException(where + " keys out of order: " + prev + " then " + k);
            }
            if ((low != null && c.compare(k, low) < 0) || (high != null && c.compare(k, high) >= 0)) {
                throw new IllegalStateException(where + " key " + k + " outside its fences [" + low + ", " + high + ")");
            }
            prev = k;
        }
        if (n.keys != null) {
            for (int i = cnt; i < n.keys.length; i++) {
                if (n.keys[i] != null) {
                    throw new IllegalStateException(where + " keeps a stale key in free slot " + i);
                }
            }
        }
        if (n instanceof Leaf) {
            Leaf leaf = (Leaf) n;
            for (int i = 0; i < leaf.vals.length; i++) {
                if ((i < cnt) == (leaf.vals[i] == null)) {
                    throw new IllegalStateException(where + " has a wrong value slot " + i);
                }
            }
            if (previousLeaf[0] != null && previousLeaf[0].next != leaf) {
                throw new IllegalStateException("leaf with fences [" + previousLeaf[0].low + ", "
                        + previousLeaf[0].high + ") does not link to its right neighbour");
            }
            previousLeaf[0] = leaf;
            if (leafDepth[0] < 0) {
                leafDepth[0] = depth;
            } else if (leafDepth[0] != depth) {
                throw new IllegalStateException("leaves at depths " + leafDepth[0] + " and " + depth);
            }
            return cnt;
        }
        Inner in = (Inner) n;
        // A non-root inner node with a single child is legal: a merge may stop under contention
        // and be taken up later (pendingRebalance). Search through it is still correct.
        long total = 0;
        for (int i = 0; i <= cnt; i++) {
            Node child = in.kids[i];
            if (child == null) {
                throw new IllegalStateException(where + " has a null child in slot " + i);
            }
            Object cl = i == 0 ? low : keyAt(in, i - 1, c);
            Object ch = i == cnt ? high : keyAt(in, i, c);
            total += checkNode(child, cl, ch, depth + 1, leafDepth, previousLeaf, c, false);
        }
        for (int i = cnt + 1; i < in.kids.length; i++) {
            if (in.kids[i] != null) {
                throw new IllegalStateException(where + " keeps a stale child in free slot " + i);
            }
        }
        return total;
    }

    /**
     * Counts the nodes of the tree: {@code [leaves, inner nodes]}. For tests and diagnostics, with
     * no write in flight (it reads nodes without latches).
     */
    long[] nodeCounts() {
        long[] counts = new long[2];
        ArrayList<Node> stack = new ArrayList<>();
        stack.add(root);
        while (!stack.isEmpty()) {
            Node n = stack.remove(stack.size() - 1);
            if (n instanceof Leaf) {
                counts[0]++;
            } else {
                counts[1]++;
                Inner in = (Inner) n;
                for (int i = 0; i <= in.n; i++) {
                    stack.add(in.kids[i]);
                }
            }
        }
        return counts;
    }

    /**
     * The number of keys in each leaf, left to right along the next links. For tests and
     * diagnostics, with no write in flight.
     */
    int[] leafSizes() {
        Node n = root;
        while (n instanceof Inner) {
            n = ((Inner) n).kids[0];
        }
        int[] sizes = new int[16];
        int m = 0;
        for (Leaf l = (Leaf) n; l != null; l = l.next) {
            if (m == sizes.length) {
                sizes = java.util.Arrays.copyOf(sizes, 2 * m);
            }
            sizes[m++] = l.n;
        }
        return java.util.Arrays.copyOf(sizes, m);
    }

    /** The merge threshold this map was built with (a node with fewer keys is underfull). */
    int mergeThreshold() {
        return minKeys;
    }

    /** The node capacity this map was built with. */
    int nodeCapacity() {
        return cap;
    }

    private static boolean fenceEquals(Object a, Object b, KeyCodec c) {
        return a == null ? b == null : b != null && c.compare(a, b) == 0;
    }

    // ------------------------------------------------------------------ serialization

    /**
     * Serialized as its comparator, node capacity and entries in order (a serialization proxy).
     *
     * @return the serialization proxy that stands for this map in the stream
     */
    private Object writeReplace() {
        int n = size();
        ArrayList<Object> entries = new ArrayList<>(Math.max(16, 2 * n));
        for (Map.Entry<K, V> e : entrySet()) {
            entries.add(e.getKey());
            entries.add(e.getValue());
        }
        return new SerializedForm(comparator, cap, minKeys, entries.toArray());
    }

    /**
     * Refuses a stream that carries the map itself instead of its serialization proxy.
     *
     * @param in the stream
     * @throws InvalidObjectException always: maps are read back only through the proxy
     */
    private void readObject(ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("ConcurrentBTreeMap is deserialized through its serialization proxy");
    }

    /** The serialized state of a map. */
    private static final class SerializedForm implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Comparator<?> comparator;
        private final int nodeCapacity;
        /** The merge threshold; 0 (absent in streams written before it existed) means the default. */
        private final int mergeThreshold;
        private final Object[] entries;

        SerializedForm(Comparator<?> comparator, int nodeCapacity, int mergeThreshold, Object[] entries) {
            this.comparator = comparator;
            this.nodeCapacity = nodeCapacity;
            this.mergeThreshold = mergeThreshold;
            this.entries = entries;
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        private Object readResolve() throws InvalidObjectException {
            if (nodeCapacity < MIN_NODE_CAPACITY || nodeCapacity > MAX_NODE_CAPACITY || entries == null
                    || entries.length % 2 != 0) {
                throw new InvalidObjectException("corrupt ConcurrentBTreeMap stream: nodeCapacity "
                        + nodeCapacity + ", " + (entries == null ? "no entries" : entries.length + " entry slots"));
            }
            int t = mergeThreshold == 0 ? defaultMergeThreshold(nodeCapacity) : mergeThreshold;
            if (t < 1 || t > nodeCapacity / 2) {
                throw new InvalidObjectException("corrupt ConcurrentBTreeMap stream: mergeThreshold " + t
                        + " with nodeCapacity " + nodeCapacity);
            }
            ConcurrentBTreeMap map = new ConcurrentBTreeMap((Comparator) comparator, nodeCapacity, t);
            for (int i = 0; i < entries.length; i += 2) {
                if (entries[i] == null || entries[i + 1] == null) {
                    throw new InvalidObjectException("corrupt ConcurrentBTreeMap stream: null key or value");
                }
                map.put(entries[i], entries[i + 1]);
            }
            return map;
        }
    }
}
