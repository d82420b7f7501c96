package io.arboretum.bftree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recovery in this JVM: {@code crashForTest()} stops the tree as a killed process would (the
 * log's unforced buffer is lost, nothing is checkpointed), then the directory is reopened,
 * possibly after damaging a file.
 */
class BfTreeRecoveryTest {
    @TempDir
    Path tmp;

    /**
     * Small pages and budget, no automatic checkpoint: the log keeps every write. ASYNC with a
     * {@code flush()} before each simulated crash leaves the same files as SYNC (every record
     * forced) at a fraction of the time; SYNC itself is tested by {@link BfTreeCrashTest}.
     */
    static BfTreeConfig syncConfig() {
        return BfTreeConfig.builder().pageSize(512).memoryBudget(16 * 512)
                .durability(Durability.async(java.time.Duration.ofSeconds(30)))
                .walSegmentSize(8 << 10).checkpointLogBytes(0).build();
    }

    /** Writes {@code n} keys in descending order (splits at the left end), half deleted again; crashes. */
    private NavigableMap<byte[], byte[]> writeAndCrash(Path dir, int n, boolean checkpointHalfway) throws IOException {
        NavigableMap<byte[], byte[]> model = new TreeMap<>(Arrays::compareUnsigned);
        Random rnd = new Random(n);
        BfTree t = Files.exists(dir) ? BfTree.open(dir, syncConfig()) : BfTree.create(dir, syncConfig());
        for (int i = n - 1; i >= 0; i--) {
            byte[] k = BfTreeDifferentialTest.key(3 * i);
            byte[] v = BfTreeDifferentialTest.value(rnd, i);
            t.put(k, v);
            model.put(k, v);
            if (i % 3 == 0) {
                t.delete(BfTreeDifferentialTest.key(3 * (i + 1)));
                model.remove(BfTreeDifferentialTest.key(3 * (i + 1)));
            }
            if (i % 50 == 0) {
                t.flush(); // a batch per 50 writes, so the log rolls over several segments
            }
            if (checkpointHalfway && i == n / 2) {
                t.checkpoint();
            }
        }
        t.flush();
        t.crashForTest();
        return model;
    }

    private static void assertContent(NavigableMap<byte[], byte[]> model, BfTree t) {
        BfTreeDifferentialTest.assertSame(model, t, new Random(3));
    }

    @Test
    void acknowledgedWritesSurviveACrashWithSplitsAndEvictionsSinceTheCheckpoint() throws IOException {
        Path dir = tmp.resolve("t");
        NavigableMap<byte[], byte[]> model = writeAndCrash(dir, 600, true);
        assertTrue(WriteAheadLog.segments(dir).size() > 1, "the log spans several segments");
        try (BfTree t = BfTree.open(dir, syncConfig())) {
            assertTrue(t.leafCount() > 20, "the log replayed splits: " + t.leafCount() + " leaves");
            assertContent(model, t);
        }
        // Recovered state crashes again without new writes, and again with a few: same content.
        try (BfTree t = BfTree.open(dir, syncConfig())) {
            t.crashForTest();
        }
        try (BfTree t = BfTree.open(dir, syncConfig())) {
            assertContent(model, t);
            t.put(new byte[] {7}, new byte[] {7});
            model.put(new byte[] {7}, new byte[] {7});
            t.flush();
            t.crashForTest();
        }
        try (BfTree t = BfTree.open(dir, syncConfig())) {
            assertContent(model, t);
        }
    }

    @Test
    void asyncWritesOlderThanTheIntervalSurviveACrash() throws IOException, InterruptedException {
        Path dir = tmp.resolve("t");
        BfTreeConfig cfg = BfTreeConfig.builder().pageSize(512).memoryBudget(16 * 512)
                .durability(Durability.async(java.time.Duration.ofMillis(20))).checkpointLogBytes(0).build();
        NavigableMap<byte[], byte[]> model = new TreeMap<>(Arrays::compareUnsigned);
        BfTree t = BfTree.create(dir, cfg);
        for (int i = 0; i < 300; i++) {
            byte[] k = BfTreeDifferentialTest.key(i);
            t.put(k, k);
            model.put(k, k);
        }
        Thread.sleep(500); // the documented window is the interval plus one force; 500 ms is far beyond it
        t.crashForTest(); // no flush, no checkpoint: only the background forces made these durable
        try (BfTree r = BfTree.open(dir, cfg)) {
            assertContent(model, r);
        }
    }

    @Test
    void aLogWriteErrorFailsThatWriteAndLaterOnesLosesNoAcknowledgedWriteAndTheTreeStillCloses() throws IOException {
        Path dir = tmp.resolve("t");
        BfTreeConfig cfg = BfTreeConfig.builder().pageSize(512).memoryBudget(16 * 512).durability(Durability.SYNC)
                .checkpointLogBytes(0).build();
        BfTree t = BfTree.create(dir, cfg);
        for (int i = 0; i < 20; i++) {
            t.put(BfTreeDifferentialTest.key(i), new byte[] {(byte) i});
        }
        t.walForTest().breakForTest(); // the next write or force of the log fails, as on a full disk
        java.io.UncheckedIOException first = assertThrows(java.io.UncheckedIOException.class,
                () -> t.put(BfTreeDifferentialTest.key(100), new byte[] {1}));
        assertTrue(first.getMessage().contains("log"), first.getMessage());
        // Sticky: a later write is refused before it changes anything.
        assertThrows(java.io.UncheckedIOException.class, () -> t.put(BfTreeDifferentialTest.key(101), new byte[] {1}));
        assertThrows(java.io.UncheckedIOException.class, () -> t.delete(BfTreeDifferentialTest.key(3)));
        assertNull(t.get(BfTreeDifferentialTest.key(101)));
        assertArrayEquals(new byte[] {3}, t.get(BfTreeDifferentialTest.key(3)));
        t.checkInvariants();
        // close() reports the failure but still closes the files and releases the lock.
        assertThrows(java.io.UncheckedIOException.class, t::close);
        try (BfTree r = BfTree.open(dir, cfg)) {
            for (int i = 0; i < 20; i++) {
                assertArrayEquals(new byte[] {(byte) i}, r.get(BfTreeDifferentialTest.key(i)), "acknowledged write " + i);
            }
            assertNull(r.get(BfTreeDifferentialTest.key(101)));
            r.checkInvariants();
        }
    }

    @Test
    void aTornTailIsRecoveredFromAndLosesOnlyTheTornRecord() throws IOException {
        Path dir = tmp.resolve("t");
        NavigableMap<byte[], byte[]> model = writeAndCrash(dir, 200, false);
        List<Path> segs = WriteAheadLog.segments(dir);
        Path last = segs.get(segs.size() - 1);
        long size = Files.size(last);
        // Half of a new record at the end (a write the crash cut): header claims more than is there.
        ByteBuffer half = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putInt(60).putInt(12345);
        Files.write(last, half.array(), StandardOpenOption.APPEND);
        try (BfTree t = BfTree.open(dir, syncConfig())) {
            assertContent(model, t);
        }
        assertTrue(size > 0);
    }

    @Test
    void aCrashBeforeTheLastSplitRecordIsRepairedByRecovery() throws IOException {
        Path dir = tmp.resolve("t");
        writeAndCrash(dir, 300, false);
        // Cut the log after the last PUT that made a leaf overflow, before its SPLIT record.
        Path last = null;
        long cut = -1;
        for (Path seg : WriteAheadLog.segments(dir)) {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(seg)).order(ByteOrder.LITTLE_ENDIAN);
            int off = WriteAheadLog.SEGMENT_HEADER;
            while (off < b.limit()) {
                if (b.get(off + 24) == WalRecord.SPLIT) {
                    last = seg;
                    cut = off;
                }
                off += WalRecord.FRAME + b.getInt(off);
            }
        }
        assertTrue(cut > 0, "the workload split leaves");
        for (Path seg : WriteAheadLog.segments(dir)) {
            if (WriteAheadLog.segmentStart(seg) > WriteAheadLog.segmentStart(last)) {
                Files.delete(seg);
            }
        }
        try (var ch = java.nio.channels.FileChannel.open(last, StandardOpenOption.WRITE)) {
            ch.truncate(cut);
        }
        try (BfTree t = BfTree.open(dir, syncConfig())) {
            t.checkInvariants(); // every leaf fits a page again
            try (BfCursor c = t.cursor(null, null)) {
                byte[] prev = null;
                while (c.next()) {
                    assertTrue(prev == null || Arrays.compareUnsigned(prev, c.key()) < 0);
                    prev = c.key();
                }
            }
        }
    }

    @Test
    void aFlippedByteInTheMiddleOfTheLogIsCorruptionNamingFileAndOffset() throws IOException {
        Path dir = tmp.resolve("t");
        writeAndCrash(dir, 300, false);
        Path seg = WriteAheadLog.segments(dir).get(0);
        byte[] a = Files.readAllBytes(seg);
        int off = WriteAheadLog.SEGMENT_HEADER;
        ByteBuffer b = ByteBuffer.wrap(a).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 5; i++) {
            off += WalRecord.FRAME + b.getInt(off);
        }
        a[off + 30] ^= 0x01; // inside record 6's key
        Files.write(seg, a);
        CorruptIndexException e = assertThrows(CorruptIndexException.class, () -> BfTree.open(dir, syncConfig()));
        assertEquals(seg, e.file());
        assertEquals(off, e.offset());
        // The failed open released the lock: the error is the same on a second try.
        assertThrows(CorruptIndexException.class, () -> BfTree.open(dir, syncConfig()));
    }

    @Test
    void aFlippedByteInAPageIsCorruptionWhenThePageIsRead() throws IOException {
        Path dir = tmp.resolve("t");
        NavigableMap<byte[], byte[]> model = new TreeMap<>(Arrays::compareUnsigned);
        try (BfTree t = BfTree.create(dir, syncConfig())) {
            for (int i = 0; i < 300; i++) {
                t.put(BfTreeDifferentialTest.key(i), new byte[] {(byte) i});
                model.put(BfTreeDifferentialTest.key(i), new byte[] {(byte) i});
            }
        }
        Path pages = dir.resolve(BfDirectory.PAGES);
        byte[] a = Files.readAllBytes(pages);
        Checkpoint c = Checkpoint.decode(Files.readAllBytes(dir.resolve(BfDirectory.CHECKPOINT)), dir, 32, 512);
        int victim = c.slots[c.slots.length / 2];
        int pos = victim * 512 + 200;
        a[pos] ^= 0x20;
        Files.write(pages, a);
        try (BfTree t = BfTree.open(dir, syncConfig())) {
            CorruptIndexException e = assertThrows(CorruptIndexException.class, () -> {
                try (BfCursor cur = t.cursor(null, null)) {
                    while (cur.next()) {
                        cur.key();
                    }
                }
            });
            assertEquals(pages, e.file());
            assertTrue(e.offset() >= victim * 512L && e.offset() < victim * 512L + 512, e.getMessage());
            // Other pages still read; the damaged one keeps failing, never returning wrong data.
            assertArrayEquals(new byte[] {0}, t.get(model.firstKey()));
            assertThrows(CorruptIndexException.class, () -> t.get(c.lows[c.slots.length / 2]));
        }
    }

    @Test
    void aDamagedOrMissingCheckpointIsCorruption() throws IOException {
        Path dir = tmp.resolve("t");
        try (BfTree t = BfTree.create(dir, syncConfig())) {
            t.put(new byte[] {1}, new byte[] {1});
        }
        Path cp = dir.resolve(BfDirectory.CHECKPOINT);
        byte[] good = Files.readAllBytes(cp);
        byte[] bad = good.clone();
        bad[14] ^= 4;
        Files.write(cp, bad);
        CorruptIndexException e = assertThrows(CorruptIndexException.class, () -> BfTree.open(dir, syncConfig()));
        assertEquals(cp, e.file());
        Files.delete(cp);
        e = assertThrows(CorruptIndexException.class, () -> BfTree.open(dir, syncConfig()));
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
        Files.write(cp, good);
        try (BfTree t = BfTree.open(dir, syncConfig())) {
            assertArrayEquals(new byte[] {1}, t.get(new byte[] {1}));
            assertNull(t.get(new byte[] {2}));
        }
    }

    /**
     * The checkpoint records each page's record bytes, so after a reopen a write goes blindly into
     * a leaf's mini-page without reading its page; a checkpoint of format version 1 (no record
     * bytes) still opens, and then the first write to a leaf reads its page.
     */
    @Test
    void aReopenedTreeWritesBlindlyAndAVersionOneCheckpointStillOpens() throws IOException {
        Path dir = tmp.resolve("t");
        NavigableMap<byte[], byte[]> model = new TreeMap<>(Arrays::compareUnsigned);
        try (BfTree t = BfTree.create(dir, syncConfig())) {
            for (int i = 0; i < 300; i++) {
                t.put(BfTreeDifferentialTest.key(3 * i), new byte[] {(byte) i});
                model.put(BfTreeDifferentialTest.key(3 * i), new byte[] {(byte) i});
            }
        }
        try (BfTree t = BfTree.open(dir, syncConfig())) {
            long reads = t.pageReads();
            for (int i = 0; i < 300; i += 37) {
                t.upsert(BfTreeDifferentialTest.key(3 * i + 1), new byte[] {7});
                model.put(BfTreeDifferentialTest.key(3 * i + 1), new byte[] {7});
            }
            assertEquals(reads, t.pageReads(), "blind writes after a reopen read no page");
            t.checkInvariants(); // also checks each known record-byte count against its page
            assertContent(model, t);
        }
        // Rewrite the checkpoint in format version 1: the same entries without record bytes.
        Path cp = dir.resolve(BfDirectory.CHECKPOINT);
        Checkpoint c = Checkpoint.decode(Files.readAllBytes(cp), cp, 32, 512);
        int size = 40;
        for (byte[] low : c.lows) {
            size += 14 + low.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(Checkpoint.MAGIC).putInt(Checkpoint.VERSION_1).putLong(c.lsn).putLong(c.nextPid)
                .putInt(c.slotCount).putInt(c.pids.length);
        for (int i = 0; i < c.pids.length; i++) {
            b.putLong(c.pids[i]).putInt(c.slots[i]).putShort((short) c.lows[i].length).put(c.lows[i]);
        }
        b.putInt(BfDirectory.crc(b.array(), 0, size - 4));
        Files.write(cp, b.array());
        try (BfTree t = BfTree.open(dir, syncConfig())) {
            long reads = t.pageReads();
            t.upsert(BfTreeDifferentialTest.key(2), new byte[] {8});
            model.put(BfTreeDifferentialTest.key(2), new byte[] {8});
            assertTrue(t.pageReads() > reads, "without record bytes the first write reads the page");
            assertContent(model, t);
        }
        assertEquals(Checkpoint.VERSION, ByteBuffer.wrap(Files.readAllBytes(cp)).order(ByteOrder.LITTLE_ENDIAN).getInt(8),
                "the open's checkpoint writes the current format");
    }
}
