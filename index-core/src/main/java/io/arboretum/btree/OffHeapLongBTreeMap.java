package io.arboretum.btree;

import io.arboretum.map.ChangeFeed;
import io.arboretum.map.ChangeListener;
import io.arboretum.sync.EpochManager;
import io.arboretum.sync.HybridLatch;
import io.arboretum.sync.TestHooks;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.BitSet;
import java.util.Objects;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A concurrent ordered map from primitive {@code long} keys to primitive {@code long} values,
 * whose B+tree nodes live in off-heap memory, so that millions of entries cost the garbage
 * collector nothing.
 *
 * <p>Point operations ({@link #get}, {@link #put}, {@link #putIfAbsent}, {@link #remove},
 * {@link #containsKey}, {@link #replaceIf}, {@link #removeIf}) are linearizable and allocate
 * nothing on the heap; so are navigation ({@link #ceilingKey}, {@link #higherKey},
 * {@link #floorKey}, {@link #lowerKey}, {@link #firstKey}, {@link #lastKey}) and
 * {@link #isEmpty}. (A search that meets an empty leaf merges it, which hands a node to the
 * epoch manager; that is the one case in which a search can allocate.) Methods that may find nothing take a {@code long absent}
 * argument and return it when there is no answer: pick a sentinel outside your key (or value)
 * domain. Where every {@code long} is a possible key, use an {@link OffHeapLongCursor}
 * (for example {@code map.cursor(k, Long.MAX_VALUE).next()} finds the ceiling of {@code k} and
 * says whether there is one). Cursors scan ranges without allocating per entry. {@link #asMap()}
 * gives a boxed {@link ConcurrentNavigableMap} view for code that needs the standard interface.
 *
 * <p>Build with {@link #builder()} to choose the node capacity, the most off-heap memory the map
 * may reserve, how empty a node may become before removals merge it, a shared
 * {@link EpochManager}, and a debug mode that poisons freed nodes.
 *
 * <p><b>After {@link #close()}</b> every call throws {@link IllegalStateException}, except
 * {@code close} itself, {@link #isClosed}, and the accessors {@link #bytesReserved},
 * {@link #bytesInUse}, {@link #bytesAwaitingReclamation}, {@link #nodeSizeBytes} and
 * {@link #epochManager}. That includes {@link #size}, {@link #isEmpty}, {@link #asMap} and every
 * method of a view obtained before that reads or writes entries (or its comparator), a cursor's
 * {@code next} and {@code reset} even while it still holds entries copied before, and a batch
 * cursor's {@code advance}. The entry a cursor already returned stays readable. Close drops the
 * map's chunks; the direct buffers' memory goes back to the system when the collector clears
 * them.
 *
 * <p><b>Unclosed maps.</b> A map that is dropped without {@link #close()} gives its memory back
 * too, once the garbage collector finds it unreachable, so no {@link java.lang.ref.Cleaner} of its
 * own is needed: every chunk is a direct buffer, which the JDK frees through the buffer's own
 * cleaner, and nothing that outlives the map refers to it strongly (its epoch manager's per-thread
 * records do not refer to the manager, and the retired nodes queued in a shared manager refer to
 * the map weakly). Either way the memory returns at a collection, not at once.
 *
 * <h2>Implementation essay</h2>
 *
 * <p><b>Memory.</b> Nodes are fixed-size slots ({@code 16 + 16 * capacity} bytes, 8-aligned)
 * carved from direct {@link ByteBuffer} chunks of up to 1 MiB. A node is named by an {@code int}
 * id: chunk {@code id >>> chunkShift}, slot {@code id & chunkMask}. All node words are
 * {@code long}s accessed through {@link MethodHandles#byteBufferViewVarHandle}: plain mode for
 * data, acquire / release / CAS for the latch word. Freed slots go to a free list and are reused
 * before new chunks are reserved.
 *
 * <pre>
 *   leaf  (level 0): [version][meta][key 0 .. key c-1][value 0 .. value c-1]
 *   inner (level l): [version][meta][key 0 .. key c-2][child 0 .. child c-1]
 *   meta  = count (bits 0..31) | level (bits 32..47)
 * </pre>
 * An inner node with {@code n} keys has {@code n + 1} children; child {@code i} holds the keys
 * {@code k} with {@code key[i-1] <= k < key[i]}.
 *
 * <p><b>Latch word.</b> Word 0 of every node is the version word of {@link HybridLatch}: bit 0
 * EXCLUSIVE, bit 1 OBSOLETE, the counter from bit 16 (there is no shared mode here). Readers read
 * it with acquire semantics and refuse it while EXCLUSIVE or OBSOLETE is set, read the node with
 * plain loads, then issue an acquire fence and re-read it; an unchanged word proves that no
 * writer touched the node in between. Writers take EXCLUSIVE by CAS (upgrading an optimistic
 * version, so the upgrade fails if anything changed since it was read) and release with a
 * release store of the next version, which publishes every store they made. Every value read
 * under an unvalidated version is untrusted: counts are clamped to the node's capacity, node ids
 * are bounds-checked against the chunk table, recursion depth is bounded, and nothing read is
 * acted on before validation.
 *
 * <p><b>Descent</b> is optimistic lock coupling (Leis et al., "Optimistic Lock Coupling", IEEE
 * Data Eng. Bull. 2019): read the child's version, then validate the parent, so the child id was
 * current when the child's version was read. The root id lives in a heap field; after reading the
 * root's version the reader re-reads the field, because a root split or collapse replaces the root
 * while holding the old root exclusively, before that root's version advances.
 *
 * <p><b>Insert.</b> Writers latch only what they change. A key that fits its leaf: upgrade the
 * leaf, shift, release. A full inner node met on the way down is split at once (parent and node
 * upgraded), so a parent always has room for a separator: splits propagate to the root, which
 * grows a new root. A full leaf: with parent and leaf upgraded, first try to move entries into a
 * sibling that has room (try-latched, so out-of-order latching never waits), which lifts the fill
 * factor of random inserts from about 69% to over 80%; otherwise split. The split point follows
 * the insert position: appending at the end of a leaf keeps the leaf full and starts an empty
 * right sibling, inserting at the front moves everything right, anything else splits in half, so
 * ascending and descending loads fill nodes completely. Every structural change restarts the
 * insert from the root.
 *
 * <p><b>Delete.</b> Remove from the leaf under its latch. If the leaf drops to the merge threshold
 * (by default just under half a node; {@link Builder#mergeThreshold}), a rebalancing pass latches
 * the parent (upgrade) and then both siblings in left-to-right order; it merges them if they fit
 * (see the builder), and otherwise evens them out, moving entries (for inner nodes, keys and
 * children through the parent's separator) so that neither stays underfull. A merged-away right
 * node is unlocked as OBSOLETE, unlinked from the parent and retired. An inner node left
 * underfull is rebalanced the same way one level up, and after inner nodes are evened out the
 * pass returns to the level it started at, since the node there now has a sibling; a root left
 * with a single child is replaced by that child and retired. Each step tries a few optimistic
 * rounds and then latches its path top-down, so a pass never gives up on contention: no empty or
 * underfull node outlives the removal that made it (and a search that meets an empty leaf all
 * the same merges it). Only blocking latch waits follow the global
 * order (parent first, then left to right; a node's latch is waited for only while its parent is
 * held); every latch taken against it is a try.
 *
 * <p><b>Errors.</b> A split allocates its nodes before it changes anything, and every latched
 * region releases its latches in a {@code finally}; nodes unlinked by a merge are retired only
 * after every latch is released. So an exception or {@link Error} (an {@link OutOfMemoryError},
 * say) leaves no latch held and the tree valid: a failed split changes nothing, and an error in
 * retirement leaks that one node.
 *
 * <p><b>Reuse is safe for optimistic readers because of epochs.</b> Every operation pins the
 * thread in the map's {@link EpochManager} for its whole duration. A retired node is handed back
 * to the free list (and, in debug mode, overwritten with a poison pattern, version word included)
 * only when the epoch has advanced twice past its retirement, which requires every thread that was
 * pinned when it was unlinked to have unpinned. So a pinned reader holding a node id can read at
 * worst an obsolete or concurrently modified node, which validation rejects; it never reads a slot
 * that has been freed or reused for another node. Validation alone would not be enough once a
 * freed slot's version word is overwritten (as the poison mode does, and as any allocator that
 * hands memory to other users would): a later incarnation can show the very version a stale reader
 * holds, and that reader would validate another node's data. The poison stress test shows this:
 * with the readers' pins removed it returns wrong answers within seconds; with them it never does.
 * Outside debug mode the version counter also keeps counting across reuse, a second line of
 * defence that costs nothing.
 *
 * <p><b>Change feed.</b> Inserts, replacements, removals and polls call {@code publishChange}
 * after the change and before the leaf's unlock, so the subscribers of the {@link #asMap()} views
 * receive a key's changes in commit order, whichever API made them. Until someone subscribes this
 * is one volatile read of {@code feed} and boxes nothing (see {@link io.arboretum.map.ChangeFeed}).
 *
 * <p><b>Memory model.</b> Data stores under a latch happen-before the release store that unlocks
 * it; a reader whose acquire read of the word sees that store sees the data. A reader's plain
 * data reads cannot move past the acquire fence of validation, so a stale read shows up as a
 * changed word. A new node is written completely before the parent that links it is unlocked.
 * Chunks are published through a volatile array reference. Epoch pins and retirements carry their
 * own fences (see {@link EpochManager}).
 *
 * <p><b>Navigation</b> searches recursively along the path and on into sibling subtrees while
 * they hold nothing in range. Each node that supplied the answer is validated after its children
 * (on unwind), and each node that answered "nothing here" is validated again after the last read.
 * Every node used is thus validated after every read, so all were unchanged at the first of those
 * validations: that instant is the linearization point. A poll does the same but latches the leaf
 * holding the key instead of validating it, so the removal takes effect at that instant. The
 * nodes to validate again are kept in a per-thread probe (a cursor has its own) whose arrays grow
 * to the longest run of empty nodes met and are then reused, so a search passes any number of
 * empty nodes and allocates nothing.
 *
 * <p><b>Bounded optimism.</b> {@link #get} and every search (navigation, {@link #isEmpty}, polls,
 * cursor refills and so the boxed view's batches) give up optimism after
 * 16 failed rounds (as {@link ConcurrentBTreeMap}'s {@code get}) and latch instead: from the root down, each node
 * latched exclusively (there is no shared mode here) before it is read, a child only while its
 * parent is held; a search keeps every node it passed over latched until it has its answer. So a
 * reader finishes even while writers never pause (its latch waits back off like the writers').
 *
 * <p><b>How this differs from {@link ConcurrentBTreeMap}.</b> Same optimistic lock coupling, but
 * nodes carry no fence keys and leaves no next links: a search moves to a neighbouring leaf
 * through the parents, and validates again what it passed over. Latches have no shared mode.
 * Splits pick their point from the insert position, full leaves first try to hand entries to a
 * sibling, and merges wait for their latches (parent, then left, then right) rather than trying
 * them.
 *
 * <p><b>Scans.</b>
 * A cursor copies one leaf's run of entries per refill (one consistent snapshot) into its own
 * arrays and resumes from the key after the last one returned: weakly consistent, in order, each
 * key at most once, no allocation per entry.
 *
 * <p>Notation in the code: {@code p, n, s} parent, node, sibling (ids); {@code pb, b} their
 * chunk buffers; {@code po, o} their byte offsets; {@code pv, v} versions; {@code pIdx} the
 * index of {@code n} among {@code p}'s children.
 */
public final class OffHeapLongBTreeMap implements AutoCloseable {

    // ------------------------------------------------------------------ layout and constants

    static final int VERSION = 0;
    static final int META = 8;
    static final int KEYS = 16;

    static final long EXCLUSIVE = 1L;
    static final long OBSOLETE = 2L;
    /** Low bits of the version word that are not the counter (our own copy of HybridLatch's). */
    static final long FLAG_MASK = 0xFFFFL;
    static final long VERSION_UNIT = 1L << 16;
    static final long RESTART = -1L;

    /** Poison pattern written over freed nodes in debug mode. */
    static final long POISON = 0xDEADBEEFDEADBEEFL;
    /** Poisoned version word: no latch bits, so only the epoch protocol keeps readers away. */
    static final long POISON_VERSION = POISON & ~FLAG_MASK;

    static final int NONE = -1;
    static final int MAX_HEIGHT = 40;
    static final int FOUND = 1;
    static final int NOT_FOUND = 0;
    static final int RESTARTED = -1;

    private static final int PUT = 0;
    private static final int PUT_IF_ABSENT = 1;
    private static final int REPLACE = 2;
    private static final int REPLACE_IF = 3;

    /** Default entries per node: 255, so a node is 4 KiB. */
    public static final int DEFAULT_NODE_CAPACITY = 255;
    /** Smallest node capacity. */
    public static final int MIN_NODE_CAPACITY = 4;
    /** Largest node capacity. */
    public static final int MAX_NODE_CAPACITY = 8191;
    private static final int MAX_CHUNK_BYTES = 1 << 20;

    // ------------------------------------------------------------------ error injection (tests only)

    /** Error-injection site: a full leaf and its parent latched, before the split allocates. */
    static final int SITE_SPLIT = 1;
    /** Error-injection site: parent and both siblings latched, before a merge changes them. */
    static final int SITE_MERGE = 2;
    /** Error-injection site: retiring an unlinked node (the epoch manager may allocate). */
    static final int SITE_RETIRE = 3;
    /**
     * Test-only: called at each site above when the JVM runs with test hooks, so a test can
     * throw an {@link Error} there; null (and the calls folded away) in production.
     */
    static volatile java.util.function.IntConsumer siteHook;

    private static void atLatchedSite(int site) {
        java.util.function.IntConsumer h = siteHook;
        if (h != null) {
            h.accept(site);
        }
    }

    // ------------------------------------------------------------------ seeded faults (tests only)
    // Each is a realistic mistake compiled into the real code path, taken only when the JVM runs
    // with -Darboretum.testHooks=true and a test activates it (see TestHooks); otherwise the
    // guard folds to false and the code is the code without it.

    static final String FAULT_GET_SKIP_LEAF_VALIDATION = TestHooks.declareFault(
            "offheap.get.skipLeafValidation",
            "get returns what it read from the leaf without validating the leaf's version, so it can"
                    + " return a value torn by a concurrent shift or miss a key a split is moving");
    static final String FAULT_DESCEND_SKIP_PARENT_VALIDATION = TestHooks.declareFault(
            "offheap.descend.skipParentValidation",
            "get and navigation step to a child without validating the parent after reading the child's"
                    + " version, so they can search a leaf whose keys a split or merge has just moved away");
    static final String FAULT_NAVIGATE_SKIP_VALIDATION = TestHooks.declareFault(
            "offheap.navigate.skipValidation",
            "navigation trusts a leaf that held nothing on its side without validating it, neither when"
                    + " it leaves it nor after reading its answer elsewhere, so a read torn by a concurrent"
                    + " insert can skip a key that was present throughout");
    static final String FAULT_SPLIT_PUBLISH_BEFORE_FILL = TestHooks.declareFault(
            "offheap.split.publishBeforeFill",
            "a leaf split links the new sibling into the parent and releases the parent before copying"
                    + " the upper half into the sibling, so readers find the empty sibling and miss present keys");
    static final String FAULT_PUT_VALIDATE_INSTEAD_OF_LATCH = TestHooks.declareFault(
            "offheap.put.validateInsteadOfLatch",
            "an insert into a leaf with room validates the leaf's version and then writes without taking"
                    + " the latch, so two concurrent inserts into one leaf can lose one and readers see torn nodes");
    static final String FAULT_POLL_UNLATCHED = TestHooks.declareFault(
            "offheap.poll.unlatched",
            "a poll validates the leaf holding the key it found instead of latching it, and latches it only"
                    + " afterwards, so two polls can both return (and remove) the same entry");
    static final String FAULT_MERGE_REUSE_WITHOUT_EPOCH = TestHooks.declareFault(
            "offheap.merge.reuseWithoutEpoch",
            "a merged-away node goes straight back to the free list instead of being retired through the"
                    + " epoch manager, so a pinned reader can validate another incarnation of the slot; visible"
                    + " with debugPoisonFreedNodes(true), which rewrites the version word as a general"
                    + " allocator would");

    private final int cap;
    private final int innerCap;
    private final int nodeSize;
    private final int valuesOff;
    private final int childrenOff;
    private final int leafMin;
    private final int innerMin;
    /** Leaves merge when their entries total at most this; see the constructor. */
    private final int leafMergeFit;
    private final int chunkShift;
    private final int chunkMask;
    private final long chunkBytes;
    private final long maxBytes;
    private final EpochManager epochs;
    private final boolean poison;
    /** Refers to the map weakly: a shared manager's queue must not keep a dropped map alive. */
    private final EpochManager.RangeReclaimer reclaimer = new NodeReclaimer(this);
    private final LongAdder size = new LongAdder();
    private final Object allocLock = new Object();

    /** Chunk table; replaced (never mutated in place) under allocLock. */
    private volatile ByteBuffer[] chunks = new ByteBuffer[0];
    private volatile int root;
    /**
     * The change feed of the {@link #asMap()} views, or null until the first subscription; then
     * never reset. Every write reads it once, under its leaf latch ({@link #publishChange}).
     */
    private volatile ChangeFeed<Long, Long> feed;
    private volatile boolean closed;

    // Guarded by allocLock (volatile so the accessors may read them without it).
    private int highWater;
    private int[] freeIds = new int[16];
    private int freeTop;
    private volatile long liveNodes;
    private volatile long retiredNodes;
    private volatile long reservedBytes;

    /** Nodes handed back by the epoch manager and reused since creation (for tests). */
    private volatile long reusedNodes;

    /** Creates an empty map with the default configuration. */
    public OffHeapLongBTreeMap() {
        this(new Builder());
    }

    private OffHeapLongBTreeMap(Builder b) {
        this.cap = b.nodeCapacity;
        this.innerCap = cap - 1;
        this.nodeSize = 16 + 16 * cap;
        this.valuesOff = KEYS + 8 * cap;
        this.childrenOff = KEYS + 8 * innerCap;
        if (b.mergeThreshold >= cap) {
            throw new IllegalArgumentException("mergeThreshold " + b.mergeThreshold
                    + " must be less than nodeCapacity " + cap);
        }
        // Default: a leaf is rebalanced once it holds less than half a node, which keeps the
        // node count after mass deletes within 1.5x of a fresh tree's (OffHeapLongHardeningTest).
        this.leafMin = b.mergeThreshold >= 0 ? b.mergeThreshold : cap / 2 - 1;
        this.innerMin = b.mergeThreshold >= 0 ? Math.min(b.mergeThreshold, innerCap - 1) : innerCap / 4;
        // Two leaves merge if they fit in three quarters of a node (room for inserts before the
        // next split) or if redistributing them could not lift both above the threshold
        // (total <= 2 * leafMin + 1); a merged leaf must fit in one node.
        this.leafMergeFit = Math.min(cap, Math.max(cap - cap / 4, 2 * leafMin + 1));
        this.maxBytes = b.maxOffHeapBytes;
        long perChunk = Math.max(1, Math.min(MAX_CHUNK_BYTES, maxBytes) / nodeSize);
        this.chunkShift = 63 - Long.numberOfLeadingZeros(perChunk);
        this.chunkMask = (1 << chunkShift) - 1;
        this.chunkBytes = (long) nodeSize << chunkShift;
        if (chunkBytes > maxBytes) {
            throw new IllegalArgumentException("maxOffHeapBytes " + maxBytes
                    + " is smaller than one node of " + nodeSize + " bytes");
        }
        this.epochs = b.epochManager != null ? b.epochManager : new EpochManager();
        this.poison = b.poisonFreedNodes;
        int r = allocNode(0);
        setRootRelease(r);
    }

    /**
     * The free action of retired nodes. It holds the map weakly, so that nodes still queued in a
     * (shared, long-lived) epoch manager do not keep a dropped map and its chunks reachable; once
     * the map is gone, its nodes have nowhere to return to and the action does nothing.
     */
    private static final class NodeReclaimer implements EpochManager.RangeReclaimer {
        private final java.lang.ref.WeakReference<OffHeapLongBTreeMap> map;

        NodeReclaimer(OffHeapLongBTreeMap map) {
            this.map = new java.lang.ref.WeakReference<>(map);
        }

        @Override
        public void reclaim(long id, long length) {
            OffHeapLongBTreeMap m = map.get();
            if (m != null) {
                m.reclaimNode(id, length);
            }
        }
    }

    /**
     * A builder for a configured map.
     *
     * @return a new builder with the default configuration
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Configuration of an {@link OffHeapLongBTreeMap}. */
    public static final class Builder {
        private int nodeCapacity = DEFAULT_NODE_CAPACITY;
        private long maxOffHeapBytes = Long.MAX_VALUE;
        private EpochManager epochManager;
        private boolean poisonFreedNodes;
        private int mergeThreshold = -1;

        Builder() {
        }

        /**
         * How empty a node may become before a removal rebalances it. A leaf left with at most
         * {@code entries} entries is merged with a neighbour when the two hold at most
         * {@code max(capacity - capacity / 4, 2 * entries + 1)} entries (never more than
         * {@code capacity}), or when either is empty; otherwise the two are evened out, which
         * leaves both above the threshold. An inner node left with at most
         * {@code min(entries, capacity - 2)} keys is merged when the pair fits in one node and
         * evened out otherwise. The default is {@code capacity / 2 - 1} for leaves (so every leaf
         * but the root is at least about half full once its removals' rebalancing is done) and
         * {@code (capacity - 1) / 4} keys for inner nodes. A lower threshold rebalances less
         * often and leaves emptier nodes; tests raise it so that a few removals from a small tree
         * merge and redistribute nodes.
         *
         * @param entries at least 0 and less than the node capacity (checked by {@link #build()})
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder mergeThreshold(int entries) {
            if (entries < 0) {
                throw new IllegalArgumentException("mergeThreshold must not be negative: " + entries);
            }
            this.mergeThreshold = entries;
            return this;
        }

        /**
         * Entries per leaf (inner nodes hold one key fewer and as many children); a node takes
         * {@code 16 + 16 * capacity} bytes.
         *
         * @param capacity between {@value #MIN_NODE_CAPACITY} and {@value #MAX_NODE_CAPACITY}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder nodeCapacity(int capacity) {
            if (capacity < MIN_NODE_CAPACITY || capacity > MAX_NODE_CAPACITY) {
                throw new IllegalArgumentException("nodeCapacity must be in [" + MIN_NODE_CAPACITY + ", "
                        + MAX_NODE_CAPACITY + "]: " + capacity);
            }
            this.nodeCapacity = capacity;
            return this;
        }

        /**
         * The most off-heap memory the map may reserve; an insert that would need more throws
         * {@link OffHeapCapacityException} and leaves the map unchanged.
         *
         * @param bytes positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder maxOffHeapBytes(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("maxOffHeapBytes must be positive: " + bytes);
            }
            this.maxOffHeapBytes = bytes;
            return this;
        }

        /**
         * The epoch manager that protects node reuse; by default each map has its own.
         *
         * @param manager not null
         * @return this builder
         */
        public Builder epochManager(EpochManager manager) {
            this.epochManager = Objects.requireNonNull(manager, "epochManager");
            return this;
        }

        /**
         * Debug mode: fill every node with a poison pattern when it is reclaimed, so that any
         * reader acting on freed memory returns recognisable garbage (and fails the map's own
         * checks, which throw {@link AssertionError}).
         *
         * @param poison whether to poison freed nodes
         * @return this builder
         */
        public Builder debugPoisonFreedNodes(boolean poison) {
            this.poisonFreedNodes = poison;
            return this;
        }

        /**
         * Builds the map; reserves its first chunk.
         *
         * @return a new empty map
         * @throws IllegalArgumentException if the memory limit is smaller than one node, or the
         *     merge threshold is not less than the node capacity
         */
        public OffHeapLongBTreeMap build() {
            return new OffHeapLongBTreeMap(this);
        }
    }

    // ------------------------------------------------------------------ point reads

    /**
     * The value for {@code key}, or {@code absent} if there is none. Allocates nothing.
     *
     * @param key the key
     * @param absent returned when the key is not present
     * @return the value, or {@code absent}
     * @throws IllegalStateException if the map is closed
     */
    public long get(long key, long absent) {
        return lookup(key, absent, false);
    }

    /**
     * Whether {@code key} is present. Allocates nothing.
     *
     * @param key the key
     * @return whether the map contains the key
     * @throws IllegalStateException if the map is closed
     */
    public boolean containsKey(long key) {
        return lookup(key, 0, true) != 0;
    }

    /** Get for the boxed view: the value, with {@code present[0]} set to 1 if found. */
    long lookupPresent(long key, long[] present) {
        return lookup(key, 0, false, present);
    }

    private long lookup(long key, long absent, boolean presence) {
        return lookup(key, absent, presence, null);
    }

    private long lookup(long key, long absent, boolean presence, long[] present) {
        checkOpen();
        try (EpochManager.Guard guard = epochs.pin()) {
            for (int round = 0; ; round++) {
                if (round > 0) {
                    onRestart(round);
                }
                if (round >= OPTIMISTIC_ROUNDS) {
                    return lookupLatched(key, absent, presence, present);
                }
                int n = rootAcquire();
                ByteBuffer b = chunkOf(n);
                if (b == null) {
                    continue;
                }
                int o = offsetOf(n);
                long v = readLock(b, o);
                if (v == RESTART || rootAcquire() != n) {
                    continue;
                }
                for (int depth = 0; depth < MAX_HEIGHT; depth++) {
                    long meta = getLong(b, o + META);
                    if (levelOf(meta) == 0) {
                        int cnt = clamp(meta, cap);
                        int pos = lowerBound(b, o, cnt, key);
                        boolean found = pos < cnt && getLong(b, o + KEYS + 8 * pos) == key;
                        long val = found ? getLong(b, o + valuesOff + 8 * pos) : absent;
                        if (!validate(b, o, v)
                                && !(TestHooks.ENABLED && TestHooks.faultActive(FAULT_GET_SKIP_LEAF_VALIDATION))) {
                            break;
                        }
                        if (poison) {
                            checkNotPoisoned(meta, found ? val : 0);
                        }
                        if (found) {
                            setPresent(present);
                        }
                        return presence ? (found ? 1 : 0) : val;
                    }
                    int cnt = clamp(meta, innerCap);
                    int idx = upperBound(b, o, cnt, key);
                    long c = getLong(b, o + childrenOff + 8 * idx);
                    ByteBuffer cb = chunkOf(c);
                    if (cb == null) {
                        break;
                    }
                    int co = offsetOf((int) c);
                    long cv = readLock(cb, co);
                    // Validating n after reading the child's version proves c was n's child then.
                    if (cv == RESTART || (!validate(b, o, v)
                            && !(TestHooks.ENABLED && TestHooks.faultActive(FAULT_DESCEND_SKIP_PARENT_VALIDATION)))) {
                        break;
                    }
                    b = cb;
                    o = co;
                    v = cv;
                }
            }
        }
    }

    /**
     * The pessimistic fallback of {@link #lookup}: latch coupling from the root (a child's latch
     * is waited for only while its parent is held: the global order).
     */
    private long lookupLatched(long key, long absent, boolean presence, long[] present) {
        int n;
        ByteBuffer b;
        int o;
        for (int round = 0; ; round++) {
            checkOpen();
            n = rootAcquire();
            b = chunkOf(n);
            o = offsetOf(n);
            if (b != null && lockExclusive(b, o)) {
                if (rootAcquire() == n) {
                    break;
                }
                unlock(b, o); // the root split or collapsed while we waited
            }
            HybridLatch.backOff(round);
        }
        try {
            for (int depth = 0; ; depth++) {
                long meta = getLong(b, o + META); // latched: trusted
                int cnt = (int) meta;
                if (levelOf(meta) == 0) {
                    int pos = lowerBound(b, o, cnt, key);
                    boolean found = pos < cnt && getLong(b, o + KEYS + 8 * pos) == key;
                    if (found) {
                        setPresent(present);
                    }
                    return presence ? (found ? 1 : 0) : found ? getLong(b, o + valuesOff + 8 * pos) : absent;
                }
                if (depth >= MAX_HEIGHT) {
                    throw new IllegalStateException("tree deeper than " + MAX_HEIGHT + " levels");
                }
                int c = (int) getLong(b, o + childrenOff + 8 * upperBound(b, o, cnt, key));
                ByteBuffer cb = chunkOf(c);
                int co = offsetOf(c);
                if (!lockExclusive(cb, co)) {
                    throw new IllegalStateException("child " + c + " of a latched node is obsolete");
                }
                unlock(b, o);
                b = cb;
                o = co;
            }
        } finally {
            unlock(b, o);
        }
    }

    // ------------------------------------------------------------------ point writes

    /**
     * Associates {@code value} with {@code key}. Allocates nothing on the heap.
     *
     * @param key the key
     * @param value the value
     * @param absent returned when the key was not present
     * @return the previous value, or {@code absent}
     * @throws OffHeapCapacityException if a split needs memory beyond the configured maximum
     * @throws IllegalStateException if the map is closed
     */
    public long put(long key, long value, long absent) {
        return update(key, value, PUT, 0, absent, null);
    }

    /**
     * Associates {@code value} with {@code key} unless the key is present.
     *
     * @param key the key
     * @param value the value
     * @param absent returned when the key was not present (and was therefore inserted)
     * @return the present value (left unchanged), or {@code absent} if the value was inserted
     * @throws OffHeapCapacityException if a split needs memory beyond the configured maximum
     * @throws IllegalStateException if the map is closed
     */
    public long putIfAbsent(long key, long value, long absent) {
        return update(key, value, PUT_IF_ABSENT, 0, absent, null);
    }

    /**
     * Replaces the value of {@code key} only if the key is present.
     *
     * @param key the key
     * @param value the new value
     * @param absent returned when the key is not present
     * @return the previous value, or {@code absent} (nothing changed)
     * @throws IllegalStateException if the map is closed
     */
    public long replace(long key, long value, long absent) {
        return update(key, value, REPLACE, 0, absent, null);
    }

    /**
     * Replaces the value of {@code key} only if it is currently {@code expected}.
     *
     * @param key the key
     * @param expected the value the key must have
     * @param value the new value
     * @return whether the value was replaced
     * @throws IllegalStateException if the map is closed
     */
    public boolean replaceIf(long key, long expected, long value) {
        // Returned by value, nothing allocated: absent reports ~expected, which is not expected,
        // and a present key reports its old value, which equals expected exactly when replaced.
        return update(key, value, REPLACE_IF, expected, ~expected, null) == expected;
    }

    /**
     * Inserts, replaces or conditionally replaces; {@code present[0]} (when given) is set to 1 if
     * the key was present.
     */
    long update(long key, long value, int mode, long expected, long absent, long[] present) {
        checkOpen();
        try (EpochManager.Guard guard = epochs.pin()) {
            restart:
            for (int round = 0; ; round++) {
                if (round > 0) {
                    onRestart(round);
                }
                int p = NONE;
                ByteBuffer pb = null;
                int po = 0;
                long pv = 0;
                int pIdx = 0;
                int n = rootAcquire();
                ByteBuffer b = chunkOf(n);
                if (b == null) {
                    continue;
                }
                int o = offsetOf(n);
                long v = readLock(b, o);
                if (v == RESTART || rootAcquire() != n) {
                    continue;
                }
                for (int depth = 0; depth < MAX_HEIGHT; depth++) {
                    long meta = getLong(b, o + META);
                    if (levelOf(meta) > 0) {
                        int cnt = clamp(meta, innerCap);
                        if (cnt >= innerCap) {
                            // Full inner node: split now, so its parent keeps room for separators.
                            // The upgrades succeed only if nothing changed since the versions
                            // were read, which turns the unvalidated reads above into facts.
                            if (p != NONE && !tryUpgrade(pb, po, pv)) {
                                continue restart;
                            }
                            if (!tryUpgrade(b, o, v)) {
                                if (p != NONE) {
                                    unlock(pb, po);
                                }
                                continue restart;
                            }
                            try {
                                splitInner(p, pb, po, pIdx, n, b, o);
                            } finally {
                                unlock(b, o);
                                if (p != NONE) {
                                    unlock(pb, po);
                                }
                            }
                            round = -1; // progress, not contention: no back-off
                            continue restart;
                        }
                        int idx = upperBound(b, o, cnt, key);
                        long c = getLong(b, o + childrenOff + 8 * idx);
                        ByteBuffer cb = chunkOf(c);
                        if (cb == null) {
                            continue restart;
                        }
                        int co = offsetOf((int) c);
                        long cv = readLock(cb, co);
                        if (cv == RESTART || !validate(b, o, v)) {
                            continue restart;
                        }
                        p = n;
                        pb = b;
                        po = o;
                        pv = v;
                        pIdx = idx;
                        n = (int) c;
                        b = cb;
                        o = co;
                        v = cv;
                        continue;
                    }
                    int cnt = clamp(meta, cap);
                    int pos = lowerBound(b, o, cnt, key);
                    if (pos < cnt && getLong(b, o + KEYS + 8 * pos) == key) {
                        if (mode == PUT_IF_ABSENT) {
                            long old = getLong(b, o + valuesOff + 8 * pos);
                            if (!validate(b, o, v)) {
                                continue restart;
                            }
                            setPresent(present);
                            return old;
                        }
                        if (!tryUpgrade(b, o, v)) {
                            continue restart;
                        }
                        long old = getLong(b, o + valuesOff + 8 * pos);
                        if (mode != REPLACE_IF || old == expected) {
                            setLong(b, o + valuesOff + 8 * pos, value);
                            publishChange(key, old, value, REPLACED);
                        }
                        unlock(b, o);
                        setPresent(present);
                        return old;
                    }
                    if (mode == REPLACE || mode == REPLACE_IF) {
                        if (!validate(b, o, v)) {
                            continue restart;
                        }
                        return absent;
                    }
                    if (cnt < cap) {
                        if (TestHooks.ENABLED && TestHooks.faultActive(FAULT_PUT_VALIDATE_INSTEAD_OF_LATCH)) {
                            if (!validate(b, o, v)) {
                                continue restart;
                            }
                            Thread.yield(); // widen the window the fault opens
                            insertIntoLeaf(b, o, cnt, pos, key, value);
                            size.increment();
                            return absent;
                        }
                        if (!tryUpgrade(b, o, v)) {
                            continue restart;
                        }
                        insertIntoLeaf(b, o, cnt, pos, key, value);
                        publishChange(key, 0, value, INSERTED);
                        unlock(b, o);
                        size.increment();
                        return absent;
                    }
                    // Full leaf: latch the parent (if any) and the leaf, then make room.
                    if (p != NONE && !tryUpgrade(pb, po, pv)) {
                        continue restart;
                    }
                    if (!tryUpgrade(b, o, v)) {
                        if (p != NONE) {
                            unlock(pb, po);
                        }
                        continue restart;
                    }
                    boolean parentLatched = p != NONE;
                    try {
                        if (TestHooks.ENABLED) {
                            atLatchedSite(SITE_SPLIT);
                        }
                        boolean moved = p != NONE && pos != 0 && pos != cnt
                                && redistributeLeaf(pb, po, pIdx, b, o, cnt);
                        if (!moved && splitLeaf(p, pb, po, pIdx, n, b, o, cnt, pos, key)) {
                            parentLatched = false;
                        }
                    } finally {
                        unlock(b, o);
                        if (parentLatched) {
                            unlock(pb, po);
                        }
                    }
                    round = -1;
                    continue restart;
                }
            }
        }
    }

    private static void setPresent(long[] present) {
        if (present != null) {
            present[0] = 1;
        }
    }

    /**
     * Removes {@code key}. Allocates nothing on the heap.
     *
     * @param key the key
     * @param absent returned when the key was not present
     * @return the removed value, or {@code absent}
     * @throws IllegalStateException if the map is closed
     */
    public long remove(long key, long absent) {
        return delete(key, false, 0, absent, null);
    }

    /**
     * Removes {@code key} only if its value is {@code expected}.
     *
     * @param key the key
     * @param expected the value the key must have
     * @return whether the entry was removed
     * @throws IllegalStateException if the map is closed
     */
    public boolean removeIf(long key, long expected) {
        // As in replaceIf: the old value equals expected exactly when the entry was removed.
        return delete(key, true, expected, ~expected, null) == expected;
    }

    long delete(long key, boolean conditional, long expected, long absent, long[] present) {
        checkOpen();
        try (EpochManager.Guard guard = epochs.pin()) {
            restart:
            for (int round = 0; ; round++) {
                if (round > 0) {
                    onRestart(round);
                }
                boolean hasParent = false;
                int n = rootAcquire();
                ByteBuffer b = chunkOf(n);
                if (b == null) {
                    continue;
                }
                int o = offsetOf(n);
                long v = readLock(b, o);
                if (v == RESTART || rootAcquire() != n) {
                    continue;
                }
                for (int depth = 0; depth < MAX_HEIGHT; depth++) {
                    long meta = getLong(b, o + META);
                    if (levelOf(meta) > 0) {
                        int cnt = clamp(meta, innerCap);
                        int idx = upperBound(b, o, cnt, key);
                        long c = getLong(b, o + childrenOff + 8 * idx);
                        ByteBuffer cb = chunkOf(c);
                        if (cb == null) {
                            continue restart;
                        }
                        int co = offsetOf((int) c);
                        long cv = readLock(cb, co);
                        if (cv == RESTART || !validate(b, o, v)) {
                            continue restart;
                        }
                        hasParent = true;
                        n = (int) c;
                        b = cb;
                        o = co;
                        v = cv;
                        continue;
                    }
                    int cnt = clamp(meta, cap);
                    int pos = lowerBound(b, o, cnt, key);
                    if (pos >= cnt || getLong(b, o + KEYS + 8 * pos) != key) {
                        if (!validate(b, o, v)) {
                            continue restart;
                        }
                        return absent;
                    }
                    if (!tryUpgrade(b, o, v)) {
                        continue restart;
                    }
                    long old = getLong(b, o + valuesOff + 8 * pos);
                    setPresent(present);
                    if (conditional && old != expected) {
                        unlock(b, o);
                        return old;
                    }
                    removeFromLeaf(b, o, cnt, pos);
                    publishChange(key, old, 0, REMOVED);
                    unlock(b, o);
                    size.decrement();
                    if (hasParent && cnt - 1 <= leafMin) {
                        rebalance(key, 0);
                    }
                    return old;
                }
            }
        }
    }

    // ------------------------------------------------------------------ structure changes

    private void insertIntoLeaf(ByteBuffer b, int o, int cnt, int pos, long key, long value) {
        for (int i = cnt; i > pos; i--) {
            setLong(b, o + KEYS + 8 * i, getLong(b, o + KEYS + 8 * (i - 1)));
            setLong(b, o + valuesOff + 8 * i, getLong(b, o + valuesOff + 8 * (i - 1)));
        }
        setLong(b, o + KEYS + 8 * pos, key);
        setLong(b, o + valuesOff + 8 * pos, value);
        setLong(b, o + META, meta(cnt + 1, 0));
    }

    private void removeFromLeaf(ByteBuffer b, int o, int cnt, int pos) {
        for (int i = pos; i < cnt - 1; i++) {
            setLong(b, o + KEYS + 8 * i, getLong(b, o + KEYS + 8 * (i + 1)));
            setLong(b, o + valuesOff + 8 * i, getLong(b, o + valuesOff + 8 * (i + 1)));
        }
        setLong(b, o + META, meta(cnt - 1, 0));
    }

    /** Inserts separator {@code sep} at key index {@code idx} and child {@code s} after it. */
    private void insertIntoInner(ByteBuffer pb, int po, int idx, long sep, int s) {
        long meta = getLong(pb, po + META);
        int pcnt = (int) meta;
        for (int i = pcnt; i > idx; i--) {
            setLong(pb, po + KEYS + 8 * i, getLong(pb, po + KEYS + 8 * (i - 1)));
        }
        for (int i = pcnt + 1; i > idx + 1; i--) {
            setLong(pb, po + childrenOff + 8 * i, getLong(pb, po + childrenOff + 8 * (i - 1)));
        }
        setLong(pb, po + KEYS + 8 * idx, sep);
        setLong(pb, po + childrenOff + 8 * (idx + 1), s);
        setLong(pb, po + META, meta(pcnt + 1, levelOf(meta)));
    }

    /** Moves entries of the full, latched leaf into a sibling with room; parent latched. */
    private boolean redistributeLeaf(ByteBuffer pb, int po, int pIdx, ByteBuffer b, int o, int cnt) {
        int pcnt = (int) getLong(pb, po + META);
        if (pIdx < pcnt) {
            int s = (int) getLong(pb, po + childrenOff + 8 * (pIdx + 1));
            ByteBuffer sb = chunkOf(s);
            int so = offsetOf(s);
            if (tryLockExclusive(sb, so)) {
                int scnt = (int) getLong(sb, so + META);
                int m = (cnt - scnt) / 2;
                if (m >= 1 && scnt + m <= cap) {
                    for (int i = scnt - 1; i >= 0; i--) {
                        setLong(sb, so + KEYS + 8 * (i + m), getLong(sb, so + KEYS + 8 * i));
                        setLong(sb, so + valuesOff + 8 * (i + m), getLong(sb, so + valuesOff + 8 * i));
                    }
                    for (int i = 0; i < m; i++) {
                        setLong(sb, so + KEYS + 8 * i, getLong(b, o + KEYS + 8 * (cnt - m + i)));
                        setLong(sb, so + valuesOff + 8 * i, getLong(b, o + valuesOff + 8 * (cnt - m + i)));
                    }
                    setLong(sb, so + META, meta(scnt + m, 0));
                    setLong(b, o + META, meta(cnt - m, 0));
                    setLong(pb, po + KEYS + 8 * pIdx, getLong(sb, so + KEYS));
                    unlock(sb, so);
                    if (TestHooks.ENABLED) {
                        TestHooks.recordEvent(TestHooks.REDISTRIBUTE);
                    }
                    return true;
                }
                unlock(sb, so);
            }
        }
        if (pIdx > 0) {
            int s = (int) getLong(pb, po + childrenOff + 8 * (pIdx - 1));
            ByteBuffer sb = chunkOf(s);
            int so = offsetOf(s);
            if (tryLockExclusive(sb, so)) {
                int scnt = (int) getLong(sb, so + META);
                int m = (cnt - scnt) / 2;
                if (m >= 1 && scnt + m <= cap) {
                    for (int i = 0; i < m; i++) {
                        setLong(sb, so + KEYS + 8 * (scnt + i), getLong(b, o + KEYS + 8 * i));
                        setLong(sb, so + valuesOff + 8 * (scnt + i), getLong(b, o + valuesOff + 8 * i));
                    }
                    for (int i = m; i < cnt; i++) {
                        setLong(b, o + KEYS + 8 * (i - m), getLong(b, o + KEYS + 8 * i));
                        setLong(b, o + valuesOff + 8 * (i - m), getLong(b, o + valuesOff + 8 * i));
                    }
                    setLong(sb, so + META, meta(scnt + m, 0));
                    setLong(b, o + META, meta(cnt - m, 0));
                    setLong(pb, po + KEYS + 8 * (pIdx - 1), getLong(b, o + KEYS));
                    unlock(sb, so);
                    if (TestHooks.ENABLED) {
                        TestHooks.recordEvent(TestHooks.REDISTRIBUTE);
                    }
                    return true;
                }
                unlock(sb, so);
            }
        }
        return false;
    }

    /**
     * Splits the full, latched leaf n; the parent p (if any) is latched and has room. Returns
     * true only when the seeded fault {@code offheap.split.publishBeforeFill} released the parent.
     */
    private boolean splitLeaf(int p, ByteBuffer pb, int po, int pIdx, int n, ByteBuffer b, int o,
                           int cnt, int pos, long key) {
        // Allocate everything first: running out of memory must leave the tree untouched.
        int s = allocNode(0);
        int r = NONE;
        if (p == NONE) {
            try {
                r = allocNode(1);
            } catch (RuntimeException e) {
                freeUnused(s);
                throw e;
            }
        }
        int k;
        long sep;
        if (pos == cnt) {
            k = cnt; // appending: keep this leaf full, start an empty right sibling
            sep = key;
        } else if (pos == 0) {
            k = 0; // prepending: move everything right, refill this leaf from the front
            sep = getLong(b, o + KEYS);
        } else {
            k = cnt / 2;
            sep = getLong(b, o + KEYS + 8 * k);
        }
        ByteBuffer sb = chunkOf(s);
        int so = offsetOf(s);
        // Test hooks: one small guard, the body out of line, so that the hooks do not change what
        // the JIT inlines (it inlines by bytecode size; see splitLeafHooks).
        boolean released = TestHooks.ENABLED && splitLeafHooks(p, pb, po, pIdx, sep, s);
        for (int i = k; i < cnt; i++) {
            setLong(sb, so + KEYS + 8 * (i - k), getLong(b, o + KEYS + 8 * i));
            setLong(sb, so + valuesOff + 8 * (i - k), getLong(b, o + valuesOff + 8 * i));
        }
        setLong(sb, so + META, meta(cnt - k, 0));
        setLong(b, o + META, meta(k, 0));
        if (!released) {
            link(p, pb, po, pIdx, n, r, sep, s, 1);
        }
        return released;
    }

    /**
     * The test hooks of {@link #splitLeaf}: records the split and, under the seeded fault
     * {@link #FAULT_SPLIT_PUBLISH_BEFORE_FILL}, links the still-empty sibling {@code s} into the
     * latched parent and releases it (returning true, so the caller neither links nor unlocks it).
     */
    private boolean splitLeafHooks(int p, ByteBuffer pb, int po, int pIdx, long sep, int s) {
        TestHooks.recordEvent(TestHooks.SPLIT);
        if (p == NONE || !TestHooks.faultActive(FAULT_SPLIT_PUBLISH_BEFORE_FILL)) {
            return false;
        }
        insertIntoInner(pb, po, pIdx, sep, s);
        unlock(pb, po); // the fault: readers now reach the still-empty sibling
        Thread.yield();
        return true;
    }

    /** Splits the full, latched inner node n; the parent p (if any) is latched and has room. */
    private void splitInner(int p, ByteBuffer pb, int po, int pIdx, int n, ByteBuffer b, int o) {
        long meta = getLong(b, o + META);
        int level = levelOf(meta);
        int cnt = (int) meta;
        int s = allocNode(level);
        int r = NONE;
        if (p == NONE) {
            try {
                r = allocNode(level + 1);
            } catch (RuntimeException e) {
                freeUnused(s);
                throw e;
            }
        }
        int mid = cnt / 2;
        long sep = getLong(b, o + KEYS + 8 * mid);
        ByteBuffer sb = chunkOf(s);
        int so = offsetOf(s);
        for (int i = mid + 1; i < cnt; i++) {
            setLong(sb, so + KEYS + 8 * (i - mid - 1), getLong(b, o + KEYS + 8 * i));
        }
        for (int i = mid + 1; i <= cnt; i++) {
            setLong(sb, so + childrenOff + 8 * (i - mid - 1), getLong(b, o + childrenOff + 8 * i));
        }
        setLong(sb, so + META, meta(cnt - mid - 1, level));
        setLong(b, o + META, meta(mid, level));
        link(p, pb, po, pIdx, n, r, sep, s, level + 1);
        if (TestHooks.ENABLED) {
            TestHooks.recordEvent(TestHooks.SPLIT);
        }
    }

    /** Links new right sibling s of n under p, or under the new root r when n was the root. */
    private void link(int p, ByteBuffer pb, int po, int pIdx, int n, int r, long sep, int s, int rootLevel) {
        if (p != NONE) {
            insertIntoInner(pb, po, pIdx, sep, s);
            return;
        }
        ByteBuffer rb = chunkOf(r);
        int ro = offsetOf(r);
        setLong(rb, ro + KEYS, sep);
        setLong(rb, ro + childrenOff, n);
        setLong(rb, ro + childrenOff + 8, s);
        setLong(rb, ro + META, meta(1, rootLevel));
        // Published before the old root (still latched by the caller) gets its next version, so
        // a reader that sees that version and re-reads the root field sees r.
        setRootRelease(r);
    }

    /** Optimistic rounds of a rebalancing step before it latches its path top-down instead. */
    private static final int REBALANCE_OPTIMISTIC_ROUNDS = 4;
    /** The most merges and redistributions one rebalancing pass performs. */
    private static final int REBALANCE_MAX_STEPS = 4 * MAX_HEIGHT;

    private static final int STEP_DONE = 0;
    private static final int STEP_RETRY = 1;
    private static final int STEP_UP = 2;
    private static final int STEP_DOWN = 3;

    /**
     * Merges (or evens out) underfull nodes at {@code level} on the path of {@code key} with a
     * sibling, and continues upward while parents become underfull; after evening out inner
     * nodes it returns to the starting level, since the underfull node there now has a sibling.
     * Each step tries {@value #REBALANCE_OPTIMISTIC_ROUNDS} optimistic rounds and then latches
     * its path top-down, which always completes: a pass never gives up on contention, so no
     * empty or underfull node outlives the removal that made it so (unless the map closes).
     */
    private void rebalance(long key, int level) {
        int start = level;
        for (int steps = 0; steps < REBALANCE_MAX_STEPS && level < MAX_HEIGHT; steps++) {
            int result = STEP_RETRY;
            for (int round = 0; result == STEP_RETRY; round++) {
                if (closed) {
                    return;
                }
                if (round > 0) {
                    HybridLatch.backOff(round);
                }
                result = rebalanceStep(key, level, round >= REBALANCE_OPTIMISTIC_ROUNDS);
            }
            if (result == STEP_DONE) {
                return;
            }
            level = result == STEP_UP ? level + 1 : start;
        }
    }

    /**
     * One merge or redistribution at {@code level} on the path of {@code key}: finds the parent
     * of the node there (optimistically, or with latch coupling when {@code latched}), latches it,
     * then both siblings left to right (the global order), and changes them. Nodes unlinked are
     * retired after every latch is released, so an error in retirement leaves nothing latched.
     */
    private int rebalanceStep(long key, int level, boolean latched) {
        int p = NONE;
        ByteBuffer pb = null;
        int po = 0;
        int pIdx = 0;
        if (latched) {
            int n = rootAcquire();
            ByteBuffer b = chunkOf(n);
            int o = offsetOf(n);
            if (b == null || !lockExclusive(b, o)) {
                return STEP_RETRY;
            }
            if (rootAcquire() != n) {
                unlock(b, o);
                return STEP_RETRY;
            }
            for (int depth = 0; ; depth++) {
                long meta = getLong(b, o + META); // latched: trusted
                int lv = levelOf(meta);
                if (lv <= level || depth >= MAX_HEIGHT) {
                    unlock(b, o); // the root is at or below the level: nothing to merge
                    return STEP_DONE;
                }
                int idx = upperBound(b, o, (int) meta, key);
                if (lv == level + 1) {
                    p = n;
                    pb = b;
                    po = o;
                    pIdx = idx;
                    break;
                }
                int c = (int) getLong(b, o + childrenOff + 8 * idx);
                ByteBuffer cb = chunkOf(c);
                int co = offsetOf(c);
                if (!lockExclusive(cb, co)) {
                    unlock(b, o);
                    throw new IllegalStateException("child " + c + " of a latched node is obsolete");
                }
                unlock(b, o);
                n = c;
                b = cb;
                o = co;
            }
        } else {
            long pv = 0;
            int n = rootAcquire();
            ByteBuffer b = chunkOf(n);
            if (b == null) {
                return STEP_RETRY;
            }
            int o = offsetOf(n);
            long v = readLock(b, o);
            if (v == RESTART || rootAcquire() != n) {
                return STEP_RETRY;
            }
            for (int depth = 0; ; depth++) {
                long meta = getLong(b, o + META);
                int lv = levelOf(meta);
                if (lv <= level || depth >= MAX_HEIGHT) {
                    if (p == NONE && lv <= level) {
                        return validate(b, o, v) ? STEP_DONE : STEP_RETRY; // root: nothing to merge
                    }
                    if (lv != level) {
                        return STEP_RETRY; // a changed tree misled us
                    }
                    break;
                }
                int cnt = clamp(meta, innerCap);
                int idx = upperBound(b, o, cnt, key);
                long c = getLong(b, o + childrenOff + 8 * idx);
                ByteBuffer cb = chunkOf(c);
                if (cb == null) {
                    return STEP_RETRY;
                }
                int co = offsetOf((int) c);
                long cv = readLock(cb, co);
                if (cv == RESTART || !validate(b, o, v)) {
                    return STEP_RETRY;
                }
                p = n;
                pb = b;
                po = o;
                pv = v;
                pIdx = idx;
                n = (int) c;
                b = cb;
                o = co;
                v = cv;
            }
            // The upgrade succeeds only if p is unchanged since pIdx was read from it.
            if (!tryUpgrade(pb, po, pv)) {
                return STEP_RETRY;
            }
        }
        // p is latched: its contents are facts now, and pIdx is the index of the node to fix.
        return mergeUnder(p, pb, po, pIdx, level);
    }

    /** The latched part of {@link #rebalanceStep}: p is latched on entry and released on exit. */
    private int mergeUnder(int p, ByteBuffer pb, int po, int pIdx, int level) {
        int pcnt = (int) getLong(pb, po + META);
        if (pcnt == 0) {
            unlock(pb, po);
            return STEP_UP; // p has a single child: p itself is what needs merging
        }
        int leftIdx = pIdx < pcnt ? pIdx : pIdx - 1;
        int l = (int) getLong(pb, po + childrenOff + 8 * leftIdx);
        int r = (int) getLong(pb, po + childrenOff + 8 * (leftIdx + 1));
        ByteBuffer lb = chunkOf(l);
        int lo = offsetOf(l);
        ByteBuffer rb = chunkOf(r);
        int ro = offsetOf(r);
        boolean lLatched = false;
        boolean rLatched = false;
        boolean merged = false;
        boolean collapsed = false;
        String event = null;
        int result;
        try {
            // Parent first, then left to right: the global order, so these may wait. p is held,
            // so neither child can be unlinked (made obsolete) meanwhile.
            lLatched = lockExclusive(lb, lo);
            rLatched = lLatched && lockExclusive(rb, ro);
            if (!rLatched) {
                throw new IllegalStateException("child of a latched node is obsolete");
            }
            if (TestHooks.ENABLED) {
                atLatchedSite(SITE_MERGE);
            }
            int lc = (int) getLong(lb, lo + META);
            int rc = (int) getLong(rb, ro + META);
            boolean leaf = level == 0;
            int min = leaf ? leafMin : innerMin;
            // Leaves merge when they fit in leafMergeFit entries (see the constructor); an empty
            // one always merges. Otherwise redistribution leaves both above the threshold.
            boolean fits = leaf ? lc + rc <= leafMergeFit || lc == 0 || rc == 0 : lc + rc + 1 <= innerCap;
            if (lc > min && rc > min) {
                result = STEP_DONE;
            } else if (!fits) {
                // Too many for one node: even the pair out instead, so the underfull one is not.
                boolean moved = leaf ? redistributeLeaves(pb, po, leftIdx, lb, lo, lc, rb, ro, rc)
                        : redistributeInner(pb, po, leftIdx, lb, lo, lc, rb, ro, rc, level);
                event = moved ? TestHooks.REDISTRIBUTE : null;
                // An inner node evened out gives the underfull node below it a sibling: go back.
                result = moved && !leaf ? STEP_DOWN : STEP_DONE;
            } else {
                mergeSiblings(pb, po, pcnt, leftIdx, lb, lo, lc, rb, ro, rc, level);
                merged = true;
                event = TestHooks.MERGE;
                if (pcnt - 1 == 0 && rootAcquire() == p) {
                    // The root has a single child left: that child becomes the root. Published
                    // while p is still latched, so readers that validate p re-read the new root.
                    setRootRelease(l);
                    collapsed = true;
                    result = STEP_DONE;
                } else {
                    result = pcnt - 1 > innerMin ? STEP_DONE : STEP_UP;
                }
            }
        } finally {
            if (rLatched) {
                if (merged) {
                    unlockObsolete(rb, ro);
                } else {
                    unlock(rb, ro);
                }
            }
            if (lLatched) {
                unlock(lb, lo);
            }
            if (collapsed) {
                unlockObsolete(pb, po);
            } else {
                unlock(pb, po);
            }
        }
        // Nothing is latched any more: retirement (which may allocate) cannot strand a latch.
        if (merged) {
            if (TestHooks.ENABLED && TestHooks.faultActive(FAULT_MERGE_REUSE_WITHOUT_EPOCH)) {
                synchronized (allocLock) {
                    liveNodes = liveNodes - 1;
                    retiredNodes = retiredNodes + 1;
                }
                reclaimNode(r, nodeSize);
            } else {
                retireNode(r);
            }
            if (collapsed) {
                retireNode(p);
            }
        }
        if (TestHooks.ENABLED && event != null) {
            TestHooks.recordEvent(event);
        }
        return result;
    }

    /** Moves everything of latched r into latched l and unlinks r from latched p. */
    private void mergeSiblings(ByteBuffer pb, int po, int pcnt, int leftIdx, ByteBuffer lb, int lo, int lc,
                               ByteBuffer rb, int ro, int rc, int level) {
        if (level == 0) {
            for (int i = 0; i < rc; i++) {
                setLong(lb, lo + KEYS + 8 * (lc + i), getLong(rb, ro + KEYS + 8 * i));
                setLong(lb, lo + valuesOff + 8 * (lc + i), getLong(rb, ro + valuesOff + 8 * i));
            }
            setLong(lb, lo + META, meta(lc + rc, 0));
        } else {
            setLong(lb, lo + KEYS + 8 * lc, getLong(pb, po + KEYS + 8 * leftIdx));
            for (int i = 0; i < rc; i++) {
                setLong(lb, lo + KEYS + 8 * (lc + 1 + i), getLong(rb, ro + KEYS + 8 * i));
            }
            for (int i = 0; i <= rc; i++) {
                setLong(lb, lo + childrenOff + 8 * (lc + 1 + i), getLong(rb, ro + childrenOff + 8 * i));
            }
            setLong(lb, lo + META, meta(lc + 1 + rc, level));
        }
        // Unlink r from p: drop separator leftIdx and child leftIdx + 1.
        for (int i = leftIdx; i < pcnt - 1; i++) {
            setLong(pb, po + KEYS + 8 * i, getLong(pb, po + KEYS + 8 * (i + 1)));
        }
        for (int i = leftIdx + 1; i < pcnt; i++) {
            setLong(pb, po + childrenOff + 8 * i, getLong(pb, po + childrenOff + 8 * (i + 1)));
        }
        long pmeta = getLong(pb, po + META);
        setLong(pb, po + META, meta(pcnt - 1, levelOf(pmeta)));
    }

    /**
     * Evens out two latched sibling leaves (parent latched too): afterwards each holds half of
     * their entries, and the parent's separator is the right one's first key.
     */
    private boolean redistributeLeaves(ByteBuffer pb, int po, int leftIdx, ByteBuffer lb, int lo, int lc,
                                    ByteBuffer rb, int ro, int rc) {
        if (rc - lc >= 2) {
            int m = (rc - lc) / 2; // move the first m entries of r to the end of l
            for (int i = 0; i < m; i++) {
                setLong(lb, lo + KEYS + 8 * (lc + i), getLong(rb, ro + KEYS + 8 * i));
                setLong(lb, lo + valuesOff + 8 * (lc + i), getLong(rb, ro + valuesOff + 8 * i));
            }
            for (int i = 0; i < rc - m; i++) {
                setLong(rb, ro + KEYS + 8 * i, getLong(rb, ro + KEYS + 8 * (i + m)));
                setLong(rb, ro + valuesOff + 8 * i, getLong(rb, ro + valuesOff + 8 * (i + m)));
            }
            setLong(lb, lo + META, meta(lc + m, 0));
            setLong(rb, ro + META, meta(rc - m, 0));
        } else if (lc - rc >= 2) {
            int m = (lc - rc) / 2; // move the last m entries of l to the front of r
            for (int i = rc - 1; i >= 0; i--) {
                setLong(rb, ro + KEYS + 8 * (i + m), getLong(rb, ro + KEYS + 8 * i));
                setLong(rb, ro + valuesOff + 8 * (i + m), getLong(rb, ro + valuesOff + 8 * i));
            }
            for (int i = 0; i < m; i++) {
                setLong(rb, ro + KEYS + 8 * i, getLong(lb, lo + KEYS + 8 * (lc - m + i)));
                setLong(rb, ro + valuesOff + 8 * i, getLong(lb, lo + valuesOff + 8 * (lc - m + i)));
            }
            setLong(lb, lo + META, meta(lc - m, 0));
            setLong(rb, ro + META, meta(rc + m, 0));
        } else {
            return false; // already even: nothing to move
        }
        setLong(pb, po + KEYS + 8 * leftIdx, getLong(rb, ro + KEYS));
        return true; // the caller records the event once nothing is latched
    }

    /**
     * Evens out two latched sibling inner nodes through their parent's separator (all three
     * latched): the keys of l, the separator and the keys of r, in order, are dealt out again.
     */
    private boolean redistributeInner(ByteBuffer pb, int po, int leftIdx, ByteBuffer lb, int lo, int lc,
                                   ByteBuffer rb, int ro, int rc, int level) {
        long sep = getLong(pb, po + KEYS + 8 * leftIdx);
        if (rc - lc >= 2) {
            int m = (rc - lc) / 2; // l takes the separator, r's first m - 1 keys and first m children
            setLong(lb, lo + KEYS + 8 * lc, sep);
            for (int i = 0; i < m - 1; i++) {
                setLong(lb, lo + KEYS + 8 * (lc + 1 + i), getLong(rb, ro + KEYS + 8 * i));
            }
            for (int i = 0; i < m; i++) {
                setLong(lb, lo + childrenOff + 8 * (lc + 1 + i), getLong(rb, ro + childrenOff + 8 * i));
            }
            sep = getLong(rb, ro + KEYS + 8 * (m - 1));
            for (int i = 0; i < rc - m; i++) {
                setLong(rb, ro + KEYS + 8 * i, getLong(rb, ro + KEYS + 8 * (i + m)));
            }
            for (int i = 0; i <= rc - m; i++) {
                setLong(rb, ro + childrenOff + 8 * i, getLong(rb, ro + childrenOff + 8 * (i + m)));
            }
            setLong(lb, lo + META, meta(lc + m, level));
            setLong(rb, ro + META, meta(rc - m, level));
        } else if (lc - rc >= 2) {
            int m = (lc - rc) / 2; // r takes l's last m - 1 keys, the separator and l's last m children
            for (int i = rc - 1; i >= 0; i--) {
                setLong(rb, ro + KEYS + 8 * (i + m), getLong(rb, ro + KEYS + 8 * i));
            }
            for (int i = rc; i >= 0; i--) {
                setLong(rb, ro + childrenOff + 8 * (i + m), getLong(rb, ro + childrenOff + 8 * i));
            }
            setLong(rb, ro + KEYS + 8 * (m - 1), sep);
            for (int i = 0; i < m - 1; i++) {
                setLong(rb, ro + KEYS + 8 * i, getLong(lb, lo + KEYS + 8 * (lc - m + 1 + i)));
            }
            for (int i = 0; i < m; i++) {
                setLong(rb, ro + childrenOff + 8 * i, getLong(lb, lo + childrenOff + 8 * (lc - m + 1 + i)));
            }
            sep = getLong(lb, lo + KEYS + 8 * (lc - m));
            setLong(lb, lo + META, meta(lc - m, level));
            setLong(rb, ro + META, meta(rc + m, level));
        } else {
            return false;
        }
        setLong(pb, po + KEYS + 8 * leftIdx, sep);
        return true; // the caller records the event once nothing is latched
    }

    // ------------------------------------------------------------------ navigation

    /**
     * Search state of one navigation call, poll or cursor refill. Reused: each thread has one for
     * the primitive navigation methods ({@link #LOCAL_PROBE}) and each cursor has its own, so a
     * search allocates nothing once its arrays have grown to the longest run of empty nodes met.
     */
    static final class Probe {
        long key;
        long value;
        /** When non-null, a found leaf's run is copied here (cursor refill). */
        long[] batchKeys;
        long[] batchValues;
        int batchLength;
        /** The inclusive end of the batch run or poll range (the lower end when descending). */
        long batchBound;
        /** Poll mode: latch the leaf of an in-range key found, instead of validating it. */
        boolean poll;
        /** The latched leaf in poll mode, or null. */
        ByteBuffer latchedBuffer;
        int latchedOffset;
        /**
         * Optimistic mode: nodes that answered "nothing here" (ids and versions), validated again
         * after the last read. Pessimistic mode: every node latched so far, released at the end.
         * Grown on demand, never shrunk, so any number of empty nodes can be passed.
         */
        int[] ids = new int[16];
        long[] versions = new long[16];
        int count;
        /** A key that leads to an empty leaf met by the search, for the clean-up after it. */
        long emptyLeafKey;
        boolean sawEmptyLeaf;

        /** Remembers a node (and, optimistically, its version). */
        void add(int id, long v) {
            if (count == ids.length) {
                ids = java.util.Arrays.copyOf(ids, count * 2);
                versions = java.util.Arrays.copyOf(versions, count * 2);
            }
            ids[count] = id;
            versions[count++] = v;
        }

        void reset() {
            batchLength = 0;
            latchedBuffer = null;
            count = 0;
            sawEmptyLeaf = false;
        }
    }

    /** The probe of the primitive navigation methods; nothing they call can reenter them. */
    private static final ThreadLocal<Probe> LOCAL_PROBE = ThreadLocal.withInitial(Probe::new);

    /**
     * Optimistic rounds a reader tries before it falls back to latching its path (the same
     * bound as {@link ConcurrentBTreeMap}'s).
     */
    static final int OPTIMISTIC_ROUNDS = 16;

    /**
     * The least key greater than or equal to {@code key}, or {@code absent} if none.
     * Allocates nothing.
     *
     * @param key the key to search from
     * @param absent returned when there is no such key
     * @return the key found, or {@code absent}
     * @throws IllegalStateException if the map is closed
     */
    public long ceilingKey(long key, long absent) {
        Probe pr = probe();
        return near(key, true, pr) ? pr.key : absent;
    }

    /**
     * The greatest key less than or equal to {@code key}, or {@code absent} if none.
     * Allocates nothing.
     *
     * @param key the key to search from
     * @param absent returned when there is no such key
     * @return the key found, or {@code absent}
     * @throws IllegalStateException if the map is closed
     */
    public long floorKey(long key, long absent) {
        Probe pr = probe();
        return near(key, false, pr) ? pr.key : absent;
    }

    /** The calling thread's probe, for the boxed view's single searches and polls. */
    static Probe localProbe() {
        return probe();
    }

    /** The calling thread's probe, reset to plain navigation. */
    private static Probe probe() {
        Probe pr = LOCAL_PROBE.get();
        pr.poll = false;
        return pr;
    }

    /**
     * The least key strictly greater than {@code key}, or {@code absent} if none.
     * Allocates nothing.
     *
     * @param key the key to search from
     * @param absent returned when there is no such key
     * @return the key found, or {@code absent}
     * @throws IllegalStateException if the map is closed
     */
    public long higherKey(long key, long absent) {
        checkOpen();
        return key == Long.MAX_VALUE ? absent : ceilingKey(key + 1, absent);
    }

    /**
     * The greatest key strictly less than {@code key}, or {@code absent} if none.
     * Allocates nothing.
     *
     * @param key the key to search from
     * @param absent returned when there is no such key
     * @return the key found, or {@code absent}
     * @throws IllegalStateException if the map is closed
     */
    public long lowerKey(long key, long absent) {
        checkOpen();
        return key == Long.MIN_VALUE ? absent : floorKey(key - 1, absent);
    }

    /**
     * The least key, or {@code absent} if the map is empty. Allocates nothing.
     *
     * @param absent returned when the map is empty
     * @return the first key, or {@code absent}
     * @throws IllegalStateException if the map is closed
     */
    public long firstKey(long absent) {
        return ceilingKey(Long.MIN_VALUE, absent);
    }

    /**
     * The greatest key, or {@code absent} if the map is empty. Allocates nothing.
     *
     * @param absent returned when the map is empty
     * @return the last key, or {@code absent}
     * @throws IllegalStateException if the map is closed
     */
    public long lastKey(long absent) {
        return floorKey(Long.MAX_VALUE, absent);
    }

    /**
     * Atomically finds the nearest entry at or above ({@code up}) or at or below {@code key},
     * into {@code pr}; fills pr's batch when it has one. In poll mode, returns with the found
     * leaf latched ({@code pr.latchedBuffer}) when the key found is within {@code pr.batchBound}.
     * After {@link #OPTIMISTIC_ROUNDS} failed optimistic rounds it latches instead.
     */
    boolean near(long key, boolean up, Probe pr) {
        checkOpen();
        try (EpochManager.Guard guard = epochs.pin()) {
            for (int round = 0; ; round++) {
                if (round > 0) {
                    onRestart(round);
                }
                pr.reset();
                int r = round < OPTIMISTIC_ROUNDS ? nearOptimistic(key, up, pr) : nearLatched(key, up, pr);
                if (r == RESTARTED) {
                    continue;
                }
                if (pr.sawEmptyLeaf && pr.latchedBuffer == null) {
                    // An empty leaf outlived the removal that emptied it (its merge met contention):
                    // merge it now, so empty nodes do not pile up in front of later searches.
                    rebalance(pr.emptyLeafKey, 0);
                }
                return r == FOUND;
            }
        }
    }

    /** One optimistic round of {@link #near}: FOUND, NOT_FOUND or RESTARTED (nothing latched). */
    private int nearOptimistic(long key, boolean up, Probe pr) {
        int n = rootAcquire();
        ByteBuffer b = chunkOf(n);
        if (b == null) {
            return RESTARTED;
        }
        int o = offsetOf(n);
        long v = readLock(b, o);
        if (v == RESTART || rootAcquire() != n) {
            return RESTARTED;
        }
        int r = nearIn(b, o, n, v, key, up, 0, pr);
        // Every node that said "nothing here" is validated again after the last read:
        // together with the on-unwind validations, every node used is checked after all
        // reads, so all were unchanged at the first of these checks.
        if (r != RESTARTED && (revalidateSkipped(pr)
                || (TestHooks.ENABLED && TestHooks.faultActive(FAULT_NAVIGATE_SKIP_VALIDATION)))) {
            return r;
        }
        if (pr.latchedBuffer != null) {
            unlock(pr.latchedBuffer, pr.latchedOffset);
            pr.latchedBuffer = null;
        }
        return RESTARTED;
    }

    /** Whether every node the probe passed over is unchanged. */
    private boolean revalidateSkipped(Probe pr) {
        for (int i = pr.count - 1; i >= 0; i--) {
            ByteBuffer b = chunkOf(pr.ids[i]);
            if (b == null || !validate(b, offsetOf(pr.ids[i]), pr.versions[i])) {
                return false;
            }
        }
        return true;
    }

    private int nearIn(ByteBuffer b, int o, int n, long v, long key, boolean up, int depth, Probe pr) {
        long meta = getLong(b, o + META);
        if (levelOf(meta) == 0) {
            int cnt = clamp(meta, cap);
            int pos = up ? lowerBound(b, o, cnt, key) : upperBound(b, o, cnt, key) - 1;
            boolean found = pos >= 0 && pos < cnt;
            if (found) {
                pr.key = getLong(b, o + KEYS + 8 * pos);
                pr.value = getLong(b, o + valuesOff + 8 * pos);
                if (pr.batchKeys != null) {
                    fillBatch(b, o, cnt, pos, up, pr);
                }
            }
            if (found && pr.poll && (up ? pr.key <= pr.batchBound : pr.key >= pr.batchBound)) {
                if (TestHooks.ENABLED && TestHooks.faultActive(FAULT_POLL_UNLATCHED)) {
                    if (!validate(b, o, v)) {
                        return RESTARTED;
                    }
                    Thread.yield(); // widen the window the fault opens
                    if (!lockExclusive(b, o)) {
                        return RESTARTED;
                    }
                    pr.latchedBuffer = b;
                    pr.latchedOffset = o;
                    return FOUND;
                }
                // Latch instead of validating: the upgrade succeeds only if the leaf is unchanged.
                if (!tryUpgrade(b, o, v)) {
                    return RESTARTED;
                }
                pr.latchedBuffer = b;
                pr.latchedOffset = o;
                return FOUND;
            }
            // A leaf with nothing on this side is validated like one with the answer (the seeded
            // fault FAULT_NAVIGATE_SKIP_VALIDATION trusts such a leaf unvalidated).
            if (!validate(b, o, v)
                    && (found || !(TestHooks.ENABLED && TestHooks.faultActive(FAULT_NAVIGATE_SKIP_VALIDATION)))) {
                return RESTARTED;
            }
            if (poison) {
                checkNotPoisoned(meta, found ? pr.value : 0);
            }
            if (found) {
                return FOUND;
            }
            if (depth > 0) { // an empty root leaf is just an empty map
                noteIfEmpty(cnt, key, pr);
            }
            pr.add(n, v);
            return NOT_FOUND;
        }
        if (depth >= MAX_HEIGHT) {
            return RESTARTED;
        }
        int cnt = clamp(meta, innerCap);
        int idx = upperBound(b, o, cnt, key);
        int step = up ? 1 : -1;
        for (int j = idx; j >= 0 && j <= cnt; j += step) {
            long c = getLong(b, o + childrenOff + 8 * j);
            ByteBuffer cb = chunkOf(c);
            if (cb == null) {
                return RESTARTED;
            }
            int co = offsetOf((int) c);
            long cv = readLock(cb, co);
            // Validate before descending: bounds the work done on a changed node to one child.
            if (cv == RESTART || (!validate(b, o, v)
                    && !(TestHooks.ENABLED && TestHooks.faultActive(FAULT_DESCEND_SKIP_PARENT_VALIDATION)))) {
                return RESTARTED;
            }
            long k = j == idx ? key : (up ? Long.MIN_VALUE : Long.MAX_VALUE);
            int r = nearIn(cb, co, (int) c, cv, k, up, depth + 1, pr);
            if (r == RESTARTED) {
                return RESTARTED;
            }
            if (r == FOUND) {
                // Validated after the child: reverse order of reading (see the class essay).
                return validate(b, o, v) ? FOUND : RESTARTED;
            }
        }
        if (!validate(b, o, v)) {
            return RESTARTED;
        }
        pr.add(n, v);
        return NOT_FOUND;
    }

    /** Records that the search met an empty leaf, reached by {@code key}. */
    private static void noteIfEmpty(int cnt, long key, Probe pr) {
        if (cnt == 0 && !pr.sawEmptyLeaf) {
            pr.sawEmptyLeaf = true;
            pr.emptyLeafKey = key;
        }
    }

    /**
     * The pessimistic round of {@link #near}: latches the root, then each node it reads, parent
     * before child, and keeps every node latched until the answer is known, so that nothing it
     * passed over can change meanwhile. The waits follow the global order (a node's latch is
     * waited for only while its parent is held), so they cannot deadlock with the writers'
     * try-latches or with merges. In poll mode the leaf with the answer stays latched.
     */
    private int nearLatched(long key, boolean up, Probe pr) {
        int n = rootAcquire();
        ByteBuffer b = chunkOf(n);
        if (b == null) {
            return RESTARTED;
        }
        int o = offsetOf(n);
        if (!lockExclusive(b, o)) {
            return RESTARTED;
        }
        if (rootAcquire() != n) {
            unlock(b, o); // the root split or collapsed while we waited
            return RESTARTED;
        }
        pr.add(n, 0);
        int r = RESTARTED;
        try {
            r = nearInLatched(b, o, key, up, 0, pr);
        } finally {
            for (int i = pr.count - 1; i >= 0; i--) {
                unlock(chunkOf(pr.ids[i]), offsetOf(pr.ids[i]));
            }
            pr.count = 0;
        }
        return r;
    }

    private int nearInLatched(ByteBuffer b, int o, long key, boolean up, int depth, Probe pr) {
        long meta = getLong(b, o + META); // latched: trusted
        int cnt = (int) meta;
        if (levelOf(meta) == 0) {
            int pos = up ? lowerBound(b, o, cnt, key) : upperBound(b, o, cnt, key) - 1;
            if (pos < 0 || pos >= cnt) {
                if (depth > 0) {
                    noteIfEmpty(cnt, key, pr);
                }
                return NOT_FOUND;
            }
            pr.key = getLong(b, o + KEYS + 8 * pos);
            pr.value = getLong(b, o + valuesOff + 8 * pos);
            if (pr.batchKeys != null) {
                fillBatch(b, o, cnt, pos, up, pr);
            }
            if (pr.poll && (up ? pr.key <= pr.batchBound : pr.key >= pr.batchBound)) {
                pr.count--; // this leaf was latched last: hand it to the poll instead of releasing it
                pr.latchedBuffer = b;
                pr.latchedOffset = o;
            }
            return FOUND;
        }
        if (depth >= MAX_HEIGHT) {
            throw new IllegalStateException("tree deeper than " + MAX_HEIGHT + " levels");
        }
        int idx = upperBound(b, o, cnt, key);
        int step = up ? 1 : -1;
        for (int j = idx; j >= 0 && j <= cnt; j += step) {
            int c = (int) getLong(b, o + childrenOff + 8 * j);
            ByteBuffer cb = chunkOf(c);
            int co = offsetOf(c);
            // The parent is held, so the child cannot be unlinked (made obsolete) meanwhile.
            if (!lockExclusive(cb, co)) {
                throw new IllegalStateException("child " + c + " of a latched node is obsolete");
            }
            pr.add(c, 0);
            long k = j == idx ? key : (up ? Long.MIN_VALUE : Long.MAX_VALUE);
            if (nearInLatched(cb, co, k, up, depth + 1, pr) == FOUND) {
                return FOUND;
            }
        }
        return NOT_FOUND;
    }

    /**
     * Atomically removes the least (or, {@code highest}, the greatest) entry with a key in
     * {@code [lo, hi]}, into {@code pr}; false if the range is empty.
     */
    boolean poll(long lo, long hi, boolean highest, Probe pr) {
        checkOpen();
        pr.poll = true;
        pr.batchBound = highest ? lo : hi;
        try (EpochManager.Guard guard = epochs.pin()) {
            boolean found;
            try {
                found = near(highest ? hi : lo, !highest, pr);
            } finally {
                pr.poll = false;
            }
            ByteBuffer b = pr.latchedBuffer;
            if (!found || b == null) {
                return false; // empty, or the nearest key lies outside the range
            }
            int o = pr.latchedOffset;
            pr.latchedBuffer = null;
            int cnt = (int) getLong(b, o + META);
            int pos = lowerBound(b, o, cnt, pr.key); // latched: trusted
            if (TestHooks.ENABLED && (pos >= cnt || getLong(b, o + KEYS + 8 * pos) != pr.key)) {
                unlock(b, o); // only under FAULT_POLL_UNLATCHED: another poll took the key
                return true;
            }
            removeFromLeaf(b, o, cnt, pos);
            publishChange(pr.key, pr.value, 0, REMOVED);
            unlock(b, o);
            size.decrement();
            if (cnt - 1 <= leafMin || pr.sawEmptyLeaf) {
                rebalance(cnt - 1 <= leafMin ? pr.key : pr.emptyLeafKey, 0);
            }
            return true;
        }
    }
    private void fillBatch(ByteBuffer b, int o, int cnt, int pos, boolean up, Probe pr) {
        long[] ks = pr.batchKeys;
        long[] vs = pr.batchValues;
        long bound = pr.batchBound;
        int len = 0;
        if (up) {
            for (int i = pos; i < cnt && len < ks.length; i++) {
                long k = getLong(b, o + KEYS + 8 * i);
                if (k > bound) {
                    break;
                }
                ks[len] = k;
                vs[len++] = getLong(b, o + valuesOff + 8 * i);
            }
        } else {
            for (int i = pos; i >= 0 && len < ks.length; i--) {
                long k = getLong(b, o + KEYS + 8 * i);
                if (k < bound) {
                    break;
                }
                ks[len] = k;
                vs[len++] = getLong(b, o + valuesOff + 8 * i);
            }
        }
        pr.batchLength = len;
    }

    /**
     * A cursor over the keys in {@code [from, to]}, ascending. Reuse it with
     * {@link OffHeapLongCursor#reset} to scan again without allocating.
     *
     * @param from the least key to return (inclusive)
     * @param to the greatest key to return (inclusive)
     * @return a new cursor, positioned before the first entry
     * @throws IllegalStateException if the map is closed
     */
    public OffHeapLongCursor cursor(long from, long to) {
        checkOpen();
        return new OffHeapLongCursor(this, cap).reset(from, to, false);
    }

    /**
     * A cursor over the keys in {@code [to, from]}, descending from {@code from}.
     *
     * @param from the greatest key to return (inclusive)
     * @param to the least key to return (inclusive)
     * @return a new cursor, positioned before the first entry
     * @throws IllegalStateException if the map is closed
     */
    public OffHeapLongCursor descendingCursor(long from, long to) {
        checkOpen();
        return new OffHeapLongCursor(this, cap).reset(from, to, true);
    }

    // ------------------------------------------------------------------ change feed

    /** Registers a listener of the changes of this map, for its {@link #asMap()} views. */
    ChangeFeed.Subscription subscribe(ChangeListener<? super Long, ? super Long> listener) {
        checkOpen();
        return ChangeFeed.subscribe(FEED, this, listener);
    }

    /**
     * The change-feed hook of every write path (see {@link ChangeFeed}): called after a mapping
     * changed, before its leaf latch is released, so per key the publications follow commit
     * order. With no subscriber ever it is one volatile read of {@link #feed} (a plain load on
     * x86) and boxes nothing; keys and values are boxed only for a feed that exists. Why a
     * volatile read is enough, and needed: the store-load argument of {@link ChangeFeed}, with
     * the latch CAS before it.
     */
    private void publishChange(long key, long old, long value, int kind) {
        ChangeFeed<Long, Long> f = feed; // volatile, after the latch CAS: the store-load pair of ChangeFeed
        if (f != null) {
            publishBoxed(f, key, old, value, kind);
        }
    }

    /** What {@link #publishChange} publishes: an insert ({@code old} unused). */
    private static final int INSERTED = 0;
    /** What {@link #publishChange} publishes: a replacement. */
    private static final int REPLACED = 1;
    /** What {@link #publishChange} publishes: a removal ({@code value} unused). */
    private static final int REMOVED = 2;

    /**
     * The out-of-line part of {@link #publishChange}, which boxes, so that the hook itself stays
     * small enough (23 bytes of bytecode) for the JIT to inline at every write site.
     */
    private static void publishBoxed(ChangeFeed<Long, Long> f, long key, long old, long value, int kind) {
        f.publish(key, kind == INSERTED ? null : Long.valueOf(old), kind == REMOVED ? null : Long.valueOf(value));
    }

    // ------------------------------------------------------------------ whole-map operations

    /**
     * The number of entries: a sum of per-thread counters, exact when no update is in flight and
     * otherwise within the number of updates in flight (never negative). Not linearizable; use
     * {@link #isEmpty()} to ask for emptiness.
     *
     * @return the entry count
     * @throws IllegalStateException if the map is closed
     */
    public long size() {
        checkOpen();
        // A remove's decrement may be summed before the matching insert's increment.
        return Math.max(0L, size.sum());
    }

    /**
     * Whether the map has no entries. Linearizable: a search for the first key (the same search
     * as {@link #firstKey}), not the counter behind {@link #size()}. Allocates nothing.
     *
     * @return whether the map held no entry at the instant of the search
     * @throws IllegalStateException if the map is closed
     */
    public boolean isEmpty() {
        return !near(Long.MIN_VALUE, true, probe());
    }

    /**
     * A {@link ConcurrentNavigableMap} view of this map, boxing keys and values. Writes go
     * through; closing this map makes the view unusable.
     *
     * @return the view
     * @throws IllegalStateException if the map is closed
     */
    public ConcurrentNavigableMap<Long, Long> asMap() {
        checkOpen();
        return new OffHeapLongMapView(this);
    }

    /**
     * Off-heap bytes reserved from the system (whole chunks).
     *
     * @return reserved bytes; 0 after {@link #close()}
     */
    public long bytesReserved() {
        return reservedBytes;
    }

    /**
     * Off-heap bytes in nodes that belong to the tree.
     *
     * @return live node bytes
     */
    public long bytesInUse() {
        return liveNodes * nodeSize;
    }

    /**
     * Off-heap bytes in nodes unlinked from the tree but not yet reusable, because a pinned
     * thread might still read them.
     *
     * @return retired node bytes
     */
    public long bytesAwaitingReclamation() {
        return retiredNodes * nodeSize;
    }

    /**
     * The bytes one node takes.
     *
     * @return {@code 16 + 16 * nodeCapacity}
     */
    public int nodeSizeBytes() {
        return nodeSize;
    }

    /**
     * The epoch manager that guards node reuse.
     *
     * @return the manager
     */
    public EpochManager epochManager() {
        return epochs;
    }

    long reusedNodeCount() {
        return reusedNodes;
    }

    /**
     * Releases all off-heap memory. Every later call on this map (other than {@code close} and
     * the memory accessors) throws {@link IllegalStateException}. Close only when no other thread
     * uses the map: an operation racing with close fails with {@link IllegalStateException} (it
     * never reads freed memory, since the chunks are dropped, not unmapped). The direct buffers
     * return their memory to the system when the garbage collector clears them (the JDK offers
     * no safe explicit free for a direct buffer).
     */
    @Override
    public void close() {
        synchronized (allocLock) {
            if (closed) {
                return;
            }
            closed = true;
            setRootRelease(NONE);
            chunks = new ByteBuffer[0];
            freeIds = new int[0];
            freeTop = 0;
            highWater = 0;
            liveNodes = 0;
            retiredNodes = 0;
            reservedBytes = 0;
        }
        size.reset();
    }

    /**
     * Whether {@link #close()} has been called.
     *
     * @return whether the map is closed
     */
    public boolean isClosed() {
        return closed;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("OffHeapLongBTreeMap is closed");
        }
    }

    private void onRestart(int round) {
        checkOpen();
        HybridLatch.backOff(round);
    }

    // ------------------------------------------------------------------ invariants

    /**
     * Checks the structure: key order inside nodes, every key within the range its parent's
     * separators give it, all leaves at level 0 and children one level below their parent, no
     * latch held, no obsolete node reachable, no node reachable twice or also on the free list,
     * node and entry counts. Call only while no other thread updates the map.
     *
     * @throws IllegalStateException describing the first violation found
     */
    public void checkInvariants() {
        checkOpen();
        try (EpochManager.Guard guard = epochs.pin()) {
            BitSet seen = new BitSet();
            int r = rootAcquire();
            long[] counts = new long[2]; // entries, nodes
            long meta = getLong(chunkOfChecked(r), offsetOf(r) + META);
            checkNode(r, levelOf(meta), false, 0, false, 0, seen, counts, true);
            synchronized (allocLock) {
                if (counts[1] != liveNodes) {
                    throw new IllegalStateException("reachable nodes " + counts[1] + " != live nodes " + liveNodes);
                }
                for (int i = 0; i < freeTop; i++) {
                    if (seen.get(freeIds[i])) {
                        throw new IllegalStateException("node " + freeIds[i] + " is reachable and free");
                    }
                }
            }
            if (counts[0] != size.sum()) {
                throw new IllegalStateException("entries " + counts[0] + " != size " + size.sum());
            }
        }
    }

    private void checkNode(int n, int level, boolean hasLo, long lo, boolean hasHi, long hi,
                           BitSet seen, long[] counts, boolean isRoot) {
        ByteBuffer b = chunkOfChecked(n);
        if (seen.get(n)) {
            throw new IllegalStateException("node " + n + " reachable twice");
        }
        seen.set(n);
        counts[1]++;
        int o = offsetOf(n);
        long ver = getLong(b, o + VERSION);
        if ((ver & (EXCLUSIVE | OBSOLETE)) != 0) {
            throw new IllegalStateException("node " + n + " has version flags " + (ver & FLAG_MASK));
        }
        long meta = getLong(b, o + META);
        if (levelOf(meta) != level) {
            throw new IllegalStateException("node " + n + " at level " + levelOf(meta) + ", expected " + level);
        }
        int cnt = (int) meta;
        int max = level == 0 ? cap : innerCap;
        if (cnt < 0 || cnt > max) {
            throw new IllegalStateException("node " + n + " has count " + cnt + " (capacity " + max + ")");
        }
        for (int i = 0; i < cnt; i++) {
            long k = getLong(b, o + KEYS + 8 * i);
            if (i > 0 && getLong(b, o + KEYS + 8 * (i - 1)) >= k) {
                throw new IllegalStateException("node " + n + " keys out of order at " + i);
            }
            if ((hasLo && k < lo) || (hasHi && k >= hi)) {
                throw new IllegalStateException("node " + n + " key " + k + " outside [" + (hasLo ? lo : "-inf")
                        + ", " + (hasHi ? hi : "+inf") + ")");
            }
        }
        if (level == 0) {
            counts[0] += cnt;
            return;
        }
        if (isRoot && cnt == 0) {
            throw new IllegalStateException("inner root " + n + " has a single child");
        }
        for (int i = 0; i <= cnt; i++) {
            long c = getLong(b, o + childrenOff + 8 * i);
            if (c < 0 || c > Integer.MAX_VALUE) {
                throw new IllegalStateException("node " + n + " child " + i + " has invalid id " + c);
            }
            boolean cLo = i > 0 || hasLo;
            long cl = i > 0 ? getLong(b, o + KEYS + 8 * (i - 1)) : lo;
            boolean cHi = i < cnt || hasHi;
            long ch = i < cnt ? getLong(b, o + KEYS + 8 * i) : hi;
            checkNode((int) c, level - 1, cLo, cl, cHi, ch, seen, counts, false);
        }
    }

    private ByteBuffer chunkOfChecked(long id) {
        ByteBuffer b = chunkOf(id);
        if (b == null) {
            throw new IllegalStateException("node id " + id + " outside the arena");
        }
        return b;
    }

    private static void checkNotPoisoned(long meta, long value) {
        if (meta == POISON || value == POISON) {
            throw new AssertionError("a reader validated a poisoned (freed) node");
        }
    }

    // ------------------------------------------------------------------ arena

    /** Allocates and initialises an empty node of {@code level}; may throw before any change. */
    private int allocNode(int level) {
        for (int attempt = 0; ; attempt++) {
            synchronized (allocLock) {
                checkOpen();
                int id = NONE;
                if (freeTop > 0) {
                    id = freeIds[--freeTop];
                    reusedNodes = reusedNodes + 1;
                } else if (highWater < (chunks.length << chunkShift)) {
                    id = highWater++;
                } else if (reservedBytes + chunkBytes <= maxBytes && chunks.length < (Integer.MAX_VALUE >> chunkShift)) {
                    ByteBuffer[] old = chunks;
                    ByteBuffer[] next = java.util.Arrays.copyOf(old, old.length + 1);
                    next[old.length] = ByteBuffer.allocateDirect((int) chunkBytes + 8).alignedSlice(8)
                            .order(ByteOrder.nativeOrder());
                    // Volatile publish: a reader that finds an id in this chunk sees the buffer.
                    chunks = next;
                    reservedBytes = reservedBytes + chunkBytes;
                    id = highWater++;
                }
                if (id != NONE) {
                    liveNodes = liveNodes + 1;
                    ByteBuffer b = chunkOf(id);
                    int o = offsetOf(id);
                    long ver = getLong(b, o + VERSION);
                    // A fresh version, no flags: the node is unreachable until linked, and its
                    // linking parent's release unlock publishes these stores.
                    setVersionRelease(b, o, (ver & ~FLAG_MASK) + VERSION_UNIT);
                    setLong(b, o + META, meta(0, level));
                    return id;
                }
            }
            if (attempt < 4 && retiredNodes > 0) {
                epochs.collect(); // retired nodes may become reusable
                continue;
            }
            throw new OffHeapCapacityException("off-heap capacity exhausted: " + reservedBytes
                    + " bytes reserved of maxOffHeapBytes " + maxBytes + " (" + liveNodes + " nodes of "
                    + nodeSize + " bytes in use, " + retiredNodes + " awaiting reclamation)");
        }
    }

    /** Returns a node that was allocated but never linked (an aborted split). */
    private void freeUnused(int id) {
        synchronized (allocLock) {
            liveNodes = liveNodes - 1;
            pushFree(id);
        }
    }

    /** Hands an unlinked node to the epoch manager; called with no latch held. */
    private void retireNode(int id) {
        synchronized (allocLock) {
            liveNodes = liveNodes - 1;
            retiredNodes = retiredNodes + 1;
        }
        if (TestHooks.ENABLED) {
            atLatchedSite(SITE_RETIRE); // an error here leaks this one node, nothing else
        }
        epochs.retire(id, nodeSize, reclaimer);
    }

    /** Called by the epoch manager once no pinned thread can still read node {@code id}. */
    private void reclaimNode(long id, long length) {
        synchronized (allocLock) {
            if (closed) {
                return;
            }
            if (poison) {
                ByteBuffer b = chunkOf(id);
                int o = offsetOf((int) id);
                setVersionRelease(b, o, POISON_VERSION);
                for (int off = META; off < nodeSize; off += 8) {
                    setLong(b, o + off, POISON);
                }
            }
            retiredNodes = retiredNodes - 1;
            pushFree((int) id);
        }
    }

    private void pushFree(int id) {
        if (freeTop == freeIds.length) {
            freeIds = java.util.Arrays.copyOf(freeIds, freeIds.length * 2);
        }
        freeIds[freeTop++] = id;
    }

    /** The chunk holding node {@code id}, or null if the id is not a node (untrusted ids). */
    private ByteBuffer chunkOf(long id) {
        if (id < 0 || id > Integer.MAX_VALUE) {
            return null;
        }
        ByteBuffer[] cs = chunks;
        int c = (int) id >>> chunkShift;
        return c < cs.length ? cs[c] : null;
    }

    private int offsetOf(int id) {
        return (id & chunkMask) * nodeSize;
    }

    // ------------------------------------------------------------------ node words

    private static long meta(int count, int level) {
        return (count & 0xFFFFFFFFL) | ((long) level << 32);
    }

    private static int levelOf(long meta) {
        return (int) (meta >>> 32) & 0xFFFF;
    }

    /** Count from an untrusted meta word, clamped to [0, max] so every index stays in the node. */
    private static int clamp(long meta, int max) {
        int c = (int) meta;
        return c < 0 ? 0 : Math.min(c, max);
    }

    /** First index in [0, cnt] whose key is >= key. */
    private static int lowerBound(ByteBuffer b, int o, int cnt, long key) {
        int lo = 0;
        int hi = cnt;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (getLong(b, o + KEYS + 8 * mid) < key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** First index in [0, cnt] whose key is > key: the child index for key in an inner node. */
    private static int upperBound(ByteBuffer b, int o, int cnt, long key) {
        int lo = 0;
        int hi = cnt;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (getLong(b, o + KEYS + 8 * mid) <= key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Optimistic read of a node's version: RESTART while latched (after a short spin) or obsolete. */
    private static long readLock(ByteBuffer b, int o) {
        for (int spin = 0; ; spin++) {
            long v = versionAcquire(b, o);
            if ((v & (EXCLUSIVE | OBSOLETE)) == 0) {
                return v;
            }
            if ((v & OBSOLETE) != 0 || spin >= 64) {
                return RESTART;
            }
            Thread.onSpinWait();
        }
    }

    private static boolean validate(ByteBuffer b, int o, long v) {
        // Orders the plain data reads before the re-read of the version (StampedLock.validate).
        VarHandle.acquireFence();
        return versionOpaque(b, o) == v;
    }

    private static boolean tryUpgrade(ByteBuffer b, int o, long v) {
        // v has no flag bits, so the CAS fails if the node was latched or changed since v was read.
        return casVersion(b, o, v, v | EXCLUSIVE);
    }

    private static boolean tryLockExclusive(ByteBuffer b, int o) {
        long v = versionAcquire(b, o);
        return (v & (EXCLUSIVE | OBSOLETE)) == 0 && casVersion(b, o, v, v | EXCLUSIVE);
    }

    /** Waits for the exclusive latch; false if the node is obsolete. Only in the global order. */
    private static boolean lockExclusive(ByteBuffer b, int o) {
        for (int round = 0; ; round++) {
            long v = versionAcquire(b, o);
            if ((v & OBSOLETE) != 0) {
                return false;
            }
            if ((v & EXCLUSIVE) == 0 && casVersion(b, o, v, v | EXCLUSIVE)) {
                return true;
            }
            HybridLatch.backOff(round);
        }
    }

    private static void unlock(ByteBuffer b, int o) {
        // Only the holder writes the word while EXCLUSIVE is set; the release store publishes
        // every data store made under the latch.
        long v = versionPlain(b, o);
        setVersionRelease(b, o, (v & ~EXCLUSIVE) + VERSION_UNIT);
    }

    private static void unlockObsolete(ByteBuffer b, int o) {
        long v = versionPlain(b, o);
        setVersionRelease(b, o, ((v & ~EXCLUSIVE) | OBSOLETE) + VERSION_UNIT);
    }

    // ------------------------------------------------------------------ VarHandle mechanics

    private static long getLong(ByteBuffer b, int off) {
        return (long) LONGS.get(b, off);
    }

    private static void setLong(ByteBuffer b, int off, long value) {
        LONGS.set(b, off, value);
    }

    private static long versionAcquire(ByteBuffer b, int o) {
        return (long) LONGS.getAcquire(b, o + VERSION);
    }

    private static long versionOpaque(ByteBuffer b, int o) {
        return (long) LONGS.getOpaque(b, o + VERSION);
    }

    private static long versionPlain(ByteBuffer b, int o) {
        return (long) LONGS.get(b, o + VERSION);
    }

    private static void setVersionRelease(ByteBuffer b, int o, long v) {
        LONGS.setRelease(b, o + VERSION, v);
    }

    private static boolean casVersion(ByteBuffer b, int o, long expected, long next) {
        return LONGS.compareAndSet(b, o + VERSION, expected, next);
    }

    private int rootAcquire() {
        return (int) ROOT.getAcquire(this);
    }

    private void setRootRelease(int r) {
        ROOT.setRelease(this, r);
    }

    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final VarHandle ROOT;
    private static final VarHandle FEED;

    static {
        try {
            ROOT = MethodHandles.lookup().findVarHandle(OffHeapLongBTreeMap.class, "root", int.class);
            FEED = MethodHandles.lookup().findVarHandle(OffHeapLongBTreeMap.class, "feed", ChangeFeed.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
