package io.arboretum.bftree;

import io.arboretum.sync.HybridLatch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A persistent, concurrent, ordered map from byte-string keys to byte-string values, whose data
 * may be larger than its memory budget, and which loses no acknowledged write in a crash
 * (with {@link Durability#SYNC}). Keys are ordered as unsigned bytes, lexicographically (a key
 * that is a prefix of another sorts first); encode typed keys with {@code io.arboretum.keys}.
 *
 * <pre>{@code
 * try (BfTree t = BfTree.create(dir, BfTreeConfig.defaults())) {
 *     t.put(key, value);            // durable when it returns (SYNC)
 *     byte[] v = t.get(key);
 *     try (BfCursor c = t.cursor(from, to)) { while (c.next()) use(c.key(), c.value()); }
 * }
 * }</pre>
 *
 * <p><b>This is the first increment of the Bf-tree</b> (Hao and Chandramouli, VLDB 2024): disk
 * pages, the write-ahead log, checkpoints and recovery, on which the paper's record-level
 * mini-page cache will be built. What is here and what is not is listed at the end of this essay.
 *
 * <h2>Implementation essay</h2>
 *
 * <h3>Structure</h3>
 * <pre>
 *   inner index (memory)           mapping table              page file (disk)
 *   ConcurrentSkipListMap          pid -> Leaf                slot 0 | slot 1 | slot 2 | ...
 *   low fence -> Leaf  ----------> Leaf{pid, low, high,  ---> one leaf image per slot,
 *                                       records if resident,  CRC32C, pid and fences inside
 *                                       slot, dirty}
 *   write-ahead log: wal-&lt;seq&gt;.log segments of records (seq, pid, op, key, value, CRC32C)
 *   checkpoint: lsn, next pid, slot count, (pid, slot, low fence) of every leaf in key order
 * </pre>
 * Each leaf covers the keys {@code [low, high)}; the leaves' fences tile the key space: the first
 * low fence is the empty key, each high fence is the next leaf's low fence, the last has none. A
 * leaf is <em>resident</em> when its records are in memory (sorted arrays, a stand-in for the
 * paper's mini-pages) and is otherwise only in its disk slot. The sum of resident leaves' page
 * sizes is held under {@link BfTreeConfig#memoryBudget()} by second-chance (clock) eviction.
 *
 * <h3>Inner nodes: a simpler correct scheme for now</h3>
 * The inner index is a {@code ConcurrentSkipListMap} from each leaf's low fence to the leaf: a
 * lookup is {@code floorEntry(key)}. It is linearizable and lock-free; the hybrid-latched B+tree
 * inner nodes of the design replace it later behind the same two calls (route a key, publish a
 * split). Routing is then checked against the leaf's fences under the leaf's latch, so a lookup
 * that raced with a split (routed by the old index, latched after the split) notices and routes
 * again: the B-link idea, with fences instead of right links.
 *
 * <h3>Latches</h3>
 * Each leaf has a {@link HybridLatch}. Point reads and scans take it shared and never exclusive
 * when the leaf is resident; a reader that finds the leaf on disk drops its shared latch, takes
 * the exclusive one to load the page, and reads. Writers take it exclusive. A global
 * {@code gate} (read-write lock) is held shared by writers and by eviction while they change a
 * leaf or a slot, and exclusive by a checkpoint, so a checkpoint sees a quiescent tree; readers
 * never take the gate. There are no optimistic reads in this increment: every leaf field is read
 * under the leaf's latch, so no read can see a leaf half-changed. (Optimistic point reads come
 * with the hybrid-latched inner nodes, and will validate before acting on anything they read.)
 *
 * <h3>A write (put, delete, putIfAbsent, replace, and their conditional forms)</h3>
 * <ol>
 *   <li>Check the arguments (NPE for null, IAE for a key or value over the limits).</li>
 *   <li>Take the gate shared; route the key and take the leaf's latch exclusive; load the page if
 *       the leaf is not resident.</li>
 *   <li>Decide (absent? equal to the expected value?). If nothing changes, stop: no log record.</li>
 *   <li>Append the log record (it gets the next sequence number; no I/O yet). The record is
 *       appended <em>before</em> the leaf changes, so a failed log (I/O error) leaves the leaf as
 *       it was; and it is appended under the leaf latch, so the records of one page are in the
 *       order their changes were applied.</li>
 *   <li>Apply it to the leaf (mark dirty). If the leaf no longer fits a page, split it:
 *       allocate a new page id, append a SPLIT record (old pid, separator, new pid), move the
 *       upper half to a new leaf with fences {@code [separator, old high)}, set the old leaf's
 *       high fence to the separator, publish the new leaf in the mapping table and then the inner
 *       index, all before releasing the old leaf's latch.</li>
 *   <li>Release the latch and the gate; then, in SYNC mode, wait for the record to be forced
 *       (group commit); evict if over budget; checkpoint if the log has grown past the policy.</li>
 * </ol>
 * A write is visible to other threads when its latch is released, which may be shortly before it
 * is durable; it is acknowledged (returns) only once durable in SYNC mode.
 *
 * <h3>Navigation: the first entry of a range (ceiling, lower, first, last, the polls)</h3>
 * The answer may lie leaves away from where the range starts, past leaves that deletes emptied
 * (they stay until merges come). Holding one latch after another would deadlock with a reader
 * walking the other way; reading each leaf alone and moving on would miss a key inserted behind
 * the walk. So the walk remembers what it passed and checks it at the end:
 * <ol>
 *   <li>Route the near end of the range (its low bound, or for a descending search its high
 *       bound) to its leaf and latch it shared, as a read does.</li>
 *   <li>If the leaf holds a key of the rest of the range, it is the candidate: go to 3. Otherwise,
 *       if the leaf reaches the far end of the range, the answer is "none": go to 3. Otherwise
 *       remember the leaf and its version (read under the shared latch, so it is the version of
 *       what was just read), move the position to its high fence (descending: its low fence),
 *       release it, and repeat 2 with the leaf there.</li>
 *   <li>Still holding the last leaf's latch, validate every remembered version. If all are
 *       unchanged, every passed leaf still holds nothing of the range and still has the fences
 *       that led to the next, at this very instant, while the latched leaf holds the candidate:
 *       that instant linearizes the search. If one changed, start again from 1.</li>
 *   <li>A poll instead releases the candidate's leaf at 2, takes the gate shared and the leaf at
 *       the position exclusive, finds the range's first entry in it again, validates as in 3, then
 *       logs and applies the delete before releasing: one atomic step.</li>
 * </ol>
 * Validation never waits, and each walk holds one latch at a time, so the search takes no part in
 * any cycle of waits. A writer to a passed leaf makes it start again; under a steady stream of
 * such writes it backs off ({@link HybridLatch#backOff}) between walks.
 *
 * <h3>Eviction</h3>
 * One thread at a time sweeps the mapping table with a clock hand: a leaf whose
 * {@code referenced} bit is set gets a second chance (the bit is cleared); otherwise, if its latch
 * is free, a dirty leaf is written to a <em>new</em> slot (never over a slot the last checkpoint
 * names: see {@link PageFile}), its old slot released, and its records dropped. Nothing is logged:
 * the page file only means something through a checkpoint, and the log still holds every change
 * since the last one.
 *
 * <h3>Checkpoint</h3>
 * <ol>
 *   <li>Take the gate exclusive (no write or eviction in flight).</li>
 *   <li>Force the log and start a new segment at the next sequence number; the lsn of this
 *       checkpoint is the last sequence number; every older segment is covered.</li>
 *   <li>Write every dirty leaf to a new slot; force the page file.</li>
 *   <li>Write the checkpoint file durably: temp file, force, atomic rename, force the directory.</li>
 *   <li>Only now free the slots the previous checkpoint named and no leaf uses any more, and
 *       delete the covered log segments (force the directory).</li>
 * </ol>
 * A crash before step 4's rename leaves the previous checkpoint, its slots untouched, and the
 * whole log since it; after the rename, the new checkpoint and a log whose older segments the
 * reader skips.
 *
 * <h3>Recovery (every open)</h3>
 * <ol>
 *   <li>Check the header, take the file lock.</li>
 *   <li>Read the checkpoint; rebuild the leaves (not resident), the mapping table and the inner
 *       index from it.</li>
 *   <li>Read the log after the checkpoint's lsn ({@link WalReader}): it ends at the first torn or
 *       invalid record at the tail, and reports damage followed by valid records as corruption.</li>
 *   <li>Replay each record <em>by its logical page id</em>: look the id up in the mapping table
 *       (never a disk address: slots move on every eviction and checkpoint), check that the key
 *       lies within that leaf's fences (else corruption), load the leaf if needed, apply. A SPLIT
 *       record splits the leaf at the logged separator into the logged new page id, so fences and
 *       ids after replay are exactly those before the crash; a SPLIT whose new page already
 *       exists with that low fence is skipped. PUT and DELETE set a key's state, so applying a
 *       record twice changes nothing: replay is idempotent.</li>
 *   <li>Cut the torn tail off the last segment; split any leaf that a PUT left too big for a page
 *       because the crash lost its SPLIT record.</li>
 *   <li>Open the log for appending in a fresh segment, and take a checkpoint. Recovery writes
 *       nothing the previous checkpoint depends on before that checkpoint's rename, so a crash
 *       during recovery leaves the same starting point, and the next open recovers again.</li>
 * </ol>
 *
 * <h3>Memory model notes</h3>
 * Leaf fields are ordered by the leaf latch (acquiring CAS to lock, release store to unlock).
 * New leaves are published by the inner index's put and the mapping table's release store after
 * being filled. The memory account is a {@code long} changed with an atomic add and read with
 * acquire (a soft limit: eviction runs after the write that exceeded it). The log's durable
 * sequence number is published with release after the force and read with acquire by waiters.
 * The gate and the log's locks are {@code java.util.concurrent} locks with their usual
 * happens-before edges.
 *
 * <h3>Notation</h3>
 * {@code l} a leaf, {@code r} a new right sibling, {@code k}/{@code v} key and value,
 * {@code i} an index in a leaf, {@code seq} a log sequence number, {@code pid} a logical page id,
 * {@code s} a disk slot.
 *
 * <h3>Not in this increment</h3>
 * Mini-pages in an off-heap circular buffer pool with record-level caching (a resident leaf is a
 * whole page in heap arrays; the budget counts page bytes, not JVM object overhead); hybrid-latched
 * inner nodes; leaf merges (a leaf emptied by deletes stays, with its fences). Checkpoints stop
 * writers while they run. (The typed {@code ConcurrentNavigableMap} view, {@link BfMap}, and the
 * Kotlin layer in {@code index-coroutines} came with the second increment.)
 */
public final class BfTree implements AutoCloseable {
    private final BfDirectory dir;
    private final BfTreeConfig config;
    private final Limits limits;
    private final PageFile pages;
    private final MappingTable table = new MappingTable();
    private final ConcurrentSkipListMap<byte[], Leaf> inner = new ConcurrentSkipListMap<>(Arrays::compareUnsigned);
    /** Shared by writers and eviction, exclusive for a checkpoint and close. Fair, so a checkpoint is not starved. */
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock(true);
    private final ReentrantLock evictLock = new ReentrantLock();
    private final ReentrantLock checkpointLock = new ReentrantLock();
    private WriteAheadLog wal;
    /** Bytes of resident leaves; see accessors. */
    private long residentBytes;
    /** Set once by close; see accessors. */
    private boolean closed;
    /** Clock hand; guarded by evictLock. */
    private int hand;

    private BfTree(BfDirectory dir, BfTreeConfig config, PageFile pages) {
        this.dir = dir;
        this.config = config;
        this.limits = Limits.of(config.pageSize());
        this.pages = pages;
    }

    /**
     * Creates a new, empty tree in {@code dir}, which must not exist or must be empty.
     *
     * @param dir    the directory
     * @param config the settings; its page size is recorded in the directory for good
     * @return the open tree
     * @throws IOException if the directory cannot be created or written, or is not empty
     * @throws IllegalStateException if another process (or this one) holds the directory's lock
     */
    public static BfTree create(Path dir, BfTreeConfig config) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(config, "config");
        int ps = config.pageSize();
        BfDirectory d = BfDirectory.create(dir, ps, dd -> {
            try (PageFile pf = PageFile.open(dd.file(BfDirectory.PAGES), ps, 0, new BitSet())) {
                int s = pf.allocate();
                ByteBuffer b = ByteBuffer.allocate(ps);
                LeafPage.encode(b, ps, 0, new byte[0], null, new byte[0][], new byte[0][], 0);
                pf.write(s, b);
                pf.force();
            }
            dd.replaceDurably(BfDirectory.CHECKPOINT,
                    new Checkpoint(0, 1, 1, new long[] {0}, new int[] {0}, new byte[][] {new byte[0]}).encode());
        });
        return openLocked(d, config);
    }

    /**
     * Opens an existing tree and recovers it: the last checkpoint, then every log record after it,
     * up to the first torn record a crash may have left.
     *
     * @param dir    the directory
     * @param config the settings; its page size must be the directory's
     * @return the open tree
     * @throws IOException if a file cannot be read or written
     * @throws IllegalArgumentException if {@code dir} is not a Bf-tree, is of another format
     *         version, or was created with another page size
     * @throws IllegalStateException if another process (or this one) has it open
     * @throws CorruptIndexException if a file is damaged (not a torn log tail)
     */
    public static BfTree open(Path dir, BfTreeConfig config) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(config, "config");
        BfDirectory d = BfDirectory.open(dir);
        if (d.pageSize != config.pageSize()) {
            d.close();
            throw new IllegalArgumentException("BfTreeConfig: pageSize " + config.pageSize() + " differs from the "
                    + "page size " + d.pageSize + " that " + dir + " was created with");
        }
        return openLocked(d, config);
    }

    private static BfTree openLocked(BfDirectory d, BfTreeConfig config) throws IOException {
        PageFile pf = null;
        BfTree t = null;
        try {
            Path cp = d.file(BfDirectory.CHECKPOINT);
            if (!Files.isRegularFile(cp)) {
                throw new CorruptIndexException(cp, 0, "the checkpoint file is missing");
            }
            Checkpoint c = Checkpoint.decode(Files.readAllBytes(cp), cp, Limits.of(d.pageSize).maxKey);
            pf = PageFile.open(d.file(BfDirectory.PAGES), d.pageSize, c.slotCount, c.referencedSlots());
            t = new BfTree(d, config, pf);
            t.recover(c);
            return t;
        } catch (IOException | RuntimeException | Error e) {
            try {
                if (t != null && t.wal != null) {
                    t.wal.abandon();
                }
                if (pf != null) {
                    pf.close();
                }
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            } finally {
                d.close();
            }
            throw e;
        }
    }

    // ------------------------------------------------------------------ recovery

    private void recover(Checkpoint c) throws IOException {
        int n = c.pids.length;
        for (int i = 0; i < n; i++) {
            Leaf l = new Leaf(c.pids[i], c.lows[i], i + 1 < n ? c.lows[i + 1] : null);
            l.slot = c.slots[i];
            table.install(l);
            inner.put(l.low, l);
        }
        table.reserveThrough(c.nextPid - 1);
        WalReader.Tail tail = WalReader.read(dir.path, c.lsn, WalRecord.BODY_FIXED + limits.maxRecord + 8,
                this::replay);
        WalReader.truncateTail(tail);
        List<Leaf> work = new ArrayList<>(inner.values());
        for (int w = 0; w < work.size(); w++) {
            Leaf l = work.get(w);
            while (l.resident() && l.pageBytes() > limits.pageSize) {
                // A PUT whose SPLIT record the crash lost: split now (the checkpoint below records it).
                int mid = l.splitIndex();
                Leaf r = l.splitOff(mid, l.keys[mid], table.allocatePid());
                publish(r);
                recharge(l);
                work.add(r);
            }
        }
        wal = WriteAheadLog.open(dir, config, tail.lastSeq + 1);
        checkpointNow();
    }

    /** Applies one log record by its logical page id (single-threaded, during open). */
    private void replay(WalRecord r, Path file, long offset) throws IOException {
        Leaf l = table.get(r.pid);
        if (l == null) {
            throw new CorruptIndexException(file, offset, "record " + r.seq + " names logical page " + r.pid
                    + ", which does not exist");
        }
        if (r.key.length > limits.maxKey || (r.op == WalRecord.PUT && r.value.length > limits.maxValue)
                || !l.covers(r.key) || (r.op == WalRecord.SPLIT && Arrays.equals(r.key, l.low))) {
            if (r.op == WalRecord.SPLIT && table.get(r.splitNewPid()) != null
                    && Arrays.equals(table.get(r.splitNewPid()).low, r.key)) {
                return; // this split is already in the state replay started from: idempotent
            }
            throw new CorruptIndexException(file, offset, "record " + r.seq + " (" + r + ") does not fit logical page "
                    + r.pid + "'s fences or size limits");
        }
        l.latch.lockExclusive();
        try {
            if (!l.resident()) {
                load(l);
            }
            switch (r.op) {
                case WalRecord.PUT:
                    l.applyPut(r.key, r.value);
                    break;
                case WalRecord.DELETE:
                    l.applyDelete(r.key);
                    break;
                default: // SPLIT (the reader admits no other operation)
                    long newPid = r.splitNewPid();
                    if (table.get(newPid) != null) {
                        throw new CorruptIndexException(file, offset, "split record " + r.seq + " creates logical page "
                                + newPid + ", which already exists with another fence");
                    }
                    table.reserveThrough(newPid);
                    publish(l.splitOff(l.lowerBound(r.key), r.key, newPid));
                    break;
            }
            recharge(l);
        } finally {
            l.latch.unlockExclusive();
        }
        evictIfNeeded();
    }

    // ------------------------------------------------------------------ reads

    /**
     * The value of {@code key}.
     *
     * @param key the key
     * @return a copy of its value, or null if absent
     * @throws NullPointerException if {@code key} is null
     * @throws IllegalArgumentException if {@code key} is longer than the maximum key size
     * @throws CorruptIndexException if the page holding it is damaged
     * @throws UncheckedIOException if the page cannot be read
     */
    public byte[] get(byte[] key) {
        checkKey(key);
        checkOpen();
        byte[] v = readLeaf(key, false, l -> {
            int i = l.search(key);
            return i >= 0 ? l.values[i] : null;
        });
        evictIfNeeded();
        return v == null ? null : v.clone();
    }

    /** Reads a leaf under its latch: what a {@link #readLeaf} caller does with it. */
    interface LeafReader<T> {
        /** @param l the latched, resident leaf, or null if there is none below the route key */
        T read(Leaf l);
    }

    /**
     * Routes to the leaf covering {@code key} (or, with {@code below}, the leaf holding the keys
     * just below {@code key}; null key: the last leaf), latches it shared (exclusive only to load
     * it from disk), and reads it.
     */
    <T> T readLeaf(byte[] key, boolean below, LeafReader<T> reader) {
        for (;;) {
            Map.Entry<byte[], Leaf> e = !below ? inner.floorEntry(key)
                    : key == null ? inner.lastEntry() : inner.lowerEntry(key);
            if (e == null) {
                return reader.read(null); // below the empty key: nothing
            }
            Leaf l = e.getValue();
            // The shared latch's acquiring CAS pairs with the last writer's releasing unlock, so
            // every field read below is as that writer left it; no writer changes it meanwhile.
            if (!l.latch.lockShared()) {
                continue; // obsolete (not produced in this increment): route again
            }
            if (below ? !l.coversBelow(key) : !l.covers(key)) {
                l.latch.unlockShared(); // a split moved the range after we routed: route again
                continue;
            }
            if (l.resident()) {
                try {
                    l.referenced = true; // benign race: see Leaf.referenced
                    return reader.read(l);
                } finally {
                    l.latch.unlockShared();
                }
            }
            l.latch.unlockShared();
            if (!l.latch.lockExclusive()) {
                continue;
            }
            try {
                if (below ? !l.coversBelow(key) : !l.covers(key)) {
                    continue;
                }
                if (!l.resident()) {
                    load(l);
                }
                l.referenced = true;
                return reader.read(l);
            } finally {
                l.latch.unlockExclusive();
            }
        }
    }

    /**
     * The first entry of {@code [from, to)} (with {@code descending}, the last), linearizably
     * even when it lies leaves away from the near end of the range; with {@code remove}, deleted
     * in the same atomic step (a logged delete, durable as any). See "Navigation" in the essay.
     *
     * @param from the lowest key, or null for none
     * @param to   the bound above the highest key, or null for none
     * @return {@code {key, value}} (copies), or null if the range holds no entry
     */
    byte[][] firstEntry(byte[] from, byte[] to, boolean descending, boolean remove) {
        checkOpen();
        NearSearch s = new NearSearch(from, to, descending);
        for (int round = 0; ; round++) {
            if (round > 0) {
                HybridLatch.backOff(round);
            }
            byte[][] found = s.search(remove);
            if (found == NearSearch.RESTART) {
                continue;
            }
            if (found == NearSearch.FOUND_TO_REMOVE) {
                found = removeFirst(s);
                if (found == NearSearch.RESTART) {
                    continue;
                }
            }
            return found;
        }
    }

    /**
     * The walk of {@link #firstEntry}: from the near end of the range, leaf by leaf, each under its
     * shared latch; the leaves passed with no entry in the range are remembered with their versions,
     * to be validated while the answer's leaf is latched.
     */
    private final class NearSearch {
        /** A marker result: a passed leaf changed, or the answer's leaf moved; walk again. */
        static final byte[][] RESTART = new byte[0][];
        /** A marker result: an entry is in the leaf at {@code position}; remove it under the exclusive latch. */
        static final byte[][] FOUND_TO_REMOVE = new byte[0][];

        final byte[] from;
        final byte[] to;
        final boolean descending;
        final List<Leaf> passed = new ArrayList<>();
        long[] versions = new long[4];
        /** Ascending: the inclusive lower bound of what is left; descending: the exclusive upper bound (null: none). */
        byte[] position;
        /** Whether the walk reached the far end of the range. */
        boolean exhausted;

        NearSearch(byte[] from, byte[] to, boolean descending) {
            this.from = from;
            this.to = to;
            this.descending = descending;
        }

        /** One walk: the answer, null for none, or a marker. */
        byte[][] search(boolean remove) {
            passed.clear();
            position = descending ? to : (from == null ? new byte[0] : from);
            if (from != null && to != null && Arrays.compareUnsigned(from, to) >= 0) {
                return null;
            }
            for (;;) {
                byte[][] r = readLeaf(position, descending, l -> step(l, remove));
                if (r != null || exhausted) {
                    return r;
                }
            }
        }

        /**
         * In one latched leaf: the answer (validated), a marker, or null to go on to the next leaf
         * ({@code exhausted} says whether there is none).
         */
        private byte[][] step(Leaf l, boolean remove) {
            if (l == null) { // descending, below the empty key: the range is empty
                exhausted = true;
                return validatePassed() ? null : RESTART;
            }
            int i = candidate(l);
            if (i >= 0) {
                if (remove) {
                    return FOUND_TO_REMOVE;
                }
                // Still under l's latch: l holds the answer now, and if the passed leaves are
                // unchanged they hold nothing in the range now. This instant linearizes the read.
                return validatePassed() ? new byte[][] {l.keys[i].clone(), l.values[i].clone()} : RESTART;
            }
            if (farEnd(l)) {
                exhausted = true;
                return validatePassed() ? null : RESTART;
            }
            if (l.latch.isExclusivelyLatched()) {
                // readLeaf loaded l under its exclusive latch (ours): no version to remember
                // until we release it. Read l again, now resident, under a shared latch.
                return null;
            }
            // Under l's shared latch, no writer has changed l since the version we read here.
            if (passed.size() == versions.length) {
                versions = Arrays.copyOf(versions, versions.length * 2);
            }
            versions[passed.size()] = l.latch.sharedVersion();
            passed.add(l);
            position = descending ? l.low : l.high;
            return null;
        }

        /** The index in {@code l} of the first entry of the rest of the range, or -1. Caller holds l's latch. */
        int candidate(Leaf l) {
            if (!descending) {
                int i = l.lowerBound(position);
                return i < l.count && (to == null || Arrays.compareUnsigned(l.keys[i], to) < 0) ? i : -1;
            }
            int i = (position == null ? l.count : l.lowerBound(position)) - 1;
            return i >= 0 && (from == null || Arrays.compareUnsigned(l.keys[i], from) >= 0) ? i : -1;
        }

        /** Whether no leaf after {@code l} (in the walk's direction) holds keys of the range. */
        private boolean farEnd(Leaf l) {
            if (!descending) {
                return l.high == null || (to != null && Arrays.compareUnsigned(l.high, to) >= 0);
            }
            return l.low.length == 0 || (from != null && Arrays.compareUnsigned(l.low, from) <= 0);
        }

        /**
         * Whether every passed leaf is unchanged since it was read (so, at this instant, still holds
         * no key of the range, and still has the fences that led from it to the next). Called under
         * the latch of the leaf the walk ended in; an optimistic check, never waits.
         */
        boolean validatePassed() {
            for (int j = 0; j < passed.size(); j++) {
                if (!passed.get(j).latch.validate(versions[j])) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * The removing end of {@link #firstEntry}: latch exclusive the leaf at the walk's position,
     * find the range's first entry in it again, validate the passed leaves, log and apply the
     * delete. Returns the entry, or {@link NearSearch#RESTART}.
     */
    private byte[][] removeFirst(NearSearch s) {
        byte[][] removed;
        long seq;
        gate.readLock().lock();
        try {
            checkOpen(); // close() sets the flag before it takes the gate exclusive
            Leaf l = s.descending ? latchExclusiveBelow(s.position) : latchExclusive(s.position);
            try {
                int i = s.candidate(l);
                // The passed leaves are validated under l's exclusive latch: if unchanged, they
                // hold nothing of the range at this instant, and l's entry i is the first; the
                // delete below is applied before the latch is released, so this instant is the
                // poll's linearization point.
                if (i < 0 || !s.validatePassed()) {
                    return NearSearch.RESTART;
                }
                byte[] k = l.keys[i];
                removed = new byte[][] {k.clone(), l.values[i].clone()};
                // Log before applying, under the latch (step 4 of a write).
                seq = wal.append(l.pid, WalRecord.DELETE, k, new byte[0]);
                l.applyDelete(k);
                recharge(l);
            } finally {
                l.latch.unlockExclusive();
            }
        } finally {
            gate.readLock().unlock();
        }
        afterWrite(seq);
        return removed;
    }

    /**
     * A cursor over the keys in {@code [fromInclusive, toExclusive)}, ascending.
     *
     * <p>Weakly consistent, like the iterators of the in-memory maps: it returns keys in
     * ascending order, each at most once; every key present in the range for the cursor's whole
     * life is returned; a key added or removed meanwhile may or may not be. It copies one leaf's
     * worth of entries at a time and holds no latch between calls.
     *
     * @param fromInclusive the lowest key, or null for no lower bound
     * @param toExclusive   the bound above the highest key, or null for no upper bound
     * @return the cursor, before its first entry
     */
    public BfCursor cursor(byte[] fromInclusive, byte[] toExclusive) {
        checkOpen();
        return new BfCursor(this, fromInclusive == null ? null : fromInclusive.clone(),
                toExclusive == null ? null : toExclusive.clone(), false);
    }

    /**
     * A cursor over the keys in {@code [fromInclusive, toExclusive)}, descending (from the
     * highest key below {@code toExclusive} down to {@code fromInclusive}); weakly consistent as
     * {@link #cursor}.
     *
     * @param fromInclusive the lowest key, or null for no lower bound
     * @param toExclusive   the bound above the highest key, or null for no upper bound
     * @return the cursor, before its first entry
     */
    public BfCursor descendingCursor(byte[] fromInclusive, byte[] toExclusive) {
        checkOpen();
        return new BfCursor(this, fromInclusive == null ? null : fromInclusive.clone(),
                toExclusive == null ? null : toExclusive.clone(), true);
    }

    /**
     * A typed, live {@link java.util.concurrent.ConcurrentNavigableMap} view of this tree: keys
     * through {@code keys} (its byte order must be its key order, as every
     * {@code io.arboretum.keys} encoder's is), values through {@code values}. Writes through the
     * view are writes to the tree (durable as {@link #put}); it is valid until the tree is closed.
     * What is linearizable and what is weakly consistent is listed on {@link BfMap}.
     *
     * @param keys   the key encoder
     * @param values the value codec
     * @param <K>    the key type
     * @param <V>    the value type
     * @return the view
     * @throws NullPointerException if an argument is null
     */
    public <K, V> BfMap<K, V> asMap(io.arboretum.keys.KeyEncoder<K> keys, ValueCodec<V> values) {
        checkOpen();
        return new BfMap<>(this, Objects.requireNonNull(keys, "keys"), Objects.requireNonNull(values, "values"));
    }

    // ------------------------------------------------------------------ writes

    private static final int PUT = 0;
    private static final int PUT_IF_ABSENT = 1;
    private static final int REPLACE = 2;
    private static final int DELETE = 3;
    private static final int REPLACE_PRESENT = 4;
    private static final int DELETE_IF = 5;

    /**
     * Sets {@code key} to {@code value}. With {@link Durability#SYNC}, durable when it returns.
     *
     * @param key   the key, at most {@link BfTreeConfig#maxKeySize()} bytes
     * @param value the value, at most {@link BfTreeConfig#maxValueSize()} bytes
     * @return a copy of the previous value, or null
     * @throws NullPointerException if {@code key} or {@code value} is null
     * @throws IllegalArgumentException if a size limit is exceeded
     * @throws UncheckedIOException if the log or a page cannot be written; a log failure is
     *         sticky (every later write fails the same way), so close and reopen the tree
     */
    public byte[] put(byte[] key, byte[] value) {
        return update(key, value, null, PUT);
    }

    /**
     * Sets {@code key} to {@code value} if it has no value. Durable as {@link #put}.
     *
     * @param key   the key
     * @param value the value
     * @return a copy of the present value (nothing was written), or null (the value was set)
     * @throws NullPointerException if {@code key} or {@code value} is null
     * @throws IllegalArgumentException if a size limit is exceeded
     * @throws UncheckedIOException as {@link #put}
     */
    public byte[] putIfAbsent(byte[] key, byte[] value) {
        return update(key, value, null, PUT_IF_ABSENT);
    }

    /**
     * Sets {@code key} to {@code value} only if its value equals {@code expected} (byte by byte).
     * Durable as {@link #put} when it returns true.
     *
     * @param key      the key
     * @param expected the value it must have
     * @param value    the new value
     * @return whether the value was replaced
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if a size limit is exceeded
     * @throws UncheckedIOException as {@link #put}
     */
    public boolean replace(byte[] key, byte[] expected, byte[] value) {
        Objects.requireNonNull(expected, "expected");
        return update(key, value, expected, REPLACE) != null;
    }

    /**
     * Removes {@code key}. Durable as {@link #put} when it removed something.
     *
     * @param key the key
     * @return a copy of the removed value, or null if there was none
     * @throws NullPointerException if {@code key} is null
     * @throws IllegalArgumentException if {@code key} is too long
     * @throws UncheckedIOException as {@link #put}
     */
    public byte[] delete(byte[] key) {
        return update(key, null, null, DELETE);
    }

    /**
     * Sets {@code key} to {@code value} only if it has a value. Durable as {@link #put} when it
     * returns non-null.
     *
     * @param key   the key
     * @param value the new value
     * @return a copy of the value replaced, or null (absent: nothing was written)
     * @throws NullPointerException if {@code key} or {@code value} is null
     * @throws IllegalArgumentException if a size limit is exceeded
     * @throws UncheckedIOException as {@link #put}
     */
    public byte[] replace(byte[] key, byte[] value) {
        return update(key, value, null, REPLACE_PRESENT);
    }

    /**
     * Removes {@code key} only if its value equals {@code expected} (byte by byte). Durable as
     * {@link #put} when it returns true.
     *
     * @param key      the key
     * @param expected the value it must have
     * @return whether the key was removed
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code key} is too long
     * @throws UncheckedIOException as {@link #put}
     */
    public boolean delete(byte[] key, byte[] expected) {
        Objects.requireNonNull(expected, "expected");
        return update(key, null, expected, DELETE_IF) != null;
    }

    private byte[] update(byte[] key, byte[] value, byte[] expected, int kind) {
        checkKey(key);
        boolean deleting = kind == DELETE || kind == DELETE_IF;
        if (!deleting) {
            checkValue(value);
        }
        checkOpen();
        byte[] k = key.clone();
        byte[] v = value == null ? null : value.clone();
        long seq = 0;
        byte[] prev;
        gate.readLock().lock();
        try {
            checkOpen(); // close() sets the flag before it takes the gate exclusive
            Leaf l = latchExclusive(k);
            try {
                int i = l.search(k);
                prev = i >= 0 ? l.values[i] : null;
                boolean change = kind == PUT || (kind == PUT_IF_ABSENT && prev == null)
                        || (kind == REPLACE && prev != null && Arrays.equals(prev, expected))
                        || (kind == REPLACE_PRESENT && prev != null)
                        || (kind == DELETE && prev != null)
                        || (kind == DELETE_IF && prev != null && Arrays.equals(prev, expected));
                if (change) {
                    // Step 4 of a write: log before applying, under the latch (see the essay).
                    seq = wal.append(l.pid, deleting ? WalRecord.DELETE : WalRecord.PUT, k,
                            deleting ? new byte[0] : v);
                    if (deleting) {
                        l.applyDelete(k);
                    } else {
                        l.applyPut(k, v);
                    }
                    if (l.pageBytes() > limits.pageSize) {
                        int mid = l.splitIndex();
                        byte[] sep = l.keys[mid];
                        long newPid = table.allocatePid();
                        seq = wal.append(l.pid, WalRecord.SPLIT, sep, WalRecord.pidBytes(newPid));
                        publish(l.splitOff(mid, sep, newPid));
                    }
                    recharge(l);
                }
            } finally {
                l.latch.unlockExclusive();
            }
        } finally {
            gate.readLock().unlock();
        }
        if (seq != 0) {
            afterWrite(seq);
        }
        if (kind == REPLACE || kind == DELETE_IF) {
            return seq != 0 ? prev : null; // a non-null marker of success; not handed out
        }
        return prev == null ? null : prev.clone();
    }

    /** Routes {@code k} and returns its leaf latched exclusive and resident. */
    private Leaf latchExclusive(byte[] k) {
        for (;;) {
            Leaf l = inner.floorEntry(k).getValue(); // never null: the first leaf's low fence is the empty key
            // Exclusive: the acquiring CAS orders our reads and writes after the previous holder's
            // (shared holders have left: lockExclusive waits for them).
            if (!l.latch.lockExclusive()) {
                continue;
            }
            boolean ok = false;
            try {
                if (l.covers(k)) {
                    if (!l.resident()) {
                        load(l);
                    }
                    l.referenced = true;
                    ok = true;
                    return l;
                }
            } finally {
                if (!ok) {
                    l.latch.unlockExclusive(); // moved by a split, or the load failed
                }
            }
        }
    }

    /**
     * Returns the leaf holding the keys just below {@code bound} (null: the last leaf) latched
     * exclusive and resident. {@code bound} is never the empty key (no key lies below it).
     */
    private Leaf latchExclusiveBelow(byte[] bound) {
        for (;;) {
            Leaf l = (bound == null ? inner.lastEntry() : inner.lowerEntry(bound)).getValue();
            // As in latchExclusive: the acquiring CAS orders our accesses after the last holder's.
            if (!l.latch.lockExclusive()) {
                continue;
            }
            boolean ok = false;
            try {
                if (l.coversBelow(bound)) {
                    if (!l.resident()) {
                        load(l);
                    }
                    l.referenced = true;
                    ok = true;
                    return l;
                }
            } finally {
                if (!ok) {
                    l.latch.unlockExclusive(); // moved by a split, or the load failed
                }
            }
        }
    }

    /** Publishes a leaf made by a split: mapping table, then inner index (the routing step). */
    private void publish(Leaf r) {
        recharge(r);
        // Both publications come after r is filled: the table's element store is a release, and a
        // ConcurrentSkipListMap put happens-before any thread's floorEntry that returns r, so
        // whoever finds r sees it whole. The inner put comes last: until it, keys >= r.low still
        // route to the old leaf, whose latch we hold and whose new high fence sends them back.
        table.install(r);
        inner.put(r.low, r);
    }

    private void afterWrite(long seq) {
        if (wal.isSync() || wal.bufferedBytes() > WriteAheadLog.ASYNC_BUFFER_LIMIT) {
            wal.awaitDurable(seq);
        }
        evictIfNeeded();
        long every = config.checkpointLogBytes();
        if (every > 0 && wal.bytesSinceCheckpoint() >= every && checkpointLock.tryLock()) {
            try {
                gate.writeLock().lock();
                try {
                    // Recheck under the gate: another thread may have checkpointed, or closed the tree.
                    if (!closedAcquire() && wal.bytesSinceCheckpoint() >= every) {
                        checkpointNow();
                    }
                } finally {
                    gate.writeLock().unlock();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("automatic checkpoint of " + dir.path + " failed (the write"
                        + " itself is durable in the log)", e);
            } finally {
                checkpointLock.unlock();
            }
        }
    }

    // ------------------------------------------------------------------ pages and memory

    /** Reads {@code l}'s page into memory. Caller holds {@code l}'s exclusive latch. */
    private void load(Leaf l) {
        try {
            ByteBuffer b = pages.read(l.slot);
            LeafPage.Records r = LeafPage.decode(b, limits.pageSize, l.pid, l.low, l.high, pages.path,
                    (long) l.slot * limits.pageSize);
            l.install(r.keys, r.values);
            l.dirty = false;
            recharge(l);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read page " + l.slot + " of " + pages.path, e);
        }
    }

    /** Writes {@code l} to a new slot and releases its old one. Caller holds the latch and the gate. */
    private void writeLeaf(Leaf l, ByteBuffer buf) throws IOException {
        int s = pages.allocate();
        try {
            LeafPage.encode(buf, limits.pageSize, l.pid, l.low, l.high, l.keys, l.values, l.count);
            pages.write(s, buf);
        } catch (IOException | RuntimeException e) {
            pages.release(s); // never named by a checkpoint: free again at once
            throw e;
        }
        if (l.slot >= 0) {
            pages.release(l.slot);
        }
        l.slot = s;
        l.dirty = false;
    }

    /** Brings {@code l}'s share of the memory account up to date. Caller holds its latch (or owns it unpublished). */
    private void recharge(Leaf l) {
        long now = l.resident() ? l.pageBytes() : 0;
        long delta = now - l.charged;
        if (delta != 0) {
            l.charged = now;
            addResident(delta);
        }
    }

    /** Second-chance eviction until the resident bytes are within the budget (see the essay). */
    private void evictIfNeeded() {
        if (residentAcquire() <= config.memoryBudget() || !evictLock.tryLock()) {
            return; // within budget, or another thread is evicting: the budget is a soft limit
        }
        try {
            gate.readLock().lock();
            try {
                if (closedAcquire()) {
                    return; // close() has run (it holds the gate exclusive while closing the files)
                }
                ByteBuffer buf = ByteBuffer.allocate(limits.pageSize);
                int n = table.capacity();
                for (int scanned = 0; scanned < 2 * n && residentAcquire() > config.memoryBudget(); scanned++) {
                    Leaf l = table.get(hand);
                    hand = hand + 1 >= n ? 0 : hand + 1;
                    // Racy pre-checks (resident, referenced) only steer the sweep; rechecked under the latch.
                    if (l == null || !l.resident()) {
                        continue;
                    }
                    if (l.referenced) {
                        l.referenced = false;
                        continue;
                    }
                    if (!l.latch.tryLockExclusive()) {
                        continue;
                    }
                    try {
                        if (l.resident() && l.pageBytes() <= limits.pageSize) {
                            if (l.dirty || l.slot < 0) {
                                writeLeaf(l, buf);
                            }
                            l.drop();
                            recharge(l);
                        }
                    } finally {
                        l.latch.unlockExclusive();
                    }
                }
            } finally {
                gate.readLock().unlock();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a page to " + pages.path + " (the leaf stays in memory)", e);
        } finally {
            evictLock.unlock();
        }
    }

    // ------------------------------------------------------------------ durability

    /**
     * Makes every write that has returned durable (in ASYNC mode: forces the log now). In SYNC
     * mode every returned write is durable already.
     *
     * @throws UncheckedIOException if the log cannot be written
     */
    public void flush() {
        checkOpen();
        wal.flushAll();
    }

    /**
     * Writes every changed leaf and a new checkpoint, then deletes the log segments it covers.
     * Writers wait while it runs. Every write that returned before the call is durable after it.
     *
     * @throws UncheckedIOException if a file cannot be written; the previous checkpoint and the
     *         log stay valid
     */
    public void checkpoint() {
        checkOpen();
        gate.writeLock().lock();
        try {
            checkOpen();
            checkpointNow();
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint of " + dir.path + " failed", e);
        } finally {
            gate.writeLock().unlock();
        }
    }

    /** The checkpoint steps of the essay; caller holds the gate exclusive (or is recovery). */
    private void checkpointNow() throws IOException {
        List<Path> covered = wal.rollForCheckpoint();
        long lsn = wal.lastSeq();
        ByteBuffer buf = ByteBuffer.allocate(limits.pageSize);
        List<Leaf> leaves = new ArrayList<>(inner.values());
        int n = leaves.size();
        long[] pids = new long[n];
        int[] slots = new int[n];
        byte[][] lows = new byte[n][];
        BitSet referenced = new BitSet();
        for (int i = 0; i < n; i++) {
            Leaf l = leaves.get(i);
            l.latch.lockExclusive();
            try {
                if (l.dirty || l.slot < 0) {
                    writeLeaf(l, buf);
                }
                pids[i] = l.pid;
                slots[i] = l.slot;
                lows[i] = l.low;
                referenced.set(l.slot);
            } finally {
                l.latch.unlockExclusive();
            }
        }
        pages.force();
        byte[] meta = new Checkpoint(lsn, table.nextPid(), pages.slotCount(), pids, slots, lows).encode();
        dir.replaceDurably(BfDirectory.CHECKPOINT, meta);
        pages.setCheckpointed(referenced);
        wal.deleteSegments(covered);
    }

    /**
     * Checkpoints and closes the files, releasing the directory's lock. Idempotent. Writes that
     * returned before are durable; operations after it throw {@link IllegalStateException}.
     *
     * @throws UncheckedIOException if the final checkpoint or a close fails (the files are closed
     *         and the lock released anyway; the log still holds every acknowledged write)
     */
    @Override
    public void close() {
        if (!casClosed()) {
            return;
        }
        gate.writeLock().lock();
        IOException failure = null;
        try {
            try {
                checkpointNow();
            } catch (IOException | UncheckedIOException e) {
                failure = e instanceof IOException ? (IOException) e : ((UncheckedIOException) e).getCause();
            }
            for (AutoCloseable c : new AutoCloseable[] {wal, pages, dir}) {
                try {
                    c.close();
                } catch (Exception e) {
                    if (failure == null) {
                        failure = e instanceof IOException ? (IOException) e : new IOException(e);
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
        } finally {
            gate.writeLock().unlock();
        }
        if (failure != null) {
            throw new UncheckedIOException("closing " + dir.path + " failed", failure);
        }
    }

    /** Test support: stops as a killed process would (the log's buffer is lost, nothing forced). */
    void crashForTest() throws IOException {
        if (!casClosed()) {
            return;
        }
        gate.writeLock().lock();
        try {
            wal.abandon();
            pages.close();
            dir.close();
        } finally {
            gate.writeLock().unlock();
        }
    }

    // ------------------------------------------------------------------ checks

    private void checkKey(byte[] key) {
        Objects.requireNonNull(key, "key");
        if (key.length > limits.maxKey) {
            throw new IllegalArgumentException("key is " + key.length + " bytes; the maximum key size is "
                    + limits.maxKey + " bytes (a sixteenth of the page size " + limits.pageSize + ")");
        }
    }

    private void checkValue(byte[] value) {
        Objects.requireNonNull(value, "value");
        if (value.length > limits.maxValue) {
            throw new IllegalArgumentException("value is " + value.length + " bytes; the maximum value size is "
                    + limits.maxValue + " bytes with page size " + limits.pageSize);
        }
    }

    void checkOpen() {
        if (closedAcquire()) {
            throw new IllegalStateException("the Bf-tree at " + dir.path + " is closed");
        }
    }

    /**
     * Checks the structure (tests call it after every scenario): fences tile the key space, the
     * inner index and the mapping table agree, resident records ascend within their fences and fit
     * a page, the memory account matches. Call it when no write is running.
     *
     * @throws AssertionError describing the first violation found
     */
    public void checkInvariants() {
        byte[] expectLow = new byte[0];
        long charged = 0;
        Leaf prev = null;
        for (Map.Entry<byte[], Leaf> e : inner.entrySet()) {
            Leaf l = e.getValue();
            l.latch.lockShared();
            try {
                check(Arrays.equals(e.getKey(), l.low), "inner key differs from low fence of " + l.pid);
                check(Arrays.equals(l.low, expectLow), "fence gap before leaf " + l.pid);
                check(table.get(l.pid) == l, "mapping table misses leaf " + l.pid);
                check(l.resident() || (l.slot >= 0 && !l.dirty), "leaf " + l.pid + " neither resident nor on disk");
                if (l.resident()) {
                    int bytes = 0;
                    for (int i = 0; i < l.count; i++) {
                        check(l.covers(l.keys[i]), "key outside fences in leaf " + l.pid);
                        check(i == 0 || Arrays.compareUnsigned(l.keys[i - 1], l.keys[i]) < 0, "order in " + l.pid);
                        bytes += Limits.recordBytes(l.keys[i], l.values[i]);
                    }
                    check(bytes == l.recordBytes, "record bytes of leaf " + l.pid);
                    check(l.pageBytes() <= limits.pageSize, "leaf " + l.pid + " does not fit a page");
                }
                check(l.charged == (l.resident() ? l.pageBytes() : 0), "charge of leaf " + l.pid);
                charged += l.charged;
                expectLow = l.high;
                prev = l;
            } finally {
                l.latch.unlockShared();
            }
            if (expectLow == null) {
                break;
            }
        }
        check(prev != null && prev.high == null && inner.lastEntry().getValue() == prev, "last leaf has a high fence");
        check(charged == residentAcquire(), "memory account " + residentAcquire() + " != " + charged);
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError("Bf-tree invariant broken: " + what);
        }
    }

    /** The log (tests inject I/O errors through it). */
    WriteAheadLog walForTest() {
        return wal;
    }

    /** Number of leaves (tests). */
    int leafCount() {
        return inner.size();
    }

    /** Bytes of resident leaves (tests). */
    long residentBytes() {
        return residentAcquire();
    }

    Limits limits() {
        return limits;
    }

    // VarHandle mechanics

    private long residentAcquire() {
        return (long) RESIDENT.getAcquire(this);
    }

    private void addResident(long delta) {
        RESIDENT.getAndAdd(this, delta);
    }

    private boolean closedAcquire() {
        return (boolean) CLOSED.getAcquire(this);
    }

    private boolean casClosed() {
        return CLOSED.compareAndSet(this, false, true);
    }

    private static final VarHandle RESIDENT;
    private static final VarHandle CLOSED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            RESIDENT = l.findVarHandle(BfTree.class, "residentBytes", long.class);
            CLOSED = l.findVarHandle(BfTree.class, "closed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
