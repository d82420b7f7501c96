package io.arboretum.bftree;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The on-disk leaf page, encoded and decoded. Layout (little-endian, {@code pageSize} bytes):
 *
 * <pre>
 *   offset  size  field
 *   0       4     magic "BFLP"
 *   4       4     CRC32C of bytes 8 .. pageSize-1
 *   8       8     logical page id
 *   16      2     record count N
 *   18      2     low fence length (the low fence is inclusive; empty = minus infinity)
 *   20      2     high fence length; 0xFFFF = no high fence (plus infinity)
 *   22      2     zero
 *   24      ...   low fence, high fence, then N records in ascending unsigned key order,
 *                 each: key length (2), value length (2), key, value; then zeros
 * </pre>
 *
 * Decoding trusts nothing it reads: every length is bounded by the page, the page id and fences
 * must be those the mapping table expects, keys must ascend strictly and lie within the fences.
 * Any failure is a {@link CorruptIndexException} naming the page file and the byte offset.
 */
final class LeafPage {
    static final int MAGIC = 0x504c4642; // "BFLP" little-endian
    static final int NO_HIGH = 0xFFFF;

    private LeafPage() {
    }

    /** Decoded records of a page. */
    static final class Records {
        final byte[][] keys;
        final byte[][] values;

        Records(byte[][] keys, byte[][] values) {
            this.keys = keys;
            this.values = values;
        }
    }

    /** Bytes the page needs for these fences and records (must be at most the page size). */
    static int encodedSize(byte[] low, byte[] high, int recordBytes) {
        return Limits.PAGE_HEADER + low.length + (high == null ? 0 : high.length) + recordBytes;
    }

    /** Encodes into {@code out} (position 0, {@code pageSize} bytes, all written). */
    static void encode(ByteBuffer out, int pageSize, long pid, byte[] low, byte[] high, byte[][] keys,
            byte[][] values, int count) {
        out.clear().order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(MAGIC).putInt(0).putLong(pid).putShort((short) count).putShort((short) low.length)
                .putShort((short) (high == null ? NO_HIGH : high.length)).putShort((short) 0);
        out.put(low);
        if (high != null) {
            out.put(high);
        }
        for (int i = 0; i < count; i++) {
            out.putShort((short) keys[i].length).putShort((short) values[i].length).put(keys[i]).put(values[i]);
        }
        while (out.position() < pageSize) {
            out.put((byte) 0);
        }
        out.putInt(4, BfDirectory.crc(out.duplicate().position(8).limit(pageSize)));
        out.flip();
    }

    /**
     * Decodes a page read from slot offset {@code base} of {@code file}, which must belong to
     * logical page {@code pid} with exactly these fences.
     */
    static Records decode(ByteBuffer in, int pageSize, long pid, byte[] low, byte[] high, Path file, long base) {
        return records(in, low, high, check(in, pageSize, pid, low, high, file, base));
    }

    /** The {@code count} records of a page that {@link #check} accepted, copied out. */
    static Records records(ByteBuffer in, byte[] low, byte[] high, int count) {
        byte[][] keys = new byte[count][];
        byte[][] values = new byte[count][];
        byte[] a = arr(in);
        // check() bounded every length and offset walked here, in this same buffer.
        int off = recordsStart(low, high);
        for (int i = 0; i < count; i++) {
            int kl = Short.toUnsignedInt(in.getShort(off));
            int vl = Short.toUnsignedInt(in.getShort(off + 2));
            keys[i] = Arrays.copyOfRange(a, off + 4, off + 4 + kl);
            values[i] = Arrays.copyOfRange(a, off + 4 + kl, off + 4 + kl + vl);
            off += 4 + kl + vl;
        }
        return new Records(keys, values);
    }

    /** Offset of the first record in a page with these fences (as {@link #check} found them). */
    static int recordsStart(byte[] low, byte[] high) {
        return Limits.PAGE_HEADER + low.length + (high == null ? 0 : high.length);
    }

