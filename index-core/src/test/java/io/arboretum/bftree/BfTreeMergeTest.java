package io.arboretum.bftree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.arboretum.testkit.KeyOrder;
import io.arboretum.testkit.Threads;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leaf merges: deletes that leave a leaf small merge it with a neighbour, the fences stay exact,
 * and the MERGE records replay after a crash to the same leaves. Deletions run in every
 * {@link KeyOrder} (random, ascending, descending, zigzag, bisecting, tens then middles), as each
 * leaves small leaves in different places.
 */
class BfTreeMergeTest {
    @TempDir
    Path tmp;

    private static final int N = 3000;

    /** Fills {@code N} keys (random order), then deletes all but every tenth in {@code order}. */
    private static NavigableMap<byte[], byte[]> fillAndThin(BfTree t, KeyOrder order, long seed) {
        NavigableMap<byte[], byte[]> model = new TreeMap<>(Arrays::compareUnsigned);
        Random rnd = new Random(seed);
        for (int i : KeyOrder.RANDOM.keys(N, new Random(seed))) {
            byte[] k = BfTreeDifferentialTest.key(i);
            byte[] v = BfTreeDifferentialTest.value(rnd, i);
            t.put(k, v);
            model.put(k, v);
        }
        for (int i : order.keys(N, new Random(seed + 1))) {
            if (i % 30 != 0) { // keys are 3 * index: every tenth stays
                byte[] k = BfTreeDifferentialTest.key(i);
                t.delete(k);
                model.remove(k);
            }
        }
        return model;
    }

    @Test
    void deletesMergeSmallLeavesInEveryOrderAndRecoveryReplaysTheMerges() throws IOException {
        for (KeyOrder order : KeyOrder.values()) {
            Path dir = tmp.resolve(order.name());
            NavigableMap<byte[], byte[]> model;
            int full;
            int thinned;
            BfTree t = BfTree.create(dir, BfTreeRecoveryTest.syncConfig());
            try {
                for (int i = 0; i < N; i++) {
                    t.put(BfTreeDifferentialTest.key(3 * i), new byte[40]);
                }
                full = t.leafCount();
                t.checkpoint(); // the merges below are in the log only
                model = fillAndThin(t, order, order.ordinal());
                thinned = t.leafCount();
                t.checkInvariants();
                BfTreeDifferentialTest.assertSame(model, t, new Random(1));
                t.flush();
            } finally {
                t.crashForTest();
            }
            System.out.printf("merges, %s deletes: %d leaves full, %d after deleting 90%%%n", order, full, thinned);
            // A tenth of the records left: without merges the leaf count would not fall at all.
            assertTrue(thinned < full / 3, order + ": " + full + " leaves full, " + thinned + " after deleting 90%");
            try (BfTree r = BfTree.open(dir, BfTreeRecoveryTest.syncConfig())) {
                r.checkInvariants();
                assertEquals(thinned, r.leafCount(), order + ": replayed merges give the same leaves");
                BfTreeDifferentialTest.assertSame(model, r, new Random(2));
            }
        }
    }

    @Test
    void deletingEverythingLeavesOneLeaf() throws IOException {
        try (BfTree t = BfTree.create(tmp.resolve("t"), BfTreeRecoveryTest.syncConfig())) {
            NavigableMap<byte[], byte[]> model = fillAndThin(t, KeyOrder.DESCENDING, 7);
            for (byte[] k : new ArrayList<>(model.keySet())) {
                t.delete(k);
            }
            t.checkInvariants();
            // Empty leaves merge with empty neighbours until none is left to pair with; a few may
            // remain where a neighbour's latch was busy or its size unknown when the last delete came.
            assertTrue(t.leafCount() <= 2, t.leafCount() + " leaves left in an empty tree");
            try (BfCursor c = t.cursor(null, null)) {
                assertTrue(!c.next(), "empty");
            }
        }
    }

    /**
     * Merges racing with writers, readers and polls: every thread owns a residue class of keys
     * and checks its own keys after each step (so an update lost in an absorbed leaf, or a read
     * routed to one, is seen at once); the structure is checked at the end and after a reopen.
     */
    @Test
    void mergesRacingWithWritesAndReadsLoseNothing() throws Exception {
        Path dir = tmp.resolve("race");
        int threads = 4;
        int keys = 1200;
        List<NavigableMap<byte[], byte[]>> models = new ArrayList<>();
        try (BfTree t = BfTree.create(dir, BfTreeRecoveryTest.syncConfig())) {
            for (int w = 0; w < threads; w++) {
                models.add(new TreeMap<>(Arrays::compareUnsigned));
            }
            Threads.run("merge-race", threads, id -> {
                NavigableMap<byte[], byte[]> model = models.get(id);
                Random rnd = new Random(id);
                for (int round = 0; round < 3; round++) {
                    for (int i = id; i < keys; i += threads) { // fill: leaves split
                        byte[] k = BfTreeDifferentialTest.key(i);
                        byte[] v = BfTreeDifferentialTest.value(rnd, i);
                        t.put(k, v);
                        model.put(k, v);
                    }
                    for (int i = keys - threads + id; i >= 0; i -= threads) { // thin: leaves merge
                        byte[] k = BfTreeDifferentialTest.key(i);
                        if (i % 7 != 0) {
                            t.delete(k);
                            model.remove(k);
                        }
                        int probe = id + threads * rnd.nextInt(keys / threads);
                        byte[] pk = BfTreeDifferentialTest.key(probe);
                        byte[] want = model.get(pk);
                        byte[] got = t.get(pk);
                        if (!Arrays.equals(want, got)) {
                            throw new AssertionError("thread " + id + " key " + probe + ": expected "
                                    + Arrays.toString(want) + ", got " + Arrays.toString(got));
                        }
                    }
                }
            });
            t.checkInvariants();
            NavigableMap<byte[], byte[]> all = new TreeMap<>(Arrays::compareUnsigned);
            models.forEach(all::putAll);
            BfTreeDifferentialTest.assertSame(all, t, new Random(5));
        }
        try (BfTree r = BfTree.open(dir, BfTreeRecoveryTest.syncConfig())) {
            r.checkInvariants();
            NavigableMap<byte[], byte[]> all = new TreeMap<>(Arrays::compareUnsigned);
            models.forEach(all::putAll);
            BfTreeDifferentialTest.assertSame(all, r, new Random(6));
        }
    }

