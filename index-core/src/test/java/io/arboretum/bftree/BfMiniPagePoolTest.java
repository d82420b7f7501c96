package io.arboretum.bftree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.arboretum.sync.EpochManager;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mini-page pool on its own (circular allocation, padding at chunk ends, wrap-around,
 * reclamation only through the epochs) and inside the tree (growth by doubling, blind writes that
 * read no page, second-chance eviction, a reader racing eviction, memory within the budget).
 */
class BfMiniPagePoolTest {
    @TempDir
    Path tmp;

    // ------------------------------------------------------------------ the pool alone

    /** Sweeps everything below the tail (the caller unlinked it all) and reclaims it. */
    private static void sweepAll(MiniPagePool p) {
        p.advanceHead(p.tail());
        for (int i = 0; i < 4; i++) {
            p.collect();
        }
    }

    @Test
    void allocationWrapsAroundOnlyIntoReclaimedMemoryAndPadsAtChunkEnds() {
        MiniPagePool p = new MiniPagePool(8192, 512, 2048); // four chunks of 2 KiB
        assertEquals(8192, p.capacity);
        assertEquals(2048, p.chunkSize);
        List<Long> got = new ArrayList<>();
        long a;
        int[] sizes = {64, 512, 512, 512, 128};
        for (int i = 0; (a = p.tryAllocate(sizes[i % sizes.length], 7)) != MiniPagePool.NONE; i++) {
            got.add(a);
            int size = sizes[i % sizes.length];
            assertTrue(p.off(a) + size <= p.chunkSize, "a block never straddles two chunks");
            assertEquals(size, p.blockSize(a));
            assertEquals(MiniPagePool.MINI, p.blockKind(a));
            assertEquals(7, p.blockPid(a));
        }
        while (p.tryAllocate(64, 7) != MiniPagePool.NONE) {
            // the last small gaps
        }
        assertTrue(got.size() >= 7, "allocated " + got.size());
        assertTrue(p.inUse() <= p.capacity);
        // 64 + 512 + 512 + 512 = 1600, then 128 fits (1728), then 64 (1792), then 512 does not fit
        // the first chunk's remaining 256 bytes: a padding block fills them.
        assertEquals(1728, got.get(5));
        assertEquals(MiniPagePool.PAD, p.blockKind(1792));
        assertEquals(256, p.blockSize(1792));
        assertEquals(2048, got.get(6));
        // Full: nothing more until the swept range is reclaimed through the epochs.
        assertEquals(MiniPagePool.NONE, p.tryAllocate(64, 7));
        long tailBefore = p.tail();
        sweepAll(p);
        assertEquals(tailBefore, p.reclaimedPosition());
        long w = p.tryAllocate(512, 8);
        assertTrue(w >= p.capacity, "the logical address goes on past the capacity: " + w);
        assertTrue(p.buf(w) == p.buf(w - p.capacity) && p.off(w) == p.off(w - p.capacity), "same bytes, next lap");
        assertTrue(p.peakInUse() <= p.capacity);
    }

