package io.arboretum.bftree;

import io.arboretum.sync.HybridLatch;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * One leaf, identified by its logical page id: its fences, the disk slot of its page, and the
 * address of its mini-page in the {@link MiniPagePool} if it has one. The mapping table goes from
 * the page id to this object, and so to "mini-page and disk page" or "disk page only".
 *
 * <p>The leaf's records are the disk page's records with the mini-page's laid over them: a
 * mini-page record (clean copy, dirty write, or tombstone) overrides the page's record of the same
 * key; a FULL mini-page holds every record and the page need not be read.
 *
 * <p>Every field but {@code pid}, {@code latch}, {@code referenced} and {@code mini} is written
 * only under the leaf's exclusive latch and read under its shared or exclusive latch, or
 * optimistically ({@code low}, {@code high}: immutable arrays, read racily and believed only
 * after the version validates). {@code mini} is also written only under the exclusive latch, with
 * a release store, and read with acquire by optimistic readers (see {@link #miniAcquire()}).
 */
final class Leaf {
    final long pid;
    final HybridLatch latch = new HybridLatch();
    /** Inclusive low fence; empty for the first leaf (minus infinity). */
    byte[] low;
    /** Exclusive high fence; null for the last leaf (plus infinity). */
    byte[] high;
    /** Slot of the leaf's disk page (every published leaf has one). */
    int slot = -1;
    /** Record bytes of the disk page, or -1 if not known since the tree was opened. */
    int diskBytes = -1;
    /** Record bytes (page encoding) of the DIRTY records in the mini-page. */
    int dirtyPutBytes;
    /**
     * Record bytes that deletes of present keys have removed since the page was last written:
     * only for {@link #sizeEstimate()}, the merge trigger's guess.
     */
    int deletedBytes;
    /** DIRTY and TOMB_DIRTY records in the mini-page. */
    int dirtyCount;
    /** Logical address of the mini-page, or {@link MiniPagePool#NONE}; see accessors. */
    private long mini = MiniPagePool.NONE;
    /**
     * Clock bit for second-chance eviction. Read and written without the latch: a benign race,
     * since a lost update only makes eviction give this leaf one chance more or less.
     */
    boolean referenced;
    /**
     * Set under the exclusive latch by the merge that absorbs this leaf into its left neighbour;
     * whoever then releases the latch marks it obsolete ({@link #unlatch()}), so every thread
     * that routed here before the merge fails to latch or validate and routes again.
     */
    boolean absorbed;

    Leaf(long pid, byte[] low, byte[] high) {
        this.pid = pid;
        this.low = low;
        this.high = high;
    }

    /** Releases the exclusive latch: advancing the version, or marking the leaf obsolete if a merge absorbed it. */
    void unlatch() {
        if (absorbed) {
            latch.unlockExclusiveObsolete();
        } else {
            latch.unlockExclusive();
        }
    }

    /** Whether {@code k} belongs here: {@code low <= k < high}. */
    boolean covers(byte[] k) {
        return Arrays.compareUnsigned(low, k) <= 0 && (high == null || Arrays.compareUnsigned(k, high) < 0);
    }

    /**
     * Whether this leaf holds the keys just below {@code bound} (null: plus infinity):
     * {@code low < bound <= high}.
     */
    boolean coversBelow(byte[] bound) {
        if (bound == null) {
            return high == null;
        }
        return Arrays.compareUnsigned(low, bound) < 0 && (high == null || Arrays.compareUnsigned(bound, high) <= 0);
    }

    /** Whether a route to {@code key} ({@code below}: to the keys just below it) ends here. */
    boolean routes(byte[] key, boolean below) {
        return below ? coversBelow(key) : covers(key);
    }

    /** Bytes available for records in this leaf's page (page size minus header and fences). */
    int recordCapacity(int pageSize) {
        return pageSize - LeafPage.encodedSize(low, high, 0);
    }

    /**
     * An upper bound of the leaf's record bytes (as a page), or -1 if unknown: every DIRTY record
     * counted as new, tombstones as removing nothing.
     */
    int boundBytes() {
        return diskBytes < 0 ? -1 : diskBytes + dirtyPutBytes;
    }

    /**
     * A guess at the leaf's record bytes, or -1 if the page's size is unknown: {@link #boundBytes()}
     * less what deletes removed. Not a bound either way (a key put and then deleted in the
     * mini-page is subtracted twice); a merge decides on the exact images, this only says when
     * to look.
     */
    int sizeEstimate() {
        return diskBytes < 0 ? -1 : Math.max(0, diskBytes + dirtyPutBytes - deletedBytes);
    }

    /** Whether the mini-page holds writes not yet in the disk page. */
    boolean dirty() {
        return dirtyCount > 0;
    }

    // VarHandle mechanics

    /** The mini-page address; plain read under the latch, acquire for optimistic readers. */
    long miniAcquire() {
        return (long) MINI.getAcquire(this);
    }

    /** Under the exclusive latch: the release publishes the block's bytes to optimistic readers. */
    void setMiniRelease(long a) {
        MINI.setRelease(this, a);
    }

    private static final VarHandle MINI;

    static {
        try {
            MINI = MethodHandles.lookup().findVarHandle(Leaf.class, "mini", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
