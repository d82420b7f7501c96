package io.arboretum.bftree;

import io.arboretum.sync.EpochManager;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * The circular buffer pool that holds every mini-page: off-heap memory of a fixed size, allocated
 * at the tail, swept at the head, and handed back through the epoch manager.
 *
 * <p><b>Addresses.</b> A block is named by a <em>logical</em> address, a {@code long} that only
 * grows; its bytes are at {@code address mod capacity} in the ring, which is cut into equal
 * direct-buffer chunks (at most 1 GiB each, so a budget of any size works). A block never
 * straddles two chunks: an allocation that would is preceded by a padding block up to the chunk's
 * end. Blocks are 64 bytes to a page, powers of two, so every block and every padding block is a
 * multiple of 64 bytes and has room for the 16-byte block header:
 * <pre>
 *   offset  size  field
 *   0       4     block size in bytes
 *   4       4     kind: 0 padding, 1 mini-page
 *   8       8     logical page id of the leaf that owns it (padding: -1)
 *   16      ...   the mini-page (see {@link MiniPage})
 * </pre>
 * The header is written once, at allocation, and never changed while the block is in the ring.
 *
 * <p><b>Three positions</b>, all logical addresses, {@code reclaimed <= head <= tail}:
 * <pre>
 *   reclaimed        head                               tail
 *   | swept, waiting  | blocks in the ring: live or dead  | free ... (up to reclaimed + capacity)
 *   | for the epochs  | (the sweep looks at the oldest)   |
 * </pre>
 * An allocation takes {@code [tail, tail + size)} only if {@code tail + size - reclaimed <= capacity},
 * so it reuses only memory whose previous block the epoch manager has reclaimed. The sweep (one
 * thread at a time, under the tree's eviction lock) looks at the block at {@code head}; once the
 * block is dead (its leaf points elsewhere) or has been evicted or copied forward, the head moves
 * past it. The swept range is then retired to the {@link EpochManager}; its reclaim action moves
 * {@code reclaimed} forward. Ranges are retired in address order, but reclamation actions may run
 * out of order (two threads collecting at once), so a range that completes early waits in
 * {@code early} until the ranges before it are reclaimed.
 *
 * <p><b>Why epochs.</b> Optimistic readers read a leaf's mini-page address and then its bytes,
 * holding no latch. A mini-page that is evicted or copied forward while they read keeps its bytes
 * until every reader pinned when it was unlinked has unpinned: the memory is reused only after
 * reclamation. So a racing reader reads the old place or the new one, never reused memory.
 *
 * <p><b>Budget.</b> The chunks are allocated once and their total, {@link #capacity}, is at most
 * the configured memory budget; {@code tail - reclaimed <= capacity} is checked at every
 * allocation, and its peak is kept for tests.
 *
 * <p>Positions and counters are guarded by this object's monitor, held only for a few field
 * updates (never while waiting for anything). The header of a block is written under the monitor
 * before {@code tail} moves past it; the sweep reads {@code tail} under the monitor before it
 * reads a header below it, so it reads the header as written. Block contents are ordered by the
 * owning leaf's latch (see {@link MiniPage}).
 */
final class MiniPagePool {
    static final long NONE = -1L;
    static final int MIN_BLOCK = 64;
    static final int SIZE = 0;
    static final int KIND = 4;
    static final int PID = 8;
    static final int HEADER = 16;
    static final int PAD = 0;
    static final int MINI = 1;
    /** Largest chunk: a direct buffer is indexed by {@code int}. */
    static final long MAX_CHUNK = 1L << 30;

    final int maxBlock;
    final int chunkSize;
    final long capacity;
    private final ByteBuffer[] chunks;
    private final EpochManager epochs;
    private final EpochManager.RangeReclaimer reclaimer = this::reclaim;

    private long tail;
    private long head;
    private long reclaimed;
    private final TreeMap<Long, Long> early = new TreeMap<>();
    /** Bytes of blocks allocated for mini-pages and not yet released by their leaf. */
    private long liveBytes;
    /** Largest {@code tail - reclaimed} so far. */
    private long peakInUse;
    private long allocations;
    private long failedAllocations;
    /** Tests: overwrite reclaimed memory with {@link #POISON}, so a read of reused memory shows. */
    volatile boolean poisonOnReclaim;
    static final byte POISON = (byte) 0xDB;

    /**
     * A pool of at most {@code budget} bytes for blocks of up to {@code maxBlock} bytes (the page
     * size, a power of two of at least 512).
     */
    MiniPagePool(long budget, int maxBlock) {
        this(budget, maxBlock, MAX_CHUNK);
    }

    /** As above with chunks of at most {@code maxChunk} bytes (tests use small chunks to see padding). */
    MiniPagePool(long budget, int maxBlock, long maxChunk) {
        int n = (int) Math.max(1, (budget + maxChunk - 1) / maxChunk);
        long per = budget / n / maxBlock * maxBlock;
        if (per < maxBlock) {
            throw new IllegalArgumentException("a budget of " + budget + " bytes cannot hold a " + maxBlock + "-byte block");
        }
        this.maxBlock = maxBlock;
        this.chunkSize = (int) per;
        this.capacity = per * n;
        this.chunks = new ByteBuffer[n];
        for (int i = 0; i < n; i++) {
            chunks[i] = ByteBuffer.allocateDirect(chunkSize).order(ByteOrder.LITTLE_ENDIAN);
        }
        // Retired bytes never exceed the capacity, so the garbage limit (back-pressure on pin) is
        // never reached: reclamation is paced by the sweep, not by blocking readers.
        this.epochs = new EpochManager(Math.max(2 * capacity, 1L << 20), Duration.ofSeconds(30));
    }

    /** The epoch manager readers pin while they read mini-pages without a latch. */
    EpochManager epochs() {
        return epochs;
    }

    /** The chunk holding logical address {@code a}. */
    ByteBuffer buf(long a) {
        return chunks[(int) (Math.floorMod(a, capacity) / chunkSize)];
    }

    /** Offset of logical address {@code a} in its chunk. */
    int off(long a) {
        return (int) (Math.floorMod(a, capacity) % chunkSize);
    }

    /** Smallest block size (a power of two, at least 64) with {@code bytes} bytes, or -1 if over a page. */
    int blockFor(int bytes) {
        int s = MIN_BLOCK;
        while (s < bytes) {
            s <<= 1;
        }
        return s <= maxBlock ? s : -1;
    }

    /**
     * Allocates a block of {@code size} bytes (a power of two, 64 to {@code maxBlock}) owned by
     * {@code pid}, and writes its header. Never waits.
     *
     * @return its logical address, or {@link #NONE} if the free part of the ring is too small
     */
    synchronized long tryAllocate(int size, long pid) {
        long a = tail;
        int within = off(a);
        int pad = within + size > chunkSize ? chunkSize - within : 0;
        long floor = BfTree.fault(BfTree.FAULT_POOL_REUSE_WITHOUT_EPOCH) ? head : reclaimed;
        if (a + pad + size - floor > capacity) {
            failedAllocations++;
            return NONE;
        }
        if (pad > 0) {
            header(a, pad, PAD, -1);
            a += pad;
        }
        header(a, size, MINI, pid);
        tail = a + size;
        liveBytes += size;
        allocations++;
        peakInUse = Math.max(peakInUse, tail - reclaimed);
        return a;
    }

    private void header(long a, int size, int kind, long pid) {
        ByteBuffer b = buf(a);
        int o = off(a);
        b.putInt(o + SIZE, size).putInt(o + KIND, kind).putLong(o + PID, pid);
    }

    /** The owner of block {@code a} no longer points to it (accounting only: the bytes wait for the sweep). */
    synchronized void release(long a) {
        liveBytes -= buf(a).getInt(off(a) + SIZE);
    }

    // ------------------------------------------------------------------ the sweep (one thread at a time)

    synchronized long head() {
        return head;
    }

    synchronized long tail() {
        return tail;
    }

    /** Bytes between {@code tail} and the end of the ring's free part once every swept block is reclaimed. */
    synchronized long freeAfterSweep() {
        return capacity - (tail - head);
    }

    /** Size of the block at {@code a}, which lies in {@code [head, tail)}. */
    int blockSize(long a) {
        return buf(a).getInt(off(a) + SIZE);
    }

    int blockKind(long a) {
        return buf(a).getInt(off(a) + KIND);
    }

    long blockPid(long a) {
        return buf(a).getLong(off(a) + PID);
    }

    /**
     * Moves the head to {@code h} and retires the swept range. The caller has unlinked every block
     * below {@code h} (no leaf points to one), so no new reader can reach them.
     */
    void advanceHead(long h) {
        long from;
        synchronized (this) {
            from = head;
            head = h;
        }
        if (h > from) {
            epochs.retire(from, h - from, reclaimer);
        }
    }

    /** Advances the epoch and reclaims what no reader can still see. */
    void collect() {
        epochs.collect();
    }

    private synchronized void reclaim(long a, long len) {
        if (poisonOnReclaim) {
            for (long x = a; x < a + len; x++) {
                buf(x).put(off(x), POISON);
            }
        }
        if (a != reclaimed) {
            early.put(a, len); // an earlier range is still waiting: see the class comment
            return;
        }
        reclaimed = a + len;
        for (Map.Entry<Long, Long> e = early.firstEntry(); e != null && e.getKey() == reclaimed; e = early.firstEntry()) {
            reclaimed += e.getValue();
            early.pollFirstEntry();
        }
    }

    /** Copies block {@code from} to block {@code to} (same size) apart from the header's first 16 bytes. */
    void copyBlock(long from, long to, int size) {
        ByteBuffer src = buf(from).duplicate();
        int so = off(from);
        src.limit(so + size).position(so + HEADER);
        ByteBuffer dst = buf(to).duplicate();
        dst.position(off(to) + HEADER);
        dst.put(src);
    }

    // ------------------------------------------------------------------ observation (tests, invariants)

    synchronized long liveBytes() {
        return liveBytes;
    }

    synchronized long inUse() {
        return tail - reclaimed;
    }

    synchronized long peakInUse() {
        return peakInUse;
    }

    synchronized long allocations() {
        return allocations;
    }

    synchronized long failedAllocations() {
        return failedAllocations;
    }

    synchronized long reclaimedPosition() {
        return reclaimed;
    }

    /** Bytes of direct memory the pool holds (allocated once, at construction). */
    long reservedBytes() {
        long s = 0;
        for (ByteBuffer c : chunks) {
            s += c.capacity();
        }
        return s;
    }
}
