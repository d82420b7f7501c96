package io.arboretum.bftree;

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
    private final byte[] from;
    private final byte[] to;
    private final boolean descending;
    /** Ascending: the next lower bound (inclusive). Descending: the next upper bound (exclusive; null = none). */
    private byte[] position;
    private boolean exhausted;
    private byte[][] keys = new byte[0][];
    private byte[][] values = new byte[0][];
    private int n;
    private int i;
    private byte[] key;
    private byte[] value;

    BfCursor(BfTree tree, byte[] from, byte[] to, boolean descending) {
        this.tree = tree;
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
                key = null;
                value = null;
                return false;
            }
            fill();
        }
        key = keys[i];
        value = values[i];
        i++;
        return true;
    }

    /**
     * The current entry's key.
     *
     * @return a copy of the key
     * @throws IllegalStateException before the first {@link #next()} or after it returned false
     */
    public byte[] key() {
        if (key == null) {
            throw new IllegalStateException("no current entry: call next() first, and only while it returns true");
        }
        return key.clone();
    }

    /**
     * The current entry's value, as it was when the cursor copied it.
     *
     * @return a copy of the value
     * @throws IllegalStateException before the first {@link #next()} or after it returned false
     */
    public byte[] value() {
        if (value == null) {
            throw new IllegalStateException("no current entry: call next() first, and only while it returns true");
        }
        return value.clone();
    }

    /** Drops the buffered entries; {@link #next()} returns false afterwards. */
    @Override
    public void close() {
        exhausted = true;
        n = 0;
        i = 0;
        keys = new byte[0][];
        values = new byte[0][];
    }

    /** Copies the entries of the next leaf in the range, and moves {@code position} past it. */
    private void fill() {
        tree.checkOpen();
        i = 0;
        n = 0;
        if (!descending) {
            tree.readLeaf(position, false, (leaf, l) -> {
                ensure(l.count);
                for (int j = l.lowerBound(position); j < l.count; j++) {
                    if (to != null && Arrays.compareUnsigned(l.keys[j], to) >= 0) {
                        break;
                    }
                    keys[n] = l.keys[j];
                    values[n] = l.values[j];
                    n++;
                }
                position = l.high;
                exhausted = l.high == null || (to != null && Arrays.compareUnsigned(l.high, to) >= 0);
                return null;
            });
        } else {
            tree.readLeaf(position, true, (leaf, l) -> {
                if (l == null) {
                    exhausted = true;
                    return null;
                }
                ensure(l.count);
                for (int j = (position == null ? l.count : l.lowerBound(position)) - 1; j >= 0; j--) {
                    if (from != null && Arrays.compareUnsigned(l.keys[j], from) < 0) {
                        break;
                    }
                    keys[n] = l.keys[j];
                    values[n] = l.values[j];
                    n++;
                }
                position = l.low;
                exhausted = l.low.length == 0 || (from != null && Arrays.compareUnsigned(l.low, from) <= 0);
                return null;
            });
        }
    }

    private void ensure(int count) {
        if (keys.length < count) {
            keys = new byte[count][];
            values = new byte[count][];
        }
    }
}
