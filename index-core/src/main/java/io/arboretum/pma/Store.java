package io.arboretum.pma;

import io.arboretum.sync.HybridLatch;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One generation of a {@link PackedMemoryArrayMap}'s array: the cells, the segments' counts and
 * latches, the density bounds of every level, and the van Emde Boas search index over the
 * segments' first keys. A resize builds a new {@code Store} and publishes it; the old one's
 * latches are left obsolete. See the implementation notes of {@link PackedMemoryArrayMap}.
 *
 * <p>Every array reference here is final and every array is filled before the store is published
 * (a release store of the map's {@code store} field), so a thread that acquires the store sees
 * its arrays and their initial contents. After publication the cells, counts and heat of a
 * segment change only under that segment's exclusive latch.
 */
final class Store {
    /** Leaf (segment) upper density bound: a segment may be full. */
    static final double LEAF_UPPER = 1.0;
    /** Root upper density bound: the array grows above it. */
    static final double ROOT_UPPER = 0.75;
    /** Leaf lower density bound (and at least one entry per segment). */
    static final double LEAF_LOWER = 0.125;
    /** Root lower density bound: the array shrinks below it. */
    static final double ROOT_LOWER = 0.2;
    /** The density a resize aims at (it lands between half this and this). */
    static final double TARGET = 0.5;

    final Codec codec;
    /** Cells per segment. */
    final int segSize;
    /** Number of segments, a power of two. */
    final int segCount;
    /** log2(segCount): the level of the root window. */
    final int height;
    /** Exact mode: keys as prefixes, one per cell. Null in object mode. */
    final long[] lkeys;
    /** Object mode: key objects, one per cell (null in gaps). Null in exact mode. */
    final Object[] okeys;
    /** Values, one per cell; null in gaps. */
    final Object[] vals;
    /** Entries per segment; a segment's entries are packed at its left end, in key order. */
    final int[] counts;
    /** Inserts into each segment since the last redistribution covering it (the adaptive predictor). */
    final int[] heat;
    /** One latch per segment. */
    final HybridLatch[] latches;
    /** Smallest allowed entry count of a window of each level (0 = one segment .. height = root). */
    final int[] lo;
    /** Largest allowed entry count of a window of each level. */
    final int[] hi;
    /** Exact mode: the search index, segment first keys in van Emde Boas order (segments 1..M-1). */
    final long[] lsep;
    /** Object mode: the same, as key objects. */
    final Object[] osep;
    /** Position in the search index of segment j's first key (j >= 1). */
    final int[] sepPos;

    Store(Codec codec, int segSize, int segCount) {
        this.codec = codec;
        this.segSize = segSize;
        this.segCount = segCount;
        this.height = Integer.numberOfTrailingZeros(segCount);
        int cells = segSize * segCount;
        if (codec.exact()) {
            lkeys = new long[cells];
            okeys = null;
            lsep = new long[Math.max(1, segCount - 1)];
            osep = null;
        } else {
            lkeys = null;
            okeys = new Object[cells];
            lsep = null;
            osep = new Object[Math.max(1, segCount - 1)];
        }
        vals = new Object[cells];
        counts = new int[segCount];
        heat = new int[segCount];
        latches = new HybridLatch[segCount];
        for (int i = 0; i < segCount; i++) {
            latches[i] = new HybridLatch();
        }
        lo = new int[height + 1];
        hi = new int[height + 1];
        for (int l = 0; l <= height; l++) {
            long windowCells = (long) segSize << l;
            if (height == 0) {
                lo[l] = 0;
                hi[l] = segSize;
            } else {
                double f = (double) l / height;
                double upper = LEAF_UPPER - (LEAF_UPPER - ROOT_UPPER) * f;
                double lower = LEAF_LOWER + (ROOT_LOWER - LEAF_LOWER) * f;
                hi[l] = (int) Math.min(windowCells, (long) Math.floor(upper * windowCells));
                lo[l] = (int) Math.max(1L << l, (long) Math.ceil(lower * windowCells));
            }
        }
        hi[0] = segSize;
        sepPos = new int[segCount];
        for (int j = 1; j < segCount; j++) {
            int tz = Integer.numberOfTrailingZeros(j);
            int node = (j + segCount) >>> (tz + 1);
            int depth = height - 1 - tz;
            sepPos[j] = vebPos(0, height, depth, node - (1 << depth));
        }
    }

    // ------------------------------------------------------------------ van Emde Boas index

    /*
     * The index is the complete binary tree of height H = log2(M) whose leaves are the M segments;
     * internal node i (BFS numbering, root 1) holds the first key of the leftmost segment of its
     * right subtree, so a search goes right iff key >= separator and exits at the owner's leaf.
     * Segment j >= 1 is that leftmost leaf for exactly one node, so the M - 1 nodes hold the first
     * keys of segments 1..M-1. Nodes are stored in van Emde Boas order: a tree of height h is laid
     * out as its top half (height floor(h/2)) followed by its 2^floor(h/2) bottom trees, each laid
     * out recursively, so every subtree of height about log B fills O(1) blocks of size B.
     */

    /**
     * The position of a node in van Emde Boas order.
     *
     * @param base where the subtree holding the node starts
     * @param h the subtree's height
     * @param d the node's depth inside the subtree
     * @param path the d decisions from the subtree's root to the node, most significant first (1 = right)
     */
    static int vebPos(int base, int h, int d, int path) {
        while (h > 1) {
            int ht = h >>> 1;
            int hb = h - ht;
            if (d < ht) {
                h = ht;
                continue;
            }
            int t = path >>> (d - ht);
            base += (1 << ht) - 1 + t * ((1 << hb) - 1);
            path &= (1 << (d - ht)) - 1;
            d -= ht;
            h = hb;
        }
        return base;
    }

    /**
     * The segment the index sends {@code kp} to (exact mode). The index is a hint: its entries are
     * read without latches and may be a step behind the segments, so callers check the segment.
     */
    int searchExact(long kp) {
        return height == 0 ? 0 : exitExact(0, height, kp);
    }

    private int exitExact(int base, int h, long kp) {
        if (h == 1) {
            // Plain read: a racy, possibly stale separator only sends the search to a neighbour of
            // the owner, and the caller walks from there under validated reads.
            return kp >= lsep[base] ? 1 : 0;
        }
        int ht = h >>> 1;
        int hb = h - ht;
        int t = exitExact(base, ht, kp);
        return (t << hb) | exitExact(base + (1 << ht) - 1 + t * ((1 << hb) - 1), hb, kp);
    }

    /**
     * The segment the index sends {@code key} to (object mode); 0 if a comparison throws (the
     * caller then meets the same exception, or not, under a validated read of a segment).
     */
    int searchObject(Object key) {
        if (height == 0) {
            return 0;
        }
        try {
            return exitObject(0, height, key);
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private int exitObject(int base, int h, Object key) {
        if (h == 1) {
            Object s = sepAcquire(base);
            return s != null && codec.compare(key, s) >= 0 ? 1 : 0;
        }
        int ht = h >>> 1;
        int hb = h - ht;
        int t = exitObject(base, ht, key);
        return (t << hb) | exitObject(base + (1 << ht) - 1 + t * ((1 << hb) - 1), hb, key);
    }

    /** Rewrites the index entry of segment j (j >= 1) from its first cell; under j's exclusive latch. */
    void refreshSeparator(int j) {
        if (j == 0) {
            return;
        }
        int cell = j * segSize;
        if (lkeys != null) {
            // Plain store: the index is a hint (see exitExact); the segment's latch release that
            // follows publishes it to readers that later validate this segment anyway.
            lsep[sepPos[j]] = lkeys[cell];
        } else {
            setSepRelease(sepPos[j], okeys[cell]);
        }
    }

    // ------------------------------------------------------------------ VarHandle mechanics

    /** Acquire read of an object separator: a key object read racily must be seen fully built. */
    private Object sepAcquire(int i) {
        return OSEP.getAcquire(osep, i);
    }

    /** Release store of an object separator, pairing with {@link #sepAcquire}. */
    private void setSepRelease(int i, Object key) {
        OSEP.setRelease(osep, i, key);
    }

    private static final VarHandle OSEP = MethodHandles.arrayElementVarHandle(Object[].class);
}
