package io.arboretum.bftree;

import io.arboretum.btree.ConcurrentBTreeMap;
import io.arboretum.sync.EpochManager;
import io.arboretum.sync.HybridLatch;
import io.arboretum.sync.TestHooks;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
 * <p><b>This is the fifth increment of the Bf-tree</b> (Hao and Chandramouli, VLDB 2024): disk
 * pages, the write-ahead log, checkpoints and recovery; the paper's mini-pages in a circular
 * off-heap buffer pool, which cache <em>records</em> rather than pages; linearizable navigation;
 * and now hybrid-latched inner nodes and leaf merges. What is not here yet is listed at the end
 * of this essay.
 *
 * <h2>Implementation essay</h2>
 *
 * <h3>Structure</h3>
 * <pre>
 *   inner index (memory)        mapping table           mini-page pool (off-heap)      page file (disk)
 *   B+tree (hybrid latches)     pid -> Leaf             one ring of direct buffers     slot 0 | slot 1 | ...
 *   low fence -> Leaf  -------> Leaf{pid, low, high, -> [head ... blocks ... tail)  -> one leaf image per
 *                                    mini, slot,         64 B .. page, each a leaf's    slot, CRC32C, pid
 *                                    dirty bytes}        cached and dirty records       and fences inside
 *   write-ahead log: wal-&lt;seq&gt;.log segments of records (seq, pid, op, key, value, CRC32C)
 *   checkpoint: lsn, next pid, slot count, (pid, slot, record bytes, low fence) of every leaf in key order
 * </pre>
 * Each leaf covers the keys {@code [low, high)}; the leaves' fences tile the key space: the first
 * low fence is the empty key, each high fence is the next leaf's low fence, the last has none.
 * Every leaf has a disk page. It may also have a <em>mini-page</em> ({@link MiniPage}): a block of
 * 64 bytes up to a page in the {@link MiniPagePool} holding some of its records, each CLEAN (a
 * copy of the page's record, cached by a read), DIRTY (a write not yet in the page) or a
 * tombstone. The leaf's records are the page's with the mini-page's laid over them; a FULL
 * mini-page (made by a scan) holds all of them. The pool is the memory budget: its direct buffers
 * are allocated once, at most {@link BfTreeConfig#memoryBudget()} bytes.
 *
 * <h3>Inner nodes</h3>
 * The inner index maps each leaf's low fence to the leaf, in this library's B+tree
 * ({@code io.arboretum.btree.ConcurrentBTreeMap}): inner nodes under hybrid latches, lookups
 * optimistic (no latch written on the way down), nodes reclaimed through epochs. A route is
 * {@code floorEntry(key)}; a split publishes with {@code put}, a leaf merge unpublishes with
 * {@code remove}. The inner index is not the truth about a key's leaf: the leaf's fences are. A
 * route is checked against them under the leaf's latch (or, for an optimistic read, before
 * validation), so a lookup that raced with a split or a merge notices and routes again: the
 * B-link idea, with fences instead of right links. (The first increments used a
 * {@code ConcurrentSkipListMap} here, behind the same calls.)
 *
 * <h3>Latches and reads</h3>
 * Each leaf has a {@link HybridLatch}; its version advances whenever the leaf's records, fences
 * or mini-page bytes change. Writers take it exclusive. A <b>point read</b> is optimistic first:
 * read the version, pin the epoch, route check, read the mini-page's address and search the
 * block ({@link MiniPage#probe}: every length and offset read is untrusted and bounds-checked),
 * unpin, validate. A hit (or a tombstone, or a miss in a FULL mini-page) is the answer. A miss
 * takes the latch exclusive, reads the disk page, and caches the record found there in the
 * mini-page as CLEAN if a block is free (record-level caching). After a few failed validations
 * it takes the latched path too. A <b>scan</b> (cursor batch) copies the entries it needs straight
 * from a FULL mini-page's bytes into the cursor's buffer under the shared latch, decoding no
 * record. Otherwise it takes the latch exclusive and promotes the leaf to a FULL mini-page if a
 * block is free: a leaf with no mini-page by copying its checked page's record bytes into the
 * block as they are (a page record is a CLEAN mini-page record byte for byte), one with a
 * partial mini-page by laying it over the decoded page; the cursor then copies from the new
 * block, or (no block free) from the decoded page. A global {@code gate}
 * (read-write lock) is held shared by writers and by the sweep while they change a leaf or a slot,
 * and exclusive by a checkpoint, so a checkpoint sees a quiescent tree; readers never take it.
 *
 * <h3>A write (put, delete, putIfAbsent, replace, their conditional forms, upsert, erase)</h3>
 * <ol>
 *   <li>Check the arguments (NPE for null, IAE for a key or value over the limits).</li>
 *   <li>Take the gate shared; route the key and take the leaf's latch exclusive.</li>
 *   <li>Decide. {@link #upsert} and {@link #erase} are <em>blind</em>: they need no previous
 *       value. The others look the key up: in the mini-page, else in the disk page (a page read).
 *       If nothing changes, stop: no log record.</li>
 *   <li>Prepare, changing no record. If the page's record bytes are known (from the last read or
 *       write of the page since open) and they plus every DIRTY record in the mini-page (each
 *       counted as new) plus this record fit a page, make room in the mini-page: create it (the
 *       smallest block that holds the record), compact it, grow it by doubling, or as a last
 *       resort drop its CLEAN records; the pool is never waited for. Otherwise, or if there is no
 *       room: build the leaf's whole content (page plus mini-page) with this write applied, and
 *       write it to a new slot; if it no longer fits a page, split it at the byte midpoint
 *       (allocate a pid) and write both halves to new slots. New slots are shadow slots
 *       ({@link PageFile}): until a checkpoint names them they mean nothing.</li>
 *   <li>Append the log record(s): the write, then for a split a SPLIT record (old pid,
 *       separator, new pid). Appended under the leaf latch, so the records of one page are in
 *       the order their changes were applied. If the append fails, the new slots are freed and
 *       the leaf is as it was.</li>
 *   <li>Install, in memory, steps that cannot fail: put the record into the mini-page as DIRTY
 *       (or a tombstone); or make the new slot the leaf's page and drop the mini-page (its dirty
 *       records are in the page); for a split also set the old leaf's high fence to the separator
 *       and publish the new leaf (fences {@code [separator, old high)}) in the mapping table and
 *       then the inner index, all before releasing the latch.</li>
 *   <li>Release the latch and the gate; then, in SYNC mode, wait for the record to be forced
 *       (group commit); sweep the pool if its free part is low; checkpoint if the log has grown
 *       past the policy.</li>
 * </ol>
 * A write is visible to other threads when its latch is released, which may be shortly before it
 * is durable; it is acknowledged (returns) only once durable in SYNC mode. The bound in step 4
 * keeps an invariant the split logic relies on: outside a writer's latch, every leaf's content
 * fits a page, so a leaf exceeds a page only between a PUT and its SPLIT record, by one record.
 *
 * <h3>Leaf merges</h3>
 * A delete that leaves its leaf small (by the leaf's estimate, at most a quarter of a page's room)
 * tries to merge it with a neighbour, left first, then right; the left leaf of the pair absorbs
 * the right one. Still holding the deleting leaf's latch and the gate shared:
 * <ol>
 *   <li>Route to the neighbour and <em>try</em> its latch: never wait (holding one latch while
 *       waiting for another could close a cycle with a writer going the other way). Busy: no
 *       merge now; a later delete tries again.</li>
 *   <li>Under both latches, check they are neighbours (left's high fence is right's low fence;
 *       the route was unlatched), build the merged content, and give up unless it fits three
 *       quarters of a page (so the next insert does not split it again).</li>
 *   <li>Write it to a new slot for the left leaf's pid; append a MERGE record (left pid,
 *       separator, right pid). A failure up to here changes nothing, and is not the delete's
 *       failure: the delete is applied and logged already, so the merge is skipped.</li>
 *   <li>Install: the left leaf takes the slot and the right leaf's high fence; the right leaf
 *       drops its mini-page and slot, is marked absorbed, and leaves the inner index and the
 *       mapping table; its pid is never reused. Its latch is released <em>obsolete</em>: a thread
 *       that routed to it before the remove fails to latch it (or to validate) and routes again,
 *       finding the left leaf.</li>
 * </ol>
 * Whether a leaf is small is a guess ({@link Leaf#sizeEstimate}: the page's record bytes plus
 * dirty puts minus what deletes removed since the page was written); the decision in step 2 is
 * made on the exact merged content.
 *
 * <h3>Navigation: the first entry of a range (ceiling, lower, first, last, the polls)</h3>
 * The answer may lie leaves away from where the range starts, past leaves that deletes emptied
 * (a merge needs a neighbour small enough and not busy, so empty leaves can remain). Holding one latch after another would deadlock with a reader
 * walking the other way; reading each leaf alone and moving on would miss a key inserted behind
 * the walk. So the walk remembers what it passed and checks it at the end:
 * <ol>
 *   <li>Route the near end of the range (its low bound, or for a descending search its high
 *       bound) to its leaf and read its whole content as a scan does: under the shared latch from
 *       a FULL mini-page, or under the exclusive latch from the page, released without advancing
 *       the version (reading changes no record).</li>
 *   <li>If the leaf holds a key of the rest of the range, it is the candidate: go to 3. Otherwise,
 *       if the leaf reaches the far end of the range, the answer is "none": go to 3. Otherwise
 *       remember the leaf and its version (read under the latch, so it is the version of what
 *       was just read), move the position to its high fence (descending: its low fence),
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
 * <h3>The pool and eviction</h3>
 * Blocks are allocated at the pool's tail and swept at its head ({@link MiniPagePool}). When the
 * free part (counting what the sweep has passed) falls below an eighth of the pool, one thread
 * sweeps until it is a quarter: for the block at the head it latches the owning leaf (the block
 * header names its pid) exclusive. If the leaf points elsewhere the block is dead (grown, merged,
 * promoted). If the leaf's {@code referenced} bit is set, the bit is cleared and the block is
 * copied forward to the tail (a second chance; once per lap, and only if a block is free);
 * otherwise it is evicted: dirty records are merged into the page, written to a <em>new</em> slot
 * (its old slot released), and the leaf forgets the mini-page. Nothing is logged: the page file
 * only means something through a checkpoint, and the log still holds every change since the last
 * one. The head then moves past the swept blocks, which are retired to the epoch manager; the tail
 * reuses memory only after its reclamation, that is after every reader that was pinned when they
 * were unlinked has unpinned. Copying forward and evicting leave the leaf's records unchanged, so
 * they release the latch without advancing its version: an optimistic reader that holds the old
 * address reads intact bytes (epochs) and validates; one that reads the new address reads the
 * copy (published by the address's release store) or finds none and takes the latched path.
 * Latch order: the sweep waits for one leaf latch while holding the eviction lock, and a latch
 * holder never waits for the sweep or the eviction lock, so this cannot deadlock.
 *
 * <h3>Checkpoint</h3>
 * <ol>
 *   <li>Take the gate exclusive (no write or eviction in flight).</li>
 *   <li>Force the log and start a new segment at the next sequence number; the lsn of this
 *       checkpoint is the last sequence number; every older segment is covered.</li>
 *   <li>Merge every dirty mini-page into its page, written to a new slot (the mini-page stays,
 *       its records now CLEAN); force the page file.</li>
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
 *   <li>Read the checkpoint; rebuild the leaves (page only, with each page's record bytes, so
 *       writes after the open can be blind), the mapping table and the inner index from it.</li>
 *   <li>Read the log after the checkpoint's lsn ({@link WalReader}): it ends at the first torn or
 *       invalid record at the tail, and reports damage followed by valid records as corruption.</li>
 *   <li>Replay each record <em>by its logical page id</em>: look the id up in the mapping table
 *       (never a disk address: slots move on every merge, eviction and checkpoint), check that the
 *       key lies within that leaf's fences (else corruption), apply it as a write is applied
 *       (steps 4 and 6, without logging). A PUT that leaves the leaf bigger than a page cannot be
 *       split here (the new pid is in the SPLIT record that follows it), so that leaf waits whole
 *       in memory ({@code overflow}) for its SPLIT record. A SPLIT record splits the leaf at the
 *       logged separator into the logged new page id, so fences and ids after replay are exactly
 *       those before the crash; a SPLIT whose new page already exists with that low fence is
 *       skipped. A MERGE record makes the logged page absorb the logged right page, which must be
 *       its neighbour at the logged separator (else corruption: a checkpoint never falls inside a
 *       merge, which logs under the gate a checkpoint takes exclusive). PUT and DELETE set a key's state, so applying a record twice changes nothing:
 *       replay is idempotent.</li>
 *   <li>Cut the torn tail off the last segment; split any leaf still waiting (the crash lost its
 *       SPLIT record), with new page ids.</li>
 *   <li>Open the log for appending in a fresh segment, and take a checkpoint. Recovery writes
 *       nothing the previous checkpoint depends on before that checkpoint's rename, so a crash
 *       during recovery leaves the same starting point, and the next open recovers again.</li>
 * </ol>
 *
 * <h3>Memory model notes</h3>
 * Leaf fields and mini-page bytes are ordered by the leaf latch (acquiring CAS to lock, release
 * store to unlock). Optimistic readers read the version with acquire, then the mini-page address
 * with acquire (it is written with release after the block is filled), then the block with plain
 * loads, and validate (acquire fence, re-read of the version): a read that saw any byte written
 * under a later latch fails validation. Epoch pins and retirements carry their own fences
 * ({@code EpochManager}); the pin precedes the address read, the retirement follows the unlink.
 * New leaves are published by the inner index's put and the mapping table's release store after
 * being filled. The pool's positions are guarded by its monitor. The log's durable sequence
 * number is published with release after the force and read with acquire by waiters. The gate and
 * the log's locks are {@code java.util.concurrent} locks with their usual happens-before edges.
 *
 * <h3>Notation</h3>
 * {@code l} a leaf, {@code r} a new right sibling, {@code k}/{@code v} key and value,
 * {@code i} an index in a leaf or mini-page, {@code seq} a log sequence number, {@code pid} a
 * logical page id, {@code s} a disk slot, {@code a}/{@code n}/{@code h} logical addresses of
 * blocks in the pool (a mini-page, a new block, the head), {@code img} a leaf's whole content.
 *
 * <h3>Seeded faults and counters</h3>
 * Realistic mistakes compiled in behind {@code TestHooks.ENABLED} (false unless the JVM runs with
 * {@code -Darboretum.testHooks=true}), so the tests can show that they catch each. Lincheck
 * catches {@code bftree.write.skipFenceCheck} (a write trusts the inner index's route past a
 * split and writes into the leaf its key has left) and {@code bftree.merge.absorbedStaysLive}
 * (a merge releases the absorbed leaf as a live one, so a write that waited for its latch
 * writes into a leaf no route reaches). Two more only recovery and the pool can show, so a hooked-JVM probe rather than
 * Lincheck catches them ({@code BfHookedJvmTest}): {@code bftree.replay.byDiskAddress} (replay
 * finds a record's leaf by disk slot instead of by logical page id, against step 4 of recovery)
 * and {@code bftree.pool.reuseWithoutEpoch} (the pool allocates into swept memory before the
 * epochs reclaim it, so a pinned reader's block is overwritten). Each split is counted as
 * {@link TestHooks#SPLIT}, each leaf merge as {@link TestHooks#MERGE}.
 *
 * <h3>Not in this increment</h3>
 * Checkpoints stop writers while they run. Leaf merges are opportunistic (a busy or big
 * neighbour leaves an empty leaf in place until a later delete there). A
 * merge writes the whole page (no partial write-back), a record read from the page is cached
 * whenever a block is free (no sampling), and the budget counts the pool, not the JVM objects of the leaves and the
 * inner index. (The typed {@code ConcurrentNavigableMap} view, {@link BfMap}, and the Kotlin layer
 * in {@code index-coroutines} came with the second increment.)
 */
public final class BfTree implements AutoCloseable {
    private final BfDirectory dir;
    private final BfTreeConfig config;
    private final Limits limits;
    private final PageFile pages;
    private final MiniPagePool pool;
    private final LeafStore store;
    private final MappingTable table = new MappingTable();
    /**
     * The inner index: low fence to leaf, in this library's B+tree (hybrid-latched inner nodes,
     * optimistic reads, epoch-reclaimed nodes), at its default node capacity; its own tests and
     * Lincheck suites check it, splits and merges included.
     */
    private final ConcurrentBTreeMap<byte[], Leaf> inner = ConcurrentBTreeMap.<byte[], Leaf>builder()
            .comparator(Arrays::compareUnsigned).build();
    /** Shared by writers and eviction, exclusive for a checkpoint and close. Fair, so a checkpoint is not starved. */
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock(true);
    private final ReentrantLock evictLock = new ReentrantLock();
    private final ReentrantLock checkpointLock = new ReentrantLock();
    private WriteAheadLog wal;
    /** Set once by close; see accessors. */
    private boolean closed;
    /**
     * During recovery only: leaves that a replayed PUT left bigger than a page, whole, until their
     * SPLIT record (or the end of the log); see the essay. Single-threaded; null after recovery.
     */
    private Map<Long, LeafImage> overflow = new HashMap<>();

    private BfTree(BfDirectory dir, BfTreeConfig config, PageFile pages) {
        this.dir = dir;
        this.config = config;
        this.limits = Limits.of(config.pageSize());
        this.pages = pages;
        this.pool = new MiniPagePool(config.memoryBudget(), config.pageSize());
        this.store = new LeafStore(pool, pages, limits);
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
                    new Checkpoint(0, 1, 1, new long[] {0}, new int[] {0}, new byte[][] {new byte[0]}, new int[] {0}).encode());
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
            Checkpoint c = Checkpoint.decode(Files.readAllBytes(cp), cp, Limits.of(d.pageSize).maxKey, d.pageSize);
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
            l.diskBytes = c.recordBytes[i]; // -1 if not known: the first write to the leaf reads its page
            table.install(l);
            inner.put(l.low, l);
        }
        table.reserveThrough(c.nextPid - 1);
        WalReader.Tail tail = WalReader.read(dir.path, c.lsn, WalRecord.BODY_FIXED + limits.maxRecord + 8,
                this::replay);
        WalReader.truncateTail(tail);
        for (Map.Entry<Long, LeafImage> e : overflow.entrySet()) {
            // A PUT whose SPLIT record the crash lost: split now (the checkpoint below records it).
            installSplitting(table.get(e.getKey()), e.getValue());
        }
        overflow = null;
        wal = WriteAheadLog.open(dir, config, tail.lastSeq + 1);
        checkpointNow();
    }

    /**
     * Recovery: writes {@code img} as {@code l}'s page, first splitting it (unlogged, new page
     * ids) until every part fits a page. Caller holds {@code l}'s exclusive latch or is recovery.
     */
    private void installSplitting(Leaf l, LeafImage img) throws IOException {
        while (img.pageBytes() > limits.pageSize) {
            int mid = img.splitIndex();
            byte[] sep = img.keys[mid];
            LeafImage right = img.splitOff(mid, sep);
            Leaf r = new Leaf(table.allocatePid(), sep, right.high);
            installSplitting(r, right);
            l.high = sep;
            publish(r);
        }
        store.installImage(l, img, store.writeImage(img, l.pid));
    }

    /** Applies one log record by its logical page id (single-threaded, during open). */
    private void replay(WalRecord r, Path file, long offset) throws IOException {
        Leaf l = fault(FAULT_REPLAY_BY_DISK_ADDRESS) ? leafAtSlotFault(r.pid) : table.get(r.pid);
        if (l == null) {
            throw new CorruptIndexException(file, offset, "record " + r.seq + " names logical page " + r.pid
                    + ", which does not exist");
        }
        if (r.op == WalRecord.MERGE) {
            replayMerge(l, r, file, offset);
            return;
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
            LeafImage big = overflow.get(l.pid);
            if (r.op == WalRecord.SPLIT) {
                long newPid = r.splitNewPid();
                if (table.get(newPid) != null) {
                    throw new CorruptIndexException(file, offset, "split record " + r.seq + " creates logical page "
                            + newPid + ", which already exists with another fence");
                }
                table.reserveThrough(newPid);
                LeafImage img = big != null ? overflow.remove(l.pid) : store.image(l, true);
                LeafImage right = img.splitOff(img.lowerBound(r.key), r.key);
                Leaf n = new Leaf(newPid, r.key, right.high);
                l.high = r.key;
                replayInstall(n, right);
                replayInstall(l, img);
                publish(n);
            } else {
                byte[] v = r.op == WalRecord.PUT ? r.value : null;
                if (big != null) {
                    big.apply(r.key, v); // waiting for its SPLIT record
                } else if (!blindFits(l, r.key, v) || !store.reserve(l, r.key, v, true)) {
                    LeafImage img = store.image(l, true);
                    img.apply(r.key, v);
                    replayInstall(l, img);
                } else {
                    store.installBlind(l, r.key, v);
                }
            }
        } finally {
            l.latch.unlockExclusive();
        }
        evictIfNeeded();
    }

    /**
     * Replays a MERGE record: {@code l} absorbs the logged right page, which must be its
     * neighbour (its high fence the logged separator, the right page's low fence the same). The
     * checkpoint replay started from predates the merge (merges log under the gate that a
     * checkpoint takes exclusive), so the right page must still exist: if it does not, the log
     * is corrupt. Single-threaded.
     */
    private void replayMerge(Leaf l, WalRecord r, Path file, long offset) throws IOException {
        Leaf right = table.get(r.splitNewPid());
        if (right == null || l.high == null || !Arrays.equals(l.high, r.key) || !Arrays.equals(right.low, r.key)
                || overflow.containsKey(l.pid) || overflow.containsKey(right.pid)) {
            throw new CorruptIndexException(file, offset, "merge record " + r.seq + " (" + r + ") does not name"
                    + " logical page " + r.pid + " and its right neighbour with the logged separator");
        }
        LeafImage img = store.image(l, true);
        img.absorb(store.image(right, true));
        if (img.pageBytes() > limits.pageSize) {
            throw new CorruptIndexException(file, offset, "merge record " + r.seq + " joins logical pages " + r.pid
                    + " and " + right.pid + ", whose records do not fit one page");
        }
        installMerge(l, right, img, store.writeImage(img, l.pid));
        right.latch.lockExclusive(); // nobody else holds it: only to mark it obsolete, as a merge does
        right.unlatch();
    }

    /**
     * Seeded fault {@link #FAULT_REPLAY_BY_DISK_ADDRESS}: the leaf whose page is in disk slot
     * {@code pid}, else the leaf with that page id, as if ids and slots were the same numbers.
     */
    private Leaf leafAtSlotFault(long pid) {
        for (Leaf l : inner.values()) {
            if (l.slot == pid) {
                return l;
            }
        }
        return table.get(pid);
    }

    /**
     * Recovery: {@code img} becomes {@code l}'s page if it fits; otherwise it waits whole in
     * {@link #overflow} for the SPLIT record that the original run logged right after the PUT that
     * made it too big (such a leaf cannot be split here: the split's page id is in that record).
     */
    private void replayInstall(Leaf l, LeafImage img) throws IOException {
        if (img.pageBytes() <= limits.pageSize) {
            store.installImage(l, img, store.writeImage(img, l.pid));
        } else {
            store.dropMini(l); // its dirty records are in img
            overflow.put(l.pid, img);
        }
    }

    /**
     * Whether a write of {@code k} (value {@code v}, null to delete) is known to leave {@code l}
     * within a page without reading the page: the page's size is known and the page plus every
     * dirty record, each counted as new, plus this one fit.
     */
    private boolean blindFits(Leaf l, byte[] k, byte[] v) {
        int bound = l.boundBytes();
        return bound >= 0 && bound + (v == null ? 0 : Limits.recordBytes(k, v)) <= l.recordCapacity(limits.pageSize);
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
        byte[] v = pointRead(key);
        evictIfNeeded();
        return v;
    }

    // ------------------------------------------------------------------ seeded faults (tests only)

    /** Fault: a write believes the route without checking the leaf's fences. */
    static final String FAULT_WRITE_SKIP_FENCE_CHECK = TestHooks.declareFault("bftree.write.skipFenceCheck",
            "a write believes the inner index's route without checking the leaf's fences, so a write that raced"
                    + " a split goes into the leaf the key has left");
    /** Fault: recovery finds a record's leaf by disk slot instead of by logical page id. */
    static final String FAULT_REPLAY_BY_DISK_ADDRESS = TestHooks.declareFault("bftree.replay.byDiskAddress",
            "recovery replays a log record into the leaf whose disk slot number equals the record's page id"
                    + " (falling back to the page id), as if page ids were disk addresses, so after splits and"
                    + " evictions since the checkpoint records land in the wrong leaf");
    /** Fault: the pool reuses swept memory without waiting for the epochs to reclaim it. */
    static final String FAULT_POOL_REUSE_WITHOUT_EPOCH = TestHooks.declareFault("bftree.pool.reuseWithoutEpoch",
            "the mini-page pool allocates into memory the sweep has passed as soon as the head moves, without"
                    + " waiting for the epoch manager to reclaim it, so a pinned reader's block is overwritten");

    /** Fault: a merge releases the absorbed leaf as a live leaf instead of marking it obsolete. */
    static final String FAULT_MERGE_ABSORBED_STAYS_LIVE = TestHooks.declareFault("bftree.merge.absorbedStaysLive",
            "a merge releases the leaf it absorbed with a plain unlock instead of marking it obsolete, so a write"
                    + " that routed to it before the merge, and waited for its latch, finds its old fences still"
                    + " covering the key and writes into a leaf no route reaches any more");

    /** Whether a fault is active (false, and folded away, unless test hooks are compiled in); also {@link MiniPagePool}'s. */
    static boolean fault(String name) {
        return TestHooks.ENABLED && TestHooks.faultActive(name);
    }

    /** Optimistic rounds a point read tries before it takes the leaf's latch. */
    private static final int OPTIMISTIC_ROUNDS = 8;
    /** A delete tries a merge when the leaf's records are at most this fraction (1/n) of a page's room. */
    private static final int MERGE_TRIGGER_FRACTION = 4;
    /** A merge happens only if the merged page fills at most this many quarters of a page: no split right after. */
    private static final int MERGE_LIMIT_QUARTERS = 3;

    /**
     * A point read (see the essay): optimistic in the mini-page, then under the exclusive latch,
     * from the disk page if the mini-page does not know the key. Returns a fresh array.
     */
    private byte[] pointRead(byte[] k) {
        EpochManager epochs = pool.epochs();
        for (int round = 0; round < OPTIMISTIC_ROUNDS; round++) {
            Leaf l = inner.floorEntry(k).getValue(); // never null: the first leaf's low fence is the empty key
            long ver = l.latch.optimisticRead();
            if (ver == HybridLatch.RESTART) {
                continue;
            }
            boolean covers;
            Object r;
            // The pin comes before the read of the mini-page's address: a block unlinked after it
            // is not reused until we unpin, so the bytes probe reads belong to some version of this
            // leaf's mini-page (or fail validation below), never to another block.
            try (EpochManager.Guard g = epochs.pin()) {
                covers = l.covers(k); // racy reads of fence arrays: believed only if ver validates
                long a = l.miniAcquire();
                r = !covers || a == MiniPagePool.NONE ? MiniPage.MISS : MiniPage.probe(pool, a, k);
            }
            // Everything above was read without the latch: untrusted until the version validates
            // (HybridLatch.validate's acquire fence keeps those reads before its re-read).
            if (!l.latch.validate(ver) || !covers || r == MiniPage.RETRY) {
                continue; // changed meanwhile, or a split moved the key after we routed: again
            }
            if (r == MiniPage.MISS) {
                break;
            }
            l.referenced = true; // benign race: see Leaf.referenced
            return r == MiniPage.ABSENT ? null : (byte[]) r;
        }
        for (;;) {
            Leaf l = inner.floorEntry(k).getValue();
            // Exclusive, not shared: a record read from the disk page is cached in the mini-page.
            if (!l.latch.lockExclusive()) {
                continue;
            }
            try {
                if (l.covers(k)) {
                    l.referenced = true;
                    byte[] v = store.lookup(l, k, true);
                    return v == null ? null : v.clone();
                }
            } finally {
                l.latch.unlockExclusive();
            }
        }
    }

    /** Reads a leaf's whole content under its latch: what a {@link #readLeaf} caller does with it. */
    interface LeafReader<T> {
        /**
         * @param leaf the latched leaf (for its latch), or null if there is no leaf below the route key
         * @param l    its records and fences, or null with {@code leaf}
         */
        T read(Leaf leaf, LeafImage l);

        /**
         * Whether this reader can read a FULL mini-page's bytes in place ({@link #readBlock}), so
         * that {@link #readLeaf} need not decode the leaf into a {@link LeafImage} for it.
         */
        default boolean readsBlocks() {
            return false;
        }

        /**
         * Reads the latched leaf's content from its FULL mini-page at {@code a} (latched: the bytes
         * are as the last writer left them); only called if {@link #readsBlocks()}.
         */
        default T readBlock(Leaf leaf, long a) {
            throw new UnsupportedOperationException();
        }
    }

    /**
     * Routes to the leaf covering {@code key} (or, with {@code below}, the leaf holding the keys
     * just below {@code key}; null key: the last leaf), latches it, and reads its whole content:
     * shared from a FULL mini-page; otherwise exclusive, from the disk page with the mini-page laid
     * over it, promoting the leaf to a FULL mini-page if the pool has a block free (a scan).
     */
    <T> T readLeaf(byte[] key, boolean below, LeafReader<T> reader) {
        for (;;) {
            Map.Entry<byte[], Leaf> e = route(key, below);
            if (e == null) {
                return reader.read(null, null); // below the empty key: nothing
            }
            Leaf l = e.getValue();
            // The shared latch's acquiring CAS pairs with the last writer's releasing unlock, so
            // every field and mini-page byte read below is as that writer left it.
            if (!l.latch.lockShared()) {
                continue; // obsolete (not produced in this increment): route again
            }
            if (!l.routes(key, below)) {
                l.latch.unlockShared(); // a split moved the range after we routed: route again
                continue;
            }
            long a = l.miniAcquire();
            if (isFull(a)) {
                try {
                    l.referenced = true; // benign race: see Leaf.referenced
                    // Under the shared latch no writer changes the block: a reader of blocks copies
                    // what it needs straight from it, others get the decoded content.
                    return reader.readsBlocks() ? reader.readBlock(l, a) : reader.read(l, store.image(l, false));
                } finally {
                    l.latch.unlockShared();
                }
            }
            l.latch.unlockShared();
            if (!l.latch.lockExclusive()) {
                continue;
            }
            T result;
            try {
                if (!l.routes(key, below)) {
                    continue;
                }
                long m = l.miniAcquire(); // may have changed while we held no latch
                LeafImage img = null;
                if (!reader.readsBlocks() || !isFull(m)) {
                    if (reader.readsBlocks() && m == MiniPagePool.NONE) {
                        // The page is the whole content: copy its record bytes into a FULL mini-page
                        // as they are, decoding nothing (null: done, the reader reads the new block).
                        img = store.promoteFromPage(l);
                    } else {
                        img = store.image(l, true);
                        store.promote(l, img);
                    }
                }
                l.referenced = true;
                // Still under the exclusive latch: the block the reader reads is the one just
                // published (or found FULL), and nothing changes it before we release.
                result = img == null ? reader.readBlock(l, l.miniAcquire()) : reader.read(l, img);
            } finally {
                // Unchanged: promotion moved the same records to a new block, whose bytes the
                // release store of the address published; the old block stays intact for readers
                // that hold its address (epochs), so their reads stay valid.
                l.latch.unlockExclusiveUnchanged();
            }
            evictIfNeeded();
            return result;
        }
    }

    /** Whether {@code a} is the address of a FULL mini-page (caller holds the leaf's latch). */
    private boolean isFull(long a) {
        return a != MiniPagePool.NONE && (MiniPage.flags(pool, a) & MiniPage.FULL) != 0;
    }

    /** The mini-page pool (cursors read FULL mini-pages in place). */
    MiniPagePool pool() {
        return pool;
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
                byte[][] r = readLeaf(position, descending, (leaf, l) -> step(leaf, l, remove));
                if (r != null || exhausted) {
                    return r;
                }
            }
        }

        /**
         * In one latched leaf: the answer (validated), a marker, or null to go on to the next leaf
         * ({@code exhausted} says whether there is none).
         */
        private byte[][] step(Leaf leaf, LeafImage l, boolean remove) {
            if (l == null) { // descending, below the empty key: the range is empty
                exhausted = true;
                return validatePassed() ? null : RESTART;
            }
            int i = candidate(l);
            if (i >= 0) {
                if (remove) {
                    return FOUND_TO_REMOVE;
                }
                // Still under the leaf's latch: it holds the answer now, and if the passed leaves
                // are unchanged they hold nothing in the range now. This instant linearizes the read.
                return validatePassed() ? new byte[][] {l.keys[i].clone(), l.values[i].clone()} : RESTART;
            }
            if (farEnd(l)) {
                exhausted = true;
                return validatePassed() ? null : RESTART;
            }
            // Under the leaf's latch (shared, or exclusive released unchanged by readLeaf), no
            // writer has changed it since this version: validating it later shows it still holds
            // what we just read.
            if (passed.size() == versions.length) {
                versions = Arrays.copyOf(versions, versions.length * 2);
            }
            versions[passed.size()] = leaf.latch.sharedVersion();
            passed.add(leaf);
            position = descending ? l.low : l.high;
            return null;
        }

        /** The index in {@code l} of the first entry of the rest of the range, or -1. Caller holds l's latch. */
        int candidate(LeafImage l) {
            if (!descending) {
                int i = l.lowerBound(position);
                return i < l.count && (to == null || Arrays.compareUnsigned(l.keys[i], to) < 0) ? i : -1;
            }
            int i = (position == null ? l.count : l.lowerBound(position)) - 1;
            return i >= 0 && (from == null || Arrays.compareUnsigned(l.keys[i], from) >= 0) ? i : -1;
        }

        /** Whether no leaf after {@code l} (in the walk's direction) holds keys of the range. */
        private boolean farEnd(LeafImage l) {
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
            Leaf l = latchExclusive(s.position, s.descending);
            try {
                LeafImage img = store.image(l, true);
                int i = s.candidate(img);
                // The passed leaves are validated under l's exclusive latch: if unchanged, they
                // hold nothing of the range at this instant, and l's entry i is the first; the
                // delete below is applied before the latch is released, so this instant is the
                // poll's linearization point.
                if (i < 0 || !s.validatePassed()) {
                    return NearSearch.RESTART;
                }
                byte[] k = img.keys[i];
                removed = new byte[][] {k.clone(), img.values[i].clone()};
                seq = write(l, k, null, img.values[i]); // steps 4 to 6 of a write: prepare, log, install
            } finally {
                l.unlatch(); // obsolete if a merge absorbed l
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
    private static final int UPSERT = 6;
    private static final int ERASE = 7;

    /**
     * Sets {@code key} to {@code value} without reading its previous value: a <em>blind write</em>.
     * It goes into the leaf's mini-page and reads no disk page when the page's size is known and
     * the leaf plus its buffered writes stay within a page; otherwise it merges as {@link #put}
     * does. Durable as {@link #put}.
     *
     * @param key   the key, at most {@link BfTreeConfig#maxKeySize()} bytes
     * @param value the value, at most {@link BfTreeConfig#maxValueSize()} bytes
     * @throws NullPointerException if {@code key} or {@code value} is null
     * @throws IllegalArgumentException if a size limit is exceeded
     * @throws UncheckedIOException as {@link #put}
     */
    public void upsert(byte[] key, byte[] value) {
        update(key, value, null, UPSERT);
    }

    /**
     * Removes {@code key} without reading whether it is present: a blind delete, logged and
     * buffered in the mini-page as a tombstone like {@link #upsert}. Durable as {@link #put}.
     *
     * @param key the key
     * @throws NullPointerException if {@code key} is null
     * @throws IllegalArgumentException if {@code key} is too long
     * @throws UncheckedIOException as {@link #put}
     */
    public void erase(byte[] key) {
        update(key, null, null, ERASE);
    }

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
        boolean deleting = kind == DELETE || kind == DELETE_IF || kind == ERASE;
        if (!deleting) {
            checkValue(value);
        }
        checkOpen();
        byte[] k = key.clone();
        byte[] v = value == null ? null : value.clone();
        long seq = 0;
        byte[] prev = null;
        gate.readLock().lock();
        try {
            checkOpen(); // close() sets the flag before it takes the gate exclusive
            Leaf l = latchExclusive(k);
            try {
                boolean blind = kind == UPSERT || kind == ERASE;
                if (!blind) {
                    prev = store.lookup(l, k, false); // the mini-page, else the disk page
                }
                boolean change = blind || kind == PUT || (kind == PUT_IF_ABSENT && prev == null)
                        || (kind == REPLACE && prev != null && Arrays.equals(prev, expected))
                        || (kind == REPLACE_PRESENT && prev != null)
                        || (kind == DELETE && prev != null)
                        || (kind == DELETE_IF && prev != null && Arrays.equals(prev, expected));
                if (change) {
                    seq = write(l, k, deleting ? null : v, prev);
                }
            } finally {
                l.unlatch(); // obsolete if a merge absorbed l
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

    /**
     * Steps 4 and 5 of a write (see the essay): prepare, log, install. {@code v} null deletes.
     * Everything that can fail for want of memory or by I/O (making room in the mini-page,
     * reading the page, writing merged pages to new slots) happens before the log record is
     * appended, and changes no record; after the append only in-memory steps that cannot fail
     * remain. So the log never holds a change that the tree did not apply, and a failed write
     * leaves the leaf as it was. A delete may then merge the leaf with a neighbour
     * ({@link #mergeIfSmall}); if {@code l} is absorbed, the caller's {@link Leaf#unlatch()}
     * marks it obsolete. Caller holds the leaf's exclusive latch and the gate shared.
     *
     * @param prev the value the write replaces or deletes, if known (it feeds the merge trigger)
     * @return the sequence number of the last record appended
     */
    private long write(Leaf l, byte[] k, byte[] v, byte[] prev) throws UncheckedIOException {
        if (v != null) {
            return applyWrite(l, k, v);
        }
        int slot = l.slot;
        int dirtyBefore = l.dirtyPutBytes;
        long seq = applyWrite(l, k, null);
        if (prev != null && l.slot == slot && l.dirtyPutBytes == dirtyBefore) {
            // A tombstone over a record of the page (not over a DIRTY one: that one's bytes left
            // dirtyPutBytes already; and not after a page rewrite, which reset the count).
            l.deletedBytes += Limits.recordBytes(k, prev);
        }
        return mergeIfSmall(l, seq);
    }

    /** {@link #write} without the merge that may follow a delete. */
    private long applyWrite(Leaf l, byte[] k, byte[] v) throws UncheckedIOException {
        byte op = v == null ? WalRecord.DELETE : WalRecord.PUT;
        byte[] logged = v == null ? new byte[0] : v;
        if (blindFits(l, k, v) && store.reserve(l, k, v, true)) {
            // Blind: the record goes into the mini-page; the disk page is not read.
            long seq = wal.append(l.pid, op, k, logged); // under the latch: a page's records in apply order
            store.installBlind(l, k, v);
            return seq;
        }
        // Merge: the whole leaf with this write goes to a new slot (a shadow slot: until a
        // checkpoint names it, it means nothing, so writing it before the log record is harmless).
        LeafImage img = store.image(l, true);
        img.apply(k, v);
        try {
            if (img.pageBytes() <= limits.pageSize) {
                int s = store.writeImage(img, l.pid);
                long seq;
                try {
                    seq = wal.append(l.pid, op, k, logged);
                } catch (RuntimeException e) {
                    pages.release(s);
                    throw e;
                }
                store.installImage(l, img, s);
                return seq;
            }
            // Split at the byte midpoint; both halves fit (Limits), both go to new slots.
            int mid = img.splitIndex();
            byte[] sep = img.keys[mid];
            long newPid = table.allocatePid();
            LeafImage right = img.splitOff(mid, sep);
            int sl = store.writeImage(img, l.pid);
            int sr;
            try {
                sr = store.writeImage(right, newPid);
            } catch (IOException | RuntimeException e) {
                pages.release(sl);
                throw e;
            }
            long seq;
            try {
                wal.append(l.pid, op, k, logged);
                // If this second append fails, the PUT above may be in the log without its SPLIT:
                // the log has failed for good (sticky), and recovery splits such a leaf itself.
                seq = wal.append(l.pid, WalRecord.SPLIT, sep, WalRecord.pidBytes(newPid));
            } catch (RuntimeException e) {
                pages.release(sl);
                pages.release(sr);
                throw e;
            }
            Leaf r = new Leaf(newPid, sep, right.high);
            store.installImage(r, right, sr);
            l.high = sep;
            store.installImage(l, img, sl);
            publish(r);
            if (TestHooks.ENABLED) {
                TestHooks.recordEvent(TestHooks.SPLIT);
            }
            return seq;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a page to " + pages.path + " (nothing was changed)", e);
        }
    }

    /**
     * After a delete into {@code l} (latched exclusive, gate shared): if {@code l} is now small,
     * merge it with a neighbour. See "Leaf merges" in the essay. Opportunistic: the neighbour's latch
     * is only tried, never waited for (so no cycle of waits can form), and a merge that cannot be
     * prepared (a page that cannot be read, is damaged, or cannot be written) is skipped, leaving both leaves as they
     * were: the delete has been applied and logged already and must not fail for it.
     *
     * @return the sequence number of the MERGE record, or {@code seq} if there was no merge
     */
    private long mergeIfSmall(Leaf l, long seq) {
        int size = l.sizeEstimate();
        if (size < 0 || size > l.recordCapacity(limits.pageSize) / MERGE_TRIGGER_FRACTION) {
            return seq; // not small, or the page's size is unknown (no page read since open)
        }
        long m = l.low.length == 0 ? 0 : tryMerge(l, route(l.low, true).getValue(), true);
        if (m == 0 && l.high != null) {
            m = tryMerge(l, route(l.high, false).getValue(), false);
        }
        return m == 0 ? seq : m;
    }

    /**
     * Merges {@code l} (latched exclusive) with {@code o}, its neighbour on the left if
     * {@code oLeft}, else on the right, if {@code o}'s latch is free and the two fit in
     * {@link #MERGE_LIMIT_QUARTERS} quarters of a page: the left leaf absorbs the right one.
     *
     * @return the MERGE record's sequence number, or 0 if nothing was merged
     */
    private long tryMerge(Leaf l, Leaf o, boolean oLeft) {
        if (o == l || !o.latch.tryLockExclusive()) {
            return 0; // busy (or obsolete): a later delete tries again
        }
        boolean merged = false;
        try {
            Leaf left = oLeft ? o : l;
            Leaf right = oLeft ? l : o;
            // Under both latches the fences are stable: they are neighbours iff left's high fence
            // is right's low fence (the route above was unlatched and may be stale).
            if (left.high == null || !Arrays.equals(left.high, right.low)) {
                return 0;
            }
            int os = o.sizeEstimate();
            if (os > o.recordCapacity(limits.pageSize) / 2) {
                return 0; // most likely the pair would not fit: no page read for nothing
            }
            LeafImage img;
            int s;
            try {
                img = store.image(left, true);
                img.absorb(store.image(right, true));
                if (img.pageBytes() > limits.pageSize / 4 * MERGE_LIMIT_QUARTERS) {
                    return 0;
                }
                s = store.writeImage(img, left.pid); // a shadow slot: harmless until a checkpoint names it
            } catch (IOException | UncheckedIOException | CorruptIndexException e) {
                return 0; // the leaves are as they were; a reader of that page will see the error
            }
            long seq;
            try {
                seq = wal.append(left.pid, WalRecord.MERGE, right.low, WalRecord.pidBytes(right.pid));
            } catch (RuntimeException e) {
                pages.release(s); // not logged, so not done; the log's failure is sticky and the
                return 0;         // caller's wait for its own record reports it
            }
            installMerge(left, right, img, s);
            merged = true;
            if (TestHooks.ENABLED) {
                TestHooks.recordEvent(TestHooks.MERGE);
            }
            return seq;
        } finally {
            if (o.absorbed) {
                o.unlatch();
            } else if (merged) {
                o.latch.unlockExclusive();
            } else {
                // Unchanged: reading o's image changed none of its records.
                o.latch.unlockExclusiveUnchanged();
            }
        }
    }

    /**
     * Installs a merge (cannot fail): {@code left} takes {@code img} (both leaves' records, in
     * slot {@code s}) and {@code right}'s high fence; {@code right} is marked absorbed, and leaves
     * the inner index and the mapping table; its page slot and mini-page are released. Caller
     * holds both leaves' exclusive latches, or is recovery.
     */
    private void installMerge(Leaf left, Leaf right, LeafImage img, int s) {
        left.high = right.high;
        store.installImage(left, img, s);
        store.dropMini(right);
        pages.release(right.slot);
        right.slot = -1;
        // Whoever holds right (from the inner index, before the remove below) waits for its latch,
        // and its release marks it obsolete: the latch attempt fails, and a route taken after the
        // remove finds left, whose latch we hold until left's new high fence is in place.
        right.absorbed = !fault(FAULT_MERGE_ABSORBED_STAYS_LIVE);
        inner.remove(right.low);
        table.remove(right.pid);
    }

    /** Routes {@code k} and returns its leaf latched exclusive. */
    private Leaf latchExclusive(byte[] k) {
        return latchExclusive(k, false);
    }

    /**
     * Routes as {@link #readLeaf} does ({@code below}: the leaf holding the keys just below
     * {@code key}, null key the last leaf; never the empty key) and returns that leaf latched
     * exclusive.
     */
    private Leaf latchExclusive(byte[] key, boolean below) {
        for (;;) {
            Leaf l = route(key, below).getValue(); // never null: only readLeaf routes below the empty key
            // Exclusive: the acquiring CAS orders our reads and writes after the previous holder's
            // (shared holders have left: lockExclusive waits for them).
            if (!l.latch.lockExclusive()) {
                continue;
            }
            if (l.routes(key, below) || fault(FAULT_WRITE_SKIP_FENCE_CHECK)) {
                l.referenced = true;
                return l;
            }
            l.latch.unlockExclusive(); // moved by a split
        }
    }

    /** The inner index's entry for {@code key}: its floor, or with {@code below} the entry just below it (null key: the last). */
    private Map.Entry<byte[], Leaf> route(byte[] key, boolean below) {
        return !below ? inner.floorEntry(key) : key == null ? inner.lastEntry() : inner.lowerEntry(key);
    }

    /** Publishes a leaf made by a split: mapping table, then inner index (the routing step). */
    private void publish(Leaf r) {
        // Both publications come after r is filled: the table's element store is a release, and the
        // B+tree's put (value stored under the leaf node's latch, released by its unlock) happens-
        // before any floorEntry that returns r (which read it under a version it then validated,
        // acquire), so whoever finds r sees it whole. The inner put comes last: until it, keys >= r.low still
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

    /**
     * Sweeps the pool when its free part (counting what the sweep has passed) is below an
     * eighth, until it is a quarter (see the essay's eviction). One sweeping thread at a time;
     * the others go on (the pool never grows, so nothing is over budget meanwhile: a write that
     * finds no free block merges into its page instead).
     */
    private void evictIfNeeded() {
        if (pool.freeAfterSweep() >= pool.capacity / 8 || !evictLock.tryLock()) {
            return;
        }
        try {
            gate.readLock().lock();
            try {
                if (closedAcquire()) {
                    return; // close() has run (it holds the gate exclusive while closing the files)
                }
                sweep(pool.capacity / 4);
            } finally {
                gate.readLock().unlock();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a page to " + pages.path + " (the mini-page stays)", e);
        } finally {
            evictLock.unlock();
        }
    }

    /**
     * The second-chance sweep at the pool's head, until {@code target} bytes are free after it.
     * Caller holds evictLock and the gate shared, and no latch.
     */
    private void sweep(long target) throws IOException {
        long h = pool.head();
        long start = h;
        try {
            for (long t = pool.tail(); h < t && pool.capacity - (t - h) < target; t = pool.tail()) {
                int size = pool.blockSize(h); // the header below tail is as its allocator wrote it (pool monitor)
                Leaf l = pool.blockKind(h) == MiniPagePool.MINI ? table.get(pool.blockPid(h)) : null;
                // A blocking wait is safe: we hold no latch, and a latch holder never waits for the
                // sweep (it allocates with tryAllocate and merges into its page on failure). An
                // obsolete leaf (absorbed by a merge meanwhile) released its block already.
                if (l != null && l.latch.lockExclusive()) {
                    try {
                        if (l.miniAcquire() == h) { // else dead: the leaf moved on (grown, merged, promoted)
                            long n = MiniPagePool.NONE;
                            // A second chance at most once per lap, so a sweep ends even if all is hot.
                            if (l.referenced && h - start < pool.capacity) {
                                l.referenced = false; // second chance: copy it forward to the tail
                                n = pool.tryAllocate(size, l.pid);
                            }
                            if (n != MiniPagePool.NONE) {
                                pool.copyBlock(h, n, size);
                                pool.release(h);
                                l.setMiniRelease(n); // release: the copy is visible before the address
                            } else {
                                store.evict(l); // dirty records merged into a new page first
                            }
                        }
                    } finally {
                        // Unchanged: the leaf's records are the same (copied, or now in its page), and
                        // the block at h stays intact until every reader pinned now has unpinned, so
                        // an optimistic reader holding either address reads a right answer.
                        l.latch.unlockExclusiveUnchanged();
                    }
                }
                h += size;
            }
        } finally {
            pool.advanceHead(h); // every block below h is unlinked: retire them to the epochs
            pool.collect();
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
        List<Leaf> leaves = new ArrayList<>(inner.values());
        int n = leaves.size();
        long[] pids = new long[n];
        int[] slots = new int[n];
        byte[][] lows = new byte[n][];
        int[] recordBytes = new int[n];
        BitSet referenced = new BitSet();
        for (int i = 0; i < n; i++) {
            Leaf l = leaves.get(i);
            l.latch.lockExclusive();
            try {
                store.flush(l); // dirty records into a new page; the mini-page stays, clean
                pids[i] = l.pid;
                slots[i] = l.slot;
                lows[i] = l.low;
                recordBytes[i] = l.diskBytes; // exact whenever known: set from the page read or written
                referenced.set(l.slot);
            } finally {
                l.latch.unlockExclusive();
            }
        }
        pages.force();
        byte[] meta = new Checkpoint(lsn, table.nextPid(), pages.slotCount(), pids, slots, lows, recordBytes).encode();
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
     * inner index and the mapping table agree, every leaf has a page and its content (page and
     * mini-page together) ascends within its fences and fits a page, within the bound blind writes
     * rely on; every mini-page lies in the pool between head and tail, names its leaf, and its
     * records are ordered and counted right; the pool's live bytes are the mini-pages' sizes and
     * its memory in use is within the budget. Call it when no write is running (it reads pages,
     * unless the tree is closed: then it checks what is in memory).
     *
     * @throws AssertionError describing the first violation found
     */
    public void checkInvariants() {
        boolean open = !closedAcquire();
        byte[] expectLow = new byte[0];
        long live = 0;
        int leaves = 0;
        Leaf prev = null;
        long head = pool.head();
        long tail = pool.tail();
        for (Map.Entry<byte[], Leaf> e : inner.entrySet()) {
            Leaf l = e.getValue();
            check(l.latch.lockShared(), "leaf " + l.pid + " in the inner index is obsolete");
            leaves++;
            try {
                check(!l.absorbed, "leaf " + l.pid + " in the inner index was absorbed by a merge");
                check(Arrays.equals(e.getKey(), l.low), "inner key differs from low fence of " + l.pid);
                check(Arrays.equals(l.low, expectLow), "fence gap before leaf " + l.pid);
                check(table.get(l.pid) == l, "mapping table misses leaf " + l.pid);
                check(l.slot >= 0, "leaf " + l.pid + " has no page");
                long a = l.miniAcquire();
                int dirty = 0;
                int dirtyBytes = 0;
                if (a != MiniPagePool.NONE) {
                    int size = MiniPage.size(pool, a);
                    check(a >= head && a + size <= tail, "mini-page of " + l.pid + " outside the pool's ring");
                    check(pool.blockKind(a) == MiniPagePool.MINI && pool.blockPid(a) == l.pid,
                            "mini-page header of " + l.pid);
                    check(Integer.bitCount(size) == 1 && size >= MiniPagePool.MIN_BLOCK && size <= limits.pageSize,
                            "mini-page size of " + l.pid);
                    check(MiniPage.room(pool, a) >= 0, "mini-page of " + l.pid + " overfull");
                    live += size;
                    int n = MiniPage.count(pool, a);
                    for (int i = 0; i < n; i++) {
                        byte[] k = MiniPage.key(pool, a, i);
                        check(l.covers(k), "mini-page key outside fences in leaf " + l.pid);
                        check(i == 0 || Arrays.compareUnsigned(MiniPage.key(pool, a, i - 1), k) < 0,
                                "mini-page order in " + l.pid);
                        int kind = MiniPage.kind(pool, a, i);
                        if (MiniPage.isDirty(kind)) {
                            dirty++;
                        }
                        if (kind == MiniPage.DIRTY) {
                            dirtyBytes += MiniPage.recordBytes(pool, a, i);
                        }
                    }
                }
                check(dirty == l.dirtyCount && dirtyBytes == l.dirtyPutBytes, "dirty count of leaf " + l.pid);
                check(open || !l.dirty(), "leaf " + l.pid + " dirty after close");
                LeafImage img = open ? store.image(l, false) : new LeafImage(l.low, l.high, new byte[0][], new byte[0][]);
                for (int i = 0; i < img.count; i++) {
                    check(l.covers(img.keys[i]), "key outside fences in leaf " + l.pid);
                    check(i == 0 || Arrays.compareUnsigned(img.keys[i - 1], img.keys[i]) < 0, "order in " + l.pid);
                }
                check(img.pageBytes() <= limits.pageSize, "leaf " + l.pid + " does not fit a page");
                check(l.boundBytes() < 0 || img.recordBytes <= l.boundBytes(), "bound of leaf " + l.pid);
                if (open && l.diskBytes >= 0) {
                    check(store.readPage(l).recordBytes == l.diskBytes, "page size of leaf " + l.pid);
                }
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
        int mapped = 0;
        for (int pid = 0; pid < table.capacity(); pid++) {
            mapped += table.get(pid) != null ? 1 : 0;
        }
        check(mapped == leaves, "mapping table holds " + mapped + " leaves, the inner index " + leaves);
        check(live == pool.liveBytes(), "pool live bytes " + pool.liveBytes() + " != " + live);
        check(pool.inUse() <= pool.capacity && pool.peakInUse() <= pool.capacity
                && pool.reservedBytes() == pool.capacity && pool.capacity <= config.memoryBudget(),
                "pool memory beyond the budget");
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

    /** Bytes of live mini-pages in the pool (tests). */
    long residentBytes() {
        return pool.liveBytes();
    }

    /** The mini-page pool (tests). */
    MiniPagePool poolForTest() {
        return pool;
    }

    /** The leaf whose range holds {@code key} (tests). */
    Leaf leafForTest(byte[] key) {
        return inner.floorEntry(key).getValue();
    }

    /** Runs the pool's sweep until {@code free} bytes are free after it (tests). */
    void sweepForTest(long free) throws IOException {
        evictLock.lock();
        try {
            gate.readLock().lock();
            try {
                sweep(free);
            } finally {
                gate.readLock().unlock();
            }
        } finally {
            evictLock.unlock();
        }
    }

    /** Pages read from the page file since open (tests). */
    long pageReads() {
        return pages.reads();
    }

    Limits limits() {
        return limits;
    }

    // VarHandle mechanics

    private boolean closedAcquire() {
        return (boolean) CLOSED.getAcquire(this);
    }

    private boolean casClosed() {
        return CLOSED.compareAndSet(this, false, true);
    }

    private static final VarHandle CLOSED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            CLOSED = l.findVarHandle(BfTree.class, "closed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