    /**
     * A MERGE record naming a right page that does not exist (a flipped id, CRC recomputed so the
     * reader accepts the frame) is corruption, reported with the file and offset, not applied.
     */
    @Test
    void aMergeRecordNamingNoNeighbourIsCorruption() throws IOException {
        Path dir = tmp.resolve("bad");
        try (BfTree t = BfTree.create(dir, BfTreeRecoveryTest.syncConfig())) {
            for (int i = 0; i < 200; i++) {
                t.put(BfTreeDifferentialTest.key(i), new byte[40]);
            }
            t.checkpoint();
            for (int i = 0; i < 200; i++) {
                t.delete(BfTreeDifferentialTest.key(i));
            }
            t.flush();
            t.crashForTest();
        }
        Path seg = WriteAheadLog.segments(dir).get(WriteAheadLog.segments(dir).size() - 1);
        boolean patched = false;
        try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer all = ByteBuffer.allocate((int) ch.size()).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(all, 0);
            byte[] b = all.array();
            for (int off = firstRecord(b); off + WalRecord.FRAME <= b.length; ) {
                int len = all.getInt(off);
                if (len <= 0) {
                    break;
                }
                if (b[off + WalRecord.FRAME + 16] == WalRecord.MERGE) {
                    int kl = all.getShort(off + WalRecord.FRAME + 17);
                    all.putLong(off + WalRecord.FRAME + WalRecord.BODY_FIXED + kl, 1_000_000L); // no such page
                    all.putInt(off + 4, BfDirectory.crc(b, off + WalRecord.FRAME, len));
                    patched = true;
                    break;
                }
                off += WalRecord.FRAME + len;
            }
            assertTrue(patched, "the log holds a MERGE record");
            ch.write(ByteBuffer.wrap(b), 0);
        }
        CorruptIndexException e = assertThrows(CorruptIndexException.class,
                () -> BfTree.open(dir, BfTreeRecoveryTest.syncConfig()).close());
        assertTrue(e.getMessage().contains("merge record") && e.getMessage().contains(seg.getFileName().toString()),
                e.getMessage());
    }

    /** Offset of the first record in a log segment: after the segment header. */
    private static int firstRecord(byte[] segment) {
        return WriteAheadLog.SEGMENT_HEADER;
    }

    /**
     * A merge that would read a damaged neighbour page is skipped: the deletes that trigger it
     * succeed (they are applied and logged before the merge is tried), and the damaged page keeps
     * failing with {@link CorruptIndexException}, never serving wrong data.
     */
    @Test
    void aDeleteBesideADamagedPageSucceedsAndSkipsTheMerge() throws IOException {
        Path dir = tmp.resolve("damaged");
        Path cp = dir.resolve(BfDirectory.CHECKPOINT);
        try (BfTree t = BfTree.create(dir, BfTreeRecoveryTest.syncConfig())) {
            for (int i = 0; i < 300; i++) {
                t.put(BfTreeDifferentialTest.key(i), new byte[40]);
            }
        }
        Checkpoint c = Checkpoint.decode(java.nio.file.Files.readAllBytes(cp), cp, 32, 512);
        assertTrue(c.pids.length > 3, "several leaves");
        // Thin the second leaf to three records: too many to start a merge, few enough that a
        // small first leaf will try to absorb it (reading its page).
        try (BfTree t = BfTree.open(dir, BfTreeRecoveryTest.syncConfig())) {
            List<byte[]> second = keysIn(c.lows[1], c.lows[2]);
            for (byte[] k : second.subList(3, second.size())) {
                t.delete(k);
            }
            assertEquals(c.pids.length, t.leafCount(), "no merge yet");
        }
        c = Checkpoint.decode(java.nio.file.Files.readAllBytes(cp), cp, 32, 512);
        try (FileChannel ch = FileChannel.open(dir.resolve(BfDirectory.PAGES), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {(byte) 0xA5}), c.slots[1] * 512L + 100); // damage the second leaf
        }
        byte[] secondLow = c.lows[1];
        try (BfTree t = BfTree.open(dir, BfTreeRecoveryTest.syncConfig())) {
            List<byte[]> first = keysIn(new byte[0], secondLow);
            assertTrue(first.size() > 3, first.size() + " keys in the first leaf");
            for (byte[] k : first) {
                assertTrue(t.delete(k) != null, "a delete that tries a merge with the damaged leaf still succeeds");
            }
            for (byte[] k : first) {
                assertTrue(t.get(k) == null, "deleted");
            }
            assertEquals(c.pids.length, t.leafCount(), "no merge with the damaged page");
            assertThrows(CorruptIndexException.class, () -> t.get(secondLow));
        }
    }

    /** The keys {@code key(0..299)} in {@code [from, to)}, ascending. */
    private static List<byte[]> keysIn(byte[] from, byte[] to) {
        List<byte[]> ks = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            byte[] k = BfTreeDifferentialTest.key(i);
            if (Arrays.compareUnsigned(k, from) >= 0 && Arrays.compareUnsigned(k, to) < 0) {
                ks.add(k);
            }
        }
        ks.sort(Arrays::compareUnsigned);
        return ks;
    }
}
