package io.arboretum.bftree;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A cursor over a key range of a {@link BfTree}, ascending or descending; made by
 * {@link BfTree#cursor} and {@link BfTree#descendingCursor}.
 *
 * <pre>{@code
 * try (BfCursor c = tree.cursor(from, to)) {
 *     while (c.next()) {
 *         process(c.key(), c.value());
 *     }
 * }
 * }</pre>
 *
 * <p>Weakly consistent: keys come in order, each at most once; a key present in the range for the
 * cursor's whole life is returned; one added or removed meanwhile may or may not be. The cursor
 * copies one leaf's entries in the range at a time under the leaf's shared latch and holds no
 * latch between calls, so it never blocks writers for long and may be abandoned (closing it only
 * drops its buffer). Not thread-safe: one thread uses a cursor at a time.
 */
public final class BfCursor implements AutoCloseable {
    private final BfTree tree;
    private final MiniPagePool pool;
    private final byte[] from;
    private final byte[] to;
    private final boolean descending;
    /** Ascending: the next lower bound (inclusive). Descending: the next upper bound (exclusive; null = none). */
    private byte[] position;
    private boolean exhausted;
    /**
     * The buffered entries' bytes, back to back: entry {@code j}'s key from {@code ends[2j-1]}
     * (0 for the first) to {@code ends[2j]}, its value from there to {@code ends[2j+1]}. Reused
     * from leaf to leaf, so copying a leaf allocates nothing once the buffer is large enough.
     */
    private byte[] bytes = new byte[0];
    private int[] ends = new int[0];
    private int n;
    private int i;
    /** Index of the current entry, or -1. */
    private int current = -1;
    private final Reader reader = new Reader();

    BfCursor(BfTree tree, byte[] from, byte[] to, boolean descending) {
        this.tree = tree;
        this.pool = tree.pool();
        this.from = from;
        this.to = to;
        this.descending = descending;
        this.position = descending ? to : (from == null ? new byte[0] : from);
        this.exhausted = from != null && to != null && Arrays.compareUnsigned(from, to) >= 0;
    }

    /**
     * Moves to the next entry.
     *
     * @return whether there is one; false at the end of the range (and after {@link #close()})
     * @throws CorruptIndexException if a page on the way is damaged
     * @throws java.io.UncheckedIOException if a page cannot be read
     * @throws IllegalStateException if the tree was closed (entries already copied are still
     *         returned first)
     */
    public boolean next() {
        while (i >= n) {
            if (exhausted) {
                current = -1;
                return false;
            }
            fill();
        }
        current = i++;
        return true;
    }

    /**
     * The current entry's key.
     *
     * @return a copy of the key
     * @throws IllegalStateException before the first {@link #next()} or after it returned false
     */
    public byte[] key() {
        int c = checkCurrent();
        return Arrays.copyOfRange(bytes, c == 0 ? 0 : ends[2 * c - 1], ends[2 * c]);
    }

    /**
     * The current entry's value, as it was when the cursor copied it.
     *
     * @return a copy of the value
     * @throws IllegalStateException before the first {@link #next()} or after it returned false
     */
    public byte[] value() {
        int c = checkCurrent();
        return Arrays.copyOfRange(bytes, ends[2 * c], ends[2 * c + 1]);
    }

    private int checkCurrent() {
        if (current < 0) {
            throw new IllegalStateException("no current entry: call next() first, and only while it returns true");
        }
        return current;
    }

    /** Drops the buffered entries; {@link #next()} returns false afterwards. */
    @Override
    public void close() {
        exhausted = true;
        n = 0;
        i = 0;
        current = -1;
        bytes = new byte[0];
        ends = new int[0];
    }

    /** Copies the entries of the next leaf in the range, and moves {@code position} past it. */
    private void fill() {
        tree.checkOpen();
        i = 0;
        n = 0;
        current = -1;
        tree.readLeaf(position, descending, reader);
    }

    /**
     * What {@link #fill} does in the latched leaf: copies the entries of the range from the
     * decoded content, or straight from a FULL mini-page's bytes, then moves the position to the
     * leaf's far fence. Called under the leaf's latch, so what it reads is consistent.
     */
    private final class Reader implements BfTree.LeafReader<Void> {
        @Override
        public Void read(Leaf leaf, LeafImage l) {
            if (l == null) { // descending, below the empty key
                exhausted = true;
                return null;
            }
            if (!descending) {
                for (int j = l.lowerBound(position); j < l.count; j++) {
                    if (to != null && Arrays.compareUnsigned(l.keys[j], to) >= 0) {
                        break;
                    }
                    add(l.keys[j], l.values[j]);
                }
            } else {
                for (int j = (position == null ? l.count : l.lowerBound(position)) - 1; j >= 0; j--) {
                    if (from != null && Arrays.compareUnsigned(l.keys[j], from) < 0) {
                        break;
                    }
                    add(l.keys[j], l.values[j]);
                }
            }
            moveAfter(l.low, l.high);
            return null;
        }

        @Override
        public boolean readsBlocks() {
            return true;
        }

        @Override
        public Void readBlock(Leaf leaf, long a) {
            ByteBuffer b = pool.buf(a);
            int count = MiniPage.count(pool, a);
            if (!descending) {
                int j = MiniPage.find(pool, a, position);
                for (j = j >= 0 ? j : -j - 1; j < count; j++) {
                    int r = MiniPage.recordAt(pool, a, j);
                    if (to != null && MiniPage.compareKeyAt(b, r, to) >= 0) {
                        break;
                    }
                    add(b, r);
                }
            } else {
                int j = count;
                if (position != null) {
                    j = MiniPage.find(pool, a, position);
                    j = j >= 0 ? j : -j - 1;
                }
                for (j--; j >= 0; j--) {
                    int r = MiniPage.recordAt(pool, a, j);
                    if (from != null && MiniPage.compareKeyAt(b, r, from) < 0) {
                        break;
                    }
                    add(b, r);
                }
            }
            moveAfter(leaf.low, leaf.high);
            return null;
        }
    }

    /** Moves the position past the leaf with these fences; exhausted if the range ends there. */
    private void moveAfter(byte[] low, byte[] high) {
        if (!descending) {
            position = high;
            exhausted = high == null || (to != null && Arrays.compareUnsigned(high, to) >= 0);
        } else {
            position = low;
            exhausted = low.length == 0 || (from != null && Arrays.compareUnsigned(low, from) <= 0);
        }
    }

    /** Buffers an entry from the heap. */
    private void add(byte[] k, byte[] v) {
        int at = reserve(k.length + v.length);
        System.arraycopy(k, 0, bytes, at, k.length);
        System.arraycopy(v, 0, bytes, at + k.length, v.length);
        ends[2 * n] = at + k.length;
        ends[2 * n + 1] = at + k.length + v.length;
        n++;
    }

    /** Buffers the record starting at {@code r} in the FULL mini-page's buffer {@code b}, unless it is a tombstone. */
    private void add(ByteBuffer b, int r) {
        if (MiniPage.isTomb(MiniPage.kindAt(b, r))) {
            return;
        }
        int kl = MiniPage.keyLengthAt(b, r);
        int vl = MiniPage.valueLengthAt(b, r);
        int at = reserve(kl + vl);
        b.get(r + MiniPage.REC, bytes, at, kl + vl); // key and value are adjacent in the block
        ends[2 * n] = at + kl;
        ends[2 * n + 1] = at + kl + vl;
        n++;
    }

    /** Makes room for one more entry of {@code len} bytes; returns where its bytes go. */
    private int reserve(int len) {
        if (2 * n + 2 > ends.length) {
            ends = Arrays.copyOf(ends, Math.max(64, 2 * ends.length));
        }
        int at = n == 0 ? 0 : ends[2 * n - 1];
        if (at + len > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(at + len, Math.max(4096, 2 * bytes.length)));
        }
        return at;
    }
}