    @Test
    void aPinnedReaderKeepsASweptBlockFromReuseUntilItUnpins() throws Exception {
        MiniPagePool p = new MiniPagePool(4096, 512, 4096);
        p.poisonOnReclaim = true;
        long a = p.tryAllocate(512, 1);
        ByteBuffer b = p.buf(a);
        for (int i = MiniPagePool.HEADER; i < 512; i++) {
            b.put(p.off(a) + i, (byte) i);
        }
        while (p.tryAllocate(512, 2) != MiniPagePool.NONE) {
            // fill the ring
        }
        CountDownLatch pinned = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (EpochManager.Guard g = p.epochs().pin()) {
                pinned.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        reader.start();
        pinned.await();
        sweepAll(p);
        assertEquals(0, p.reclaimedPosition(), "nothing is reclaimed while a reader is pinned");
        assertEquals(MiniPagePool.NONE, p.tryAllocate(64, 3), "so nothing is reused");
        for (int i = MiniPagePool.HEADER; i < 512; i++) {
            assertEquals((byte) i, b.get(p.off(a) + i), "the swept block is intact for the pinned reader");
        }
        release.countDown();
        reader.join();
        sweepAll(p);
        assertEquals(p.tail(), p.reclaimedPosition());
        assertEquals(MiniPagePool.POISON, b.get(p.off(a) + 100), "reclaimed after the unpin");
        assertNotEquals(MiniPagePool.NONE, p.tryAllocate(64, 3));
    }

    // ------------------------------------------------------------------ inside the tree

    private static BfTreeConfig bigPages(long budget) {
        return BfTreeConfig.builder().pageSize(4096).memoryBudget(budget)
                .durability(Durability.async(java.time.Duration.ofSeconds(30))).checkpointLogBytes(0).build();
    }

    private static byte[] k(int i) {
        return String.format("k%06d", i).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    @Test
    void aMiniPageGrowsByDoublingAndBlindWritesReadNoPage() throws IOException {
        try (BfTree t = BfTree.create(tmp.resolve("t"), bigPages(1 << 20))) {
            t.put(k(0), new byte[] {0}); // reads the page once: its size is known from now on
            long reads = t.pageReads();
            Leaf l = t.leafForTest(k(0));
            List<Integer> sizes = new ArrayList<>();
            for (int i = 1; i < 150; i++) {
                t.upsert(k(i), new byte[] {(byte) i, 1, 2, 3});
                int size = MiniPage.size(t.poolForTest(), l.miniAcquire());
                if (sizes.isEmpty() || sizes.get(sizes.size() - 1) != size) {
                    sizes.add(size);
                }
            }
            t.erase(k(3));
            assertEquals(reads, t.pageReads(), "blind writes read no page");
            assertEquals(List.of(64, 128, 256, 512, 1024, 2048, 4096), sizes);
            assertTrue(l.dirty());
            // Reads of buffered records come from the mini-page; a miss reads the page.
            assertArrayEquals(new byte[] {7, 1, 2, 3}, t.get(k(7)));
            assertNull(t.get(k(3)));
            assertEquals(reads, t.pageReads());
            assertNull(t.get(k(100_000)));
            assertEquals(reads + 1, t.pageReads());
            // A page of dirty records cannot grow: the next writes merge into the page (and split it).
            for (int i = 150; i < 400; i++) {
                t.upsert(k(i), new byte[] {(byte) i, 1, 2, 3});
            }
            assertTrue(t.leafCount() > 1, "the merged leaf split");
            t.checkInvariants();
            for (int i = 1; i < 400; i++) {
                assertArrayEquals(i == 3 ? null : new byte[] {(byte) i, 1, 2, 3}, t.get(k(i)), "key " + i);
            }
        }
    }

    @Test
    void aReadCachesTheRecordItReadFromThePage() throws IOException {
        Path dir = tmp.resolve("t");
        try (BfTree t = BfTree.create(dir, bigPages(1 << 20))) {
            for (int i = 0; i < 50; i++) {
                t.put(k(i), new byte[] {(byte) i});
            }
        }
        try (BfTree t = BfTree.open(dir, bigPages(1 << 20))) {
            long reads = t.pageReads();
            assertArrayEquals(new byte[] {9}, t.get(k(9)));
            assertEquals(reads + 1, t.pageReads(), "the first read of a key reads the page");
            assertArrayEquals(new byte[] {9}, t.get(k(9)));
            assertEquals(reads + 1, t.pageReads(), "the second finds it cached in the mini-page");
            assertTrue(MiniPage.count(t.poolForTest(), t.leafForTest(k(9)).miniAcquire()) >= 1);
            t.checkInvariants();
        }
    }

    @Test
    void theSweepGivesAReferencedMiniPageASecondChanceAndEvictsTheOthersMergingDirtyRecords() throws IOException {
        try (BfTree t = BfTree.create(tmp.resolve("t"), BfTreeConfig.builder().pageSize(512).memoryBudget(16 * 512)
                .durability(Durability.async(java.time.Duration.ofSeconds(30))).checkpointLogBytes(0).build())) {
            NavigableMap<byte[], byte[]> model = new TreeMap<>(Arrays::compareUnsigned);
            for (int i = 0; i < 300; i++) {
                t.put(k(i), new byte[] {(byte) i});
                model.put(k(i), new byte[] {(byte) i});
            }
            MiniPagePool p = t.poolForTest();
            t.sweepForTest(p.capacity); // empty the ring: every mini-page evicted, dirty ones merged
            assertEquals(0, p.liveBytes());
            // Two leaves with dirty mini-pages; the first is read (referenced), the second is not.
            byte[] hot = k(10);
            byte[] cold = k(250);
            t.upsert(hot, new byte[] {1});
            t.upsert(cold, new byte[] {2});
            model.put(hot, new byte[] {1});
            model.put(cold, new byte[] {2});
            Leaf lh = t.leafForTest(hot);
            Leaf lc = t.leafForTest(cold);
            assertNotEquals(lh, lc);
            long ah = lh.miniAcquire();
            assertNotEquals(MiniPagePool.NONE, ah, "a blind write made a mini-page");
            assertEquals(ah, p.head(), "the hot leaf's mini-page is the oldest block");
            lh.referenced = true;
            lc.referenced = false;
            int coldSlot = lc.slot;
            // Sweep just past both blocks: free space after it = capacity - the copied block.
            t.sweepForTest(p.capacity - MiniPage.size(p, ah));
            assertNotEquals(MiniPagePool.NONE, lh.miniAcquire(), "the referenced one was copied forward");
            assertNotEquals(ah, lh.miniAcquire());
            assertTrue(lh.dirty(), "still dirty: a copy, not a merge");
            assertEquals(MiniPagePool.NONE, lc.miniAcquire(), "the other was evicted");
            assertNotEquals(coldSlot, lc.slot, "its dirty record was merged into a new page slot");
            assertTrue(!lc.dirty());
            t.sweepForTest(p.capacity); // the second time round the hot one goes too
            assertEquals(MiniPagePool.NONE, lh.miniAcquire());
            t.checkInvariants();
            BfTreeDifferentialTest.assertSame(model, t, new Random(1));
        }
    }

    @Test
    void readersRacingEvictionSeeTheOldPlaceOrTheNewNeverReclaimedMemory() throws Exception {
        try (BfTree t = BfTree.create(tmp.resolve("t"), BfTreeConfig.builder().pageSize(512).memoryBudget(16 * 512)
                .durability(Durability.async(java.time.Duration.ofSeconds(30))).checkpointLogBytes(0).build())) {
            MiniPagePool p = t.poolForTest();
            p.poisonOnReclaim = true; // reclaimed memory turns to 0xDB: a reader of reused memory would see it
            int n = 200;
            for (int i = 0; i < n; i++) {
                t.put(k(i), new byte[] {(byte) i, (byte) (i >> 8)});
            }
            AtomicBoolean done = new AtomicBoolean();
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                final int seed = r;
                threads.add(new Thread(() -> {
                    Random rnd = new Random(seed);
                    try {
                        while (!done.get()) {
                            int i = rnd.nextInt(n);
                            assertArrayEquals(new byte[] {(byte) i, (byte) (i >> 8)}, t.get(k(i)), "key " + i);
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }));
            }
            threads.forEach(Thread::start);
            long end = System.nanoTime() + 1_500_000_000L;
            Random rnd = new Random(9);
            while (System.nanoTime() < end && errors.isEmpty()) {
                int i = rnd.nextInt(n);
                t.upsert(k(i), new byte[] {(byte) i, (byte) (i >> 8)}); // same value: readers' answers stay fixed
                t.sweepForTest(p.capacity / 2 + rnd.nextInt((int) p.capacity / 2));
            }
            done.set(true);
            for (Thread th : threads) {
                th.join();
            }
            assertTrue(errors.isEmpty(), () -> errors.peek().toString());
            t.checkInvariants();
        }

        // The protocol step by step: a reader pinned with a mini-page's address reads it intact
        // while the sweep evicts it and the epochs are asked to reclaim it; unpinned, it is reclaimed.
        try (BfTree t = BfTree.create(tmp.resolve("u"), bigPages(64 * 4096))) {
            MiniPagePool p = t.poolForTest();
            p.poisonOnReclaim = true;
            t.put(k(1), new byte[] {42});
            t.upsert(k(2), new byte[] {43});
            Leaf l = t.leafForTest(k(1));
            CountDownLatch read = new CountDownLatch(1);
            CountDownLatch evicted = new CountDownLatch(1);
            Object[] seen = new Object[2];
            Thread reader = new Thread(() -> {
                try (EpochManager.Guard g = p.epochs().pin()) {
                    long a = l.miniAcquire();
                    seen[0] = MiniPage.probe(p, a, k(2));
                    read.countDown();
                    evicted.await();
                    seen[1] = MiniPage.probe(p, a, k(2)); // the old place, after eviction and collection
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            reader.start();
            read.await();
            t.sweepForTest(p.capacity);
            p.collect();
            p.collect();
            assertEquals(MiniPagePool.NONE, l.miniAcquire(), "evicted");
            evicted.countDown();
            reader.join();
            assertArrayEquals(new byte[] {43}, (byte[]) seen[0]);
            assertArrayEquals(new byte[] {43}, (byte[]) seen[1], "the old place was not reclaimed under the pin");
            p.collect();
            p.collect();
            assertEquals(p.head(), p.reclaimedPosition(), "reclaimed once the reader unpinned");
            assertArrayEquals(new byte[] {43}, t.get(k(2)), "from the page it was merged into");
        }
    }

    @Test
    void poolMemoryStaysWithinTheBudgetUnderALoadTenTimesLarger() throws IOException {
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).findFirst().orElseThrow();
        BfTreeConfig cfg = BfTreeDifferentialTest.smallConfig();
        long before = direct.getMemoryUsed();
        NavigableMap<byte[], byte[]> model = new TreeMap<>(Arrays::compareUnsigned);
        try (BfTree t = BfTree.create(tmp.resolve("t"), cfg)) {
            long reserved = direct.getMemoryUsed() - before;
            MiniPagePool p = t.poolForTest();
            assertEquals(p.capacity, p.reservedBytes());
            assertTrue(p.capacity <= cfg.memoryBudget() && p.capacity > cfg.memoryBudget() - cfg.pageSize());
            // Measured: the JVM's direct memory grew by the pool (and at most a page of I/O buffers).
            assertTrue(reserved >= p.capacity && reserved <= p.capacity + 2L * cfg.pageSize(), "direct " + reserved);
            Random rnd = new Random(4);
            for (int op = 0; op < 12_000; op++) {
                int i = rnd.nextInt(4000);
                byte[] v = BfTreeDifferentialTest.value(rnd, i);
                switch (rnd.nextInt(4)) {
                    case 0:
                        t.upsert(k(i), v);
                        model.put(k(i), v);
                        break;
                    case 1:
                        assertTrue(Arrays.equals(model.put(k(i), v), t.put(k(i), v)));
                        break;
                    case 2:
                        assertTrue(Arrays.equals(model.get(k(i)), t.get(k(i))));
                        break;
                    default:
                        t.erase(k(i));
                        model.remove(k(i));
                        break;
                }
                assertTrue(p.inUse() <= p.capacity, "pool in use " + p.inUse());
            }
            long data = 0;
            for (java.util.Map.Entry<byte[], byte[]> e : model.entrySet()) {
                data += e.getKey().length + e.getValue().length;
            }
            assertTrue(data >= 10 * cfg.memoryBudget(), "data " + data + " bytes, 10x the budget");
            assertTrue(p.peakInUse() <= p.capacity && p.peakInUse() > p.capacity / 2, "peak " + p.peakInUse());
            assertTrue(t.residentBytes() <= p.capacity);
            t.checkInvariants();
            BfTreeDifferentialTest.assertSame(model, t, rnd);
        }
    }
}