    /**
     * Checks a page read from slot offset {@code base} of {@code file} as {@link #decode} does,
     * copying nothing: magic, checksum, page id, fences, and every record's lengths (within the
     * page), order (strictly ascending) and place (within the fences). Returns the record count;
     * the records then lie from {@link #recordsStart} to {@link #recordsEnd}.
     */
    static int check(ByteBuffer in, int pageSize, long pid, byte[] low, byte[] high, Path file, long base) {
        in.order(ByteOrder.LITTLE_ENDIAN);
        if (in.getInt(0) != MAGIC) {
            throw new CorruptIndexException(file, base, "not a leaf page (wrong magic number)");
        }
        if (in.getInt(4) != BfDirectory.crc(in.duplicate().position(8).limit(pageSize))) {
            throw new CorruptIndexException(file, base + 4, "leaf page checksum does not match");
        }
        if (in.getLong(8) != pid) {
            throw new CorruptIndexException(file, base + 8, "page belongs to logical page " + in.getLong(8)
                    + ", the mapping table expects " + pid);
        }
        int count = Short.toUnsignedInt(in.getShort(16));
        int lowLen = Short.toUnsignedInt(in.getShort(18));
        int highLen = Short.toUnsignedInt(in.getShort(20));
        int off = Limits.PAGE_HEADER;
        byte[] a = arr(in);
        if (lowLen > pageSize - off) {
            throw new CorruptIndexException(file, base + 18, "low fence length " + lowLen + " exceeds the page");
        }
        boolean fencesMatch = Arrays.equals(a, off, off + lowLen, low, 0, low.length);
        off += lowLen;
        if (highLen != NO_HIGH) {
            if (highLen > pageSize - off) {
                throw new CorruptIndexException(file, base + 20, "high fence length " + highLen + " exceeds the page");
            }
            fencesMatch &= high != null && Arrays.equals(a, off, off + highLen, high, 0, high.length);
            off += highLen;
        } else {
            fencesMatch &= high == null;
        }
        if (!fencesMatch) {
            throw new CorruptIndexException(file, base + Limits.PAGE_HEADER,
                    "page fence keys differ from the fences the tree expects for logical page " + pid);
        }
        if (count > (pageSize - off) / Limits.RECORD_OVERHEAD) {
            throw new CorruptIndexException(file, base + 16, "record count " + count + " cannot fit the page");
        }
        int prev = -1; // offset of the previous record's key
        int prevLen = 0;
        for (int i = 0; i < count; i++) {
            if (pageSize - off < Limits.RECORD_OVERHEAD) {
                throw new CorruptIndexException(file, base + off, "record " + i + " runs past the page end");
            }
            int kl = Short.toUnsignedInt(in.getShort(off));
            int vl = Short.toUnsignedInt(in.getShort(off + 2));
            if (kl + vl > pageSize - off - Limits.RECORD_OVERHEAD) {
                throw new CorruptIndexException(file, base + off, "record " + i + " runs past the page end");
            }
            int k = off + 4;
            if ((prev >= 0 && Arrays.compareUnsigned(a, prev, prev + prevLen, a, k, k + kl) >= 0)
                    || Arrays.compareUnsigned(a, k, k + kl, low, 0, low.length) < 0
                    || (high != null && Arrays.compareUnsigned(a, k, k + kl, high, 0, high.length) >= 0)) {
                throw new CorruptIndexException(file, base + off, "record " + i
                        + " is out of key order or outside the page's fences");
            }
            prev = k;
            prevLen = kl;
            off += 4 + kl + vl;
        }
        return count;
    }

    /** Offset just past the last of {@code count} records of a page that {@link #check} accepted. */
    static int recordsEnd(ByteBuffer in, byte[] low, byte[] high, int count) {
        int off = recordsStart(low, high);
        for (int i = 0; i < count; i++) {
            off += 4 + Short.toUnsignedInt(in.getShort(off)) + Short.toUnsignedInt(in.getShort(off + 2));
        }
        return off;
    }

    private static byte[] arr(ByteBuffer in) {
        return in.array(); // pages are read into heap buffers with offset 0
    }
}
