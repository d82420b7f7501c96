package io.arboretum.pma;

import io.arboretum.keys.KeyEncoder;
import io.arboretum.map.AbstractIndexMap;
import io.arboretum.map.BatchCursor;
import io.arboretum.map.ChangeFeed;
import io.arboretum.map.ChangeListener;
import io.arboretum.map.ChangeObservable;
import io.arboretum.sync.HybridLatch;
import io.arboretum.sync.TestHooks;
import java.io.InvalidObjectException;
import java.io.NotSerializableException;
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

/**
 * A concurrent, ordered map on a packed memory array (PMA): every entry lies in key order in one
 * array with gaps, so a range scan reads contiguous memory. A cache-oblivious B-tree in the sense
 * of Bender, Demaine and Farach-Colton ("Cache-Oblivious B-Trees", FOCS 2000), with the adaptive
 * rebalancing idea of Bender and Hu ("An Adaptive Packed-Memory Array", PODS 2006). A drop-in
 * {@link java.util.concurrent.ConcurrentNavigableMap} that behaves as
 * {@link java.util.concurrent.ConcurrentSkipListMap} documents.
 *
 * <p><b>Keys.</b> Keys in natural order ({@link #PackedMemoryArrayMap()}) of class {@code Long},
 * {@code Integer}, {@code Short}, {@code Byte} or {@code Character} are stored as primitive
 * {@code long}s (their order-preserving encodings from {@code io.arboretum.keys} fit in eight
 * bytes), so a search compares {@code long}s in one array and no key object is kept; so are keys of
 * a {@link KeyEncoder} with a fixed length of at most eight bytes
 * ({@link Builder#keyEncoder(KeyEncoder)}). Other keys (any {@code Comparable}, or any
 * {@link Comparator}) are stored as objects. The choice for a natural-order map is made at the
 * first insert, by the first key's class.
 *
 * <p><b>Consistency</b>, as for {@code ConcurrentSkipListMap}: null keys and values are rejected;
 * single-key operations, navigation and polls, on the map and its views, are linearizable; the
 * compute family commits with a conditional write and may run its function more than once under
 * contention (except {@code computeIfAbsent}); iterators and views are weakly consistent and hand
 * out immutable snapshots; {@link #size()} is exact only when no write is in flight.
 *
 * <p>Tuning: {@code PackedMemoryArrayMap.builder().segmentSize(8).build()} fixes the segment size
 * (by default it follows about log2 of the array's size, 16 to 256 cells); small segments exist
 * mostly so that tests rebalance windows and resize the array with few keys.
 *
 * <h2>Implementation notes</h2>
 *
 * <p><b>Structure.</b> The array has {@code C = M * S} cells cut into {@code M} <em>segments</em>
 * of {@code S} cells ({@code M} a power of two). Segment {@code j} holds {@code counts[j]} entries
 * packed at its left end, in key order, followed by gaps; the entries of segment {@code j} are all
 * less than those of {@code j + 1}. The keys are a {@code long[]} of prefixes (exact mode) or an
 * {@code Object[]}, the values an {@code Object[]}. The segments are the leaves of an implicit
 * complete binary tree: a <em>window</em> of level {@code l} is an aligned run of {@code 2^l}
 * segments, level 0 a segment, level {@code H = log2 M} the whole array. Every window of level
 * {@code l} must keep its entry count {@code n} within density bounds, interpolated linearly from
 * the leaves to the root (looser at the leaves, tighter at the root):
 * <pre>
 *   level            lower bound on n / cells         upper bound on n / cells
 *   0 (a segment)    0.125, and at least 1 entry      1.0 (a segment may be full)
 *   l                0.125 + 0.075 * l / H            1.0 - 0.25 * l / H
 *   H (the root)     0.2, and at least M entries      0.75
 * </pre>
 * (A one-segment array, {@code M = 1}, has no lower bound: it may be empty.) Every window also
 * holds at least one entry per segment, so no segment is ever empty when {@code M > 1}: segment
 * {@code j} <em>owns</em> the keys from its first key (minus infinity for {@code j = 0}) up to,
 * excluding, the first key of segment {@code j + 1} (plus infinity for the last). A search finds
 * the owner of a key; the key, if present, is in its owner.
 *
 * <p><b>Search index.</b> A static complete binary tree over the segments, each internal node
 * holding the first key of the leftmost segment of its right subtree, stored in van Emde Boas
 * order ({@link Store}): a search of {@code log2 M} comparisons touching {@code O(log_B M)} blocks
 * for every block size {@code B}, without knowing {@code B}. The writer that changes a segment's
 * first key rewrites its one index entry under the segment's latch. The index is a <em>hint</em>:
 * it is read without latches, and the search then walks to the true owner under validated reads.
 *
 * <p><b>Latches.</b> Each segment has a {@link HybridLatch}. Readers are optimistic: read the
 * version, read the segment, validate. Writers latch exclusively. Blocking acquisitions are made
 * only from left to right; a latch to the left of one already held is only <em>tried</em>, and a
 * failed try releases everything and restarts the operation (after a back-off; after repeated
 * conflicts the operation takes its whole window from left to right at once). Notation in the
 * code: {@code st} the store, {@code j} the owner segment, {@code t} the segment an entry is
 * inserted into or removed from, {@code p} a position in a segment, {@code S} and {@code M} as
 * above, {@code [a, b)} the segments latched, {@code [wa, wb)} a window, {@code v} a version,
 * {@code kp} a key's prefix (exact mode).
 *
 * <p><b>Insert</b> (and every write; removal is symmetric):
 * <ol>
 *   <li>Search the index for the owner {@code j}, walk to it under validated optimistic reads, and
 *       latch it exclusively.</li>
 *   <li>Check, under the latch, that {@code j} still owns the key: its first key is not above the
 *       key ({@code j > 0}) and, if the key would go after the last entry of {@code j}, the first
 *       key of {@code j + 1} is above it (read optimistically; while {@code j} is held, that first
 *       key can only grow, because entries move from {@code j + 1} into {@code j} only under both
 *       latches, so a validated read stays true). Otherwise release and restart.</li>
 *   <li>If the key is present, replace the value in place. If the segment has room, shift the
 *       entries after the position right by one and store the entry.</li>
 *   <li>Otherwise find the smallest window of {@code j} whose count, plus one, is within its
 *       upper bound (counts of the other segments read without latches, as an estimate). Latch
 *       the window's other segments left to right with {@code tryLockExclusive}; on a failure,
 *       release everything and restart. Under the window's latches, recount; if the window is no
 *       longer within bounds, widen it.</li>
 *   <li>Redistribute: gather the window's entries and the new one, choose each segment's count
 *       (below), write the segments back packed left, refresh their index entries, and release
 *       the window's latches (each release advances the version, so readers restart).</li>
 *   <li>If even the root is out of bounds, release, <em>resize</em> and restart.</li>
 * </ol>
 *
 * <p><b>Adaptive redistribution</b> (after Bender and Hu). Each segment counts the inserts it took
 * since it was last redistributed (its <em>heat</em>). If the segment where the insert lands holds
 * at least half of its window's heat (inserts are hammering one spot, or arriving in ascending or
 * descending order), the window's counts are chosen by splitting the window in halves recursively
 * and giving the half that contains the insertion point as few entries as its lower bound allows
 * (and the other as many as its upper bound allows), so that the slack ends up where the next
 * inserts will land; when the insertion point falls between the halves, the split is placed right
 * at it. Otherwise (inserts spread out) the counts are even. Either way every window stays within
 * its bounds, and every segment keeps at least one entry.
 *
 * <p><b>Resize</b> (growth when the root is above its upper bound, shrinking when below its lower):
 * <ol>
 *   <li>Latch every segment exclusively, left to right, blocking (holding nothing else). A latch
 *       that turns out obsolete means another resize won: release and restart the operation.</li>
 *   <li>Gather every entry in order and choose the new geometry: {@code S} about {@code log2} of
 *       the cells (16 to 256) unless the builder fixed it, {@code M} the power of two that puts the
 *       density between 0.25 and 0.5 (and at most one segment per entry).</li>
 *   <li>Build the new {@link Store} with the entries spread evenly and its search index filled.</li>
 *   <li>Publish it with a release store of the {@code store} field.</li>
 *   <li>Release every old latch with {@link HybridLatch#unlockExclusiveObsolete()}. A reader or
 *       writer still on the old store fails its next optimistic read or latch attempt there and
 *       reloads the store, which it then sees (it was published in step 4, before step 5).</li>
 * </ol>
 *
 * <p><b>Removal</b>, <b>polls</b>. Removal is the mirror of insert (a segment that would fall below
 * its lower bound, or become empty, redistributes the smallest window within its lower bound; the
 * root below its lower bound shrinks the array). A poll of the lowest entry in a range latches the
 * range start's owner and the segment after it (left to right), so that the entry it removes is
 * the least in range at that instant; a poll of the highest latches the owner and the segment
 * before it.
 *
 * <p><b>Scans</b> ({@code PmaCursor}, behind every iterator, view scan and range flow through
 * {@link #openCursor}, and behind {@link #copyBatch}, which is one batch of it copied into the
 * caller's arrays). The cursor keeps its place between batches: the store it read, a segment, and
 * either a position in that segment with the version it was read at, or the version of the
 * segment before it. In exact mode it keeps keys as {@code long}s and builds a key object only
 * when asked for one.
 * <ol>
 *   <li>Find the owner {@code j} of the start key: the range's bound or, once the cursor has
 *       returned keys, the last of them, exclusive (unbounded: the first or last segment).</li>
 *   <li>Read {@code j} optimistically and check <em>in this read</em> that it still owns the start
 *       key, both sides, as the search's walk does: its first key not above the start key (else
 *       step back), and, if every key of {@code j} is below it, the first key of {@code j + 1}
 *       above it (read optimistically; else step forward). Step 1's answer may be stale: a
 *       redistribution can move the start key's neighbours across {@code j}'s edge between step
 *       1's last validation and this read, where no version sees it.</li>
 *   <li>Copy {@code j}'s run from the start key's position, and validate. A batch that fills
 *       inside {@code j} keeps the position and {@code j}'s version: the next batch goes on from
 *       there only if {@code j} still has that version (then its cells are those read).</li>
 *   <li>Move to the next segment, copy its whole run, and validate both it and the previous
 *       segment, so that no entry can have moved between them unseen. While the previous segment
 *       is unchanged, no key at or before the start key can enter the next one (such a key
 *       belongs to the owner, and moves only under its latch), so only the first segment needs
 *       the bound.</li>
 *   <li>If only the segment just read failed to validate, read it again. If the previous one
 *       failed, the kept position's segment changed, or a latch turned obsolete (a resize or
 *       {@code clear} replaced the store), resume after the last key returned (from step 1).</li>
 * </ol>
 * A batch is weakly consistent, and each segment's part of it is atomic; across batches keys stay
 * strictly ordered, none repeats, and an entry present for the whole scan is returned.
 *
 * <p><b>Memory model.</b> Data (cells, counts) is written with plain stores, only under a
 * segment's exclusive latch; the latch's acquiring CAS orders them after it and its release store
 * publishes them. Optimistic readers read data with plain loads and then validate, which issues
 * an acquire fence before re-reading the version ({@link HybridLatch#validate}): a reader whose
 * loads saw any write of a later critical section sees that section's version change and
 * restarts. Everything read before validation is untrusted: counts are bounds-checked before they
 * bound a loop, null key objects are tolerated, and an exception from a comparator is rethrown
 * only if the read validates. The {@code store} field is read with acquire and written with
 * release, so a new store's arrays are seen filled. Object-mode index entries are published with
 * release stores and read with acquire loads, so a key object found through the index is seen
 * fully built; exact-mode index entries are plain (they are only hints).
 *
 * <p><b>Change feed.</b> Each write that changes a mapping calls {@code publishChange} after the
 * change and before the segment latches that made it are released, so subscribers
 * ({@link #subscribe}) receive a key's changes in commit order. The write sites: a value replaced
 * in place ({@code put} of a present key, both {@code replace}s: {@code writeLocked}); an insert
 * into a segment with room ({@code insert}) or by redistributing a window ({@code restructure});
 * a removal from a segment ({@code delete}) or by redistributing ({@code restructure}), which both
 * {@code remove}s and the polls ({@code pollLocked}, publishing the key the poll returns) reach;
 * and {@code clear}, a removal per entry ({@code publishCleared}). {@code putAll}, the compute
 * family, {@code merge} and writes through views are built on these. What moves entries without
 * changing a mapping publishes nothing: redistributions (beyond the one change they carry),
 * growing and shrinking the array, and the codec's choice at the first insert. With no subscriber
 * the hook costs one volatile read of {@code feed} and a branch.
 *
 * <p><b>Change feed: commit order per key.</b> A key is changed only under the latch of the segment
 * that holds it or, absent, of its owner, which the writer checks under that latch (Insert, step
 * 2); it moves to another segment only under the latches of the whole window, or of every segment
 * (a resize, whose new store is published only after it took every old latch, so after every change
 * made in the old array was published and released, and is read by later writers after that release
 * store). Ownership of an absent key also changes only under latches, and a writer that finds the
 * owner validated the state the previous change left. So two changes of one key are ordered by one
 * latch, or by a chain of latches and validated reads (acquire of a release); each publishes inside
 * its latches, and the feed's atomic add numbers them in that order. Only {@code clear} stores its
 * change where writers reach it without the latches it holds: from the release store of the empty
 * array on, a writer can put a cleared key into the new array, whose latches {@code clear} does not
 * hold; so {@code clear} publishes its removals before that store (as {@code MasstreeMap}'s grow
 * publishes before storing the new root). A redistribution writes only latched segments, and the
 * search index, which is a hint (a writer walks to the owner and latches it).
 *
 * <p><b>Change feed: why a subscriber's scan meets every change it was not sent.</b>
 * {@link ChangeFeed}'s store-load pair needs scans to treat a latch taken by a writer as a change,
 * and every reader here does: {@link HybridLatch#optimisticRead()} waits while a writer holds the
 * latch, and every exclusive unlock in this class advances the version (none is
 * {@code unlockExclusiveUnchanged}), so no read validates across a writer's critical section. A
 * writer that read no listener took its latches by CASes ordered before its volatile read of
 * {@code feed}, so before the subscriber's CAS and full fence; a scan started after
 * {@code subscribe} returned reads those latch words at that CAS or later, waits out the writer,
 * and reads its change. A scan that loads a store a resize or {@code clear} has replaced finds
 * every old latch taken or obsolete (those CASes came before the new store was published, so before
 * any writer on it read {@code feed}), restarts, and, having read the obsolete mark (an acquire of
 * a release store made after the new store's), reads the new store.
 *
 * <p><b>Seeded faults and counters.</b> Realistic mistakes compiled into the code behind
 * {@code TestHooks.ENABLED} (a {@code static final} that is false unless the JVM is started with
 * {@code -Darboretum.testHooks=true}), so the Lincheck suite can show that it catches each; and
 * structure events counted for tests: {@code pma.redistribute} (also counted as
 * {@link TestHooks#REDISTRIBUTE}), {@code pma.grow} (also {@link TestHooks#SPLIT}) and
 * {@code pma.shrink} (also {@link TestHooks#MERGE}).
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 */
public class PackedMemoryArrayMap<K, V> extends AbstractIndexMap<K, V>
        implements ChangeObservable<K, V>, Serializable {
    private static final long serialVersionUID = 1L;

    /** The smallest segment size accepted by {@link Builder#segmentSize(int)}. */
    public static final int MIN_SEGMENT_SIZE = 4;
    /** The largest segment size accepted by {@link Builder#segmentSize(int)}. */
    public static final int MAX_SEGMENT_SIZE = 4096;
    /** The smallest segment size chosen when none is fixed. */
    static final int ADAPTIVE_MIN = 16;
    /** The largest segment size chosen when none is fixed. */
    static final int ADAPTIVE_MAX = 256;

    /** Event: a window was redistributed. */
    static final String EVENT_REDISTRIBUTE = "pma.redistribute";
    /** Event: the array grew. */
    static final String EVENT_GROW = "pma.grow";
    /** Event: the array shrank. */
    static final String EVENT_SHRINK = "pma.shrink";

    // ------------------------------------------------------------------ seeded faults (tests only)

    /** Fault: a rebalance writes the window's segments having latched only the one it started from. */
    static final String REBALANCE_MOVE_BEFORE_LATCH = TestHooks.declareFault("pma.rebalance.moveBeforeLatch",
            "a rebalance redistributes its window holding only the latch of the segment the write started in,"
                    + " so readers of the other segments validate reads of cells that are being moved and writers"
                    + " of those segments write into cells the rebalance is overwriting");
    /** Fault: a lookup trusts what it read in a segment without the optimistic-read protocol. */
    static final String GET_SKIP_VALIDATION = TestHooks.declareFault("pma.get.skipValidation",
            "get reads a segment without the optimistic-read protocol (it neither waits out a writer holding"
                    + " the latch nor validates the version afterwards), so it can return a value from the middle of"
                    + " a shift or a redistribution");
    /** Fault: a writer does not check, under its latch, that the segment still owns the key. */
    static final String WRITE_SKIP_OWNER_CHECK = TestHooks.declareFault("pma.write.skipOwnerCheck",
            "a write latches the segment its optimistic search found and writes there without checking that"
                    + " the segment still owns the key, so after a concurrent redistribution the key lands out of"
                    + " order or twice");
    /** Fault: a resize releases the old latches without marking them obsolete. */
    static final String RESIZE_SKIP_OBSOLETE = TestHooks.declareFault("pma.resize.skipObsolete",
            "a resize publishes the new array but releases the old segments' latches without marking them"
                    + " obsolete, so a writer waiting on an old latch writes into the abandoned array: the write is"
                    + " lost");
    /** The segment size fixed by the builder, or 0 for the adaptive size. */
    private final int segmentSetting;
    /** The key encoder given by the user, or null. */
    private final KeyEncoder<K> keyEncoder;
    /** The comparator given by the user, or null. */
    private final Comparator<? super K> userComparator;
    /** The current array; read with acquire, written with release (see the VarHandle block). */
    private transient volatile Store store;
    /**
     * The change feed, or null until the first {@link #subscribe}; then never reset. Every write
     * that changes a mapping reads it once, under the latches of its change ({@link #publishChange}).
     */
    private transient volatile ChangeFeed<K, V> feed;
    /** Number of entries. */
    private final transient LongAdder count = new LongAdder();
    /** Serializes the choice of the codec at the first insert of a natural-order map. */
    private final transient Object decideLock = new Object();
    /** Whether redistributions follow the adaptive policy (tests compare it with even redistribution). */
    private final boolean adaptive;
    /** Entries written by redistributions and resizes, for tests; one add per redistribution. */
    private final transient LongAdder moved = new LongAdder();

    // ------------------------------------------------------------------ construction

    /**
     * Creates an empty map ordered by the keys' natural ordering. {@code Long}, {@code Integer},
     * {@code Short}, {@code Byte} and {@code Character} keys are stored as primitive {@code long}s.
     */
    public PackedMemoryArrayMap() {
        this(0, null, null);
    }

    /**
     * Creates an empty map ordered by {@code comparator}; keys are stored as objects.
     *
     * @param comparator the key order, or null for natural ordering
     */
    public PackedMemoryArrayMap(Comparator<? super K> comparator) {
        this(0, comparator, null);
    }

    /**
     * Creates a map with the mappings of {@code m}, ordered by the keys' natural ordering.
     *
     * @param m the mappings to copy
     * @throws NullPointerException if {@code m} or any of its keys or values is null
     * @throws ClassCastException if the keys cannot be compared with each other
     */
    public PackedMemoryArrayMap(Map<? extends K, ? extends V> m) {
        this(0, null, null);
        putAll(m);
    }

    /**
     * Creates a map with the mappings and the ordering of {@code m}.
     *
     * @param m the sorted map whose mappings and ordering to copy
     * @throws NullPointerException if {@code m} or any of its keys or values is null
     */
    public PackedMemoryArrayMap(SortedMap<K, ? extends V> m) {
        this(0, m.comparator(), null);
        putAll(m);
    }

    PackedMemoryArrayMap(int segmentSetting, Comparator<? super K> comparator, KeyEncoder<K> encoder) {
        this(segmentSetting, comparator, encoder, true);
    }

    PackedMemoryArrayMap(int segmentSetting, Comparator<? super K> comparator, KeyEncoder<K> encoder,
                         boolean adaptive) {
        this.adaptive = adaptive;
        if (segmentSetting != 0) {
            checkSegmentSize(segmentSetting);
        }
        this.segmentSetting = segmentSetting;
        this.userComparator = comparator;
        this.keyEncoder = encoder;
        Codec c = encoder != null ? Codec.forEncoder(encoder) : Codec.forComparator(comparator);
        setStoreRelease(emptyStore(c));
    }

    private static void checkSegmentSize(int s) {
        if (s < MIN_SEGMENT_SIZE || s > MAX_SEGMENT_SIZE) {
            throw new IllegalArgumentException("segmentSize must be between " + MIN_SEGMENT_SIZE + " and "
                    + MAX_SEGMENT_SIZE + " cells, was " + s);
        }
    }

    /**
     * Starts a builder for a map with non-default settings.
     *
     * @param <K> the type of keys
     * @param <V> the type of values
     * @return a new builder
     */
    public static <K, V> Builder<K, V> builder() {
        return new Builder<>();
    }

    /**
     * Settings for a {@link PackedMemoryArrayMap}.
     *
     * @param <K> the type of keys
     * @param <V> the type of values
     */
    public static final class Builder<K, V> {
        private int segmentSize;
        private Comparator<? super K> comparator;
        private KeyEncoder<K> encoder;

        private Builder() {
        }

        /**
         * Fixes the number of cells per segment (by default it follows about log2 of the array's
         * size, from 16 to 256). Small sizes make tests rebalance and resize with few keys.
         *
         * @param segmentSize from {@value #MIN_SEGMENT_SIZE} to {@value #MAX_SEGMENT_SIZE}
         * @return this builder
         * @throws IllegalArgumentException if the size is out of range
         */
        public Builder<K, V> segmentSize(int segmentSize) {
            checkSegmentSize(segmentSize);
            this.segmentSize = segmentSize;
            return this;
        }

        /**
         * Orders keys by {@code comparator} (keys stored as objects); null means natural ordering.
         *
         * @param comparator the key order, or null
         * @return this builder
         * @throws IllegalArgumentException if a key encoder was set
         */
        public Builder<K, V> comparator(Comparator<? super K> comparator) {
            if (comparator != null && encoder != null) {
                throw new IllegalArgumentException("comparator cannot be combined with keyEncoder " + encoder
                        + ": the encoder already defines the order");
            }
            this.comparator = comparator;
            return this;
        }

        /**
         * Orders keys by an order-preserving encoding; keys are stored as primitive {@code long}s when
         * its {@link KeyEncoder#fixedLength()} is 1 to 8, as objects in its comparator's order otherwise.
         *
         * @param encoder the key encoder
         * @return this builder
         * @throws NullPointerException if {@code encoder} is null
         * @throws IllegalArgumentException if a comparator was set
         */
        public Builder<K, V> keyEncoder(KeyEncoder<K> encoder) {
            Objects.requireNonNull(encoder, "null encoder");
            if (comparator != null) {
                throw new IllegalArgumentException("keyEncoder cannot be combined with comparator " + comparator
                        + ": the encoder defines the order");
            }
            this.encoder = encoder;
            return this;
        }

        /**
         * Creates the map.
         *
         * @return a new, empty map with these settings
         */
        public PackedMemoryArrayMap<K, V> build() {
            return new PackedMemoryArrayMap<>(segmentSize, comparator, encoder);
        }
    }

    // ------------------------------------------------------------------ geometry

    /** A one-segment store for the codec. */
    private Store emptyStore(Codec c) {
        return new Store(c, segmentSizeFor(0), 1);
    }

    /** The segment size for an array about to hold {@code n} entries. */
    private int segmentSizeFor(long n) {
        if (segmentSetting != 0) {
            return segmentSetting;
        }
        long cells = Math.max(2, (long) (n / Store.TARGET));
        int bits = 64 - Long.numberOfLeadingZeros(cells - 1); // ceil(log2(cells))
        int s = Integer.highestOneBit(Math.max(1, bits - 1)) << 1; // next power of two >= bits
        return Math.max(ADAPTIVE_MIN, Math.min(ADAPTIVE_MAX, s));
    }

    /** The number of segments for {@code n} entries in segments of {@code s} cells: density in (0.25, 0.5]. */
    static int segmentCountFor(long n, int s) {
        double segs = Math.ceil(n / (s * Store.TARGET));
        if (segs <= 1) {
            return 1;
        }
        long m = Long.highestOneBit((long) segs - 1) << 1;
        return (int) Math.min(1 << 30, m);
    }

    // ------------------------------------------------------------------ exceptions used for control

    /** Thrown inside optimistic reads when a value read cannot be trusted; never escapes. */
    static final class Restart extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Restart() {
            super(null, null, false, false);
        }
    }

    static final Restart RESTART = new Restart();

    /** Returned by the internal steps when the operation must start again. */
    private static final Object RETRY = new Object();
    /** Comparison result meaning "restart". */
    static final int RETRY_CMP = Integer.MIN_VALUE;

    // ------------------------------------------------------------------ key helpers

    /** The prefix of {@code key} in exact mode, 0 in object mode (after the natural-order check). */
    static long prefixOf(Codec c, Object key) {
        if (c.exact()) {
            return c.prefix(key);
        }
        if (c.undecided && !(key instanceof Comparable)) {
            throw Codec.notComparable(key);
        }
        return 0L;
    }

    /**
     * The sign of (key in cell - key). In object mode the cell may be read racily: a null cell
     * throws {@link #RESTART}; the comparator's exceptions propagate (callers validate first).
     */
    static int cmpCell(Store st, int cell, Object key, long kp) {
        if (st.lkeys != null) {
            return Long.compare(st.lkeys[cell], kp);
        }
        Object k = st.okeys[cell];
        if (k == null) {
            throw RESTART;
        }
        return st.codec.compare(k, key);
    }

    /**
     * Binary search of segment {@code j}'s {@code cnt} entries: the index of the key, or
     * {@code -(insertion point) - 1}. {@code cnt} must already be bounded by the segment size.
     */
    static int find(Store st, int j, int cnt, Object key, long kp) {
        int base = j * st.segSize;
        int lo = 0;
        int hi = cnt - 1;
        if (st.lkeys != null) {
            long[] ks = st.lkeys;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                long mk = ks[base + mid];
                if (mk < kp) {
                    lo = mid + 1;
                } else if (mk > kp) {
                    hi = mid - 1;
                } else {
                    return mid;
                }
            }
            return -(lo + 1);
        }
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = cmpCell(st, base + mid, key, kp);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -(lo + 1);
    }

    /** The key in a cell, as the user sees it. Call only after validation or under a latch. */
    @SuppressWarnings("unchecked")
    private static <K> K keyAt(Store st, int cell) {
        return st.lkeys != null ? (K) st.codec.decode(st.lkeys[cell]) : (K) st.okeys[cell];
    }

    /** The index's hint for the owner of a key. */
    private static int hint(Store st, Object key, long kp) {
        return st.lkeys != null ? st.searchExact(kp) : st.searchObject(key);
    }

    /**
     * The sign of (first key of segment s - key), read under a validated optimistic read of s, or
     * {@link #RETRY_CMP} if s's store is obsolete.
     */
    static int cmpFirst(Store st, int s, Object key, long kp) {
        HybridLatch l = st.latches[s];
        for (;;) {
            long v = l.optimisticRead();
            if (v == HybridLatch.RESTART) {
                return RETRY_CMP;
            }
            try {
                int cnt = st.counts[s];
                if (cnt <= 0 || cnt > st.segSize) {
                    if (l.validate(v)) {
                        throw new IllegalStateException("segment " + s + " holds " + cnt + " entries");
                    }
                    continue;
                }
                int c = cmpCell(st, s * st.segSize, key, kp);
                if (l.validate(v)) {
                    return c;
                }
            } catch (RuntimeException e) {
                if (e != RESTART && l.validate(v)) {
                    throw e;
                }
            }
        }
    }

    /**
     * Walks from the index's hint to the segment that owns {@code key}, under validated optimistic
     * reads: the result owned the key at some instant during the call. -1 if the store is obsolete.
     */
    static int locate(Store st, Object key, long kp) {
        int j = hint(st, key, kp);
        for (;;) {
            HybridLatch l = st.latches[j];
            long v = l.optimisticRead();
            if (v == HybridLatch.RESTART) {
                return -1;
            }
            try {
                int cnt = st.counts[j];
                if (cnt < 0 || cnt > st.segSize) {
                    continue; // torn read: validation would fail
                }
                if (j > 0 && (cnt == 0 || cmpCell(st, j * st.segSize, key, kp) > 0)) {
                    if (l.validate(v)) {
                        j--; // the key lies below this segment's first key
                    }
                    continue;
                }
                if (j < st.segCount - 1 && (cnt == 0 || cmpCell(st, j * st.segSize + cnt - 1, key, kp) < 0)) {
                    int c = cmpFirst(st, j + 1, key, kp);
                    if (c == RETRY_CMP) {
                        return -1;
                    }
                    if (c <= 0) {
                        if (l.validate(v)) {
                            j++;
                        }
                        continue;
                    }
                }
                if (l.validate(v)) {
                    return j;
                }
            } catch (RuntimeException e) {
                if (e != RESTART && l.validate(v)) {
                    throw e;
                }
            }
        }
    }

    // ------------------------------------------------------------------ reads

    /**
     * Returns the value mapped to {@code key}. Linearizable: at the validation of the segment read.
     *
     * @param key the key
     * @return the value, or null if absent
     * @throws NullPointerException if {@code key} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    @SuppressWarnings("unchecked")
    public V get(Object key) {
        Objects.requireNonNull(key, "null key");
        for (;;) {
            Store st = storeAcquire();
            long kp = prefixOf(st.codec, key);
            Object r = getIn(st, key, kp);
            if (r != RETRY) {
                return (V) r;
            }
        }
    }

    private static Object getIn(Store st, Object key, long kp) {
        int j = hint(st, key, kp);
        int segSize = st.segSize;
        // The seeded fault: read the segment as if no writer could be in it (no wait, no validation).
        boolean trusting = TestHooks.ENABLED && TestHooks.faultActive(GET_SKIP_VALIDATION);
        for (;;) {
            HybridLatch l = st.latches[j];
            long v = trusting ? 0L : l.optimisticRead();
            if (v == HybridLatch.RESTART) {
                return RETRY;
            }
            try {
                int cnt = st.counts[j];
                if (cnt < 0 || cnt > segSize) {
                    continue; // torn: the next optimistic read waits for the writer
                }
                int r = find(st, j, cnt, key, kp);
                if (r >= 0) {
                    Object val = st.vals[j * segSize + r];
                    if (trusting || l.validate(v)) {
                        return val;
                    }
                    continue;
                }
                int ins = -r - 1;
                if (ins == 0 && j > 0) {
                    if (trusting || l.validate(v)) {
                        j--; // below this segment's first key (or an empty segment: a torn read)
                    }
                    continue;
                }
                if (ins == cnt && j < st.segCount - 1) {
                    int c = cmpFirst(st, j + 1, key, kp);
                    if (c == RETRY_CMP) {
                        return RETRY;
                    }
                    if (c <= 0) {
                        if (trusting || l.validate(v)) {
                            j++; // the next segment owns the key
                        }
                        continue;
                    }
                }
                // j owns the key and does not hold it; j + 1's first key was above it while j was
                // unchanged, so the key was absent from the whole map at that instant.
                if (trusting || l.validate(v)) {
                    return null;
                }
            } catch (RuntimeException e) {
                if (e != RESTART && (trusting || l.validate(v))) {
                    throw e;
                }
            }
        }
    }

    /** Reads the entry at {@code cell} of segment {@code s} under a validated read; null to restart. */
    private static <K, V> Map.Entry<K, V> entryOfSegment(Store st, int s, boolean last) {
        HybridLatch l = st.latches[s];
        for (;;) {
            long v = l.optimisticRead();
            if (v == HybridLatch.RESTART) {
                return null;
            }
            int cnt = st.counts[s];
            if (cnt <= 0 || cnt > st.segSize) {
                if (l.validate(v)) {
                    return cnt == 0 && st.segCount == 1 ? emptyMarker() : null;
                }
                continue;
            }
            int cell = s * st.segSize + (last ? cnt - 1 : 0);
            long lk = st.lkeys != null ? st.lkeys[cell] : 0L;
            Object ok = st.okeys != null ? st.okeys[cell] : null;
            Object val = st.vals[cell];
            if (l.validate(v)) {
                return snapshot(st, lk, ok, val);
            }
        }
    }

    private static final SimpleImmutableEntry<Object, Object> EMPTY_MARK = new SimpleImmutableEntry<>(null, null);

    @SuppressWarnings("unchecked")
    private static <K, V> Map.Entry<K, V> emptyMarker() {
        return (Map.Entry<K, V>) (Map.Entry<?, ?>) EMPTY_MARK;
    }

    @SuppressWarnings("unchecked")
    private static <K, V> Map.Entry<K, V> snapshot(Store st, long lk, Object ok, Object val) {
        Object k = st.lkeys != null ? st.codec.decode(lk) : ok;
        return new SimpleImmutableEntry<>((K) k, (V) val);
    }

    @Override
    protected Map.Entry<K, V> findNear(K key, int relation) {
        for (;;) {
            Store st = storeAcquire();
            Map.Entry<K, V> e;
            if (key == null) {
                boolean last = relation == LT || relation == LE;
                e = entryOfSegment(st, last ? st.segCount - 1 : 0, last);
                if (e == EMPTY_MARK) {
                    return null;
                }
            } else {
                long kp = prefixOf(st.codec, key);
                e = nearIn(st, key, kp, relation);
                if (e == EMPTY_MARK) {
                    return null;
                }
            }
            if (e != null) {
                return e;
            }
        }
    }

    /** findNear on one store: an entry, {@link #EMPTY_MARK} for none, or null to restart. */
    private static <K, V> Map.Entry<K, V> nearIn(Store st, Object key, long kp, int relation) {
        int j = hint(st, key, kp);
        int segSize = st.segSize;
        for (;;) {
            HybridLatch l = st.latches[j];
            long v = l.optimisticRead();
            if (v == HybridLatch.RESTART) {
                return null;
            }
            try {
                int cnt = st.counts[j];
                if (cnt < 0 || cnt > segSize) {
                    continue;
                }
                int r = find(st, j, cnt, key, kp);
                int ins = r >= 0 ? r : -r - 1;
                if (r < 0 && ins == 0 && j > 0) {
                    if (l.validate(v)) {
                        j--;
                    }
                    continue;
                }
                if (r < 0 && ins == cnt && j < st.segCount - 1) {
                    int c = cmpFirst(st, j + 1, key, kp);
                    if (c == RETRY_CMP) {
                        return null;
                    }
                    if (c <= 0) {
                        if (l.validate(v)) {
                            j++;
                        }
                        continue;
                    }
                }
                // j owns the key. The answer's index in j:
                int idx;
                if (relation == GE) {
                    idx = ins;
                } else if (relation == GT) {
                    idx = r >= 0 ? r + 1 : ins;
                } else if (relation == LE) {
                    idx = r >= 0 ? r : ins - 1;
                } else {
                    idx = ins - 1;
                }
                if (idx >= 0 && idx < cnt) {
                    int cell = j * segSize + idx;
                    long lk = st.lkeys != null ? st.lkeys[cell] : 0L;
                    Object ok = st.okeys != null ? st.okeys[cell] : null;
                    Object val = st.vals[cell];
                    if (l.validate(v)) {
                        return snapshot(st, lk, ok, val);
                    }
                    continue;
                }
                boolean up = idx >= cnt;
                int s = up ? j + 1 : j - 1;
                if (s < 0 || s >= st.segCount) {
                    if (l.validate(v)) {
                        return emptyMarker();
                    }
                    continue;
                }
                // The answer is the first entry of j + 1 (or the last of j - 1): read it, then check
                // that j did not change meanwhile, so nothing moved between the two.
                Map.Entry<K, V> e = entryOfSegment(st, s, !up);
                if (e == null) {
                    return null;
                }
                if (e != EMPTY_MARK && l.validate(v)) {
                    return e;
                }
            } catch (RuntimeException e) {
                if (e != RESTART && l.validate(v)) {
                    throw e;
                }
            }
        }
    }

    // ------------------------------------------------------------------ change feed

    /**
     * Registers {@code listener} for every change this map commits from now on (see
     * {@link ChangeObservable} and {@link ChangeFeed}). The Kotlin {@code changes} and
     * {@code snapshotThenChanges} flows use it.
     *
     * @param listener called under the writer's segment latches for each change; must not block
     * @return the subscription; closing it unregisters the listener
     * @throws NullPointerException if {@code listener} is null
     */
    @Override
    public ChangeFeed.Subscription subscribe(ChangeListener<? super K, ? super V> listener) {
        return ChangeFeed.subscribe(FEED, this, listener);
    }

    /**
     * The change-feed hook of every single-entry write: called after a mapping changed, before the
     * segment latches that changed it are released, so per key the publications follow commit
     * order (class notes, "Change feed"). {@code key} is the caller's key (a poll's: the key it
     * returns). With no subscriber ever, this is one volatile read of {@link #feed} and a branch;
     * it is small so that the JIT inlines it into the write paths, with {@link ChangeFeed#publish}
     * out of line. The read is volatile and comes after the latch CASes of the write: the
     * store-load pair of {@link ChangeFeed} (a plain read could move before them on ARM).
     */
    @SuppressWarnings("unchecked")
    private void publishChange(Object key, Object oldValue, Object newValue) {
        ChangeFeed<K, V> f = feed; // volatile, after the latch CASes: ChangeFeed's store-load pair
        if (f != null) {
            f.publish((K) key, (V) oldValue, (V) newValue);
        }
    }

    /**
     * {@link #clear}'s hook: a removal for every entry of {@code st}, whose segments are all
     * latched by the caller (so the cells read here are trusted), before the empty store replaces
     * it (class notes, "Change feed").
     */
    private void publishCleared(Store st) {
        ChangeFeed<K, V> f = feed; // volatile, after every latch CAS of the clear
        if (f != null && f.hasListeners()) {
            int segSize = st.segSize;
            for (int s = 0; s < st.segCount; s++) {
                int base = s * segSize;
                for (int x = 0, cnt = st.counts[s]; x < cnt; x++) {
                    f.publish(keyAt(st, base + x), castValue(st.vals[base + x]), null);
                }
            }
        }
    }

    // ------------------------------------------------------------------ writes

    private static final int PUT = 0;
    private static final int PUT_IF_ABSENT = 1;
    private static final int REPLACE = 2;
    private static final int REPLACE_IF = 3;
    private static final int REMOVE = 4;
    private static final int REMOVE_IF = 5;

    /**
     * Maps {@code key} to {@code value}. Linearizable.
     *
     * @param key the key
     * @param value the value
     * @return the previous value, or null
     * @throws NullPointerException if {@code key} or {@code value} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    @SuppressWarnings("unchecked")
    public V put(K key, V value) {
        Objects.requireNonNull(key, "null key");
        Objects.requireNonNull(value, "null value");
        return (V) write(key, value, null, PUT);
    }

    /**
     * Maps {@code key} to {@code value} unless it is present. Linearizable.
     *
     * @param key the key
     * @param value the value
     * @return the present value, or null if {@code value} was added
     * @throws NullPointerException if {@code key} or {@code value} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    @SuppressWarnings("unchecked")
    public V putIfAbsent(K key, V value) {
        Objects.requireNonNull(key, "null key");
        Objects.requireNonNull(value, "null value");
        return (V) write(key, value, null, PUT_IF_ABSENT);
    }

    /**
     * Replaces the value of {@code key} if present. Linearizable.
     *
     * @param key the key
     * @param value the new value
     * @return the previous value, or null if absent
     * @throws NullPointerException if {@code key} or {@code value} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    @SuppressWarnings("unchecked")
    public V replace(K key, V value) {
        Objects.requireNonNull(key, "null key");
        Objects.requireNonNull(value, "null value");
        return (V) write(key, value, null, REPLACE);
    }

    /**
     * Replaces the value of {@code key} if it is {@code oldValue} (by {@code equals}). Linearizable.
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
        return write(key, newValue, oldValue, REPLACE_IF) == Boolean.TRUE;
    }

    /**
     * Removes the mapping of {@code key}. Linearizable.
     *
     * @param key the key
     * @return the removed value, or null if absent
     * @throws NullPointerException if {@code key} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    @SuppressWarnings("unchecked")
    public V remove(Object key) {
        Objects.requireNonNull(key, "null key");
        return (V) write(key, null, null, REMOVE);
    }

    /**
     * Removes the mapping of {@code key} if its value is {@code value} (by {@code equals}).
     * Linearizable.
     *
     * @param key the key
     * @param value the expected value
     * @return whether the mapping was removed
     * @throws NullPointerException if {@code key} is null
     * @throws ClassCastException if {@code key} cannot be compared with the map's keys
     */
    @Override
    public boolean remove(Object key, Object value) {
        Objects.requireNonNull(key, "null key");
        if (value == null) {
            return false;
        }
        return write(key, null, value, REMOVE_IF) == Boolean.TRUE;
    }

    /** A conflict on a try-lock: the operation restarts, latching a window of this level up front. */
    private static final class Conflict {
        final int level;

        Conflict(int level) {
            this.level = level;
        }
    }

    /** The one write loop of every single-key write: see the class notes, "Insert". */
    private Object write(Object key, Object value, Object expect, int op) {
        int want = 0;
        for (int round = 0; ; round++) {
            Store st = storeAcquire();
            if (st.codec.undecided) {
                if (op != PUT && op != PUT_IF_ABSENT) {
                    prefixOf(st.codec, key); // the natural-order check; the map is empty
                    return op == REPLACE_IF || op == REMOVE_IF ? Boolean.FALSE : null;
                }
                decide(st, key);
                continue;
            }
            long kp = prefixOf(st.codec, key);
            int j = locate(st, key, kp);
            if (j < 0) {
                continue;
            }
            int a = j;
            int b = j + 1;
            if (want > 0) {
                int w = Math.min(1 << Math.min(want, st.height), st.segCount);
                a = j & -w;
                b = a + w;
            }
            if (!lockRange(st, a, b)) {
                continue;
            }
            Object r = writeLocked(st, a, b, j, key, kp, value, expect, op);
            if (r instanceof Conflict) {
                want = ((Conflict) r).level;
                HybridLatch.backOff(round);
                continue;
            }
            if (r != RETRY) {
                return r;
            }
        }
    }

    /** Chooses the codec of a natural-order map at its first insert; replaces the empty store. */
    private void decide(Store st, Object key) {
        Codec c = Codec.forFirstKey(key);
        synchronized (decideLock) {
            if (storeAcquire() != st) {
                return;
            }
            HybridLatch l = st.latches[0];
            if (!l.lockExclusive()) {
                return;
            }
            // The undecided store is empty: every write decides before it stores anything.
            setStoreRelease(emptyStore(c));
            l.unlockExclusiveObsolete();
        }
    }

    /** Latches segments [a, b) left to right, blocking; false (holding none) if the store is obsolete. */
    private static boolean lockRange(Store st, int a, int b) {
        for (int s = a; s < b; s++) {
            if (!st.latches[s].lockExclusive()) {
                unlockRange(st, a, s);
                return false;
            }
        }
        return true;
    }

    private static void unlockRange(Store st, int a, int b) {
        for (int s = a; s < b; s++) {
            st.latches[s].unlockExclusive();
        }
    }

    /**
     * Whether segment j owns the key, with [a, b) (containing j) latched: its first key is not
     * above the key, and the next segment's first key is above it. May return RETRY_CMP-like false.
     */
    private static boolean owns(Store st, int a, int b, int j, int cnt, int r, Object key, long kp) {
        if (TestHooks.ENABLED && TestHooks.faultActive(WRITE_SKIP_OWNER_CHECK)) {
            return true;
        }
        if (r >= 0) {
            return true;
        }
        int ins = -r - 1;
        if (ins == 0 && j > 0) {
            return false;
        }
        if (ins == cnt && j < st.segCount - 1) {
            int c;
            if (j + 1 < b) {
                c = cmpCell(st, (j + 1) * st.segSize, key, kp); // latched: stable
            } else {
                // Optimistic read of j + 1: while j is latched its first key can only grow (class
                // notes, Insert, step 2), so a validated "above the key" stays true.
                c = cmpFirst(st, j + 1, key, kp);
                if (c == RETRY_CMP) {
                    return false;
                }
            }
            return c > 0;
        }
        return true;
    }

    /**
     * Performs a write with segments [a, b) latched, j among them. Releases every latch it holds
     * before returning: the result, RETRY, or a Conflict.
     */
    private Object writeLocked(Store st, int a, int b, int j, Object key, long kp, Object value, Object expect,
                               int op) {
        int segSize = st.segSize;
        int base = j * segSize;
        int cnt = st.counts[j];
        int r;
        try {
            r = find(st, j, cnt, key, kp);
            if (!owns(st, a, b, j, cnt, r, key, kp)) {
                unlockRange(st, a, b);
                return RETRY;
            }
        } catch (RuntimeException | Error e) {
            unlockRange(st, a, b); // a comparator's exception: nothing was changed
            throw e;
        }
        Object old = r >= 0 ? st.vals[base + r] : null;
        switch (op) {
            case PUT:
                if (r >= 0) {
                    st.vals[base + r] = value;
                    publishChange(key, old, value); // j latched: before the unlock, in commit order
                    unlockRange(st, a, b);
                    return old;
                }
                return insert(st, a, b, j, -r - 1, key, kp, value);
            case PUT_IF_ABSENT:
                if (r >= 0) {
                    unlockRange(st, a, b);
                    return old;
                }
                return insert(st, a, b, j, -r - 1, key, kp, value);
            case REPLACE:
                if (r >= 0) {
                    st.vals[base + r] = value;
                    publishChange(key, old, value); // j latched: before the unlock, in commit order
                }
                unlockRange(st, a, b);
                return old;
            case REPLACE_IF:
                if (r < 0 || !valueEquals(st, a, b, old, expect)) {
                    unlockRange(st, a, b);
                    return Boolean.FALSE;
                }
                st.vals[base + r] = value;
                publishChange(key, old, value); // j latched: before the unlock, in commit order
                unlockRange(st, a, b);
                return Boolean.TRUE;
            case REMOVE:
                if (r < 0) {
                    unlockRange(st, a, b);
                    return null;
                }
                return delete(st, a, b, j, r, key, old, old);
            default: // REMOVE_IF
                if (r < 0 || !valueEquals(st, a, b, old, expect)) {
                    unlockRange(st, a, b);
                    return Boolean.FALSE;
                }
                return delete(st, a, b, j, r, key, old, Boolean.TRUE);
        }
    }

    /** {@code expect.equals(old)} under the latches, releasing them if equals throws. */
    private static boolean valueEquals(Store st, int a, int b, Object old, Object expect) {
        try {
            return expect.equals(old);
        } catch (RuntimeException | Error e) {
            unlockRange(st, a, b);
            throw e;
        }
    }

    /** Inserts at position p of segment t, [a, b) latched; the key is absent and t owns it. */
    private Object insert(Store st, int a, int b, int t, int p, Object key, long kp, Object value) {
        int segSize = st.segSize;
        int cnt = st.counts[t];
        if (cnt < segSize) {
            int base = t * segSize;
            shiftRight(st, base + p, base + cnt);
            setCell(st, base + p, key, kp, value);
            st.counts[t] = cnt + 1;
            st.heat[t]++;
            if (p == 0) {
                st.refreshSeparator(t);
            }
            publishChange(key, null, value); // t latched: before the unlock, in commit order
            unlockRange(st, a, b);
            count.increment();
            return null;
        }
        st.heat[t]++;
        Object r = restructure(st, a, b, t, p, true, key, kp, value, null);
        if (r == null) {
            count.increment();
        }
        return r;
    }

    /**
     * Removes position p of segment t, [a, b) latched; returns {@code result} once done. The change
     * is published as {@code key: old -> null}.
     */
    private Object delete(Store st, int a, int b, int t, int p, Object key, Object old, Object result) {
        int cnt = st.counts[t];
        if (st.segCount == 1 || cnt - 1 >= st.lo[0]) {
            int base = t * st.segSize;
            shiftLeft(st, base + p, base + cnt);
            st.counts[t] = cnt - 1;
            if (p == 0 && cnt > 1) {
                st.refreshSeparator(t);
            }
            publishChange(key, old, null); // t latched: before the unlock, in commit order
            unlockRange(st, a, b);
            count.decrement();
            return result;
        }
        Object r = restructure(st, a, b, t, p, false, key, 0L, null, old);
        if (r == null) {
            count.decrement();
            return result;
        }
        return r;
    }

    private static void setCell(Store st, int cell, Object key, long kp, Object value) {
        if (st.lkeys != null) {
            st.lkeys[cell] = kp;
        } else {
            st.okeys[cell] = key;
        }
        st.vals[cell] = value;
    }

    /** Moves cells [from, end) one to the right (end < the segment's end). */
    private static void shiftRight(Store st, int from, int end) {
        if (st.lkeys != null) {
            System.arraycopy(st.lkeys, from, st.lkeys, from + 1, end - from);
        } else {
            System.arraycopy(st.okeys, from, st.okeys, from + 1, end - from);
        }
        System.arraycopy(st.vals, from, st.vals, from + 1, end - from);
    }

    /** Moves cells (from, end) one to the left over {@code from}, and clears cell end - 1. */
    private static void shiftLeft(Store st, int from, int end) {
        if (st.lkeys != null) {
            System.arraycopy(st.lkeys, from + 1, st.lkeys, from, end - from - 1);
        } else {
            System.arraycopy(st.okeys, from + 1, st.okeys, from, end - from - 1);
            st.okeys[end - 1] = null;
        }
        System.arraycopy(st.vals, from + 1, st.vals, from, end - from - 1);
        st.vals[end - 1] = null;
    }

    /**
     * Inserts (or removes) at position p of segment t by redistributing the smallest window within
     * its bounds, with [a, b) latched. Returns null when done, RETRY or a Conflict otherwise; all
     * latches are released in every case. The change, once made, is published as
     * {@code key: old -> value} (an insert: {@code old} null; a removal: {@code value} null).
     */
    private Object restructure(Store st, int a, int b, int t, int p, boolean inserting, Object key, long kp,
                               Object value, Object old) {
        int level = 1;
        boolean unlatched = false; // the seeded fault: window segments written without their latches
        for (;;) {
            if (level > st.height) {
                if (unlatched) {
                    unlockRange(st, t, t + 1);
                } else {
                    unlockRange(st, a, b);
                }
                resize(st, inserting);
                return RETRY;
            }
            int w = 1 << level;
            int wa = t & -w;
            int wb = wa + w;
            long n = 0;
            for (int s = wa; s < wb; s++) {
                n += st.counts[s]; // an estimate for the segments not latched yet; recounted below
            }
            long after = inserting ? n + 1 : n - 1;
            if (after > st.hi[level] || after < st.lo[level]) {
                level++;
                continue;
            }
            if (TestHooks.ENABLED && TestHooks.faultActive(REBALANCE_MOVE_BEFORE_LATCH)) {
                if (!unlatched) {
                    unlockRange(st, a, t);
                    unlockRange(st, t + 1, b);
                    unlatched = true;
                }
            } else if (wa < a || wb > b) {
                // Extend the latched range to the window, left to right, without waiting: a latch
                // to the left of one held must never be waited for (deadlock rule, HybridLatch).
                int na = Math.min(a, wa);
                int nb = Math.max(b, wb);
                int s = na;
                boolean ok = true;
                for (; s < nb; s++) {
                    if (s >= a && s < b) {
                        continue;
                    }
                    if (!st.latches[s].tryLockExclusive()) {
                        ok = false;
                        break;
                    }
                }
                if (!ok) {
                    for (int u = na; u < s; u++) {
                        if (u < a || u >= b) {
                            st.latches[u].unlockExclusive();
                        }
                    }
                    unlockRange(st, a, b);
                    return new Conflict(level);
                }
                a = na;
                b = nb;
                n = 0;
                for (int u = wa; u < wb; u++) {
                    n += st.counts[u]; // exact now: the whole window is latched
                }
                after = inserting ? n + 1 : n - 1;
                if (after > st.hi[level] || after < st.lo[level]) {
                    level++;
                    continue;
                }
            }
            redistribute(st, wa, level, t, p, inserting, key, kp, value);
            // The whole window is latched (every CAS of it before this volatile read of feed), and
            // the key stays in it until the unlocks below: before them, in commit order.
            publishChange(key, old, value);
            if (unlatched) {
                unlockRange(st, t, t + 1);
            } else {
                unlockRange(st, a, b);
            }
            return null;
        }
    }

    /**
     * Redistributes window [wa, wa + 2^level) with the insert or removal at (t, p) applied; the
     * window is latched (class notes, Insert, step 5, and "Adaptive redistribution").
     */
    private void redistribute(Store st, int wa, int level, int t, int p, boolean inserting, Object key,
                                     long kp, Object value) {
        int w = 1 << level;
        int segSize = st.segSize;
        long total = 0;
        for (int s = wa; s < wa + w; s++) {
            total += st.counts[s];
        }
        int n = (int) (inserting ? total + 1 : total - 1);
        long[] lk = st.lkeys != null ? new long[n] : null;
        Object[] ok = st.okeys != null ? new Object[n] : null;
        Object[] vs = new Object[n];
        int q = -1; // rank of the insertion point, for the adaptive policy
        int i = 0;
        for (int s = wa; s < wa + w; s++) {
            int base = s * segSize;
            int cnt = st.counts[s];
            for (int x = 0; x <= cnt; x++) {
                if (s == t && x == p) {
                    if (inserting) {
                        q = i;
                        if (lk != null) {
                            lk[i] = kp;
                        } else {
                            ok[i] = key;
                        }
                        vs[i++] = value;
                    } else {
                        continue; // the removed entry
                    }
                }
                if (x < cnt) {
                    if (lk != null) {
                        lk[i] = st.lkeys[base + x];
                    } else {
                        ok[i] = st.okeys[base + x];
                    }
                    vs[i++] = st.vals[base + x];
                }
            }
        }
        long heatAll = 0;
        for (int s = wa; s < wa + w; s++) {
            heatAll += st.heat[s];
        }
        boolean hot = adaptive && inserting && 2L * st.heat[t] >= heatAll && heatAll > 1;
        int[] alloc = new int[w];
        allocate(st, level, n, hot ? q : -1, alloc, 0);
        moved.add(n);
        i = 0;
        for (int s = 0; s < w; s++) {
            int seg = wa + s;
            int base = seg * segSize;
            int c = alloc[s];
            if (lk != null) {
                System.arraycopy(lk, i, st.lkeys, base, c);
            } else {
                System.arraycopy(ok, i, st.okeys, base, c);
                java.util.Arrays.fill(st.okeys, base + c, base + segSize, null);
            }
            System.arraycopy(vs, i, st.vals, base, c);
            java.util.Arrays.fill(st.vals, base + c, base + segSize, null);
            i += c;
            st.counts[seg] = c;
            st.heat[seg] = 0;
            st.refreshSeparator(seg);
        }
        if (TestHooks.ENABLED) {
            TestHooks.recordEvent(TestHooks.REDISTRIBUTE);
            TestHooks.recordEvent(EVENT_REDISTRIBUTE);
        }
    }

    /**
     * Chooses the counts of the 2^level segments of a window holding n entries. With a hot rank
     * {@code q} (0..n, the insertion point), the half holding q gets as few entries as its bounds
     * allow and the other as many (the split placed at q when it can be); without one (q < 0),
     * even counts. Children always within their bounds when the window is within its own.
     */
    static void allocate(Store st, int level, int n, int q, int[] out, int off) {
        if (level == 0) {
            out[off] = n;
            return;
        }
        int half = 1 << (level - 1);
        int loC = st.lo[level - 1];
        int hiC = st.hi[level - 1];
        int min = Math.max(loC, n - hiC);
        int max = Math.min(hiC, n - loC);
        int left;
        int ql = -1;
        int qr = -1;
        if (min > max) {
            left = n / 2; // cannot happen for a window within bounds; keeps every segment non-empty
        } else if (q < 0) {
            left = Math.max(min, Math.min(max, n / 2));
        } else if (q <= min) {
            left = min; // the insertion point is in the left half: leave the slack there
            ql = q;
        } else if (q > max) {
            left = max; // in the right half
            qr = q - max;
        } else {
            left = q; // between the halves: split right at it, the slack at the end of the left half
            ql = q;
        }
        allocate(st, level - 1, left, ql, out, off);
        allocate(st, level - 1, n - left, qr, out, off + half);
    }

    /**
     * Grows (or shrinks) the array: latches every segment left to right, gathers every entry, and
     * publishes a new store (class notes, "Resize"). Returns without doing anything if another
     * thread replaced the store first.
     */
    private void resize(Store st, boolean growing) {
        int m = st.segCount;
        if (!lockRange(st, 0, m)) {
            return;
        }
        int segSize = st.segSize;
        int n = 0;
        for (int s = 0; s < m; s++) {
            n += st.counts[s];
        }
        long[] lk = st.lkeys != null ? new long[n] : null;
        Object[] ok = st.okeys != null ? new Object[n] : null;
        Object[] vs = new Object[n];
        int i = 0;
        for (int s = 0; s < m; s++) {
            int base = s * segSize;
            int cnt = st.counts[s];
            if (lk != null) {
                System.arraycopy(st.lkeys, base, lk, i, cnt);
            } else {
                System.arraycopy(st.okeys, base, ok, i, cnt);
            }
            System.arraycopy(st.vals, base, vs, i, cnt);
            i += cnt;
        }
        long target = growing ? n + 1L : Math.max(0, n - 1L);
        int newSize = segmentSizeFor(target);
        int newCount = segmentCountFor(target, newSize);
        if ((long) newSize * newCount == (long) segSize * m) {
            // Same capacity: force the step the caller needs, so that it cannot loop.
            newSize = segSize;
            newCount = growing ? m * 2 : Math.max(1, m / 2);
        }
        while (newCount > 1 && newCount > n) {
            newCount >>= 1; // every segment of a multi-segment array holds an entry
        }
        while ((long) newCount * newSize < n + (growing ? 1L : 0L)) {
            newCount <<= 1;
        }
        Store ns = build(st.codec, newSize, newCount, lk, ok, vs, n);
        moved.add(n);
        // No change feed publication: a resize changes no mapping, and every change made in the old
        // array was published under a latch this resize took afterwards, so before this store.
        setStoreRelease(ns); // published before the old latches turn obsolete (class notes, Resize)
        boolean keep = TestHooks.ENABLED && TestHooks.faultActive(RESIZE_SKIP_OBSOLETE);
        for (int s = 0; s < m; s++) {
            if (keep) {
                st.latches[s].unlockExclusive();
            } else {
                st.latches[s].unlockExclusiveObsolete();
            }
        }
        if (TestHooks.ENABLED) {
            // The shared counters too, so the Lincheck structure probe sees a resize: growth
            // splits the array into more cells, shrinking merges it into fewer.
            boolean grew = newCount * newSize > m * segSize;
            TestHooks.recordEvent(grew ? EVENT_GROW : EVENT_SHRINK);
            TestHooks.recordEvent(grew ? TestHooks.SPLIT : TestHooks.MERGE);
        }
    }

    /** A store of the given geometry holding the n sorted entries, evenly distributed. */
    private static Store build(Codec codec, int segSize, int segCount, long[] lk, Object[] ok, Object[] vs, int n) {
        Store ns = new Store(codec, segSize, segCount);
        int[] alloc = new int[segCount];
        allocate(ns, ns.height, n, -1, alloc, 0);
        int i = 0;
        for (int s = 0; s < segCount; s++) {
            int c = alloc[s];
            int base = s * segSize;
            if (lk != null) {
                System.arraycopy(lk, i, ns.lkeys, base, c);
            } else {
                System.arraycopy(ok, i, ns.okeys, base, c);
            }
            System.arraycopy(vs, i, ns.vals, base, c);
            ns.counts[s] = c;
            i += c;
            ns.refreshSeparator(s);
        }
        return ns;
    }

    // ------------------------------------------------------------------ polls

    @Override
    protected Map.Entry<K, V> pollInRange(K lo, boolean loInclusive, K hi, boolean hiInclusive, boolean highest) {
        int want = 0;
        for (int round = 0; ; round++) {
            Store st = storeAcquire();
            Object from = highest ? hi : lo;
            long kp = 0L;
            int j;
            if (from == null) {
                j = highest ? st.segCount - 1 : 0;
            } else {
                if (st.codec.undecided) {
                    prefixOf(st.codec, from); // the natural-order check; an undecided map is empty
                    if (lo != null && hi != null) {
                        prefixOf(st.codec, highest ? lo : hi);
                    }
                    return null;
                }
                kp = prefixOf(st.codec, from);
                j = locate(st, from, kp);
                if (j < 0) {
                    continue;
                }
            }
            // Latch the owner and its neighbour in the poll's direction, left to right.
            int a = highest ? Math.max(0, j - 1) : j;
            int b = highest ? j + 1 : Math.min(st.segCount, j + 2);
            if (want > 0) {
                int w = Math.min(1 << Math.min(want, st.height), st.segCount);
                a = Math.min(a, j & -w);
                b = Math.max(b, (j & -w) + w);
            }
            if (!lockRange(st, a, b)) {
                continue;
            }
            Object r = pollLocked(st, a, b, j, from, kp, lo, loInclusive, hi, hiInclusive, highest);
            if (r instanceof Conflict) {
                want = ((Conflict) r).level;
                HybridLatch.backOff(round);
                continue;
            }
            if (r != RETRY) {
                @SuppressWarnings("unchecked")
                Map.Entry<K, V> e = (Map.Entry<K, V>) r;
                return e;
            }
        }
    }

    /** pollInRange with [a, b) latched; releases every latch. An entry, null, RETRY or a Conflict. */
    private Object pollLocked(Store st, int a, int b, int j, Object from, long kp, K lo, boolean loInclusive,
                              K hi, boolean hiInclusive, boolean highest) {
        int segSize = st.segSize;
        int t;
        int p;
        try {
            int cnt = st.counts[j];
            if (from != null) {
                int r = find(st, j, cnt, from, kp);
                if (!owns(st, a, b, j, cnt, r, from, kp)) {
                    unlockRange(st, a, b);
                    return RETRY;
                }
                int ins = r >= 0 ? r : -r - 1;
                boolean inclusive = highest ? hiInclusive : loInclusive;
                if (highest) {
                    p = r >= 0 && inclusive ? r : ins - 1;
                } else {
                    p = r >= 0 && !inclusive ? r + 1 : ins;
                }
            } else {
                p = highest ? cnt - 1 : 0;
            }
            t = j;
            if (p < 0 || p >= cnt) {
                t = highest ? j - 1 : j + 1;
                if (t < 0 || t >= st.segCount || st.counts[t] == 0) {
                    unlockRange(st, a, b);
                    return null;
                }
                p = highest ? st.counts[t] - 1 : 0;
            }
            // The candidate must lie within the other bound of the range.
            Object other = highest ? lo : hi;
            if (other != null) {
                long op = st.lkeys != null ? prefixOf(st.codec, other) : 0L;
                int c = cmpCell(st, t * segSize + p, other, op);
                boolean inside = highest ? (loInclusive ? c >= 0 : c > 0) : (hiInclusive ? c <= 0 : c < 0);
                if (!inside) {
                    unlockRange(st, a, b);
                    return null;
                }
            }
        } catch (RuntimeException | Error e) {
            unlockRange(st, a, b);
            throw e;
        }
        int cell = t * segSize + p;
        Map.Entry<K, V> e = new SimpleImmutableEntry<>(keyAt(st, cell), castValue(st.vals[cell]));
        return delete(st, a, b, t, p, e.getKey(), e.getValue(), e);
    }

    @SuppressWarnings("unchecked")
    private static <V> V castValue(Object v) {
        return (V) v;
    }

    // ------------------------------------------------------------------ whole-map operations

    /**
     * The number of entries; exact only when no write is in flight.
     *
     * @return the number of entries, at most {@code Integer.MAX_VALUE}
     */
    @Override
    public int size() {
        long n = count.sum();
        return n > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) Math.max(0, n);
    }

    /**
     * Removes every entry: latches every segment left to right and replaces the array with an
     * empty one. Linearizable.
     */
    @Override
    public void clear() {
        for (;;) {
            Store st = storeAcquire();
            if (!lockRange(st, 0, st.segCount)) {
                continue;
            }
            long n = 0;
            for (int s = 0; s < st.segCount; s++) {
                n += st.counts[s];
            }
            // Published before the empty store is: from its release store on, writers reach the new
            // store, whose latches this thread does not hold, and may put a key cleared here; that
            // put's publication must come after this removal (class notes, "Change feed").
            publishCleared(st);
            setStoreRelease(emptyStore(st.codec));
            count.add(-n);
            for (int s = 0; s < st.segCount; s++) {
                st.latches[s].unlockExclusiveObsolete();
            }
            return;
        }
    }

    /**
     * The comparator of the key order, or null for natural ordering.
     *
     * @return the comparator, or null
     */
    @Override
    public Comparator<? super K> comparator() {
        return keyEncoder != null ? keyEncoder.comparator() : userComparator;
    }

    // ------------------------------------------------------------------ scans

    /**
     * Copies the next entries of a key range into the arrays: see {@link io.arboretum.map.BatchScannable}.
     * One batch of the map's cursor ({@code PmaCursor}), written into the caller's arrays: each
     * segment's run is read in one validated optimistic read, and moving to the next segment
     * validates the previous one again, so no entry can move between them unseen.
     *
     * @param from the lower bound, or {@code null}
     * @param fromInclusive whether {@code from} is in the range
     * @param to the upper bound, or {@code null}
     * @param toInclusive whether {@code to} is in the range
     * @param descending whether to copy from the high end down
     * @param keys receives the keys
     * @param values receives the values
     * @return the number of entries copied
     */
    @Override
    public int copyBatch(K from, boolean fromInclusive, K to, boolean toInclusive, boolean descending,
                         Object[] keys, Object[] values) {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(values, "values");
        if (keys.length == 0 || values.length < keys.length) {
            throw new IllegalArgumentException("keys must be non-empty and values at least as long, were "
                    + keys.length + " and " + values.length);
        }
        return PmaCursor.copyBatch(this, from, fromInclusive, to, toInclusive, descending, keys, values);
    }

    /**
     * Opens this map's own cursor ({@code PmaCursor}), which keeps its place in the array between
     * batches (the store it read, a segment and a position or the version of the segment before)
     * instead of searching the index for each, and, when keys are stored as primitive
     * {@code long}s, keeps them so and builds a key object only when it is asked for one.
     *
     * @throws IllegalArgumentException {@inheritDoc}
     * @throws ClassCastException {@inheritDoc}
     */
    @Override
    public BatchCursor<K, V> openCursor(K from, boolean fromInclusive, K to, boolean toInclusive,
                                        boolean descending, int maxBatch) {
        return new PmaCursor<>(this, from, fromInclusive, to, toInclusive, descending, maxBatch);
    }

    /**
     * One batch as {@link #copyBatch} copies it, on the current array, but as if the search for
     * the start had answered segment {@code j}: for tests, to replay a search whose answer a write
     * made stale before the scan's first read of the segment.
     *
     * @return the number of entries copied
     */
    int scanFromSegmentForTest(int j, K from, boolean fromInclusive, K to, boolean toInclusive, boolean descending,
                               Object[] keys, Object[] values) {
        return PmaCursor.copyFromSegmentForTest(this, j, from, fromInclusive, to, toInclusive, descending, keys,
                values);
    }

    // ------------------------------------------------------------------ checks

    /**
     * Checks the structure (for tests, on a quiescent map): every segment's count within its size
     * and, when there are several segments, at least one; keys strictly ascending across the whole
     * array; gaps cleared; every window of every level within its density bounds; every search
     * index entry equal to its segment's first key; and the number of entries equal to
     * {@link #size()}.
     *
     * @throws IllegalStateException describing the first violation found
     */
    public void checkInvariants() {
        Store st = storeAcquire();
        int segSize = st.segSize;
        int m = st.segCount;
        long total = 0;
        boolean havePrev = false;
        long prevL = 0L;
        Object prevO = null;
        for (int s = 0; s < m; s++) {
            int cnt = st.counts[s];
            if (cnt < 0 || cnt > segSize || (m > 1 && cnt == 0)) {
                throw new IllegalStateException("segment " + s + " of " + m + " holds " + cnt + " entries (size "
                        + segSize + ")");
            }
            int base = s * segSize;
            for (int x = 0; x < segSize; x++) {
                int cell = base + x;
                if (x < cnt) {
                    if (st.vals[cell] == null || (st.okeys != null && st.okeys[cell] == null)) {
                        throw new IllegalStateException("null key or value in segment " + s + " at " + x);
                    }
                    if (havePrev) {
                        boolean ascending = st.lkeys != null ? prevL < st.lkeys[cell]
                                : st.codec.compare(prevO, st.okeys[cell]) < 0;
                        if (!ascending) {
                            throw new IllegalStateException("keys out of order at segment " + s + ", position " + x
                                    + ": " + (st.lkeys != null ? st.codec.decode(prevL) : prevO) + " then "
                                    + keyAt(st, cell));
                        }
                    }
                    havePrev = true;
                    if (st.lkeys != null) {
                        prevL = st.lkeys[cell];
                    } else {
                        prevO = st.okeys[cell];
                    }
                } else if (st.vals[cell] != null || (st.okeys != null && st.okeys[cell] != null)) {
                    throw new IllegalStateException("gap at segment " + s + ", position " + x + " not cleared");
                }
            }
            total += cnt;
            if (s > 0) {
                int pos = st.sepPos[s];
                boolean same = st.lkeys != null ? st.lsep[pos] == st.lkeys[base] : st.osep[pos] == st.okeys[base];
                if (!same) {
                    throw new IllegalStateException("search index entry of segment " + s + " is not its first key");
                }
            }
        }
        if (m > 1) {
            // Leaf bounds: a segment of a multi-segment array holds 1 to S entries (the lower leaf
            // bound is enforced when a removal would cross it; redistributions stay within the
            // upper bounds of every level on the way down, so no segment overflows). Windows are
            // checked against their bounds on the way up from a segment that overflows or underflows.
            for (int s = 0; s < m; s++) {
                if (st.counts[s] < 1 || st.counts[s] > segSize) {
                    throw new IllegalStateException("segment " + s + " holds " + st.counts[s] + " entries");
                }
            }
        }
        if (total > (long) segSize * m) {
            throw new IllegalStateException("more entries than cells");
        }
        for (int s = 0; s < m; s++) {
            if (st.latches[s].isExclusivelyLatched()) {
                throw new IllegalStateException("segment " + s + " is still latched");
            }
        }
        if (total != count.sum()) {
            throw new IllegalStateException("size " + count.sum() + " but " + total + " entries in the array");
        }
        // The search index agrees with the segments: every key's search ends at its owner.
        for (int s = 1; s < m; s++) {
            int cell = s * segSize;
            int h = st.lkeys != null ? st.searchExact(st.lkeys[cell]) : st.searchObject(st.okeys[cell]);
            if (h != s) {
                throw new IllegalStateException("the search index sends segment " + s + "'s first key to " + h);
            }
        }
    }

    /** Whether keys are stored as primitive longs (exact mode), for tests. */
    boolean storesLongs() {
        return storeAcquire().lkeys != null;
    }

    /** Entries written by redistributions and resizes so far (for tests). */
    long movedEntries() {
        return moved.sum();
    }

    /** The entry counts of the current array's segments (for tests, on a quiescent map). */
    int[] segmentCounts() {
        return storeAcquire().counts.clone();
    }

    /** Segments, segment size, and cells of the current array (for tests). */
    int[] geometry() {
        Store st = storeAcquire();
        return new int[] {st.segCount, st.segSize, st.segCount * st.segSize};
    }

    // ------------------------------------------------------------------ serialization

    /**
     * Writes the map as its settings and its entries in key order.
     *
     * @return the serialization proxy that stands for this map in the stream
     * @throws NotSerializableException if the comparator or key encoder is not {@link Serializable}
     */
    private Object writeReplace() throws NotSerializableException {
        Object order = keyEncoder != null ? keyEncoder : userComparator;
        if (order != null && !(order instanceof Serializable)) {
            throw new NotSerializableException("PackedMemoryArrayMap's " + (keyEncoder != null ? "key encoder " : "comparator ")
                    + order.getClass().getName() + " is not Serializable");
        }
        ArrayList<Object> entries = new ArrayList<>(Math.max(16, 2 * size()));
        for (Map.Entry<K, V> e : entrySet()) {
            entries.add(e.getKey());
            entries.add(e.getValue());
        }
        return new SerializedForm(segmentSetting, userComparator, keyEncoder, entries.toArray());
    }

    /**
     * Refuses a stream that carries the map itself instead of its serialization proxy.
     *
     * @param in the stream
     * @throws InvalidObjectException always: maps are read back only through the proxy
     */
    private void readObject(ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("PackedMemoryArrayMap is deserialized through its serialization proxy");
    }

    /** The serialized state of a map. */
    private static final class SerializedForm implements Serializable {
        private static final long serialVersionUID = 1L;
        private final int segmentSize;
        private final Comparator<?> comparator;
        private final KeyEncoder<?> encoder;
        private final Object[] entries;

        SerializedForm(int segmentSize, Comparator<?> comparator, KeyEncoder<?> encoder, Object[] entries) {
            this.segmentSize = segmentSize;
            this.comparator = comparator;
            this.encoder = encoder;
            this.entries = entries;
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        private Object readResolve() throws InvalidObjectException {
            if ((segmentSize != 0 && (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE))
                    || entries == null || entries.length % 2 != 0 || (comparator != null && encoder != null)) {
                throw new InvalidObjectException("corrupt PackedMemoryArrayMap stream: segmentSize " + segmentSize + ", "
                        + (entries == null ? "no entries" : entries.length + " entry slots"));
            }
            PackedMemoryArrayMap map = new PackedMemoryArrayMap(segmentSize, comparator, encoder);
            for (int i = 0; i < entries.length; i += 2) {
                if (entries[i] == null || entries[i + 1] == null) {
                    throw new InvalidObjectException("corrupt PackedMemoryArrayMap stream: null key or value");
                }
                map.put(entries[i], entries[i + 1]);
            }
            return map;
        }
    }

    // ------------------------------------------------------------------ VarHandle mechanics

    /** The current store, with acquire semantics: its arrays are seen as filled when published. */
    Store storeAcquire() {
        return (Store) STORE.getAcquire(this);
    }

    /** Publishes a new store after filling it (pairs with {@link #storeAcquire()}). */
    private void setStoreRelease(Store st) {
        STORE.setRelease(this, st);
    }

    private static final VarHandle STORE;
    private static final VarHandle FEED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STORE = lookup.findVarHandle(PackedMemoryArrayMap.class, "store", Store.class);
            FEED = lookup.findVarHandle(PackedMemoryArrayMap.class, "feed", ChangeFeed.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
