package io.arboretum.bftree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The log alone: order, segments, group commit, torn tails and corruption. */
class WalTest {
    @TempDir
    Path tmp;

    private static final int MAX_BODY = WalRecord.BODY_FIXED + 4096;

    private BfDirectory newDir() throws IOException {
        return BfDirectory.create(tmp.resolve("t"), 4096, d -> { });
    }

    private static BfTreeConfig config(Durability d) {
        return BfTreeConfig.builder().walSegmentSize(4096).durability(d).build();
    }

    private static byte[] key(long i) {
        return ByteBuffer.allocate(8).putLong(i).array();
    }

    private List<WalRecord> readAll(long after) throws IOException {
        List<WalRecord> out = new ArrayList<>();
        WalReader.read(tmp.resolve("t"), after, MAX_BODY, (r, f, o) -> out.add(r));
        return out;
    }

    @Test
    void recordsComeBackInOrderAcrossSegmentsAndOneForceServesManyWriters() throws Exception {
        try (BfDirectory d = newDir()) {
            WriteAheadLog w = WriteAheadLog.open(d, config(Durability.SYNC), 1);
            int threads = 4;
            int per = 300;
            ConcurrentLinkedQueue<Long> acked = new ConcurrentLinkedQueue<>();
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final int tt = t;
                ts.add(new Thread(() -> {
                    for (int i = 0; i < per; i++) {
                        long seq = w.append(tt, WalRecord.PUT, key(tt * 1000L + i), new byte[i % 50]);
                        w.awaitDurable(seq);
                        acked.add(seq);
                    }
                }));
            }
            ts.forEach(Thread::start);
            for (Thread t : ts) {
                t.join();
            }
            assertEquals(threads * per, acked.size());
            long batches = w.batchesForTest();
            assertTrue(batches < threads * per, "group commit: " + batches + " forces for " + threads * per + " records");
            w.close();
            assertTrue(WriteAheadLog.segments(d.path).size() > 3, "small segments roll over");
            List<WalRecord> all = readAll(0);
            assertEquals(threads * per, all.size());
            for (int i = 0; i < all.size(); i++) {
                assertEquals(i + 1, all.get(i).seq);
            }
            assertEquals(threads * per - 100, readAll(100).size());
        }
    }

    private Path writeSome(int n, Durability dur) throws IOException {
        try (BfDirectory d = newDir()) {
            WriteAheadLog w = WriteAheadLog.open(d, BfTreeConfig.builder().walSegmentSize(1 << 20)
                    .durability(dur).build(), 1);
            for (int i = 0; i < n; i++) {
                w.append(7, i % 3 == 0 ? WalRecord.DELETE : WalRecord.PUT, key(i), i % 3 == 0 ? new byte[0] : key(i * 31));
            }
            w.close();
            return WriteAheadLog.segments(d.path).get(0);
        }
    }

    private static long offsetOfRecord(Path seg, int index) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(seg)).order(ByteOrder.LITTLE_ENDIAN);
        int off = WriteAheadLog.SEGMENT_HEADER;
        for (int i = 0; i < index; i++) {
            off += WalRecord.FRAME + b.getInt(off);
        }
        return off;
    }

    @Test
    void aTornTailEndsTheLogQuietlyAtEveryCutPoint() throws IOException {
        Path seg = writeSome(20, Durability.SYNC);
        byte[] whole = Files.readAllBytes(seg);
        long startOf19 = offsetOfRecord(seg, 19);
        for (long cut = startOf19; cut < whole.length; cut++) {
            Files.write(seg, java.util.Arrays.copyOf(whole, (int) cut));
            List<WalRecord> got = readAll(0);
            assertEquals(19, got.size(), "cut at " + cut);
        }
        // Garbage after the last record (a crash after a partial write of zeros or junk).
        byte[] junk = new byte[300];
        new Random(1).nextBytes(junk);
        Files.write(seg, whole);
        Files.write(seg, junk, StandardOpenOption.APPEND);
        List<WalRecord> got = new ArrayList<>();
        WalReader.Tail tail = WalReader.read(tmp.resolve("t"), 0, MAX_BODY, (r, f, o) -> got.add(r));
        assertEquals(20, got.size());
        assertEquals(whole.length, tail.validEnd);
        WalReader.truncateTail(tail);
        assertEquals(whole.length, Files.size(seg));
        assertArrayEquals(key(19 * 31), got.get(19).value);
    }

    @Test
    void aFlippedByteFollowedByValidRecordsIsCorruptionWithFileAndOffset() throws IOException {
        Path seg = writeSome(20, Durability.async(Duration.ofMillis(5)));
        byte[] whole = Files.readAllBytes(seg);
        for (int rec : new int[] {0, 7, 18}) {
            long off = offsetOfRecord(seg, rec);
            for (int delta : new int[] {0, 5, 9, 20, 30}) { // length, CRC, seq, op, key
                byte[] bad = whole.clone();
                bad[(int) off + delta] ^= 0x40;
                Files.write(seg, bad);
                CorruptIndexException e = assertThrows(CorruptIndexException.class, () -> readAll(0),
                        "record " + rec + " byte " + delta);
                assertEquals(seg, e.file());
                assertEquals(off, e.offset(), "record " + rec + " byte " + delta);
            }
        }
    }

    @Test
    void aMissingSegmentAndADamagedSegmentHeaderAreCorruption() throws IOException {
        try (BfDirectory d = newDir()) {
            WriteAheadLog w = WriteAheadLog.open(d, config(Durability.SYNC), 1);
            for (int i = 0; i < 400; i++) {
                w.awaitDurable(w.append(1, WalRecord.PUT, key(i), new byte[40]));
            }
            w.close();
            List<Path> segs = WriteAheadLog.segments(d.path);
            assertTrue(segs.size() >= 3);
            byte[] h = Files.readAllBytes(segs.get(1));
            h[10] ^= 1;
            Files.write(segs.get(1), h);
            CorruptIndexException e = assertThrows(CorruptIndexException.class, () -> readAll(0));
            assertEquals(segs.get(1), e.file());
            h[10] ^= 1;
            Files.write(segs.get(1), h);
            // The same damage in the last segment, with no record after the header, is a crash
            // during the segment's creation: it holds nothing, and the reader drops it.
            Path lastSeg = segs.get(segs.size() - 1);
            byte[] lastBytes = Files.readAllBytes(lastSeg);
            Files.write(lastSeg, new byte[WriteAheadLog.SEGMENT_HEADER]);
            WalReader.Tail torn = WalReader.read(d.path, 0, MAX_BODY, (r, f, o) -> { });
            assertEquals(0, torn.validEnd);
            Files.write(lastSeg, lastBytes);
            Files.delete(segs.get(1));
            e = assertThrows(CorruptIndexException.class, () -> readAll(0));
            assertTrue(e.getMessage().contains("previous segment"), e.getMessage());
            e = assertThrows(CorruptIndexException.class, () -> readAll(0));
            try (FileChannel ch = FileChannel.open(segs.get(0), StandardOpenOption.WRITE)) {
                ch.truncate(10);
            }
            e = assertThrows(CorruptIndexException.class, () -> readAll(0));
            assertEquals(segs.get(0), e.file());
        }
    }
}
