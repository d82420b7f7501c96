package io.arboretum.bftree;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Reads the log back at recovery: every record after the checkpoint's sequence number, in order,
 * ending at the first torn or invalid record at the tail.
 *
 * <p>Steps:
 * <ol>
 *   <li>List the segments by first sequence number. A segment whose successor starts at or before
 *       {@code afterSeq + 1} holds only records the checkpoint covers: it is skipped (a crash
 *       after the checkpoint's rename and before the deletion leaves such segments).</li>
 *   <li>The first remaining segment must start at or before {@code afterSeq + 1}, and each next
 *       one exactly where the previous ended: a gap means lost records, reported as corruption.</li>
 *   <li>Read records while each is whole, its length in range, its CRC32C right and its sequence
 *       number the next one. Records at or below {@code afterSeq} are read (checked) but not
 *       applied.</li>
 *   <li>At the first record that fails: in a segment before the last, that is corruption (every
 *       segment is forced before the next exists). In the last segment, look past it for any
 *       record with a plausible length and sequence number and a right checksum: if one exists,
 *       the bad bytes are followed by valid records, which a crash cannot produce:
 *       corruption, reported with the file and the offset of the bad record. If none exists, it
 *       is the torn tail of a crash: recovery ends there, and the caller truncates the file to
 *       the returned end.</li>
 * </ol>
 * A record with a right checksum but a wrong sequence number, operation or lengths is corruption
 * too (a checksum cannot be right by accident).
 */
final class WalReader {
    /** Where the log's valid part ends. */
    static final class Tail {
        long lastSeq;
        Path file;
        long validEnd;
        List<Path> obsolete;
    }

    /** Receives each record after the checkpoint, with its file and offset for error messages. */
    interface Sink {
        void accept(WalRecord r, Path file, long offset) throws IOException;
    }

    private WalReader() {
    }

    static Tail read(Path dir, long afterSeq, int maxBody, Sink sink) throws IOException {
        List<Path> segs = WriteAheadLog.segments(dir);
        Tail tail = new Tail();
        tail.lastSeq = afterSeq;
        tail.obsolete = new java.util.ArrayList<>();
        while (segs.size() > 1 && WriteAheadLog.segmentStart(segs.get(1)) <= afterSeq + 1) {
            tail.obsolete.add(segs.remove(0));
        }
        long expected = -1; // next sequence number; -1 until the first segment fixes it
        for (int i = 0; i < segs.size(); i++) {
            Path p = segs.get(i);
            boolean last = i == segs.size() - 1;
            long start = WriteAheadLog.segmentStart(p);
            if (expected < 0) {
                if (start > afterSeq + 1) {
                    throw new CorruptIndexException(p, 0, "log records " + (afterSeq + 1) + " to " + (start - 1)
                            + " after the checkpoint are missing");
                }
                expected = start;
            } else if (start != expected) {
                throw new CorruptIndexException(p, 0, "segment starts at sequence number " + start
                        + " but the previous segment ends before " + expected);
            }
            long end = readSegment(p, last, start, afterSeq, maxBody, sink, tail);
            expected = tail.lastSeq < start ? start : tail.lastSeq + 1;
            if (last) {
                tail.file = p;
                tail.validEnd = end;
            }
        }
        return tail;
    }

    /** Reads one segment; returns the offset where its valid records end. */
    private static long readSegment(Path p, boolean last, long start, long afterSeq, int maxBody, Sink sink,
            Tail tail) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                throw new CorruptIndexException(p, Integer.MAX_VALUE, "segment is larger than 2 GiB");
            }
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            m.order(ByteOrder.LITTLE_ENDIAN);
            int n = (int) size;
            String headerProblem = headerProblem(m, n, start);
            if (headerProblem != null) {
                if (last && (n < WriteAheadLog.SEGMENT_HEADER || !validRecordAfter(m, n, 0, start, maxBody))) {
                    // The last segment, whose creation a crash cut short (a short or unwritten
                    // header and no valid record after it): it holds nothing.
                    return 0;
                }
                throw new CorruptIndexException(p, 0, headerProblem);
            }
            int off = WriteAheadLog.SEGMENT_HEADER;
            long expected = start;
            while (off < n) {
                int bad = check(m, n, off, expected, maxBody);
                if (bad != OK) {
                    if (bad == INVALID_BUT_CHECKSUMMED || !last || validRecordAfter(m, n, off + 1, expected, maxBody)) {
                        throw new CorruptIndexException(p, off, bad == INVALID_BUT_CHECKSUMMED
                                ? "record has a right checksum but a wrong sequence number, operation or length"
                                : "damaged log record followed by valid ones (not a torn tail)");
                    }
                    return off; // torn tail
                }
                int bodyLen = m.getInt(off);
                long seq = m.getLong(off + 8);
                long pid = m.getLong(off + 16);
                byte op = m.get(off + 24);
                int kl = Short.toUnsignedInt(m.getShort(off + 25));
                int vl = Short.toUnsignedInt(m.getShort(off + 27));
                byte[] key = new byte[kl];
                byte[] value = new byte[vl];
                m.get(off + 29, key);
                m.get(off + 29 + kl, value);
                if (seq > afterSeq) {
                    sink.accept(new WalRecord(seq, pid, op, key, value), p, off);
                }
                tail.lastSeq = Math.max(tail.lastSeq, seq);
                expected = seq + 1;
                off += WalRecord.FRAME + bodyLen;
            }
            return off;
        }
    }

    private static String headerProblem(MappedByteBuffer m, int n, long start) {
        if (n < WriteAheadLog.SEGMENT_HEADER) {
            return "segment header is cut short (" + n + " bytes)";
        }
        if (m.getLong(0) != WriteAheadLog.SEGMENT_MAGIC) {
            return "not a Bf-tree log segment (wrong magic number)";
        }
        CRC32C c = new CRC32C();
        c.update(m.slice(0, 20));
        if ((int) c.getValue() != m.getInt(20)) {
            return "segment header checksum does not match";
        }
        if (m.getInt(8) != WriteAheadLog.SEGMENT_VERSION) {
            return "log segment format version " + m.getInt(8) + ", this library reads "
                    + WriteAheadLog.SEGMENT_VERSION;
        }
        if (m.getLong(12) != start) {
            return "segment header says it starts at " + m.getLong(12) + ", its name says " + start;
        }
        return null;
    }

    private static final int OK = 0;
    private static final int INVALID = 1;
    private static final int INVALID_BUT_CHECKSUMMED = 2;

    /** Whether a whole, checksummed, well-formed record with sequence {@code expected} is at {@code off}. */
    private static int check(MappedByteBuffer m, int n, int off, long expected, int maxBody) {
        if (n - off < WalRecord.FRAME + WalRecord.BODY_FIXED) {
            return INVALID;
        }
        int bodyLen = m.getInt(off);
        if (bodyLen < WalRecord.BODY_FIXED || bodyLen > maxBody || bodyLen > n - off - WalRecord.FRAME) {
            return INVALID;
        }
        if (!crcMatches(m, off, bodyLen)) {
            return INVALID;
        }
        long seq = m.getLong(off + 8);
        byte op = m.get(off + 24);
        int kl = Short.toUnsignedInt(m.getShort(off + 25));
        int vl = Short.toUnsignedInt(m.getShort(off + 27));
        boolean shape = kl + vl + WalRecord.BODY_FIXED == bodyLen
                && (op == WalRecord.PUT || (op == WalRecord.DELETE && vl == 0) || ((op == WalRecord.SPLIT || op == WalRecord.MERGE) && vl == 8));
        return seq == expected && shape && m.getLong(off + 16) >= 0 ? OK : INVALID_BUT_CHECKSUMMED;
    }

    private static boolean crcMatches(MappedByteBuffer m, int off, int bodyLen) {
        CRC32C c = new CRC32C();
        c.update(m.slice(off + WalRecord.FRAME, bodyLen));
        return (int) c.getValue() == m.getInt(off + 4);
    }

    /**
     * Whether any record after {@code from} looks valid: plausible length, a sequence number at
     * or after {@code expected} (within a million), and a right checksum. The cheap tests come
     * first, so scanning a long tail costs little.
     */
    private static boolean validRecordAfter(MappedByteBuffer m, int n, int from, long expected, int maxBody) {
        for (int off = from; off + WalRecord.FRAME + WalRecord.BODY_FIXED <= n; off++) {
            int bodyLen = m.getInt(off);
            if (bodyLen < WalRecord.BODY_FIXED || bodyLen > maxBody || bodyLen > n - off - WalRecord.FRAME) {
                continue;
            }
            long seq = m.getLong(off + 8);
            if (seq < expected || seq - expected > 1_000_000) {
                continue;
            }
            if (crcMatches(m, off, bodyLen)) {
                return true;
            }
        }
        return false;
    }

    /** Cuts a torn tail off the last segment, so that it is a clean segment before the next one. */
    static void truncateTail(Tail tail) throws IOException {
        if (tail.file == null) {
            return;
        }
        if (tail.validEnd == 0) {
            Files.deleteIfExists(tail.file);
            return;
        }
        try (FileChannel ch = FileChannel.open(tail.file, StandardOpenOption.WRITE)) {
            if (ch.size() > tail.validEnd) {
                ch.truncate(tail.validEnd);
                ch.force(true);
            }
        }
    }
}
