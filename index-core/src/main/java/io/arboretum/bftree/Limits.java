package io.arboretum.bftree;

/**
 * Size limits derived from the page size, in one place for the config, the page codec, the log
 * reader and the tree.
 *
 * <p>A page holds a fixed header, two fence keys (each at most {@code maxKey}) and records of
 * {@code 4 + key + value} bytes. {@code capacity} is what is left for records when both fences
 * have the largest size. A record is at most a quarter of the capacity, so a leaf that overflows
 * by one record splits, at the byte midpoint, into two halves that each fit a page:
 * each half holds at most {@code (capacity + maxRecord) / 2 + maxRecord <= capacity} bytes.
 */
final class Limits {
    /** Bytes of a page header before the fences (see {@code LeafPage}). */
    static final int PAGE_HEADER = 24;
    /** Bytes of a record besides its key and value: two 16-bit lengths. */
    static final int RECORD_OVERHEAD = 4;

    final int pageSize;
    final int maxKey;
    final int capacity;
    final int maxRecord;
    final int maxValue;

    private Limits(int pageSize) {
        this.pageSize = pageSize;
        this.maxKey = pageSize / 16;
        this.capacity = pageSize - PAGE_HEADER - 2 * maxKey;
        this.maxRecord = capacity / 4;
        this.maxValue = maxRecord - RECORD_OVERHEAD - maxKey;
    }

    static Limits of(int pageSize) {
        return new Limits(pageSize);
    }

    /** Bytes a record of this key and value occupies in a page. */
    static int recordBytes(byte[] key, byte[] value) {
        return RECORD_OVERHEAD + key.length + value.length;
    }
}
