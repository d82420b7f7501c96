package io.arboretum.bftree;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A mini-page: one leaf's cached and buffered records in a block of the {@link MiniPagePool},
 * 64 bytes to a page. Layout after the 16-byte block header (little-endian):
 *
 * <pre>
 *   offset  size  field
 *   16      2     record count N
 *   18      2     flags: bit 0 FULL (every record of the leaf is here: a key not found is absent)
 *   20      2     record heap bytes H (records occupy the last H bytes of the block)
 *   22      2     garbage bytes in the heap (records replaced in place, reclaimed by compaction)
 *   24      2N    slots: offset of each record in the block, in ascending key order
 *   ...           free space
 *   size-H  H     records, each: key length | kind &lt;&lt; 14 (2), value length (2), key, value
 * </pre>
 *
 * A record's kind is CLEAN (a copy of the disk page's record, cached by a read or a scan), DIRTY
 * (a write not yet merged into the disk page), TOMB_DIRTY (a delete not yet merged) or TOMB_CLEAN
 * (a merged delete: the key is known to be absent). Keys are at most a sixteenth of a page, at most
 * 4096 bytes, so the kind fits in the length's top two bits.
 *
 * <p>Every method but {@link #probe} is called with the owning leaf's latch held (exclusive to
 * change it, shared or exclusive to read it): the latch orders those accesses. {@link #probe} is
 * the optimistic read: it holds no latch, so everything it reads may be half-written by a writer
 * and is treated as untrusted (every length and offset is checked against the block before use;
 * anything inconsistent answers {@link #RETRY}); its caller validates the leaf's version before
 * believing the answer, and pins the epoch so the block's memory is not reused meanwhile.
 */
final class MiniPage {
    static final int COUNT = 16;
    static final int FLAGS = 18;
    static final int HEAP = 20;
    static final int GARBAGE = 22;
    static final int SLOTS = 24;
    static final int SLOT = 2;
    static final int REC = 4;

    static final int FULL = 1;

    static final int CLEAN = 0;
    static final int DIRTY = 1;
    static final int TOMB_DIRTY = 2;
    static final int TOMB_CLEAN = 3;

    /** Answers of {@link #probe} besides a value. */
    static final Object ABSENT = new Object();
    static final Object MISS = new Object();
    static final Object RETRY = new Object();

    private MiniPage() {
    }

    /** Bytes a record takes in a mini-page, slot included. */
    static int footprint(byte[] k, byte[] v) {
        return SLOT + REC + k.length + (v == null ? 0 : v.length);
    }

    static boolean isDirty(int kind) {
        return kind == DIRTY || kind == TOMB_DIRTY;
    }

    static boolean isTomb(int kind) {
        return kind >= TOMB_DIRTY;
    }

    static void init(MiniPagePool p, long a, int flags) {
        ByteBuffer b = p.buf(a);
        int o = p.off(a);
        b.putShort(o + COUNT, (short) 0).putShort(o + FLAGS, (short) flags).putShort(o + HEAP, (short) 0)
                .putShort(o + GARBAGE, (short) 0);
    }

    static int size(MiniPagePool p, long a) {
        return p.blockSize(a);
    }

    static int count(MiniPagePool p, long a) {
        return Short.toUnsignedInt(p.buf(a).getShort(p.off(a) + COUNT));
    }

    static int flags(MiniPagePool p, long a) {
        return Short.toUnsignedInt(p.buf(a).getShort(p.off(a) + FLAGS));
    }

    static void setFlags(MiniPagePool p, long a, int flags) {
        p.buf(a).putShort(p.off(a) + FLAGS, (short) flags);
    }

    static int heap(MiniPagePool p, long a) {
        return Short.toUnsignedInt(p.buf(a).getShort(p.off(a) + HEAP));
    }

    static int garbage(MiniPagePool p, long a) {
        return Short.toUnsignedInt(p.buf(a).getShort(p.off(a) + GARBAGE));
    }

    /** Free bytes between the slots and the record heap. */
    static int room(MiniPagePool p, long a) {
        return size(p, a) - SLOTS - SLOT * count(p, a) - heap(p, a);
    }

    private static int rec(ByteBuffer b, int o, int i) {
        return Short.toUnsignedInt(b.getShort(o + SLOTS + SLOT * i));
    }

    static int kind(MiniPagePool p, long a, int i) {
        ByteBuffer b = p.buf(a);
        int o = p.off(a);
        return Short.toUnsignedInt(b.getShort(o + rec(b, o, i))) >>> 14;
    }

    static byte[] key(MiniPagePool p, long a, int i) {
        ByteBuffer b = p.buf(a);
        int o = p.off(a);
        int r = o + rec(b, o, i);
        byte[] k = new byte[Short.toUnsignedInt(b.getShort(r)) & 0x3FFF];
        b.get(r + REC, k);
        return k;
    }

    static byte[] value(MiniPagePool p, long a, int i) {
        ByteBuffer b = p.buf(a);
        int o = p.off(a);
        int r = o + rec(b, o, i);
        int kl = Short.toUnsignedInt(b.getShort(r)) & 0x3FFF;
        byte[] v = new byte[Short.toUnsignedInt(b.getShort(r + 2))];
        b.get(r + REC + kl, v);
        return v;
    }

    /**
     * Where record {@code i} starts in {@code p.buf(a)}: its header (key length and kind, value
     * length), then its key and value. Latched readers only (the offset is trusted).
     */
    static int recordAt(MiniPagePool p, long a, int i) {
        ByteBuffer b = p.buf(a);
        int o = p.off(a);
        return o + rec(b, o, i);
    }

    /** Kind of the record starting at {@code r} in {@code b} (from {@link #recordAt}). */
    static int kindAt(ByteBuffer b, int r) {
        return Short.toUnsignedInt(b.getShort(r)) >>> 14;
    }

    /** Key length of the record starting at {@code r} in {@code b}. */
    static int keyLengthAt(ByteBuffer b, int r) {
        return Short.toUnsignedInt(b.getShort(r)) & 0x3FFF;
    }

    /** Value length of the record starting at {@code r} in {@code b} (0 for a tombstone). */
    static int valueLengthAt(ByteBuffer b, int r) {
        return Short.toUnsignedInt(b.getShort(r + 2));
    }

    /** Unsigned comparison of the key of the record starting at {@code r} in {@code b} with {@code k}. */
    static int compareKeyAt(ByteBuffer b, int r, byte[] k) {
        return compare(b, r + REC, keyLengthAt(b, r), k);
    }

    /** Bytes of record {@code i} in a disk page ({@link Limits#recordBytes}). */
    static int recordBytes(MiniPagePool p, long a, int i) {
        ByteBuffer b = p.buf(a);
        int r = p.off(a) + rec(b, p.off(a), i);
        return REC + (Short.toUnsignedInt(b.getShort(r)) & 0x3FFF) + Short.toUnsignedInt(b.getShort(r + 2));
    }

    /** Index of {@code k}, or {@code -(insertion point) - 1}. */
    static int find(MiniPagePool p, long a, byte[] k) {
        ByteBuffer b = p.buf(a);
        int o = p.off(a);
        int lo = 0;
        int hi = count(p, a) - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int r = o + rec(b, o, mid);
            int c = compare(b, r + REC, Short.toUnsignedInt(b.getShort(r)) & 0x3FFF, k);
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

    /** Unsigned comparison of {@code len} bytes at {@code at} with {@code k}. */
    private static int compare(ByteBuffer b, int at, int len, byte[] k) {
        int n = Math.min(len, k.length);
        for (int i = 0; i < n; i++) {
            int c = Byte.toUnsignedInt(b.get(at + i)) - Byte.toUnsignedInt(k[i]);
            if (c != 0) {
                return c;
            }
        }
        return len - k.length;
    }

    /** Writes a record at the bottom of the heap; the caller checked the room. Returns its offset. */
    private static int put(ByteBuffer b, int o, int size, byte[] k, byte[] v, int kind) {
        int vl = v == null ? 0 : v.length;
        int len = REC + k.length + vl;
        int heap = Short.toUnsignedInt(b.getShort(o + HEAP)) + len;
        int r = size - heap;
        b.putShort(o + r, (short) (k.length | kind << 14)).putShort(o + r + 2, (short) vl);
        b.put(o + r + REC, k);
        if (vl > 0) {
            b.put(o + r + REC + k.length, v);
        }
        b.putShort(o + HEAP, (short) heap);
        return r;
    }

    /** Inserts a new record at index {@code i} (from a failed {@link #find}); the room was checked. */
    static void insert(MiniPagePool p, long a, int i, byte[] k, byte[] v, int kind) {
        ByteBuffer b = p.buf(a);
        int o = p.off(a);
        int n = count(p, a);
        int r = put(b, o, size(p, a), k, v, kind);
        for (int j = n; j > i; j--) {
            b.putShort(o + SLOTS + SLOT * j, b.getShort(o + SLOTS + SLOT * (j - 1)));
        }
        b.putShort(o + SLOTS + SLOT * i, (short) r);
        b.putShort(o + COUNT, (short) (n + 1));
    }

    /** Replaces record {@code i} by a new one (the old becomes garbage); the room was checked. */
    static void replace(MiniPagePool p, long a, int i, byte[] k, byte[] v, int kind) {
        ByteBuffer b = p.buf(a);
        int o = p.off(a);
        int old = recordBytes(p, a, i);
        int r = put(b, o, size(p, a), k, v, kind);
        b.putShort(o + SLOTS + SLOT * i, (short) r);
        b.putShort(o + GARBAGE, (short) (garbage(p, a) + old));
    }

    /** Changes record {@code i}'s kind in place (same bytes otherwise). */
    static void setKind(MiniPagePool p, long a, int i, int kind) {
        ByteBuffer b = p.buf(a);
        int o = p.off(a);
        int r = o + rec(b, o, i);
        b.putShort(r, (short) ((Short.toUnsignedInt(b.getShort(r)) & 0x3FFF) | kind << 14));
    }

    /** The records of a mini-page, decoded into the heap (latched). */
    static final class Entries {
        byte[][] keys;
        byte[][] values;
        int[] kinds;
        int count;

        Entries(int n) {
            keys = new byte[n][];
            values = new byte[n][];
            kinds = new int[n];
        }

        void add(byte[] k, byte[] v, int kind) {
            if (count == keys.length) {
                int n = Math.max(8, 2 * count);
                keys = Arrays.copyOf(keys, n);
                values = Arrays.copyOf(values, n);
                kinds = Arrays.copyOf(kinds, n);
            }
            keys[count] = k;
            values[count] = v;
            kinds[count] = kind;
            count++;
        }

        /** Bytes these records need in a mini-page (slots, record headers, keys, values). */
        int footprint() {
            int s = 0;
            for (int i = 0; i < count; i++) {
                s += MiniPage.footprint(keys[i], values[i]);
            }
            return s;
        }
    }

    static Entries decode(MiniPagePool p, long a) {
        int n = count(p, a);
        Entries e = new Entries(n);
        for (int i = 0; i < n; i++) {
            int kind = kind(p, a, i);
            e.add(key(p, a, i), isTomb(kind) ? null : value(p, a, i), kind);
        }
        return e;
    }

    /** Rewrites block {@code a} (header already set) to hold exactly {@code e}, compacted; it must fit. */
    static void write(MiniPagePool p, long a, Entries e, int flags) {
        init(p, a, flags);
        ByteBuffer b = p.buf(a);
        int o = p.off(a);
        int size = size(p, a);
        for (int i = 0; i < e.count; i++) {
            int r = put(b, o, size, e.keys[i], e.values[i], e.kinds[i]);
            b.putShort(o + SLOTS + SLOT * i, (short) r);
        }
        b.putShort(o + COUNT, (short) e.count);
    }

    /**
     * A new FULL mini-page for leaf {@code pid} holding, as CLEAN records, the {@code count}
     * records of a checked page ({@link LeafPage#check}) that lie in {@code page}'s bytes
     * {@code [start, end)}: a page record (key length, value length, key, value; little-endian)
     * is a CLEAN record byte for byte, so the records are copied in one piece and only the slots
     * are computed. Returns the block's address, or {@link MiniPagePool#NONE} if they do not fit
     * a block, a key is too long for the kind bits, or the pool has no block free. The caller
     * holds the leaf's exclusive latch and publishes the address.
     */
    static long fromPage(MiniPagePool p, long pid, ByteBuffer page, int start, int end, int count) {
        int h = end - start;
        int size = p.blockFor(SLOTS + SLOT * count + h);
        if (size < 0) {
            return MiniPagePool.NONE;
        }
        for (int i = 0, r = start; i < count; i++) { // lengths bounded by LeafPage.check
            int kl = Short.toUnsignedInt(page.getShort(r));
            if (kl > 0x3FFF) {
                return MiniPagePool.NONE; // would spill into the kind bits (no valid page has such a key)
            }
            r += REC + kl + Short.toUnsignedInt(page.getShort(r + 2));
        }
        long n = p.tryAllocate(size, pid);
        if (n == MiniPagePool.NONE) {
            return MiniPagePool.NONE;
        }
        ByteBuffer b = p.buf(n);
        int o = p.off(n);
        int heap = size - h;
        b.put(o + heap, page.array(), start, h);
        for (int i = 0, r = start; i < count; i++) {
            b.putShort(o + SLOTS + SLOT * i, (short) (heap + r - start));
            r += REC + Short.toUnsignedInt(page.getShort(r)) + Short.toUnsignedInt(page.getShort(r + 2));
        }
        b.putShort(o + COUNT, (short) count).putShort(o + FLAGS, (short) FULL).putShort(o + HEAP, (short) h)
                .putShort(o + GARBAGE, (short) 0);
        return n;
    }

    /**
     * The optimistic lookup of {@code k} in the block at {@code a}, holding no latch: a copy of
     * the value, {@link #ABSENT} (a tombstone, or not here and the page is FULL), {@link #MISS}
     * (not here; the disk page decides) or {@link #RETRY} (what was read is inconsistent). Every
     * value read is untrusted: the caller must validate the leaf's version before using the answer.
     */
    static Object probe(MiniPagePool p, long a, byte[] k) {
        ByteBuffer b = p.buf(a);
        int o = p.off(a);
        int size = b.getInt(o + MiniPagePool.SIZE);
        if (size < MiniPagePool.MIN_BLOCK || size > p.maxBlock || Integer.bitCount(size) != 1
                || o + size > b.capacity()) {
            return RETRY;
        }
        int n = Short.toUnsignedInt(b.getShort(o + COUNT));
        if (SLOTS + SLOT * n > size) {
            return RETRY;
        }
        int lo = 0;
        int hi = n - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int r = Short.toUnsignedInt(b.getShort(o + SLOTS + SLOT * mid));
            if (r < SLOTS || r > size - REC) {
                return RETRY;
            }
            int head = Short.toUnsignedInt(b.getShort(o + r));
            int kl = head & 0x3FFF;
            int vl = Short.toUnsignedInt(b.getShort(o + r + 2));
            if (kl + vl > size - r - REC) {
                return RETRY;
            }
            int c = compare(b, o + r + REC, kl, k);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                if (isTomb(head >>> 14)) {
                    return ABSENT;
                }
                byte[] v = new byte[vl];
                b.get(o + r + REC + kl, v);
                return v;
            }
        }
        return (Short.toUnsignedInt(b.getShort(o + FLAGS)) & FULL) != 0 ? ABSENT : MISS;
    }
}
