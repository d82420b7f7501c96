package io.arboretum.bftree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writers, point readers and scanners at once, with splits, evictions and automatic checkpoints
 * happening underneath: the final content equals the writers' models (also after a reopen), and
 * every scan was weakly consistent (ascending or descending order, no duplicates, every key that
 * was present throughout seen). Scaled by {@code arboretum.test.scale}.
 */
class BfTreeConcurrencyTest {
    static final int SCALE = Math.max(1, Integer.getInteger("arboretum.test.scale", 1));

    @TempDir
    Path tmp;

    @Test
    void writersReadersAndScannersTogether() throws Exception {
        Path dir = tmp.resolve("t");
        BfTreeConfig cfg = BfTreeDifferentialTest.smallConfig();
        int stable = 400;
        int writers = 2;
        int opsPerWriter = 4000 * SCALE;
        List<NavigableMap<byte[], byte[]>> models = new ArrayList<>();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicBoolean done = new AtomicBoolean();
        java.util.Set<java.nio.ByteBuffer> stableKeys = new java.util.HashSet<>();
        for (int i = 0; i < stable; i++) {
            stableKeys.add(java.nio.ByteBuffer.wrap(BfTreeDifferentialTest.key(10 * i)));
        }
        try (BfTree t = BfTree.create(dir, cfg)) {
            // Stable keys: multiples of 10 (written once, never changed). Writers own k % 10 in {1..9} by stripe.
            for (int i = stable - 1; i >= 0; i--) {
                t.put(BfTreeDifferentialTest.key(10 * i), new byte[] {(byte) i});
            }
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                NavigableMap<byte[], byte[]> m = new TreeMap<>(Arrays::compareUnsigned);
                models.add(m);
                final int id = w;
                threads.add(new Thread(() -> {
                    Random rnd = new Random(id);
                    try {
                        for (int op = 0; op < opsPerWriter; op++) {
                            int k = 10 * rnd.nextInt(stable) + 1 + id + writers * rnd.nextInt(4);
                            byte[] kb = BfTreeDifferentialTest.key(k);
                            if (rnd.nextInt(4) == 0) {
                                assertTrue(Arrays.equals(m.remove(kb), t.delete(kb)));
                            } else {
                                byte[] v = BfTreeDifferentialTest.value(rnd, k);
                                assertTrue(Arrays.equals(m.put(kb, v), t.put(kb, v)));
                            }
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }));
            }
            threads.add(new Thread(() -> {
                Random rnd = new Random(99);
                try {
                    while (!done.get()) {
                        int i = rnd.nextInt(stable);
                        byte[] v = t.get(BfTreeDifferentialTest.key(10 * i));
                        assertTrue(v != null && v.length == 1 && v[0] == (byte) i, "stable key lost");
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }));
            threads.add(new Thread(() -> {
                Random rnd = new Random(98);
                try {
                    while (!done.get()) {
                        boolean desc = rnd.nextBoolean();
                        int seenStable = 0;
                        byte[] prev = null;
                        try (BfCursor c = desc ? t.descendingCursor(null, null) : t.cursor(null, null)) {
                            while (c.next()) {
                                byte[] k = c.key();
                                if (prev != null) {
                                    int cmp = Arrays.compareUnsigned(prev, k);
                                    assertTrue(desc ? cmp > 0 : cmp < 0, "scan out of order or repeated a key");
                                }
                                prev = k;
                                if (stableKeys.contains(java.nio.ByteBuffer.wrap(k))) {
                                    seenStable++;
                                }
                            }
                        }
                        assertEquals(stable, seenStable, "a scan missed keys present throughout");
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }));
            threads.forEach(Thread::start);
            for (int w = 0; w < writers; w++) {
                threads.get(w).join();
            }
            done.set(true);
            for (Thread th : threads) {
                th.join();
            }
            if (!errors.isEmpty()) {
                throw new AssertionError(errors.peek());
            }
            NavigableMap<byte[], byte[]> all = new TreeMap<>(Arrays::compareUnsigned);
            for (int i = 0; i < stable; i++) {
                all.put(BfTreeDifferentialTest.key(10 * i), new byte[] {(byte) i});
            }
            models.forEach(all::putAll);
            BfTreeDifferentialTest.assertSame(all, t, new Random(1));
            t.close();
            try (BfTree r = BfTree.open(dir, cfg)) {
                BfTreeDifferentialTest.assertSame(all, r, new Random(2));
            }
        }
    }
}
