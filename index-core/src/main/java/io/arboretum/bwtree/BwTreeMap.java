package io.arboretum.bwtree;

import io.arboretum.keys.KeyPrefixes;
import io.arboretum.map.AbstractIndexMap;
import io.arboretum.map.ChangeFeed;
import io.arboretum.map.ChangeListener;
import io.arboretum.map.ChangeObservable;
import io.arboretum.sync.EpochManager;
import io.arboretum.sync.TestHooks;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A latch-free Bw-tree: a concurrent ordered map in which no thread ever waits for another (while
 * no one subscribes to its change feed: see "Change feed").
 *
 * <h2>Implementation essay</h2>
 *
 * <p><b>Structure.</b> The tree is a B-link tree of logical <em>pages</em>. A page is named by an
 * {@code int} page id, and the <em>mapping table</em> maps each id to the head of the page's
 * <em>delta chain</em>: an immutable linked list of {@link Node}s, newest first, that ends in an
 * immutable base node (a {@code LeafBase} with sorted keys and values, or an {@code InnerBase} with
 * sorted separators and child ids). Each node of a chain carries the page's fences as seen from
 * that node ({@code Fences}: low key, high key, right sibling id, level), so the head alone says
 * which key range the page covers now. Nothing in a chain is ever written after it is published:
 * every change to a page is one CAS of the page's mapping-table slot from the head that the writer
 * read to a new node whose {@code next} is that head. The table is a directory of fixed-size
 * chunks that grows by replacing the directory (the ids already handed out never move).
 *
 * <p><b>Delta kinds</b> (each a class with an explicit {@code kind}, never inferred):
 * <ol>
 *   <li>{@code Insert(key, value)}: key now maps to value (an insert or a replacement);</li>
 *   <li>{@code Delete(key)}: key now absent. A delete made by {@code pollFirst/pollLast} that
 *       skipped empty pages carries a <em>guard</em> (the heads of the skipped pages) and a status,
 *       decided once: committed if the skipped pages are unchanged, aborted otherwise;</li>
 *   <li>{@code Split(separator, right id)}: keys from the separator up now live in the right
 *       sibling (the page's high fence becomes the separator);</li>
 *   <li>{@code IndexEntry(separator, bound, child)}: in an inner page, keys in
 *       {@code [separator, bound)} now go to {@code child} (the parent learns of a split);</li>
 *   <li>{@code IndexDelete(low, separator, bound, left child)}: in an inner page, keys in
 *       {@code [low, bound)} now go to the left child (the parent forgets a merged page);</li>
 *   <li>{@code RemoveNode}: the page is frozen, about to be merged into its left sibling;</li>
 *   <li>{@code Merge(separator, right chain)}: the frozen right sibling's chain is now part of
 *       this page, which covers its range too.</li>
 * </ol>
 *
 * <p><b>Search.</b> A search descends from the root page, reading each page's head once. If the
 * key is at or above the head's high fence the page has split and the search moves right along
 * the sibling link (the B-link rule), so a search is correct whether or not a parent has learnt of
 * a split yet. Inside a leaf chain, the first delta about the key decides; a {@code Merge} sends
 * keys at or above its separator into the merged chain; the base is searched by binary search.
 * Keys compare by a 64-bit prefix first ({@link KeyPrefixes}, for {@code Long}, {@code Integer} and
 * {@code String} keys in natural order) and by the comparator only on a tie.
 *
 * <p><b>Update.</b> Read the head {@code h} of the leaf that covers the key, decide from
 * {@code h} alone (the old value is what {@code h} says), then CAS the slot from {@code h} to a new
 * delta on {@code h}. The CAS is the linearization point: it succeeds only if {@code h} was still
 * the page's state. A failed CAS backs off (bounded exponential spinning, then yielding) and
 * retries from the slot.
 *
 * <p><b>Consolidation.</b> A thread that makes a chain longer than the consolidation threshold
 * builds a new base from the chain and CASes it in place of the head it read. If the CAS fails,
 * the work is discarded; nothing was published. {@link #statistics()} reports the chain lengths,
 * the consolidations installed and the failed slot CASes, to choose the threshold by.
 *
 * <p><b>Split</b> (a page with more entries than the node capacity):
 * <ol>
 *   <li>build the right half as a base page with fences {@code [s, hi)} and the old right
 *       sibling, and give it a fresh page id (unreachable until step 2);</li>
 *   <li>CAS {@code Split(s, q)} onto the page. This is the split's linearization point; on failure
 *       the fresh id goes straight back to the free list (no thread can have seen it);</li>
 *   <li>post {@code IndexEntry(s, bound, q)} on the parent. Any thread that descends from a parent
 *       to a child whose high fence is below the bound the parent gave it has met an unfinished
 *       split and does step 3 itself (<em>help-along</em>) before going on. When the root splits,
 *       step 3 is a new root page with two children, CASed into the root id.</li>
 * </ol>
 *
 * <p><b>Merge</b> of an underfull leaf {@code r} into its left sibling {@code l}:
 * <ol>
 *   <li>check that the parent routes {@code r}'s whole range to {@code r} and that {@code r} is not
 *       its parent's first child, then CAS {@code RemoveNode} onto {@code r}: from now on no update
 *       is installed on {@code r}; every thread that meets the {@code RemoveNode} helps steps 2 and
 *       3 and then retries;</li>
 *   <li>in the parent that covers {@code r}'s low key, CAS {@code IndexDelete} (the parent now
 *       routes {@code r}'s range to {@code l}): this commits the merge. If by now {@code r} has
 *       become the first child of its parent (the parent split at {@code r}'s low key), the merge
 *       is aborted instead by CASing {@code r}'s slot back from the {@code RemoveNode} to the node
 *       under it. Commit and abort exclude each other: once committed no parent routes to
 *       {@code r} again, and a first child is never committed (inner pages do not merge);</li>
 *   <li>find the page whose high fence is {@code r}'s low key and whose right sibling is {@code r}
 *       (that is {@code l}, or the right half of an unfinished split of {@code l}), and CAS
 *       {@code Merge(r.low, r's frozen chain)} onto it. The thread whose CAS succeeds retires
 *       {@code r}'s page id to the epoch manager.</li>
 * </ol>
 * A merge that would make a page overfull is followed by a split.
 *
 * <p><b>Epochs and page ids.</b> Every operation pins the map's {@link EpochManager} for its
 * duration. A merged page's id is retired only after steps 2 and 3 have removed every route to
 * it; the id's slot is cleared and the id reused only when no thread pinned before that can still
 * hold it. This is what makes the checks "the left page's right sibling is still {@code r}" in
 * step 3 safe: while a helper is pinned, {@code r} cannot name a different page.
 *
 * <p><b>Navigation and polls across pages.</b> A navigation that finds nothing in one leaf reads
 * the next leaf and then re-reads the first: if its head is the same object, both heads were the
 * pages' states at the instant of the second read. A poll that has skipped empty leaves installs a
 * guarded delete (see the delete kind) whose status is decided by one CAS by whoever meets it
 * first, after re-reading the skipped heads; readers decide it before they read past it.
 *
 * <p><b>Memory-model notes.</b> Slots are read with acquire and written with CAS (volatile), so a
 * reader that sees a head sees every final field of the chain under it (the chain was fully built
 * before the releasing CAS); chains have only final fields, so nothing in a chain can be seen
 * half-built even through a racy read. The root id is a volatile-mode field written by CAS. The
 * status of a guarded delete is the only mutable field of a delta: it moves once from pending by
 * CAS, and is read with acquire. Fresh pages are stored with a release write before the CAS that
 * links them, so a thread that follows the link sees the page.
 *
 * <p><b>Progress.</b> Searches and updates take no latch. Every step that waits on another
 * thread's unfinished work does that work instead, so a thread running alone finishes
 * (obstruction-freedom). Retiring a page id and the epoch manager's periodic collection take the
 * manager's monitor: those paths are not latch-free. With a change-feed subscriber the map is
 * <em>not</em> obstruction-free: a writer, a consolidation, a split or a merge may wait for another
 * writer's publication (see below), so a writer suspended between its CAS and its listener calls
 * holds up later writers and rebuilders of its page. Without a subscriber no one waits.
 *
 * <p><b>Change feed: the hook.</b> The map implements {@link ChangeObservable}. The other indexes
 * publish under the latch that made a change, so per key their publications follow commit order;
 * here a change commits by one CAS and there is no latch to publish under. Instead each data
 * delta ({@code Insert}, {@code Delete}: the only kinds that change a mapping) carries a
 * {@code published} flag, false at creation. After its CAS succeeds the writer
 * ({@code publishChange}) reads {@code feed} (volatile). With no listener it sets
 * {@code published} (release) and is done: one volatile read and one store is the whole cost.
 * With listeners it first waits until the nearest data delta below its own in the chain is
 * published ({@code awaitPublished}: structural deltas passed over, a {@code Merge} followed into
 * the left page's chain, a base ends it), then calls {@link ChangeFeed#publish} with the key, the
 * value the key had in the state just below the delta (what the write decided its result from),
 * and the new value (null for a delete), then sets {@code published}. By induction every data
 * delta below a published one is published, so within a chain publications, and the feed's
 * sequence numbers, follow chain order, which is commit order. Writes that change nothing install
 * no delta and publish nothing; a poll publishes the entry it returns, and only once its guarded
 * delete is committed (an aborted one changed nothing); {@code clear} polls, so it publishes a
 * removal per entry.
 *
 * <p><b>Change feed: rebuilds.</b> The induction holds within one chain; three paths end a chain or
 * move its keys, and each first waits until the chain's topmost data delta is published (no cost
 * when it is): consolidation of a leaf (its new base would hide an unpublished delta from later
 * writers' waits), a leaf split (the right half's keys move to a fresh base, whose writers wait
 * for nothing below it) and a merge's step 3 (the frozen right chain, under the
 * {@code RemoveNode}, joins the left page below a {@code Merge} that later writers' waits do not
 * descend into). Every help-along reaches these through the same methods ({@code consolidate},
 * {@code split}, {@code helpRemove}), so helpers wait too. Inner pages hold no data deltas. After
 * the wait, every change of a key made in the old chain is published before the new base or
 * {@code Merge} is installed, so any later change of the key, which stacks on that new state,
 * is published after it: per key, publications follow commit order across pages too. The waits
 * form no cycle: a writer publishes before it starts any structure change
 * ({@code afterChange}), and waits only for deltas below its own. Usually the wait returns at once,
 * since a rebuild mostly starts from the rebuilder's own delta, published just before; it matters
 * for a state headed by a {@code Merge} (the merging thread waited for the right chain only, so
 * the left chain may hold another writer's unpublished delta when {@code afterChange} of the
 * {@code Merge} consolidates, splits or freezes the page), and for a helper's rebuild.
 *
 * <p><b>Change feed: why a subscriber's scan meets every change it was not sent.</b> The writer
 * does (1) the slot CAS (a volatile store) and then (2) the volatile read of {@code feed} (and, in
 * {@code hasListeners} and in {@code ChangeFeed.publish}, of the listener array). The subscriber
 * does (3) the CAS of {@code feed} and of the listener array, then a full fence, and then (4) its
 * scan's acquire reads of slots. Volatile accesses are totally ordered and the fence keeps (4)
 * after (3): if (2) did not see the listener, (1) came before (3), so every slot read of (4) sees
 * the delta's CAS or a later state of the page (a consolidated base, a split or merged page built
 * from a chain that held it). If (2) saw it, the listener is called. A listener added between the
 * writer's check and {@code ChangeFeed.publish} is seen by that later read of the array, which is
 * also after (1): it may both receive the change and see it in its scan, which the protocol allows.
 * A delta whose writer saw no listener is marked published without publishing; that is safe for
 * the order because the listener's scan covers it.
 *
 * <p><b>Change feed: scans read only published changes.</b> A latched index publishes before it
 * releases the latch its scans validate, so a scan never reads a change its listener has not been
 * sent; {@code snapshotThenChanges} relies on that (it applies the changes buffered by the end of
 * its scan, and emits later ones as newer than the snapshot). Here a change is visible from its
 * CAS, before its publication. So while the feed has listeners a scan ({@code findFirst}: batches,
 * cursors, navigation, polls) waits, for each leaf state it reads, until that state's top data
 * delta is published ({@code awaitPublishedForScan}); by the induction above every change in the
 * state is then published. Found by {@code ChangeFeedStressSpec}: without the wait a late
 * snapshot read a key's new value and then received its upsert as a change after the snapshot.
 * Point reads ({@code get}) do not wait.
 *
 * <p><b>Seeded faults.</b> Four realistic mistakes are compiled in behind
 * {@code TestHooks.ENABLED} (a {@code static final} that is false unless the JVM is started with
 * {@code -Darboretum.testHooks=true}, so the JIT removes them) and declared with
 * {@code TestHooks.declareFault}: an insert delta installed with a plain write instead of a CAS,
 * consolidation that drops the newest delta, a search that ignores a leaf's high fence (does not
 * follow an unfinished split), and a write that installs its delta on a frozen page instead of
 * helping the merge. The Lincheck suite must fail with each one on.
 *
 * <p><b>Notation</b> for local variables: {@code h} a page head, {@code n} a node of a chain,
 * {@code f} fences, {@code id}, {@code pid} a page and its parent, {@code k, kp, kd} a search key,
 * its prefix and the key kind the prefix was made with.
 *
 * <p>Not latch-free: {@link #size()} is a sum that is exact only in quiescence;
 * {@link #clear()} removes entries one by one and is not atomic.
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 */
public class BwTreeMap<K, V> extends AbstractIndexMap<K, V> implements ChangeObservable<K, V>, Serializable {
    private static final long serialVersionUID = 1L;

    /** The default node capacity (entries per leaf, children per inner page). */
    public static final int DEFAULT_NODE_CAPACITY = 64;
    /** The smallest node capacity. */
    public static final int MIN_NODE_CAPACITY = 4;
    /** The largest node capacity. */
    public static final int MAX_NODE_CAPACITY = 4096;
    /**
     * The default chain length above which a page is consolidated: 4, chosen by
     * {@code BwTreeContentionBenchmark} (two forks on a quiet machine): reads as fast as at 8,
     * uniform writes 1.13 times and a 2-thread hot range 1.19 times faster than at 8; see the
     * benchmarks guide.
     */
    public static final int DEFAULT_CONSOLIDATE_THRESHOLD = 4;

    // Seeded faults (see io.arboretum.sync.TestHooks): folded away unless -Darboretum.testHooks=true.
    static final String INSERT_PLAIN_WRITE = TestHooks.declareFault("bwtree.insert.plainWrite",
            "an insert delta is installed with a plain write of the slot instead of a CAS, losing concurrent deltas");
    static final String CONSOLIDATE_DROP_DELTA = TestHooks.declareFault("bwtree.consolidate.dropDelta",
            "consolidation builds the new base from the chain under the newest delta, dropping it");
    static final String SPLIT_NO_MOVE_RIGHT = TestHooks.declareFault("bwtree.split.noMoveRight",
            "a search for a key ignores a leaf's high fence and does not follow a split the parent has not learnt of");
    static final String MERGE_NO_HELP_ALONG = TestHooks.declareFault("bwtree.merge.noHelpAlong",
            "a write that meets a page frozen by an unfinished merge installs its delta there instead of helping the merge");

    // ------------------------------------------------------------------ key kinds

    private static final int KIND_UNDECIDED = 0;
    private static final int KIND_LONG = 1;
    private static final int KIND_INT = 2;
    private static final int KIND_STRING = 3;
    private static final int KIND_PLAIN = 4;

    /** Sentinel search keys below and above every key. */
    private static final Object NEG = new Object();
    private static final Object POS = new Object();

    private static final int NONE = -1;
    /** Chunk c of the mapping table holds 16 * 2^c slots, for ids from 16 * (2^c - 1). */
    private static final int FIRST_CHUNK_BITS = 4;

    /**
     * The epoch manager of every Bw-tree unless a test gives one of its own: one thread-local
     * guard per thread in all, where a manager per map would cost each map a thread-local entry in
     * every thread that touches it.
     */
    private static final EpochManager SHARED_EPOCHS = new EpochManager();

    /** The key order, or null for natural ordering. */
    private final Comparator<? super K> comparator;
    /** Most entries per leaf (children per inner page) before a split. */
    private final int capacity;
    /** Deltas above a base beyond which a page is consolidated. */
    private final int consolidateThreshold;
    /** Leaves with at most this many entries are merged into their left sibling. */
    private final int mergeBelow;
    private final transient LongAdder count = new LongAdder();
    private final transient EpochManager epochs;

    /** Key kind, decided by the first key stored (natural ordering) or fixed (comparator). */
    private volatile int keyKind;
    /** The root page id. */
    private volatile int rootId;
    /** Mapping-table directory: chunks of slots, each slot the head of a page's chain. */
    private volatile Node[][] dir;
    /** The next never-used page id. */
    private volatile int nextId;
    /** Page ids whose retirement the epoch manager has completed: a stack of free ids. */
    private volatile FreeId freeIds;
    /** Ids retired to the epoch manager and not yet back on the free stack (for the bound test). */
    private final transient LongAdder retiredIds = new LongAdder();
    /** Failed CASes on slots (contention statistics, see {@link #statistics()}). */
    private final transient LongAdder casFailures = new LongAdder();
    /** Consolidations whose CAS succeeded, of leaf and inner pages (see {@link #statistics()}). */
    private final transient LongAdder consolidations = new LongAdder();
    /**
     * The change feed, or null until the first {@link #subscribe}; then never reset. Every data
     * delta's writer reads it once, after its CAS ({@link #publishChange}).
     */
    private transient volatile ChangeFeed<K, V> feed;

    // ------------------------------------------------------------------ construction

    /** An empty map ordered by the keys' natural ordering. */
    public BwTreeMap() {
        this(null, DEFAULT_NODE_CAPACITY, DEFAULT_CONSOLIDATE_THRESHOLD, SHARED_EPOCHS);
    }

    /**
     * An empty map ordered by {@code comparator}.
     *
     * @param comparator the order, or {@code null} for natural ordering
     */
    public BwTreeMap(Comparator<? super K> comparator) {
        this(comparator, DEFAULT_NODE_CAPACITY, DEFAULT_CONSOLIDATE_THRESHOLD, SHARED_EPOCHS);
    }

    /**
     * A map with the entries of {@code m}, in natural ordering.
     *
     * @param m the entries
     * @throws NullPointerException if {@code m} or a key or value in it is null
     * @throws ClassCastException if the keys are not mutually comparable
     */
    public BwTreeMap(Map<? extends K, ? extends V> m) {
        this(null, DEFAULT_NODE_CAPACITY, DEFAULT_CONSOLIDATE_THRESHOLD, SHARED_EPOCHS);
        putAll(m);
    }

    /**
     * A map with the entries and the order of {@code m}.
     *
     * @param m the entries and their order
     * @throws NullPointerException if {@code m} or a key or value in it is null
     */
    public BwTreeMap(SortedMap<K, ? extends V> m) {
        this(m.comparator(), DEFAULT_NODE_CAPACITY, DEFAULT_CONSOLIDATE_THRESHOLD, SHARED_EPOCHS);
        putAll(m);
    }

    private BwTreeMap(Comparator<? super K> comparator, int capacity, int consolidateThreshold,
                      EpochManager epochs) {
        this.comparator = comparator;
        this.epochs = epochs;
        this.capacity = capacity;
        this.consolidateThreshold = consolidateThreshold;
        this.mergeBelow = Math.max(1, capacity / 4);
        this.keyKind = comparator == null ? KIND_UNDECIDED : KIND_PLAIN;
        this.dir = new Node[][] {new Node[1 << FIRST_CHUNK_BITS]};
        int id = allocate(new LeafBase(new Fences(null, 0, null, 0, NONE, 0), new long[0], new Object[0],
                new Object[0]));
        this.rootId = id;
    }

    /**
     * A builder for maps with a chosen order, node capacity and consolidation threshold.
     *
     * @param <K> the type of keys
     * @param <V> the type of values
     * @return a new builder
     */
    public static <K, V> Builder<K, V> builder() {
        return new Builder<>();
    }

    /**
     * Builds {@link BwTreeMap}s.
     *
     * @param <K> the type of keys
     * @param <V> the type of values
     */
    public static final class Builder<K, V> {
        private Comparator<? super K> comparator;
        private int nodeCapacity = DEFAULT_NODE_CAPACITY;
        private int consolidateThreshold = DEFAULT_CONSOLIDATE_THRESHOLD;
        private EpochManager epochs;

        private Builder() {
        }

        /**
         * Makes the map recycle page ids through {@code epochs} instead of the manager all
         * Bw-trees share by default: for tests that need a map's epochs to themselves (model
         * checking wants each map's state to start fresh).
         *
         * @param epochs the epoch manager
         * @return this builder
         * @throws NullPointerException if {@code epochs} is null
         */
        public Builder<K, V> epochManager(EpochManager epochs) {
            this.epochs = Objects.requireNonNull(epochs, "epochs");
            return this;
        }

        /**
         * Orders keys by {@code comparator} instead of their natural ordering.
         *
         * @param comparator the order, or {@code null} for natural ordering
         * @return this builder
         */
        public Builder<K, V> comparator(Comparator<? super K> comparator) {
            this.comparator = comparator;
            return this;
        }

        /**
         * Sets the most entries a leaf page (or children an inner page) holds before it splits.
         *
         * @param nodeCapacity between {@value #MIN_NODE_CAPACITY} and {@value #MAX_NODE_CAPACITY}
         * @return this builder
         * @throws IllegalArgumentException if {@code nodeCapacity} is out of range
         */
        public Builder<K, V> nodeCapacity(int nodeCapacity) {
            if (nodeCapacity < MIN_NODE_CAPACITY || nodeCapacity > MAX_NODE_CAPACITY) {
                throw new IllegalArgumentException("nodeCapacity must be between " + MIN_NODE_CAPACITY + " and "
                        + MAX_NODE_CAPACITY + ", was " + nodeCapacity);
            }
            this.nodeCapacity = nodeCapacity;
            return this;
        }

        /**
         * Sets the chain length (deltas above a base) beyond which a page is consolidated.
         *
         * @param consolidateThreshold between 1 and 64
         * @return this builder
         * @throws IllegalArgumentException if {@code consolidateThreshold} is out of range
         */
        public Builder<K, V> consolidateThreshold(int consolidateThreshold) {
            if (consolidateThreshold < 1 || consolidateThreshold > 64) {
                throw new IllegalArgumentException("consolidateThreshold must be between 1 and 64, was "
                        + consolidateThreshold);
            }
            this.consolidateThreshold = consolidateThreshold;
            return this;
        }

        /**
         * Builds an empty map.
         *
         * @return the map
         */
        public BwTreeMap<K, V> build() {
            return new BwTreeMap<>(comparator, nodeCapacity, consolidateThreshold,
                    epochs == null ? SHARED_EPOCHS : epochs);
        }
    }

    // ------------------------------------------------------------------ nodes

    /** Delta and base kinds: an explicit tag on every node. */
    static final byte LEAF_BASE = 0;
    static final byte INNER_BASE = 1;
    static final byte INSERT = 2;
    static final byte DELETE = 3;
    static final byte SPLIT = 4;
    static final byte INDEX_ENTRY = 5;
    static final byte INDEX_DELETE = 6;
    static final byte REMOVE_NODE = 7;
    static final byte MERGE = 8;

    /** A page's key range [lo, hi) (null: unbounded), right sibling and level (0 = leaf). */
    static final class Fences {
        final Object lo;
        final long loP;
        final Object hi;
        final long hiP;
        final int right;
        final int level;

        Fences(Object lo, long loP, Object hi, long hiP, int right, int level) {
            this.lo = lo;
            this.loP = loP;
            this.hi = hi;
            this.hiP = hiP;
            this.right = right;
            this.level = level;
        }
    }

    /** A node of a delta chain; immutable once published. */
    abstract static class Node {
        final byte kind;
        final Node next;
        final Fences f;
        /** Deltas between this node and the base (0 for a base). */
        final int depth;
        /** Entries (leaf) or children (inner) of the page in the state this node heads. */
        final int size;

        Node(byte kind, Node next, Fences f, int size) {
            this.kind = kind;
            this.next = next;
            this.f = f;
            this.depth = next == null ? 0 : next.depth + 1;
            this.size = size;
        }
    }

    static final class LeafBase extends Node {
        final long[] pfx;
        final Object[] keys;
        final Object[] vals;

        LeafBase(Fences f, long[] pfx, Object[] keys, Object[] vals) {
            super(LEAF_BASE, null, f, keys.length);
            this.pfx = pfx;
            this.keys = keys;
            this.vals = vals;
        }
    }

    static final class InnerBase extends Node {
        final long[] pfx;
        /** Separators; child i covers [keys[i-1], keys[i]). */
        final Object[] keys;
        final int[] kids;

        InnerBase(Fences f, long[] pfx, Object[] keys, int[] kids) {
            super(INNER_BASE, null, f, kids.length);
            this.pfx = pfx;
            this.keys = keys;
            this.kids = kids;
        }
    }

    /**
     * A delta that changes a mapping ({@code Insert}, {@code Delete}): the only kind published to
     * the change feed, and the only node with a publication flag (class notes, "Change feed").
     */
    abstract static class DataDelta extends Node {
        /**
         * False until this delta's writer has published it (or found no listener to publish to);
         * then true for good. Set by a release store, read with acquire ({@code PUBLISHED}).
         */
        @SuppressWarnings("unused") // accessed through PUBLISHED
        volatile boolean published;

        DataDelta(byte kind, Node next, int size) {
            super(kind, next, next.f, size);
        }
    }

    static final class Insert extends DataDelta {
        final Object key;
        final long kp;
        final Object value;

        Insert(Node next, Object key, long kp, Object value, int size) {
            super(INSERT, next, size);
            this.key = key;
            this.kp = kp;
            this.value = value;
        }
    }

    static final class Delete extends DataDelta {
        static final int COMMITTED = 0;
        static final int PENDING = 1;
        static final int ABORTED = 2;

        final Object key;
        final long kp;
        /** For a guarded delete: skipped page ids and the heads they must still have; else null. */
        final int[] guardIds;
        final Node[] guardHeads;
        /** COMMITTED, PENDING or ABORTED; moves once from PENDING, by CAS. */
        volatile int status;

        Delete(Node next, Object key, long kp, int size, int[] guardIds, Node[] guardHeads) {
            super(DELETE, next, size);
            this.key = key;
            this.kp = kp;
            this.guardIds = guardIds;
            this.guardHeads = guardHeads;
            this.status = guardIds == null ? COMMITTED : PENDING;
        }
    }

    static final class Split extends Node {
        final int rightId;

        Split(Node next, Fences f, int rightId, int size) {
            super(SPLIT, next, f, size);
            this.rightId = rightId;
        }
    }

    static final class IndexEntry extends Node {
        final Object sep;
        final long sepP;
        final Object bound;
        final long boundP;
        final int child;

        IndexEntry(Node next, Object sep, long sepP, Object bound, long boundP, int child) {
            super(INDEX_ENTRY, next, next.f, next.size + 1);
            this.sep = sep;
            this.sepP = sepP;
            this.bound = bound;
            this.boundP = boundP;
            this.child = child;
        }
    }

    static final class IndexDelete extends Node {
        final Object low;
        final long lowP;
        final Object sep;
        final long sepP;
        final Object bound;
        final long boundP;
        final int left;
        final int removed;

        IndexDelete(Node next, Object low, long lowP, Object sep, long sepP, Object bound, long boundP, int left,
                    int removed) {
            super(INDEX_DELETE, next, next.f, next.size - 1);
            this.low = low;
            this.lowP = lowP;
            this.sep = sep;
            this.sepP = sepP;
            this.bound = bound;
            this.boundP = boundP;
            this.left = left;
            this.removed = removed;
        }
    }

    static final class RemoveNode extends Node {
        RemoveNode(Node next) {
            super(REMOVE_NODE, next, next.f, next.size);
        }
    }

    static final class Merge extends Node {
        /** The frozen chain of the merged right sibling (under its RemoveNode). */
        final Node rightChain;

        Merge(Node next, Fences f, Node rightChain) {
            super(MERGE, next, f, next.size + rightChain.size);
            this.rightChain = rightChain;
        }
    }

    /** An entry of the free page-id stack. */
    static final class FreeId {
        final int id;
        final FreeId next;

        FreeId(int id, FreeId next) {
            this.id = id;
            this.next = next;
        }
    }

    // ------------------------------------------------------------------ mapping table

    /** The chunk of the mapping table that holds page {@code id}. */
    private static int chunkOf(int id) {
        return 31 - Integer.numberOfLeadingZeros((id >>> FIRST_CHUNK_BITS) + 1);
    }

    /** The offset of page {@code id} inside its chunk. */
    private static int offsetOf(int id, int chunk) {
        return id - (((1 << chunk) - 1) << FIRST_CHUNK_BITS);
    }

    private Node slot(int id) {
        Node[][] d = dirAcquire();
        int c = chunkOf(id);
        // Acquire: pairs with the CAS or release store that published the head, so every final
        // field of the chain under it is visible (they are anyway, being final; the acquire also
        // orders the later reads of other slots after this one, which the B-link checks rely on).
        return (Node) SLOT.getAcquire(d[c], offsetOf(id, c));
    }

    private boolean casSlot(int id, Node expect, Node update) {
        Node[][] d = dirAcquire();
        int c = chunkOf(id);
        // One CAS, one meaning: "the page's state moves from expect to update". Failure means
        // another thread changed the page first; the caller re-reads and decides again.
        boolean ok = SLOT.compareAndSet(d[c], offsetOf(id, c), expect, update);
        if (!ok) {
            casFailures.increment();
        }
        return ok;
    }

    private void setSlotRelease(int id, Node n) {
        Node[][] d = dirAcquire();
        int c = chunkOf(id);
        // Release: a fresh page is visible with its chain to whoever reads the id after the CAS
        // that links it (that CAS is later in program order and volatile).
        SLOT.setRelease(d[c], offsetOf(id, c), n);
    }

    private Node[][] dirAcquire() {
        return (Node[][]) DIR.getAcquire(this);
    }

    /** Gives {@code initial} a page id: a recycled one if the epoch manager has freed one. */
    private int allocate(Node initial) {
        for (;;) {
            FreeId top = (FreeId) FREE.getAcquire(this);
            if (top == null) {
                break;
            }
            // CAS on the stack top: entries are never reused, so there is no ABA.
            if (FREE.compareAndSet(this, top, top.next)) {
                setSlotRelease(top.id, initial);
                return top.id;
            }
        }
        int id = (int) NEXT_ID.getAndAdd(this, 1);
        if (id < 0) {
            throw new IllegalStateException("the mapping table is full (2^31 page ids)");
        }
        ensureChunk(chunkOf(id));
        setSlotRelease(id, initial);
        return id;
    }

    private void ensureChunk(int ci) {
        for (;;) {
            Node[][] d = dirAcquire();
            if (ci < d.length && d[ci] != null) {
                return;
            }
            Node[][] nd = Arrays.copyOf(d, Math.max(d.length * 2, ci + 1));
            if (nd[ci] == null) {
                nd[ci] = new Node[1 << (FIRST_CHUNK_BITS + ci)];
            }
            // The directory only ever gains chunks; a copy holds every chunk of the one it
            // replaces (same arrays), so a slot written through either directory is the same slot.
            if (DIR.compareAndSet(this, d, nd)) {
                return;
            }
        }
    }

    /** Returns an id that was never reachable (a split whose CAS failed) to the free stack at once. */
    private void freeUnpublished(int id) {
        setSlotRelease(id, null);
        pushFree(id);
    }

    private void pushFree(int id) {
        for (;;) {
            FreeId top = (FreeId) FREE.getAcquire(this);
            if (FREE.compareAndSet(this, top, new FreeId(id, top))) {
                return;
            }
        }
    }

    /** Retires a merged page's id: reused only once no pinned thread can still hold it. */
    private void retire(int id) {
        retiredIds.increment();
        epochs.retire(new int[] {id}, 64, ids -> {
            setSlotRelease(ids[0], null);
            pushFree(ids[0]);
            retiredIds.decrement();
        });
    }

    // ------------------------------------------------------------------ keys

    private int kindForRead(Object key) {
        int kd = keyKind;
        if (kd == KIND_UNDECIDED && comparator == null && !(key instanceof Comparable)) {
            throw new ClassCastException("key of " + key.getClass().getName() + " is not Comparable");
        }
        return kd;
    }

    private int kindForWrite(Object key) {
        int kd = keyKind;
        if (kd != KIND_UNDECIDED) {
            return kd;
        }
        int want;
        if (key instanceof Long) {
            want = KIND_LONG;
        } else if (key instanceof Integer) {
            want = KIND_INT;
        } else if (key instanceof String) {
            want = KIND_STRING;
        } else if (key instanceof Comparable) {
            want = KIND_PLAIN;
        } else {
            throw new ClassCastException("key of " + key.getClass().getName() + " is not Comparable");
        }
        // Decided once: every stored key's prefix is made with the kind that won this CAS.
        KIND.compareAndSet(this, KIND_UNDECIDED, want);
        return keyKind;
    }

    /** The prefix of {@code key} under kind {@code kd}; checks the key's class. */
    private long prefix(Object key, int kd) {
        switch (kd) {
            case KIND_LONG:
                if (key instanceof Long) {
                    return KeyPrefixes.ofLong((Long) key);
                }
                throw wrongClass(key, Long.class);
            case KIND_INT:
                if (key instanceof Integer) {
                    return KeyPrefixes.ofInt((Integer) key);
                }
                throw wrongClass(key, Integer.class);
            case KIND_STRING:
                if (key instanceof String) {
                    return KeyPrefixes.ofString((String) key);
                }
                throw wrongClass(key, String.class);
            default:
                return 0L;
        }
    }

    private static ClassCastException wrongClass(Object key, Class<?> expected) {
        return new ClassCastException("key of " + key.getClass().getName() + " cannot be compared with keys of "
                + expected.getName());
    }

    /** Compares a search key (maybe NEG or POS) with a stored key. */
    private int cmp(Object a, long ap, Object b, long bp, int kd) {
        if (a == NEG) {
            return -1;
        }
        if (a == POS) {
            return 1;
        }
        if (kd == KIND_LONG || kd == KIND_INT) {
            return Long.compare(ap, bp); // the prefix is the whole key
        }
        if (kd == KIND_STRING && ap != bp) {
            return ap < bp ? -1 : 1;
        }
        return compareKeys(a, b);
    }

    // ------------------------------------------------------------------ descent

    /** What a descent found: a page and its head, and the parent it came from directly (or NONE). */
    static final class Found {
        int id;
        Node head;
        /** Set by {@code get}: a read-only descent (the only one the read-path faults touch). */
        boolean read;
    }

    /**
     * Finds the page at {@code level} that covers key {@code k} ({@code below == false}), or that
     * covers the keys just below {@code k} ({@code below == true}); {@code NEG}/{@code POS} give the
     * leftmost/rightmost page. Helps unfinished splits and merges met on the way. The returned
     * head is never a {@code RemoveNode}.
     */
    private void locate(Object k, long kp, int kd, boolean below, int level, Found out) {
        restart:
        for (;;) {
            int id = rootId;
            int pid = NONE;
            Node ph = null;
            Object bound = null; // the parent's upper bound for the child it sent us to
            long boundP = 0;
            boolean direct = false;
            int prevId = NONE;
            Node prev = null;
            for (;;) {
                Node h = slot(id);
                if (h == null) {
                    continue restart; // a recycled id seen through a stale route: cannot happen while pinned
                }
                if (h.kind == REMOVE_NODE) {
                    if (TestHooks.ENABLED && !out.read && h.f.level == level
                            && TestHooks.faultActive(MERGE_NO_HELP_ALONG)) {
                        out.id = id; // the fault: hand the frozen page to the writer
                        out.head = h;
                        return;
                    }
                    helpRemove(id, (RemoveNode) h);
                    continue restart;
                }
                Fences f = h.f;
                if (f.lo != null && (below ? cmp(k, kp, f.lo, f.loP, kd) <= 0 : cmp(k, kp, f.lo, f.loP, kd) < 0)) {
                    continue restart; // a route older than a merge; start again from the root
                }
                if (f.hi != null && (below ? cmp(k, kp, f.hi, f.hiP, kd) > 0 : cmp(k, kp, f.hi, f.hiP, kd) >= 0)
                        && !(TestHooks.ENABLED && !below && f.level == 0 && TestHooks.faultActive(SPLIT_NO_MOVE_RIGHT))) {
                    // B-link rule: the page split (or never held this key); move right.
                    prevId = id;
                    prev = h;
                    id = f.right;
                    direct = false;
                    continue;
                }
                if (direct && f.hi != null && (bound == null || cmp(f.hi, f.hiP, bound, boundP, kd) < 0)) {
                    // Help-along: the parent routes [.., bound) here but the page ends at f.hi: an
                    // unfinished split. Post the index entry before going on.
                    // Unless the right sibling is frozen: then this is a merge between its commit
                    // (the parent already forgot the sibling) and its last step, and the entry must
                    // not come back; a search that moves right into the sibling helps the merge.
                    Node rh = slot(f.right);
                    if (rh != null && rh.kind != REMOVE_NODE) {
                        postIndexEntry(pid, ph, f.hi, f.hiP, bound, boundP, f.right, kd);
                    }
                } else if (pid == NONE && direct == false && prevId == NONE && f.hi != null && id == rootId) {
                    growRoot(id, h);
                }
                if (f.level == level) {
                    out.id = id;
                    out.head = h;
                    return;
                }
                if (f.level < level) {
                    if (pid == NONE && prevId != NONE && prevId == rootId) {
                        // The root leaf split and its splitter has not grown the root yet; a search
                        // for a key right of the split moved right before the growRoot check above,
                        // so help here (tryMerge's parent lookup met this under the change-feed
                        // test, whose listeners widen the window, and threw below).
                        growRoot(prevId, prev);
                        continue restart;
                    }
                    if (pid == NONE && f.hi == null) {
                        throw new IllegalStateException("no page at level " + level + ": the root is at " + f.level);
                    }
                    continue restart; // the root split and has just grown (or is growing)
                }
                Route r = route(h, k, kp, kd, below);
                // Bound of the child: the route's, cut at this page's own high fence.
                Object b = r.hi;
                long bP = r.hiP;
                if (f.hi != null && (b == null || cmp(f.hi, f.hiP, b, bP, kd) < 0)) {
                    b = f.hi;
                    bP = f.hiP;
                }
                pid = id;
                ph = h;
                bound = b;
                boundP = bP;
                direct = true;
                prevId = NONE;
                prev = null;
                id = r.child;
            }
        }
    }

    /** A routing decision inside an inner page: the child and its range [lo, hi). */
    static final class Route {
        int child;
        Object lo;
        long loP;
        Object hi;
        long hiP;
    }

    private Route route(Node h, Object k, long kp, int kd, boolean below) {
        Route r = new Route();
        // Deltas passed over narrow the range of the child finally chosen: an entry or delete
        // whose range lies above k caps it, one whose range lies below k raises its low end.
        Object capHi = null;
        long capHiP = 0;
        Object capLo = null;
        long capLoP = 0;
        for (Node n = h; ; n = n.next) {
            Object a;
            long aP;
            Object b;
            long bP;
            int child;
            if (n.kind == INDEX_ENTRY) {
                IndexEntry e = (IndexEntry) n;
                a = e.sep;
                aP = e.sepP;
                b = e.bound;
                bP = e.boundP;
                child = e.child;
            } else if (n.kind == INDEX_DELETE) {
                IndexDelete d = (IndexDelete) n;
                a = d.low;
                aP = d.lowP;
                b = d.bound;
                bP = d.boundP;
                child = d.left;
            } else if (n.kind == INNER_BASE) {
                InnerBase base = (InnerBase) n;
                int i = upperIndex(base.keys, base.pfx, base.keys.length, k, kp, kd, below);
                r.child = base.kids[i];
                if (i == 0) {
                    r.lo = base.f.lo;
                    r.loP = base.f.loP;
                } else {
                    r.lo = base.keys[i - 1];
                    r.loP = base.pfx[i - 1];
                }
                if (i == base.keys.length) {
                    r.hi = base.f.hi;
                    r.hiP = base.f.hiP;
                } else {
                    r.hi = base.keys[i];
                    r.hiP = base.pfx[i];
                }
                break;
            } else {
                continue; // SPLIT: the high fence check in locate already applies it
            }
            boolean aboveLow = a == null || (below ? cmp(k, kp, a, aP, kd) > 0 : cmp(k, kp, a, aP, kd) >= 0);
            boolean belowHigh = inBelowBound(k, kp, kd, below, b, bP);
            if (aboveLow && belowHigh) {
                r.child = child;
                r.lo = a;
                r.loP = aP;
                r.hi = b;
                r.hiP = bP;
                break;
            }
            if (!aboveLow) {
                if (capHi == null || cmp(a, aP, capHi, capHiP, kd) < 0) {
                    capHi = a;
                    capHiP = aP;
                }
            } else if (capLo == null || cmp(b, bP, capLo, capLoP, kd) > 0) {
                capLo = b;
                capLoP = bP;
            }
        }
        if (capHi != null && (r.hi == null || cmp(capHi, capHiP, r.hi, r.hiP, kd) < 0)) {
            r.hi = capHi;
            r.hiP = capHiP;
        }
        if (capLo != null && (r.lo == null || cmp(capLo, capLoP, r.lo, r.loP, kd) > 0)) {
            r.lo = capLo;
            r.loP = capLoP;
        }
        return r;
    }

    private boolean inBelowBound(Object k, long kp, int kd, boolean below, Object bound, long boundP) {
        if (bound == null) {
            return true;
        }
        int c = cmp(k, kp, bound, boundP, kd);
        return below ? c <= 0 : c < 0;
    }

    /** How many of the first {@code n} sorted keys are {@code <= k} ({@code < k} if below). */
    private int upperIndex(Object[] keys, long[] pfx, int n, Object k, long kp, int kd, boolean below) {
        int lo = 0;
        int hi = n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            int c = cmp(k, kp, keys[mid], pfx[mid], kd);
            if (below ? c > 0 : c >= 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Index of {@code k} among the first {@code n} sorted keys, or {@code -(insertion point) - 1}. */
    private int indexOf(Object[] keys, long[] pfx, int n, Object k, long kp, int kd) {
        int lo = 0;
        int hi = n - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = cmp(k, kp, keys[mid], pfx[mid], kd);
            if (c == 0) {
                return mid;
            }
            if (c > 0) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return -(lo + 1);
    }

    // ------------------------------------------------------------------ structure changes

    /** Step 3 of a split: the parent learns that [sep, bound) now goes to child. */
    private void postIndexEntry(int pid, Node ph, Object sep, long sepP, Object bound, long boundP, int child,
                                int kd) {
        IndexEntry e = new IndexEntry(ph, sep, sepP, bound, boundP, child);
        // Expected head ph: the entry is right only for the parent state it was computed from.
        // On failure the parent changed; a later descent sees whether the entry is still missing.
        if (casSlot(pid, ph, e)) {
            afterChange(pid, e, kd);
        }
    }

    /** A root page that has split gets a new root above it. */
    private void growRoot(int id, Node h) {
        Fences f = h.f;
        Fences nf = new Fences(null, 0, null, 0, NONE, f.level + 1);
        InnerBase nr = new InnerBase(nf, new long[] {f.hiP}, new Object[] {f.hi}, new int[] {id, f.right});
        int nid = allocate(nr);
        // CAS of the root id: only the thread that saw this page as the root grows it.
        if (!ROOT.compareAndSet(this, id, nid)) {
            freeUnpublished(nid);
        }
    }

    /** After a delta was installed on page {@code id}: consolidate, split or merge as needed. */
    private void afterChange(int id, Node h, int kd) {
        if (h.size > capacity) {
            split(id, h, kd);
        } else if (h.depth > consolidateThreshold) {
            consolidate(id, h, kd);
        } else if (h.f.level == 0 && h.size <= mergeBelow && h.f.lo != null) {
            tryMerge(id, h, kd);
        }
    }

    private void consolidate(int id, Node h, int kd) {
        if (h.kind == REMOVE_NODE || !decided(h)) {
            return; // a frozen page is never rebuilt; an aborted guarded delete is unlinked first
        }
        if (h.f.level == 0) {
            // A new base hides the deltas it absorbs from later writers' awaitPublished: every
            // one of them must be published first, or a later change of its key could be
            // published before it. Returns at once when the top data delta is published.
            awaitPublished(h);
        }
        Node src = h;
        if (TestHooks.ENABLED && TestHooks.faultActive(CONSOLIDATE_DROP_DELTA) && h.next != null) {
            src = h.next; // the fault: the newest delta is left out of the new base
        }
        Node base = h.f.level == 0 ? materializeLeaf(src, kd).toBase(h.f) : materializeInner(src, kd).toBase(h.f);
        // A failed CAS discards the work: another thread changed the page since h was read.
        if (casSlot(id, h, base)) {
            consolidations.increment();
        }
    }

    private void split(int id, Node h, int kd) {
        if (h.kind == REMOVE_NODE || !decided(h)) {
            return;
        }
        Fences f = h.f;
        Node leftBase;
        Node rightBase;
        Object sep;
        long sepP;
        if (f.level == 0) {
            // The right half's keys move to a fresh base whose later writers wait for nothing
            // below it: their earlier changes, in h's chain, must all be published first.
            awaitPublished(h);
            Entries e = materializeLeaf(h, kd);
            if (e.n <= capacity) {
                return;
            }
            int m = e.n / 2;
            sep = e.keys[m];
            sepP = e.pfx[m];
            rightBase = new LeafBase(new Fences(sep, sepP, f.hi, f.hiP, f.right, 0),
                    Arrays.copyOfRange(e.pfx, m, e.n), Arrays.copyOfRange(e.keys, m, e.n),
                    Arrays.copyOfRange(e.vals, m, e.n));
            leftBase = null;
        } else {
            InnerEntries e = materializeInner(h, kd);
            if (e.n + 1 <= capacity) {
                return;
            }
            int m = e.n / 2; // separator m moves up; children 0..m stay left
            sep = e.keys[m];
            sepP = e.pfx[m];
            rightBase = new InnerBase(new Fences(sep, sepP, f.hi, f.hiP, f.right, f.level),
                    Arrays.copyOfRange(e.pfx, m + 1, e.n), Arrays.copyOfRange(e.keys, m + 1, e.n),
                    Arrays.copyOfRange(e.kids, m + 1, e.n + 1));
            leftBase = null;
        }
        int q = allocate(rightBase);
        Fences lf = new Fences(f.lo, f.loP, sep, sepP, q, f.level);
        Split s = new Split(h, lf, q, h.size - rightBase.size);
        // Step 2: the split's linearization point. On failure q was never reachable.
        if (!casSlot(id, h, s)) {
            freeUnpublished(q);
            return;
        }
        if (TestHooks.ENABLED) {
            TestHooks.recordEvent(TestHooks.SPLIT);
        }
        if (s.depth > consolidateThreshold) {
            consolidate(id, s, kd);
        }
        // Step 3 is done by the next descent through the parent (help-along), this one included.
        if (id == rootId) {
            growRoot(id, s);
        } else {
            // A descent to this level for the keys just below sep passes from the parent straight
            // to this page and posts the entry there, with the help-along's checks. Posting it here
            // from the parent's state alone is wrong: by now another thread may have posted the
            // entry, and q may have been merged away again (its IndexDelete routes [.., bound) back
            // to this page), so the parent would route to q, a retired id, once more (the two-thread
            // churn test found that: a search restarting forever at a recycled id).
            locate(sep, sepP, kd, true, f.level, new Found());
        }
        assert leftBase == null;
    }

    /** Step 1 of a merge: freeze an underfull leaf that its parent fully knows. */
    private void tryMerge(int id, Node h, int kd) {
        Fences f = h.f;
        if (!decided(h)) {
            return;
        }
        Found p = new Found();
        locate(f.lo, f.loP, kd, false, 1, p);
        Route r = route(p.head, f.lo, f.loP, kd, false);
        if (r.child != id || r.lo == null || cmp(r.lo, r.loP, f.lo, f.loP, kd) != 0) {
            return; // the parent does not (yet) route exactly this page's low end here
        }
        Fences pf = p.head.f;
        if (pf.lo != null && cmp(f.lo, f.loP, pf.lo, pf.loP, kd) == 0) {
            return; // first child of its parent: never merged (see the essay)
        }
        Object b = r.hi;
        long bP = r.hiP;
        if (pf.hi != null && (b == null || cmp(pf.hi, pf.hiP, b, bP, kd) < 0)) {
            b = pf.hi;
            bP = pf.hiP;
        }
        if (!sameBound(f.hi, f.hiP, b, bP, kd)) {
            return; // an unfinished split of this page: let it finish first
        }
        RemoveNode rm = new RemoveNode(h);
        if (casSlot(id, h, rm)) {
            helpRemove(id, rm);
        }
    }

    private boolean sameBound(Object a, long ap, Object b, long bp, int kd) {
        if (a == null || b == null) {
            return a == b;
        }
        return cmp(a, ap, b, bp, kd) == 0;
    }

    /** Steps 2 and 3 of a merge, by whoever meets the RemoveNode. */
    private void helpRemove(int rid, RemoveNode rm) {
        int kd = keyKind;
        Fences rf = rm.f;
        Found p = new Found();
        // Step 2: commit in the parent, or abort if the page became a first child.
        for (int attempt = 0; ; attempt++) {
            if (slot(rid) != rm) {
                return; // aborted by another helper
            }
            locate(rf.lo, rf.loP, kd, false, rf.level + 1, p);
            Node ph = p.head;
            Route r = route(ph, rf.lo, rf.loP, kd, false);
            if (r.child != rid) {
                break; // committed already
            }
            Fences pf = ph.f;
            if (pf.lo != null && cmp(rf.lo, rf.loP, pf.lo, pf.loP, kd) == 0) {
                // Abort: restore the chain under the RemoveNode. Fails only if another helper aborted.
                casSlot(rid, rm, rm.next);
                return;
            }
            Route l = route(ph, rf.lo, rf.loP, kd, true);
            Object b = r.hi;
            long bP = r.hiP;
            if (pf.hi != null && (b == null || cmp(pf.hi, pf.hiP, b, bP, kd) < 0)) {
                b = pf.hi;
                bP = pf.hiP;
            }
            IndexDelete d = new IndexDelete(ph, l.lo, l.loP, rf.lo, rf.loP, b, bP, l.child, rid);
            // The merge's commit point: the parent stops routing to rid.
            if (casSlot(p.id, ph, d)) {
                afterInnerChange(p.id, d, kd);
                break;
            }
            backoff(attempt);
        }
        // Step 3: the left sibling absorbs the frozen chain.
        for (int attempt = 0; ; attempt++) {
            locate(rf.lo, rf.loP, kd, true, rf.level, p);
            if (!decided(p.head)) {
                settle(p.id, p.head);
                continue;
            }
            Fences lf = p.head.f;
            if (lf.right != rid || lf.hi == null || cmp(lf.hi, lf.hiP, rf.lo, rf.loP, kd) != 0) {
                return; // merged already (the left page now covers rf.lo)
            }
            // The right chain's keys move into this page, whose later writers' awaitPublished
            // passes the Merge into the left chain only: the right chain must be published whole
            // before the CAS (a writer's CAS on it precedes the RemoveNode, so it is not growing).
            awaitPublished(rm.next);
            Fences mf = new Fences(lf.lo, lf.loP, rf.hi, rf.hiP, rf.right, lf.level);
            Merge m = new Merge(p.head, mf, rm.next);
            if (casSlot(p.id, p.head, m)) {
                if (TestHooks.ENABLED) {
                    TestHooks.recordEvent(TestHooks.MERGE);
                }
                // Every route to rid is gone (parent: step 2; left sibling: this CAS).
                retire(rid);
                afterChange(p.id, m, kd);
                return;
            }
            backoff(attempt);
        }
    }

    private void afterInnerChange(int id, Node h, int kd) {
        if (h.depth > consolidateThreshold) {
            consolidate(id, h, kd);
        }
    }

    /** Bounded exponential backoff after a failed CAS: spin 2^attempt (at most 1024), then yield. */
    private static void backoff(int attempt) {
        if (attempt > 12) {
            Thread.yield();
            return;
        }
        int spins = 1 << Math.min(attempt, 10);
        for (int i = 0; i < spins; i++) {
            Thread.onSpinWait();
        }
    }

    // ------------------------------------------------------------------ materializing pages

    /** Sorted entries of a leaf chain, in a growable buffer. */
    static final class Entries {
        long[] pfx;
        Object[] keys;
        Object[] vals;
        int n;

        Entries(int cap) {
            pfx = new long[cap];
            keys = new Object[cap];
            vals = new Object[cap];
        }

        void insertAt(int i, Object k, long kp, Object v) {
            if (n == keys.length) {
                int c = Math.max(4, n * 2);
                pfx = Arrays.copyOf(pfx, c);
                keys = Arrays.copyOf(keys, c);
                vals = Arrays.copyOf(vals, c);
            }
            System.arraycopy(pfx, i, pfx, i + 1, n - i);
            System.arraycopy(keys, i, keys, i + 1, n - i);
            System.arraycopy(vals, i, vals, i + 1, n - i);
            pfx[i] = kp;
            keys[i] = k;
            vals[i] = v;
            n++;
        }

        void removeAt(int i) {
            System.arraycopy(pfx, i + 1, pfx, i, n - i - 1);
            System.arraycopy(keys, i + 1, keys, i, n - i - 1);
            System.arraycopy(vals, i + 1, vals, i, n - i - 1);
            n--;
            keys[n] = null;
            vals[n] = null;
        }

        LeafBase toBase(Fences f) {
            return new LeafBase(f, Arrays.copyOf(pfx, n), Arrays.copyOf(keys, n), Arrays.copyOf(vals, n));
        }
    }

    /** Separators and children of an inner chain. */
    static final class InnerEntries {
        long[] pfx;
        Object[] keys;
        int[] kids;
        int n; // separators; kids has n + 1

        InnerBase toBase(Fences f) {
            return new InnerBase(f, Arrays.copyOf(pfx, n), Arrays.copyOf(keys, n), Arrays.copyOf(kids, n + 1));
        }
    }

    /** The entries of the page state {@code h} heads (keys below its high fence). */
    private Entries materializeLeaf(Node h, int kd) {
        ArrayList<Node> deltas = new ArrayList<>();
        Node n = h;
        while (n.kind != LEAF_BASE && n.kind != MERGE) {
            deltas.add(n);
            n = n.next;
        }
        Entries e;
        if (n.kind == LEAF_BASE) {
            LeafBase b = (LeafBase) n;
            e = new Entries(b.keys.length + deltas.size() + 1);
            System.arraycopy(b.pfx, 0, e.pfx, 0, b.keys.length);
            System.arraycopy(b.keys, 0, e.keys, 0, b.keys.length);
            System.arraycopy(b.vals, 0, e.vals, 0, b.keys.length);
            e.n = b.keys.length;
        } else {
            Merge m = (Merge) n;
            e = materializeLeaf(m.next, kd);
            truncate(e, m.next.f.hi, m.next.f.hiP, kd);
            Entries r = materializeLeaf(m.rightChain, kd);
            for (int i = 0; i < r.n; i++) {
                e.insertAt(e.n, r.keys[i], r.pfx[i], r.vals[i]);
            }
        }
        for (int j = deltas.size() - 1; j >= 0; j--) {
            Node d = deltas.get(j);
            if (d.kind == INSERT) {
                Insert ins = (Insert) d;
                int i = indexOf(e.keys, e.pfx, e.n, ins.key, ins.kp, kd);
                if (i >= 0) {
                    e.vals[i] = ins.value;
                } else {
                    e.insertAt(-i - 1, ins.key, ins.kp, ins.value);
                }
            } else if (d.kind == DELETE) {
                Delete del = (Delete) d;
                if (deleteStatus(del) == Delete.COMMITTED) {
                    int i = indexOf(e.keys, e.pfx, e.n, del.key, del.kp, kd);
                    if (i >= 0) {
                        e.removeAt(i);
                    }
                }
            } else if (d.kind == SPLIT) {
                truncate(e, d.f.hi, d.f.hiP, kd);
            }
        }
        truncate(e, h.f.hi, h.f.hiP, kd);
        return e;
    }

    private void truncate(Entries e, Object hi, long hiP, int kd) {
        if (hi == null) {
            return;
        }
        int i = upperIndex(e.keys, e.pfx, e.n, hi, hiP, kd, true); // keys < hi
        while (e.n > i) {
            e.n--;
            e.keys[e.n] = null;
            e.vals[e.n] = null;
        }
    }

    private InnerEntries materializeInner(Node h, int kd) {
        ArrayList<Node> deltas = new ArrayList<>();
        Node n = h;
        while (n.kind != INNER_BASE) {
            deltas.add(n);
            n = n.next;
        }
        InnerBase b = (InnerBase) n;
        ArrayList<Object> keys = new ArrayList<>(b.keys.length + deltas.size());
        ArrayList<Long> pfx = new ArrayList<>(b.keys.length + deltas.size());
        ArrayList<Integer> kids = new ArrayList<>(b.kids.length + deltas.size());
        for (int i = 0; i < b.keys.length; i++) {
            keys.add(b.keys[i]);
            pfx.add(b.pfx[i]);
        }
        for (int kid : b.kids) {
            kids.add(kid);
        }
        for (int j = deltas.size() - 1; j >= 0; j--) {
            Node d = deltas.get(j);
            if (d.kind == INDEX_ENTRY) {
                IndexEntry ie = (IndexEntry) d;
                int i = countBelow(keys, pfx, ie.sep, ie.sepP, kd, true);
                if (i < keys.size() && cmp(ie.sep, ie.sepP, keys.get(i), pfx.get(i), kd) == 0) {
                    kids.set(i + 1, ie.child); // already a separator: the newer entry wins
                } else {
                    keys.add(i, ie.sep);
                    pfx.add(i, ie.sepP);
                    kids.add(i + 1, ie.child);
                }
            } else if (d.kind == INDEX_DELETE) {
                IndexDelete id = (IndexDelete) d;
                int i = countBelow(keys, pfx, id.sep, id.sepP, kd, true);
                if (i < keys.size() && cmp(id.sep, id.sepP, keys.get(i), pfx.get(i), kd) == 0) {
                    keys.remove(i);
                    pfx.remove(i);
                    kids.remove(i + 1);
                    kids.set(i, id.left);
                }
            } else if (d.kind == SPLIT) {
                Object hi = d.f.hi;
                int i = countBelow(keys, pfx, hi, d.f.hiP, kd, true);
                // Separator i equals the split key: it and everything right of it moved away.
                while (keys.size() > i) {
                    keys.remove(keys.size() - 1);
                    pfx.remove(pfx.size() - 1);
                    kids.remove(kids.size() - 1);
                }
            }
        }
        InnerEntries e = new InnerEntries();
        e.n = keys.size();
        e.keys = keys.toArray();
        e.pfx = new long[e.n];
        e.kids = new int[e.n + 1];
        for (int i = 0; i < e.n; i++) {
            e.pfx[i] = pfx.get(i);
        }
        for (int i = 0; i <= e.n; i++) {
            e.kids[i] = kids.get(i);
        }
        return e;
    }

    /** How many of the sorted keys are below {@code k} ({@code strict}) or at most {@code k}. */
    private int countBelow(ArrayList<Object> keys, ArrayList<Long> pfx, Object k, long kp, int kd, boolean strict) {
        int lo = 0;
        int hi = keys.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            int c = cmp(k, kp, keys.get(mid), pfx.get(mid), kd);
            if (strict ? c > 0 : c >= 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    // ------------------------------------------------------------------ guarded deletes

    /** Decides a guarded delete if still pending, and returns its status. */
    private int deleteStatus(Delete d) {
        int s = d.status;
        if (s != Delete.PENDING) {
            return s;
        }
        boolean unchanged = true;
        for (int i = 0; i < d.guardIds.length; i++) {
            if (slot(d.guardIds[i]) != d.guardHeads[i]) {
                unchanged = false;
                break;
            }
        }
        // Decided once: every reader that meets it agrees, whoever decides.
        STATUS.compareAndSet(d, Delete.PENDING, unchanged ? Delete.COMMITTED : Delete.ABORTED);
        return d.status;
    }

    /** Whether a head can be built on: not a guarded delete that is aborted (deciding it if pending). */
    private boolean decided(Node h) {
        return h.kind != DELETE || ((Delete) h).guardIds == null || deleteStatus((Delete) h) == Delete.COMMITTED;
    }

    /**
     * Makes sure the head of a leaf is not an undecided or aborted guarded delete, so that a
     * writer can stack on it; returns the head to use, or null to re-read the slot.
     */
    private Node settle(int id, Node h) {
        if (h.kind == DELETE && ((Delete) h).guardIds != null) {
            Delete d = (Delete) h;
            if (deleteStatus(d) == Delete.ABORTED) {
                casSlot(id, h, h.next); // unlink the aborted delta
                return null;
            }
        }
        return h;
    }

    // ------------------------------------------------------------------ change feed

    /**
     * Registers {@code listener} for every change this map commits from now on (see
     * {@link ChangeObservable} and {@link ChangeFeed}). The Kotlin {@code changes} and
     * {@code snapshotThenChanges} flows use it. While a listener is registered the map is no
     * longer obstruction-free (class notes, "Change feed").
     *
     * @param listener called by the writer of each change, after its CAS and after every earlier
     *     change of its page was published; must not block
     * @return the subscription; closing it unregisters the listener
     * @throws NullPointerException if {@code listener} is null
     */
    @Override
    public ChangeFeed.Subscription subscribe(ChangeListener<? super K, ? super V> listener) {
        return ChangeFeed.subscribe(FEED, this, listener);
    }

    /**
     * The change-feed hook of every data delta {@code d}, called by its writer right after the
     * CAS that installed it and before anything else (before {@link #afterChange}, so before any
     * structure change this thread might then wait in). With no subscriber this is one volatile
     * read of {@link #feed} and one release store; it is small so that the JIT inlines it, with
     * the waiting and {@link ChangeFeed#publish} out of line.
     */
    private void publishChange(DataDelta d, Object key, Object oldValue, Object newValue) {
        // Volatile, after the slot CAS: the writer's half of ChangeFeed's store-load pair (a
        // plain read could move before the CAS on ARM).
        ChangeFeed<K, V> f = feed;
        if (f != null && f.hasListeners()) {
            publishInOrder(f, d, key, oldValue, newValue);
        } else {
            // No listener: nothing to order. Release, so that a writer or rebuilder that reads
            // true with acquire also sees everything this thread did before.
            PUBLISHED.setRelease(d, true);
        }
    }

    /**
     * Publishes {@code d} after the nearest data delta below it in its chain is published: by
     * induction every data delta below that one is published too, so per page (and so per key,
     * see the class notes) publications follow chain order, which is commit order.
     */
    @SuppressWarnings("unchecked")
    private void publishInOrder(ChangeFeed<K, V> f, DataDelta d, Object key, Object oldValue, Object newValue) {
        try {
            awaitPublished(d.next);
            f.publish((K) key, (V) oldValue, (V) newValue);
        } finally {
            // Even if a listener's failure got past ChangeFeed (it catches Throwable): a flag
            // left false would make every later writer of the page wait forever.
            PUBLISHED.setRelease(d, true);
        }
    }

    /**
     * Waits until the topmost data delta at or below {@code n} is published (returns at once if
     * there is none, or if it is published already). Structural deltas are passed over; a
     * {@code Merge} continues into the chain it was stacked on, the left page's own (the merged
     * right chain was published whole before the merge's CAS, see {@link #helpRemove}); a base
     * ends the search. The wait is for another writer between its CAS and the end of its
     * listener calls, which never block; that writer itself waits only for deltas below its own,
     * so the waits form no cycle and the lowest unpublished delta's writer always proceeds.
     */
    private static void awaitPublished(Node n) {
        while (n != null) {
            byte k = n.kind;
            if (k == INSERT || k == DELETE) {
                DataDelta d = (DataDelta) n;
                // Acquire: pairs with the release store of the delta's writer.
                for (int spins = 0; !(boolean) PUBLISHED.getAcquire(d); spins++) {
                    if (spins < 256) {
                        Thread.onSpinWait();
                    } else {
                        Thread.yield(); // the writer may be descheduled mid-publication
                    }
                }
                return;
            }
            if (k == LEAF_BASE || k == INNER_BASE) {
                return;
            }
            n = n.next; // SPLIT, MERGE, REMOVE_NODE, index deltas: no mapping changed there
        }
    }

    /**
     * A scan ({@code findFirst}: batches, cursors, navigation, polls) about to read leaf state
     * {@code h} waits, while the feed has listeners, until every change in it is published: the
     * change flows' snapshot ({@code snapshotThenChanges}) relies on the scan never reading a
     * change its listener has not been sent yet (the latched indexes give that by publishing under
     * the latch the scan validates). Without listeners: one volatile read.
     */
    private void awaitPublishedForScan(Node h) {
        ChangeFeed<K, V> f = feed;
        if (f != null && f.hasListeners()) {
            awaitPublished(h);
        }
    }

    // ------------------------------------------------------------------ point operations

    /** Finds the value of {@code k} in a leaf state. */
    private Object lookup(Node h, Object k, long kp, int kd) {
        Node n = h;
        for (;;) {
            switch (n.kind) {
                case INSERT: {
                    Insert i = (Insert) n;
                    if (eqKeyCheap(kp, i.kp, kd) && cmp(k, kp, i.key, i.kp, kd) == 0) {
                        return i.value;
                    }
                    n = n.next;
                    break;
                }
                case DELETE: {
                    Delete d = (Delete) n;
                    if (eqKeyCheap(kp, d.kp, kd) && cmp(k, kp, d.key, d.kp, kd) == 0
                            && deleteStatus(d) == Delete.COMMITTED) {
                        return null;
                    }
                    n = n.next;
                    break;
                }
                case MERGE: {
                    Merge m = (Merge) n;
                    Object sep = m.next.f.hi;
                    n = cmp(k, kp, sep, m.next.f.hiP, kd) >= 0 ? m.rightChain : m.next;
                    break;
                }
                case LEAF_BASE: {
                    LeafBase b = (LeafBase) n;
                    int i = indexOf(b.keys, b.pfx, b.keys.length, k, kp, kd);
                    return i >= 0 ? b.vals[i] : null;
                }
                default:
                    n = n.next; // SPLIT, REMOVE_NODE: the fences were applied by the caller
                    break;
            }
        }
    }

    private static boolean eqKeyCheap(long a, long b, int kd) {
        return kd == KIND_LONG || kd == KIND_INT || kd == KIND_STRING ? a == b : true;
    }

    /**
     * Returns the value of {@code key}, or {@code null}. Linearizable: one read of the leaf's
     * head; takes no latch and writes nothing but the epoch pin.
     *
     * @param key the key
     * @return the value, or {@code null} if absent
     * @throws NullPointerException if {@code key} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    @SuppressWarnings("unchecked")
    public V get(Object key) {
        Objects.requireNonNull(key, "null key");
        int kd = kindForRead(key);
        long kp = prefix(key, kd);
        try (EpochManager.Guard g = epochs.pin()) {
            Found fo = new Found();
            fo.read = true;
            locate(key, kp, kd, false, 0, fo);
            return (V) lookup(fo.head, key, kp, kd);
        }
    }

    private static final int PUT = 0;
    private static final int PUT_IF_ABSENT = 1;
    private static final int REPLACE = 2;
    private static final int REPLACE_IF = 3;
    private static final int REMOVE = 4;
    private static final int REMOVE_IF = 5;

    /**
     * The one update loop: reads the leaf, decides from its head, installs one delta by CAS.
     * Returns the previous value (for the conditional forms: non-null means success).
     */
    private Object update(Object key, Object value, Object expect, int mode) {
        int kd = mode == PUT || mode == PUT_IF_ABSENT ? kindForWrite(key) : kindForRead(key);
        long kp = prefix(key, kd);
        try (EpochManager.Guard g = epochs.pin()) {
            Found fo = new Found();
            locate(key, kp, kd, false, 0, fo);
            int id = fo.id;
            Node h = fo.head;
            for (int attempt = 0; ; attempt++) {
                h = settle(id, h);
                if (TestHooks.ENABLED && h != null && updateFaulty(h, key, kp, kd)) {
                    // a seeded fault: write to this page although it is frozen or does not cover the key
                } else if (h == null || h.kind == REMOVE_NODE || !covers(h.f, key, kp, kd)) {
                    locate(key, kp, kd, false, 0, fo);
                    id = fo.id;
                    h = fo.head;
                    continue;
                }
                Object old = lookup(h, key, kp, kd);
                if (kd == KIND_UNDECIDED && old != null) {
                    // The map held no key when this operation read the key kind, and now holds this
                    // one: a put decided the kind meanwhile. A delta must carry the prefix of the
                    // decided kind, which every later comparison uses; one made with the undecided
                    // kind's prefix names no stored key, and a removal made so was lost (found by
                    // the Bw-tree churn test: a key removed twice with the same old value).
                    kd = keyKind;
                    kp = prefix(key, kd);
                    locate(key, kp, kd, false, 0, fo);
                    id = fo.id;
                    h = fo.head;
                    continue;
                }
                Node d;
                switch (mode) {
                    case PUT:
                        d = new Insert(h, key, kp, value, old == null ? h.size + 1 : h.size);
                        break;
                    case PUT_IF_ABSENT:
                        if (old != null) {
                            return old;
                        }
                        d = new Insert(h, key, kp, value, h.size + 1);
                        break;
                    case REPLACE:
                        if (old == null) {
                            return null;
                        }
                        d = new Insert(h, key, kp, value, h.size);
                        break;
                    case REPLACE_IF:
                        if (old == null || !old.equals(expect)) {
                            return null;
                        }
                        d = new Insert(h, key, kp, value, h.size);
                        break;
                    case REMOVE:
                        if (old == null) {
                            return null;
                        }
                        d = new Delete(h, key, kp, h.size - 1, null, null);
                        break;
                    default: // REMOVE_IF
                        if (old == null || !old.equals(expect)) {
                            return null;
                        }
                        d = new Delete(h, key, kp, h.size - 1, null, null);
                        break;
                }
                boolean ok;
                if (TestHooks.ENABLED && TestHooks.faultActive(INSERT_PLAIN_WRITE) && d.kind == INSERT) {
                    Thread.yield(); // widen the window a concurrent delta can fall into
                    setSlotRelease(id, d); // the fault: a plain write instead of the CAS
                    ok = true;
                } else {
                    ok = casSlot(id, h, d);
                }
                if (ok) {
                    // Before afterChange: no structure change of this thread may wait on its own
                    // delta. old is what h (just below d) said: the value the key had at the CAS.
                    publishChange((DataDelta) d, key, old, d.kind == DELETE ? null : value);
                    if (old == null) {
                        count.increment();
                    } else if (d.kind == DELETE) {
                        count.decrement();
                    }
                    afterChange(id, d, kd);
                    return old;
                }
                backoff(attempt);
                h = slot(id);
            }
        }
    }

    /** Whether a seeded fault makes an update write to {@code h} although it must not. */
    private boolean updateFaulty(Node h, Object key, long kp, int kd) {
        return h.kind == REMOVE_NODE ? TestHooks.faultActive(MERGE_NO_HELP_ALONG)
                : !covers(h.f, key, kp, kd) && TestHooks.faultActive(SPLIT_NO_MOVE_RIGHT);
    }

    private boolean covers(Fences f, Object k, long kp, int kd) {
        return (f.lo == null || cmp(k, kp, f.lo, f.loP, kd) >= 0) && (f.hi == null || cmp(k, kp, f.hi, f.hiP, kd) < 0);
    }

    /**
     * Maps {@code key} to {@code value}. Linearizable at the CAS that installs the delta.
     *
     * @param key the key
     * @param value the value
     * @return the previous value, or {@code null}
     * @throws NullPointerException if {@code key} or {@code value} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    @SuppressWarnings("unchecked")
    public V put(K key, V value) {
        Objects.requireNonNull(key, "null key");
        Objects.requireNonNull(value, "null value");
        return (V) update(key, value, null, PUT);
    }

    /**
     * Maps {@code key} to {@code value} if it is absent. Linearizable.
     *
     * @param key the key
     * @param value the value
     * @return the current value, or {@code null} if there was none (and {@code value} was added)
     * @throws NullPointerException if {@code key} or {@code value} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    @SuppressWarnings("unchecked")
    public V putIfAbsent(K key, V value) {
        Objects.requireNonNull(key, "null key");
        Objects.requireNonNull(value, "null value");
        return (V) update(key, value, null, PUT_IF_ABSENT);
    }

    /**
     * Replaces the value of {@code key} if it is present. Linearizable.
     *
     * @param key the key
     * @param value the new value
     * @return the previous value, or {@code null} if absent (nothing changed)
     * @throws NullPointerException if {@code key} or {@code value} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    @SuppressWarnings("unchecked")
    public V replace(K key, V value) {
        Objects.requireNonNull(key, "null key");
        Objects.requireNonNull(value, "null value");
        return (V) update(key, value, null, REPLACE);
    }

    /**
     * Replaces the value of {@code key} if it equals {@code oldValue}. Linearizable.
     *
     * @param key the key
     * @param oldValue the expected value
     * @param newValue the new value
     * @return whether the value was replaced
     * @throws NullPointerException if an argument is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    public boolean replace(K key, V oldValue, V newValue) {
        Objects.requireNonNull(key, "null key");
        Objects.requireNonNull(oldValue, "null value");
        Objects.requireNonNull(newValue, "null value");
        return update(key, newValue, oldValue, REPLACE_IF) != null;
    }

    /**
     * Removes {@code key}. Linearizable; may merge an underfull leaf into its left sibling.
     *
     * @param key the key
     * @return the removed value, or {@code null} if absent
     * @throws NullPointerException if {@code key} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    @SuppressWarnings("unchecked")
    public V remove(Object key) {
        Objects.requireNonNull(key, "null key");
        return (V) update(key, null, null, REMOVE);
    }

    /**
     * Removes {@code key} if it maps to {@code value}. Linearizable.
     *
     * @param key the key
     * @param value the expected value; {@code null} removes nothing
     * @return whether the entry was removed
     * @throws NullPointerException if {@code key} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    public boolean remove(Object key, Object value) {
        Objects.requireNonNull(key, "null key");
        if (value == null) {
            return false;
        }
        return update(key, null, value, REMOVE_IF) != null;
    }

    /**
     * The number of entries: a sum of counters, exact only when no write is in flight.
     *
     * @return the number of entries, at most {@link Integer#MAX_VALUE}
     */
    @Override
    public int size() {
        long s = count.sum();
        return s > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) Math.max(0, s);
    }

    /**
     * Removes every entry, one at a time from the lowest; not atomic, as
     * {@code ConcurrentSkipListMap.clear} is not.
     */
    @Override
    public void clear() {
        while (pollFirstEntry() != null) {
            // one entry at a time; weakly consistent, as ConcurrentSkipListMap's clear
        }
    }

    /**
     * The comparator that orders the keys.
     *
     * @return the comparator, or {@code null} for natural ordering
     */
    @Override
    public Comparator<? super K> comparator() {
        return comparator;
    }

    // ------------------------------------------------------------------ navigation and scans

    /**
     * Reads leaf states from the one covering the start point onwards (rightwards, or leftwards
     * for a descending search) until one holds an entry in range; records the heads of the leaves
     * it skipped so the caller can validate them. Returns the entries of the last leaf read.
     */
    private final class Scan {
        final int kd;
        int[] skippedIds = new int[4];
        Node[] skippedHeads = new Node[4];
        int skipped;
        int id;
        Node head;
        Entries entries;

        Scan(int kd) {
            this.kd = kd;
        }

        void skip() {
            if (skipped == skippedIds.length) {
                skippedIds = Arrays.copyOf(skippedIds, skipped * 2);
                skippedHeads = Arrays.copyOf(skippedHeads, skipped * 2);
            }
            skippedIds[skipped] = id;
            skippedHeads[skipped] = head;
            skipped++;
        }

        boolean validate() {
            for (int i = 0; i < skipped; i++) {
                if (slot(skippedIds[i]) != skippedHeads[i]) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Finds the first (ascending) or last (descending) entry of a range, as one snapshot: the
     * index into {@code s.entries}, or -1 if the range is empty. {@code lo}/{@code hi} null are
     * unbounded.
     */
    private int findFirst(Scan s, Object lo, long loP, boolean loInc, Object hi, long hiP, boolean hiInc,
                          boolean descending) {
        int kd = s.kd;
        Found fo = new Found();
        restart:
        for (;;) {
            s.skipped = 0;
            if (!descending) {
                if (lo == null) {
                    locate(NEG, 0, kd, false, 0, fo);
                } else {
                    locate(lo, loP, kd, false, 0, fo);
                }
            } else {
                if (hi == null) {
                    locate(POS, 0, kd, true, 0, fo);
                } else if (hiInc) {
                    locate(hi, hiP, kd, false, 0, fo);
                } else {
                    locate(hi, hiP, kd, true, 0, fo);
                }
            }
            s.id = fo.id;
            s.head = fo.head;
            for (;;) {
                awaitPublishedForScan(s.head);
                Entries e = materializeLeaf(s.head, kd);
                s.entries = e;
                int i;
                if (!descending) {
                    i = lo == null ? 0 : upperIndex(e.keys, e.pfx, e.n, lo, loP, kd, loInc);
                    if (i < e.n) {
                        if (hi != null) {
                            int c = cmp(e.keys[i], e.pfx[i], hi, hiP, kd);
                            if (hiInc ? c > 0 : c >= 0) {
                                return validateOrRestart(s) ? -1 : -2;
                            }
                        }
                        return s.skipped == 0 || s.validate() ? i : -2;
                    }
                    Fences f = s.head.f;
                    if (f.hi == null || (hi != null && (hiInc ? cmp(f.hi, f.hiP, hi, hiP, kd) > 0
                            : cmp(f.hi, f.hiP, hi, hiP, kd) >= 0))) {
                        return validateOrRestart(s) ? -1 : -2;
                    }
                    s.skip();
                    int next = f.right;
                    Node nh = slot(next);
                    if (nh != null && nh.kind == REMOVE_NODE) {
                        // An unfinished merge: finish it rather than wait for its owner (restarting
                        // alone would find the same frozen page again: found by the
                        // obstruction-freedom check).
                        helpRemove(next, (RemoveNode) nh);
                        continue restart;
                    }
                    if (nh == null || !sameBound(nh.f.lo, nh.f.loP, f.hi, f.hiP, kd)) {
                        continue restart;
                    }
                    nh = settle(next, nh);
                    if (nh == null) {
                        continue restart;
                    }
                    s.id = next;
                    s.head = nh;
                } else {
                    // last index with key < hi (or <= hi)
                    i = (hi == null ? e.n : upperIndex(e.keys, e.pfx, e.n, hi, hiP, kd, !hiInc)) - 1;
                    if (i >= 0) {
                        if (lo != null) {
                            int c = cmp(e.keys[i], e.pfx[i], lo, loP, kd);
                            if (loInc ? c < 0 : c <= 0) {
                                return validateOrRestart(s) ? -1 : -2;
                            }
                        }
                        return s.skipped == 0 || s.validate() ? i : -2;
                    }
                    Fences f = s.head.f;
                    if (f.lo == null || (lo != null && (loInc ? cmp(f.lo, f.loP, lo, loP, kd) <= 0
                            : cmp(f.lo, f.loP, lo, loP, kd) <= 0))) {
                        return validateOrRestart(s) ? -1 : -2;
                    }
                    s.skip();
                    Object bl = f.lo;
                    long blP = f.loP;
                    locate(bl, blP, kd, true, 0, fo);
                    Fences nf = fo.head.f;
                    if (!sameBound(nf.hi, nf.hiP, bl, blP, kd) || nf.right != s.id) {
                        continue restart;
                    }
                    Node nh = settle(fo.id, fo.head);
                    if (nh == null) {
                        continue restart;
                    }
                    s.id = fo.id;
                    s.head = nh;
                }
            }
        }
    }

    private boolean validateOrRestart(Scan s) {
        return s.skipped == 0 || s.validate();
    }

    /**
     * Finds the entry nearest to {@code key} in the given relation, as one snapshot of the leaves
     * it reads (each skipped leaf is re-read after the next one and must be unchanged).
     *
     * @param key the key, or {@code null} for the first or last entry
     * @param relation one of {@code GT}, {@code GE}, {@code LT}, {@code LE}
     * @return an immutable snapshot of the entry, or {@code null}
     */
    @Override
    @SuppressWarnings("unchecked")
    protected Map.Entry<K, V> findNear(K key, int relation) {
        int kd;
        long kp = 0;
        if (key != null) {
            kd = kindForRead(key);
            kp = prefix(key, kd);
        } else {
            kd = keyKind;
        }
        boolean descending = relation == LT || relation == LE;
        boolean inclusive = relation == GE || relation == LE;
        try (EpochManager.Guard g = epochs.pin()) {
            Scan s = new Scan(kd);
            for (;;) {
                int i = descending ? findFirst(s, null, 0, false, key, kp, inclusive, true)
                        : findFirst(s, key, kp, inclusive, null, 0, false, false);
                if (i == -1) {
                    return null;
                }
                if (i >= 0) {
                    return new SimpleImmutableEntry<>((K) s.entries.keys[i], (V) s.entries.vals[i]);
                }
            }
        }
    }

    /**
     * Removes the lowest (or highest) entry of a range. Linearizable: a delete on the leaf read,
     * guarded by the heads of the leaves skipped on the way (see the class comment).
     *
     * @param lo the lower bound, or {@code null}
     * @param loInclusive whether {@code lo} is in the range
     * @param hi the upper bound, or {@code null}
     * @param hiInclusive whether {@code hi} is in the range
     * @param highest whether to remove the highest entry instead of the lowest
     * @return an immutable snapshot of the removed entry, or {@code null}
     */
    @Override
    @SuppressWarnings("unchecked")
    protected Map.Entry<K, V> pollInRange(K lo, boolean loInclusive, K hi, boolean hiInclusive, boolean highest) {
        int kd = keyKind;
        long loP = 0;
        long hiP = 0;
        if (lo != null) {
            kd = kindForRead(lo);
            loP = prefix(lo, kd);
        }
        if (hi != null) {
            kd = kindForRead(hi);
            hiP = prefix(hi, kd);
            if (lo != null) {
                loP = prefix(lo, kd);
            }
        }
        try (EpochManager.Guard g = epochs.pin()) {
            Scan s = new Scan(kd);
            for (int attempt = 0; ; attempt++) {
                int i = findFirst(s, lo, loP, loInclusive, hi, hiP, hiInclusive, highest);
                if (i == -1) {
                    return null;
                }
                if (i == -2) {
                    continue;
                }
                Object k = s.entries.keys[i];
                long kp = s.entries.pfx[i];
                Object v = s.entries.vals[i];
                Node h = s.head;
                Delete d;
                if (s.skipped == 0) {
                    d = new Delete(h, k, kp, h.size - 1, null, null);
                } else {
                    d = new Delete(h, k, kp, h.size - 1, Arrays.copyOf(s.skippedIds, s.skipped),
                            Arrays.copyOf(s.skippedHeads, s.skipped));
                }
                if (casSlot(s.id, h, d)) {
                    if (deleteStatus(d) == Delete.COMMITTED) {
                        // The key and value this poll returns, read from h, the state under d.
                        publishChange(d, k, v, null);
                        count.decrement();
                        afterChange(s.id, d, kd);
                        return new SimpleImmutableEntry<>((K) k, (V) v);
                    }
                    // Aborted: it changed nothing, so nothing is published; the flag is set only for
                    // tidiness (settle decides a guarded delete before anyone stacks on it, so no
                    // writer waits on an aborted one).
                    PUBLISHED.setRelease(d, true);
                    settle(s.id, d); // aborted: unlink it and try again
                }
                backoff(attempt);
            }
        }
    }

    /**
     * Copies the next entries of a range in order, one leaf state at a time (each entry was in the
     * map when its leaf's head was read). Weakly consistent across leaves.
     */
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
        int kd = keyKind;
        long fP = 0;
        long tP = 0;
        if (from != null) {
            kd = kindForRead(from);
        }
        if (to != null) {
            kd = kindForRead(to);
        }
        if (from != null) {
            fP = prefix(from, kd);
        }
        if (to != null) {
            tP = prefix(to, kd);
        }
        if (from != null && to != null) {
            int c = cmp(from, fP, to, tP, kd);
            if (c > 0 || (c == 0 && !(fromInclusive && toInclusive))) {
                return 0;
            }
        }
        try (EpochManager.Guard g = epochs.pin()) {
            Scan s = new Scan(kd);
            int i;
            do {
                i = findFirst(s, from, fP, fromInclusive, to, tP, toInclusive, descending);
            } while (i == -2);
            if (i == -1) {
                return 0;
            }
            int out = 0;
            Entries e = s.entries;
            if (!descending) {
                for (int j = i; j < e.n && out < keys.length; j++) {
                    if (to != null) {
                        int c = cmp(e.keys[j], e.pfx[j], to, tP, kd);
                        if (toInclusive ? c > 0 : c >= 0) {
                            break;
                        }
                    }
                    keys[out] = e.keys[j];
                    values[out] = e.vals[j];
                    out++;
                }
            } else {
                for (int j = i; j >= 0 && out < keys.length; j--) {
                    if (from != null) {
                        int c = cmp(e.keys[j], e.pfx[j], from, fP, kd);
                        if (fromInclusive ? c < 0 : c <= 0) {
                            break;
                        }
                    }
                    keys[out] = e.keys[j];
                    values[out] = e.vals[j];
                    out++;
                }
            }
            return out;
        }
    }

    // ------------------------------------------------------------------ checks and statistics

    /**
     * Checks the structure (for tests, on a quiescent map): every page reachable from the root,
     * chains no longer than the consolidation threshold allows, fences of children inside their
     * parent's routes, leaves chained left to right with touching fences, keys strictly ascending
     * and inside their fences, the entry count equal to {@link #size()}, and every allocated page
     * id either reachable, retired, or free.
     *
     * @throws IllegalStateException describing the first violation found
     */
    public void checkInvariants() {
        int kd = keyKind;
        try (EpochManager.Guard g = epochs.pin()) {
            java.util.HashSet<Integer> reached = new java.util.HashSet<>();
            int root = rootId;
            Node rh = slot(root);
            if (rh == null || rh.f.lo != null || rh.f.hi != null && rh.f.right == NONE) {
                throw new IllegalStateException("root page " + root + " has bad fences");
            }
            int level = rh.f.level;
            // Walk each level left to right from its leftmost page.
            int leftmost = root;
            long entries = 0;
            Object lastKey = null;
            long lastP = 0;
            for (int lv = level; lv >= 0; lv--) {
                int id = leftmost;
                Object prevHi = null;
                long prevHiP = 0;
                boolean first = true;
                int nextLeftmost = NONE;
                while (id != NONE) {
                    Node h = slot(id);
                    if (h == null) {
                        throw new IllegalStateException("page " + id + " reachable but its slot is empty");
                    }
                    if (!reached.add(id)) {
                        throw new IllegalStateException("page " + id + " reached twice");
                    }
                    if (h.kind == REMOVE_NODE) {
                        throw new IllegalStateException("page " + id + " frozen by an unfinished merge");
                    }
                    if (h.depth > consolidateThreshold + 2) {
                        throw new IllegalStateException("page " + id + " chain of " + h.depth
                                + " deltas exceeds threshold " + consolidateThreshold);
                    }
                    Fences f = h.f;
                    if (f.level != lv) {
                        throw new IllegalStateException("page " + id + " at level " + f.level + ", expected " + lv);
                    }
                    if (first ? f.lo != null : !sameBound(f.lo, f.loP, prevHi, prevHiP, kd)) {
                        throw new IllegalStateException("page " + id + " low fence does not touch its left sibling");
                    }
                    if (f.hi == null && f.right != NONE || f.hi != null && f.right == NONE) {
                        throw new IllegalStateException("page " + id + " high fence and right link disagree");
                    }
                    if (lv == 0) {
                        Entries e = materializeLeaf(h, kd);
                        if (e.n != h.size) {
                            throw new IllegalStateException("leaf " + id + " size " + h.size + " but " + e.n
                                    + " entries");
                        }
                        for (int i = 0; i < e.n; i++) {
                            if (e.vals[i] == null) {
                                throw new IllegalStateException("leaf " + id + " null value");
                            }
                            if (kd != KIND_PLAIN && kd != KIND_UNDECIDED && prefix(e.keys[i], kd) != e.pfx[i]) {
                                throw new IllegalStateException("leaf " + id + " wrong prefix");
                            }
                            if (lastKey != null && cmp(e.keys[i], e.pfx[i], lastKey, lastP, kd) <= 0) {
                                throw new IllegalStateException("keys out of order at leaf " + id);
                            }
                            if (!covers(f, e.keys[i], e.pfx[i], kd)) {
                                throw new IllegalStateException("leaf " + id + " key outside its fences");
                            }
                            lastKey = e.keys[i];
                            lastP = e.pfx[i];
                        }
                        entries += e.n;
                    } else {
                        InnerEntries e = materializeInner(h, kd);
                        if (e.n + 1 != h.size) {
                            throw new IllegalStateException("inner " + id + " size " + h.size + " but "
                                    + (e.n + 1) + " children");
                        }
                        for (int i = 0; i < e.n; i++) {
                            if (i > 0 && cmp(e.keys[i], e.pfx[i], e.keys[i - 1], e.pfx[i - 1], kd) <= 0) {
                                throw new IllegalStateException("inner " + id + " separators out of order");
                            }
                            if (!covers(f, e.keys[i], e.pfx[i], kd)) {
                                throw new IllegalStateException("inner " + id + " separator outside its fences");
                            }
                        }
                        for (int i = 0; i <= e.n; i++) {
                            Node c = slot(e.kids[i]);
                            if (c == null || c.f.level != lv - 1) {
                                throw new IllegalStateException("inner " + id + " child " + e.kids[i] + " is not a page"
                                        + " of level " + (lv - 1));
                            }
                            Object clo = i == 0 ? f.lo : e.keys[i - 1];
                            long cloP = i == 0 ? f.loP : e.pfx[i - 1];
                            if (i > 0 && !sameBound(c.f.lo, c.f.loP, clo, cloP, kd)) {
                                throw new IllegalStateException("inner " + id + " routes from a key that is not child "
                                        + e.kids[i] + "'s low fence");
                            }
                        }
                        if (first) {
                            nextLeftmost = e.kids[0];
                        }
                    }
                    first = false;
                    prevHi = f.hi;
                    prevHiP = f.hiP;
                    id = f.right;
                }
                leftmost = nextLeftmost;
            }
            if (entries != count.sum()) {
                throw new IllegalStateException("size " + count.sum() + " but " + entries + " entries in the leaves");
            }
            int free = 0;
            for (FreeId fi = freeIds; fi != null; fi = fi.next) {
                free++;
            }
            long allocated = nextId;
            long retired = retiredIds.sum();
            if (reached.size() + free + retired != allocated) {
                throw new IllegalStateException("page ids: " + allocated + " allocated but " + reached.size()
                        + " reachable, " + free + " free and " + retired + " retired");
            }
        }
    }

    /** Statistics for tests and benchmarks: page ids allocated so far (the table's high-water mark). */
    long pageIdsAllocated() {
        return nextId;
    }

    /** Page ids retired to the epoch manager and not yet reusable. */
    long pageIdsAwaitingReuse() {
        return retiredIds.sum();
    }

    /**
     * A snapshot of the map's contention and delta-chain statistics, for choosing the
     * consolidation threshold (see {@link Builder#consolidateThreshold}) and for benchmarks: failed
     * slot CASes and consolidations since the map was made, and the chain length of every leaf.
     *
     * <p>The snapshot is racy: the counters and the leaves are read one after another while other
     * threads may change them, so each figure is one the map really had while this method ran,
     * but they are not all from one instant. On a quiescent map it is exact.
     *
     * <p>It reads every leaf's head once: O(leaf pages), and it allocates. It is meant for
     * monitoring and tests, not for hot paths.
     *
     * @return the statistics, with the chain lengths of all leaves
     */
    public Statistics statistics() {
        return statistics(NEG, 0, POS, 0, keyKind);
    }

    /**
     * {@link #statistics()} with the chain lengths of only the leaves that cover keys from
     * {@code fromKey} to {@code toKey}, both inclusive: the pages that a workload on that key range
     * reads and writes (at least one, the leaf that covers {@code fromKey}). The counters are still
     * the whole map's. Racy in the same way; costs one descent plus one read per leaf in the range.
     *
     * @param fromKey the least key of the range
     * @param toKey the greatest key of the range
     * @return the statistics, with the chain lengths of the leaves that cover the range
     * @throws NullPointerException if {@code fromKey} or {@code toKey} is null
     * @throws ClassCastException if a key cannot be compared with the map's keys
     * @throws IllegalArgumentException if {@code fromKey} is greater than {@code toKey}
     */
    public Statistics statistics(K fromKey, K toKey) {
        Objects.requireNonNull(fromKey, "null fromKey");
        Objects.requireNonNull(toKey, "null toKey");
        int kd = kindForRead(fromKey);
        long fp = prefix(fromKey, kd);
        long tp = prefix(toKey, kd);
        if (compareKeys(fromKey, toKey) > 0) {
            throw new IllegalArgumentException("fromKey > toKey");
        }
        return statistics(fromKey, fp, toKey, tp, kd);
    }

    private Statistics statistics(Object from, long fp, Object to, long tp, int kd) {
        long failures = casFailures.sum();
        long consolidated = consolidations.sum();
        int[] hist = new int[consolidateThreshold + 4];
        int leaves = 0;
        long total = 0;
        try (EpochManager.Guard g = epochs.pin()) {
            Found fo = new Found();
            fo.read = true;
            locate(from, fp, kd, false, 0, fo);
            Node h = fo.head;
            for (;;) {
                // Each head is read with acquire (slot), so each length is one the page really had;
                // nothing orders the reads of different pages, which is why the snapshot is racy.
                int d = h.depth;
                if (d >= hist.length) {
                    hist = Arrays.copyOf(hist, d + 1);
                }
                hist[d]++;
                leaves++;
                total += d;
                Fences f = h.f;
                // Fences touch left to right, so the leaf whose high fence is above `to` is the last.
                if (f.hi == null || cmp(to, tp, f.hi, f.hiP, kd) < 0) {
                    break;
                }
                h = slot(f.right);
                if (h == null) {
                    // Cannot happen while pinned (a linked page's id is retired only after the
                    // link is gone, and reused only after every pinned thread unpins); a statistic
                    // stops short rather than fail.
                    break;
                }
            }
        }
        return new Statistics(failures, consolidated, hist, leaves, total);
    }

    /**
     * A snapshot of a {@link BwTreeMap}'s contention and delta-chain statistics, made by
     * {@link BwTreeMap#statistics()}; immutable.
     *
     * <p>A leaf's <em>chain length</em> is the number of deltas above its base node, the measure
     * the consolidation threshold bounds: a search of the leaf walks that many delta nodes before
     * it binary-searches the base (plus the chain of a merged right sibling when the key lies in
     * its range; that chain is not counted). A leaf just consolidated or split off has length 0.
     * A write that makes a chain longer than the threshold consolidates it, so lengths stay at
     * most the threshold plus the few deltas that land while a consolidation is being built.
     */
    public static final class Statistics {
        private final long casFailures;
        private final long consolidations;
        /** hist[i]: leaves whose chain holds i deltas; trimmed to the longest chain. */
        private final int[] hist;
        private final int leafPages;
        private final long totalLength;

        Statistics(long casFailures, long consolidations, int[] hist, int leafPages, long totalLength) {
            int max = hist.length - 1;
            while (max > 0 && hist[max] == 0) {
                max--;
            }
            this.casFailures = casFailures;
            this.consolidations = consolidations;
            this.hist = Arrays.copyOf(hist, max + 1);
            this.leafPages = leafPages;
            this.totalLength = totalLength;
        }

        /**
         * Failed compare-and-sets of a page's mapping-table slot since the map was made: each
         * is a write, consolidation, split or merge step that lost a race for a page to another
         * thread and was retried (or, for a consolidation, dropped). Stays 0 while one thread
         * at a time uses the map.
         *
         * @return the failed slot CASes
         */
        public long casFailures() {
            return casFailures;
        }

        /**
         * Consolidations whose CAS succeeded since the map was made, of leaf and inner pages.
         *
         * @return the consolidations installed
         */
        public long consolidations() {
            return consolidations;
        }

        /**
         * The leaves whose chains the snapshot read: all of the map's, or those that cover the
         * range given to {@link BwTreeMap#statistics(Object, Object)}. At least 1.
         *
         * @return the number of leaf pages read
         */
        public int leafPages() {
            return leafPages;
        }

        /**
         * The chain-length distribution: element {@code i} is the number of leaves whose chain
         * holds {@code i} deltas. Its length is {@link #maxChainLength()} + 1, and its elements
         * add up to {@link #leafPages()}.
         *
         * @return a new array with the histogram
         */
        public int[] chainLengthHistogram() {
            return hist.clone();
        }

        /**
         * The longest chain among the leaves read.
         *
         * @return the longest chain length
         */
        public int maxChainLength() {
            return hist.length - 1;
        }

        /**
         * The mean chain length of the leaves read.
         *
         * @return the mean chain length
         */
        public double meanChainLength() {
            return (double) totalLength / leafPages;
        }

        /**
         * A percentile of the chain lengths by the nearest-rank method: the least length such
         * that at least {@code percent}% of the leaves read have a chain no longer (0 gives the
         * shortest chain, 100 the longest).
         *
         * @param percent between 0 and 100
         * @return the chain length at that percentile
         * @throws IllegalArgumentException if {@code percent} is not between 0 and 100
         */
        public int chainLengthPercentile(double percent) {
            if (!(percent >= 0 && percent <= 100)) {
                throw new IllegalArgumentException("percent must be between 0 and 100, was " + percent);
            }
            // percent * n / 100, not percent / 100 * n: exact for whole percents, so ranks on a
            // boundary are not pushed up by a rounding error.
            long rank = Math.max(1, (long) Math.ceil(percent * leafPages / 100));
            long seen = 0;
            for (int i = 0; i < hist.length; i++) {
                seen += hist[i];
                if (seen >= rank) {
                    return i;
                }
            }
            return hist.length - 1;
        }

        /**
         * The counters, the percentiles 50 and 90, the longest and mean chain, and the
         * histogram's non-zero buckets as {@code length:leaves}.
         *
         * @return a one-line description
         */
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("BwTreeMap.Statistics{casFailures=").append(casFailures)
                    .append(", consolidations=").append(consolidations)
                    .append(", leafPages=").append(leafPages)
                    .append(", chainLength p50=").append(chainLengthPercentile(50))
                    .append(" p90=").append(chainLengthPercentile(90))
                    .append(" max=").append(maxChainLength())
                    .append(" mean=").append(String.format(Locale.ROOT, "%.2f", meanChainLength()))
                    .append(", histogram=[");
            String sep = "";
            for (int i = 0; i < hist.length; i++) {
                if (hist[i] != 0) {
                    sb.append(sep).append(i).append(':').append(hist[i]);
                    sep = ", ";
                }
            }
            return sb.append("]}").toString();
        }
    }

    /** The epoch manager (for tests). */
    EpochManager epochs() {
        return epochs;
    }

    // ------------------------------------------------------------------ serialization

    /**
     * Serializes the map as its proxy: the order, the options and the entries.
     *
     * @return the serialized form
     */
    private Object writeReplace() {
        ArrayList<Object> entries = new ArrayList<>(Math.max(16, 2 * size()));
        for (Map.Entry<K, V> e : entrySet()) {
            entries.add(e.getKey());
            entries.add(e.getValue());
        }
        return new SerializedForm(comparator, capacity, consolidateThreshold, entries.toArray());
    }

    /**
     * Refuses a stream that carries the map itself instead of its serialization proxy.
     *
     * @param in the stream
     * @throws InvalidObjectException always: maps are read back only through the proxy
     */
    private void readObject(ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("BwTreeMap is deserialized through its serialization proxy");
    }

    /** The serialized state of a map. */
    private static final class SerializedForm implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Comparator<?> comparator;
        private final int nodeCapacity;
        private final int consolidateThreshold;
        private final Object[] entries;

        SerializedForm(Comparator<?> comparator, int nodeCapacity, int consolidateThreshold, Object[] entries) {
            this.comparator = comparator;
            this.nodeCapacity = nodeCapacity;
            this.consolidateThreshold = consolidateThreshold;
            this.entries = entries;
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        private Object readResolve() throws InvalidObjectException {
            if (nodeCapacity < MIN_NODE_CAPACITY || nodeCapacity > MAX_NODE_CAPACITY || consolidateThreshold < 1
                    || consolidateThreshold > 64 || entries == null || entries.length % 2 != 0) {
                throw new InvalidObjectException("corrupt BwTreeMap stream: nodeCapacity " + nodeCapacity
                        + ", consolidateThreshold " + consolidateThreshold);
            }
            BwTreeMap map = new BwTreeMap((Comparator) comparator, nodeCapacity, consolidateThreshold, SHARED_EPOCHS);
            for (int i = 0; i < entries.length; i += 2) {
                if (entries[i] == null || entries[i + 1] == null) {
                    throw new InvalidObjectException("corrupt BwTreeMap stream: null key or value");
                }
                map.put(entries[i], entries[i + 1]);
            }
            return map;
        }
    }

    // ------------------------------------------------------------------ VarHandle mechanics

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Node[].class);
    private static final VarHandle DIR;
    private static final VarHandle ROOT;
    private static final VarHandle NEXT_ID;
    private static final VarHandle FREE;
    private static final VarHandle KIND;
    private static final VarHandle STATUS;
    private static final VarHandle FEED;
    private static final VarHandle PUBLISHED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            DIR = l.findVarHandle(BwTreeMap.class, "dir", Node[][].class);
            ROOT = l.findVarHandle(BwTreeMap.class, "rootId", int.class);
            NEXT_ID = l.findVarHandle(BwTreeMap.class, "nextId", int.class);
            FREE = l.findVarHandle(BwTreeMap.class, "freeIds", FreeId.class);
            KIND = l.findVarHandle(BwTreeMap.class, "keyKind", int.class);
            STATUS = l.findVarHandle(Delete.class, "status", int.class);
            FEED = l.findVarHandle(BwTreeMap.class, "feed", ChangeFeed.class);
            PUBLISHED = l.findVarHandle(DataDelta.class, "published", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
