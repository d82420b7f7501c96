package io.arboretum.btree;

/**
 * A reusable, weakly consistent range scan over an {@link OffHeapLongBTreeMap} that allocates
 * nothing per entry.
 *
 * <pre>{@code
 * OffHeapLongCursor c = map.cursor(lo, hi);
 * while (c.next()) {
 *     use(c.key(), c.value());
 * }
 * }</pre>
 *
 * <p>The cursor copies the entries of one leaf at a time (a consistent snapshot of that leaf)
 * into its own arrays and then resumes from the key after the last one it returned. So keys come
 * in order, each at most once; every entry present for the whole scan is returned; changes made
 * during the scan may or may not be seen. The cursor holds no latch and no epoch pin between
 * calls. Not thread-safe: one cursor per thread.
 */
public final class OffHeapLongCursor {
    private final OffHeapLongBTreeMap map;
    private final OffHeapLongBTreeMap.Probe probe = new OffHeapLongBTreeMap.Probe();
    private int pos;
    private long nextFrom;
    private long end;
    private boolean descending;
    private boolean exhausted;
    private long key;
    private long value;

    OffHeapLongCursor(OffHeapLongBTreeMap map, int leafCapacity) {
        this.map = map;
        probe.batchKeys = new long[leafCapacity];
        probe.batchValues = new long[leafCapacity];
    }

    /**
     * Repositions this cursor on a new range, keeping its direction.
     *
     * @param from the first key to consider (inclusive)
     * @param to the last key to consider (inclusive); below {@code from} when descending
     * @return this cursor, positioned before the first entry
     * @throws IllegalStateException if the map has been closed
     */
    public OffHeapLongCursor reset(long from, long to) {
        map.checkOpen();
        return reset(from, to, descending);
    }

    OffHeapLongCursor reset(long from, long to, boolean descending) {
        this.descending = descending;
        this.nextFrom = from;
        this.end = to;
        this.exhausted = descending ? from < to : from > to;
        this.pos = 0;
        probe.batchLength = 0;
        return this;
    }

    /**
     * Advances to the next entry of the range.
     *
     * @return true if {@link #key()} and {@link #value()} now hold an entry, false at the end
     * @throws IllegalStateException if the map has been closed (even when this cursor still holds
     *     entries copied before)
     */
    public boolean next() {
        map.checkOpen(); // also while entries of the last leaf copy remain
        if (pos >= probe.batchLength && !refill()) {
            return false;
        }
        key = probe.batchKeys[pos];
        value = probe.batchValues[pos];
        pos++;
        return true;
    }

    /**
     * Copies the next leaf's run of the range into the buffer and moves to its start.
     *
     * @return false, and from then on, once the range has no more entries
     */
    private boolean refill() {
        if (exhausted) {
            return false;
        }
        probe.batchBound = end;
        if (!map.near(nextFrom, !descending, probe) || probe.batchLength == 0) {
            exhausted = true;
            probe.batchLength = 0;
            return false;
        }
        pos = 0;
        long last = probe.batchKeys[probe.batchLength - 1];
        if (descending) {
            exhausted = last == Long.MIN_VALUE || last <= end;
            nextFrom = last - 1;
        } else {
            exhausted = last == Long.MAX_VALUE || last >= end;
            nextFrom = last + 1;
        }
        return true;
    }

    /**
     * Takes up to {@code max} entries of the current leaf copy at once, refilling it first when
     * it is used up, for a reader that reads them in place ({@link #bufferedKey},
     * {@link #bufferedValue}) rather than one {@link #next()} at a time. They stay readable until
     * the next call that refills.
     *
     * @param max the most entries to take; at least one
     * @return the buffer slot of the first entry taken, in the low 32 bits, and the number taken,
     *     in the high 32 bits (zero once the range has no more entries)
     */
    long take(int max) {
        map.checkOpen();
        if (pos >= probe.batchLength && !refill()) {
            return 0;
        }
        int first = pos;
        int n = Math.min(max, probe.batchLength - first);
        pos = first + n;
        return ((long) n << 32) | first;
    }

    /** The key in buffer slot {@code slot}, as {@link #take} handed it out. */
    long bufferedKey(int slot) {
        return probe.batchKeys[slot];
    }

    /** The value in buffer slot {@code slot}, as {@link #take} handed it out. */
    long bufferedValue(int slot) {
        return probe.batchValues[slot];
    }

    /** Whether entries of the current leaf copy remain, so {@link #next()} will not search. */
    boolean hasBuffered() {
        return pos < probe.batchLength;
    }

    /**
     * The key of the current entry.
     *
     * @return the key found by the last successful {@link #next()}
     */
    public long key() {
        return key;
    }

    /**
     * The value of the current entry (as it was when the entry's leaf was copied).
     *
     * @return the value found by the last successful {@link #next()}
     */
    public long value() {
        return value;
    }
}
