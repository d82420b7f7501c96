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
        if (lowLen > pageSize - off) {
            throw new CorruptIndexException(file, base + 18, "low fence length " + lowLen + " exceeds the page");
        }
        byte[] pageLow = Arrays.copyOfRange(arr(in), off, off + lowLen);
        off += lowLen;
        byte[] pageHigh = null;
        if (highLen != NO_HIGH) {
            if (highLen > pageSize - off) {
                throw new CorruptIndexException(file, base + 20, "high fence length " + highLen + " exceeds the page");
            }
            pageHigh = Arrays.copyOfRange(arr(in), off, off + highLen);
            off += highLen;
        }
        if (!Arrays.equals(pageLow, low) || !Arrays.equals(pageHigh, high)) {
            throw new CorruptIndexException(file, base + Limits.PAGE_HEADER,
                    "page fence keys differ from the fences the tree expects for logical page " + pid);
        }
        if (count > (pageSize - off) / Limits.RECORD_OVERHEAD) {
            throw new CorruptIndexException(file, base + 16, "record count " + count + " cannot fit the page");
        }
        byte[][] keys = new byte[count][];
        byte[][] values = new byte[count][];
        byte[] a = arr(in);
        for (int i = 0; i < count; i++) {
            if (pageSize - off < Limits.RECORD_OVERHEAD) {
                throw new CorruptIndexException(file, base + off, "record " + i + " runs past the page end");
            }
            int kl = Short.toUnsignedInt(in.getShort(off));
            int vl = Short.toUnsignedInt(in.getShort(off + 2));
            if (kl + vl > pageSize - off - Limits.RECORD_OVERHEAD) {
                throw new CorruptIndexException(file, base + off, "record " + i + " runs past the page end");
            }
            byte[] k = Arrays.copyOfRange(a, off + 4, off + 4 + kl);
            if ((i > 0 && Arrays.compareUnsigned(keys[i - 1], k) >= 0) || Arrays.compareUnsigned(k, low) < 0
                    || (high != null && Arrays.compareUnsigned(k, high) >= 0)) {
                throw new CorruptIndexException(file, base + off, "record " + i
                        + " is out of key order or outside the page's fences");
            }
            keys[i] = k;
            values[i] = Arrays.copyOfRange(a, off + 4 + kl, off + 4 + kl + vl);
            off += 4 + kl + vl;
        }
        return new Records(keys, values);
    }

    private static byte[] arr(ByteBuffer in) {
        return in.array(); // pages are read into heap buffers with offset 0
    }
}
