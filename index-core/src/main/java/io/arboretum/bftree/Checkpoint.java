package io.arboretum.bftree;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;

/**
 * The checkpoint file: the state recovery starts from. Layout (little-endian):
 *
 * <pre>
 *   magic "ARBFCKPT" (8), format version (4), lsn (8): every log record up to it is reflected,
 *   next logical page id (8), page-file slots in use (4), leaf count N (4),
 *   N times in key order: logical page id (8), disk slot (4), record bytes of the page (4, or -1
 *   if not known), low fence length (2), low fence,
 *   CRC32C of everything before it (4)
 * </pre>
 *
 * The record bytes let a reopened tree write blindly into a leaf's mini-page without first reading
 * its page (a blind write must know the page's size to know the leaf still fits one). Format
 * version 1 had no record bytes; it is still read (every size unknown), and the checkpoint that
 * ends every open writes version 2.
 *
 * High fences are implied (each leaf's high fence is the next leaf's low fence; the last has
 * none), so they cannot disagree with the lows. Decoding checks the checksum, every length, that
 * lows ascend strictly from the empty key, and that page ids and slots are in range and distinct.
 */
final class Checkpoint {
    static final long MAGIC = 0x54504b4346425241L; // "ARBFCKPT" little-endian
    static final int VERSION = 2;
    /** The first format, without record bytes; still read. */
    static final int VERSION_1 = 1;

    final long lsn;
    final long nextPid;
    final int slotCount;
    final long[] pids;
    final int[] slots;
    final byte[][] lows;
    /** Each page's record bytes, or -1 if not known. */
    final int[] recordBytes;

    Checkpoint(long lsn, long nextPid, int slotCount, long[] pids, int[] slots, byte[][] lows, int[] recordBytes) {
        this.lsn = lsn;
        this.nextPid = nextPid;
        this.slotCount = slotCount;
        this.pids = pids;
        this.slots = slots;
        this.lows = lows;
        this.recordBytes = recordBytes;
    }

    BitSet referencedSlots() {
        BitSet b = new BitSet();
        for (int s : slots) {
            b.set(s);
        }
        return b;
    }

    byte[] encode() {
        int size = 8 + 4 + 8 + 8 + 4 + 4 + 4;
        for (byte[] l : lows) {
            size += ENTRY + l.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(MAGIC).putInt(VERSION).putLong(lsn).putLong(nextPid).putInt(slotCount).putInt(pids.length);
        for (int i = 0; i < pids.length; i++) {
            b.putLong(pids[i]).putInt(slots[i]).putInt(recordBytes[i]).putShort((short) lows[i].length).put(lows[i]);
        }
        b.putInt(BfDirectory.crc(b.array(), 0, size - 4));
        return b.array();
    }

    /** Fixed bytes of a leaf entry (version 2; version 1 lacks the record bytes' 4). */
    private static final int ENTRY = 18;

    /**
     * Decodes and checks a checkpoint file's bytes.
     *
     * @param pageSize the tree's page size: record bytes above it are corruption
     */
    static Checkpoint decode(byte[] a, Path file, int maxKey, int pageSize) {
        ByteBuffer b = ByteBuffer.wrap(a).order(ByteOrder.LITTLE_ENDIAN);
        if (a.length < 44 || b.getLong(0) != MAGIC) {
            throw new CorruptIndexException(file, 0, "not a Bf-tree checkpoint (too short or wrong magic number)");
        }
        if (b.getInt(a.length - 4) != BfDirectory.crc(a, 0, a.length - 4)) {
            throw new CorruptIndexException(file, a.length - 4, "checkpoint checksum does not match");
        }
        int version = b.getInt(8);
        if (version != VERSION && version != VERSION_1) {
            throw new CorruptIndexException(file, 8, "checkpoint format version " + version);
        }
        int entry = version == VERSION ? ENTRY : ENTRY - 4;
        long lsn = b.getLong(12);
        long nextPid = b.getLong(20);
        int slotCount = b.getInt(28);
        int n = b.getInt(32);
        if (lsn < 0 || nextPid < 1 || slotCount < 1 || n < 1 || n > (a.length - 40) / entry) {
            throw new CorruptIndexException(file, 12, "checkpoint counts out of range");
        }
        long[] pids = new long[n];
        int[] slots = new int[n];
        byte[][] lows = new byte[n][];
        int[] recordBytes = new int[n];
        BitSet seenSlots = new BitSet();
        java.util.HashSet<Long> seenPids = new java.util.HashSet<>();
        int off = 36;
        for (int i = 0; i < n; i++) {
            if (off + entry > a.length - 4) {
                throw new CorruptIndexException(file, off, "leaf entry " + i + " runs past the end");
            }
            pids[i] = b.getLong(off);
            slots[i] = b.getInt(off + 8);
            recordBytes[i] = version == VERSION ? b.getInt(off + 12) : -1;
            if (recordBytes[i] < -1 || recordBytes[i] > pageSize) {
                throw new CorruptIndexException(file, off + 12, "leaf entry " + i + " record bytes " + recordBytes[i]);
            }
            int len = Short.toUnsignedInt(b.getShort(off + entry - 2));
            if (len > maxKey || off + entry + len > a.length - 4) {
                throw new CorruptIndexException(file, off + entry - 2, "leaf entry " + i + " fence length " + len);
            }
            lows[i] = Arrays.copyOfRange(a, off + entry, off + entry + len);
            if (pids[i] < 0 || pids[i] >= nextPid || !seenPids.add(pids[i])
                    || slots[i] < 0 || slots[i] >= slotCount || seenSlots.get(slots[i])
                    || (i == 0 ? len != 0 : Arrays.compareUnsigned(lows[i - 1], lows[i]) >= 0)) {
                throw new CorruptIndexException(file, off, "leaf entry " + i
                        + " has a page id or slot out of range or repeated, or fences out of order");
            }
            seenSlots.set(slots[i]);
            off += entry + len;
        }
        if (off != a.length - 4) {
            throw new CorruptIndexException(file, off, "trailing bytes after the last leaf entry");
        }
        return new Checkpoint(lsn, nextPid, slotCount, pids, slots, lows, recordBytes);
    }
}
