package io.arboretum.bftree;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One log record, and its byte layout (little-endian):
 *
 * <pre>
 *   offset  size  field
 *   0       4     body length L (bytes from offset 8 to the end of the record)
 *   4       4     CRC32C of the body
 *   8       8     sequence number (consecutive across the whole log, from 1)
 *   16      8     logical page id the operation applies to
 *   24      1     operation: 1 PUT, 2 DELETE, 3 SPLIT, 4 MERGE
 *   25      2     key length K
 *   27      2     value length V
 *   29      K     key (SPLIT: the separator, the first key that moves right; MERGE: the
 *                 separator that goes, the right page's low fence)
 *   29+K    V     value (DELETE: none; SPLIT: the new right page's id, 8 bytes; MERGE: the id
 *                 of the right page that the record's page absorbs, 8 bytes)
 * </pre>
 *
 * {@code L = 21 + K + V}. The page id is logical: recovery finds the page through the mapping
 * table, never through a disk address, because disk slots move on every eviction.
 */
final class WalRecord {
    static final byte PUT = 1;
    static final byte DELETE = 2;
    static final byte SPLIT = 3;
    static final byte MERGE = 4;
    /** Bytes before the body: length and CRC. */
    static final int FRAME = 8;
    /** Fixed part of the body. */
    static final int BODY_FIXED = 21;

    final long seq;
    final long pid;
    final byte op;
    final byte[] key;
    final byte[] value;

    WalRecord(long seq, long pid, byte op, byte[] key, byte[] value) {
        this.seq = seq;
        this.pid = pid;
        this.op = op;
        this.key = key;
        this.value = value;
    }

    /** The new right page of a SPLIT record, or the absorbed right page of a MERGE record. */
    long splitNewPid() {
        return ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    static byte[] pidBytes(long pid) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(pid).array();
    }

    static int encodedSize(byte[] key, byte[] value) {
        return FRAME + BODY_FIXED + key.length + value.length;
    }

    /** Writes the record at {@code off} of {@code buf}, which has room for {@link #encodedSize}. */
    static void encode(byte[] buf, int off, long seq, long pid, byte op, byte[] key, byte[] value) {
        ByteBuffer b = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
        int bodyLen = BODY_FIXED + key.length + value.length;
        b.putInt(off, bodyLen);
        b.position(off + FRAME);
        b.putLong(seq).putLong(pid).put(op).putShort((short) key.length).putShort((short) value.length);
        b.put(key).put(value);
        b.putInt(off + 4, BfDirectory.crc(buf, off + FRAME, bodyLen));
    }

    @Override
    public String toString() {
        return "WalRecord{seq=" + seq + ", pid=" + pid + ", op=" + op + ", key=" + key.length + "B, value="
                + value.length + "B}";
    }
}
