package io.arboretum.masstree;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Concurrent writers and optimistic readers on keys that share 8, 16 and 24-byte prefixes, at node
 * width 3, so that splits, new layers, empty-node unlinks and layer collapses all happen while
 * other threads read: keys present throughout are always found (by get and by navigation), keys
 * absent throughout never are, concurrent polls hand out each key once, and the final content is
 * exactly what the writers left.
 */
class MasstreeConcurrencyTest {

    private static final int SCALE = Math.max(1, Integer.getInteger("arboretum.test.scale", 1));
    private static final long MILLIS = 1500L * SCALE;

    private static byte[] key(String prefix, int t, int i) {
        return (prefix + t + "/" + i + (i % 4 == 0 ? "/deeper-than-one-slice" : "")).getBytes();
    }

    private static final String[] PREFIXES = {"", "shared08", "shared08shared16", "shared08shared16shared24"};

    @Test
    void readersSeeStableKeysWhileWritersChurnLayers() throws Exception {
        for (int width : new int[] {3, 15}) {
            MasstreeMap<byte[], Integer> m = MasstreeMap.<Integer>bytesBuilder().nodeWidth(width).build();
            // Stable keys: present for the whole test; ghost keys: never present.
            List<byte[]> stable = new ArrayList<>();
            List<byte[]> ghosts = new ArrayList<>();
            for (String p : PREFIXES) {
                for (int i = 0; i < 40; i++) {
                    byte[] k = key(p, 9, i);
                    stable.add(k);
                    m.put(k, i);
                    ghosts.add(key(p, 8, i));
                }
            }
            int writers = 2;
            Map<Integer, Map<String, Integer>> expected = new ConcurrentHashMap<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long end = System.currentTimeMillis() + MILLIS;
            CountDownLatch done = new CountDownLatch(writers + 1);
            for (int t = 0; t < writers; t++) {
                int id = t;
                new Thread(() -> {
                    try {
                        Random rnd = new Random(id);
                        Map<String, Integer> mine = new java.util.HashMap<>();
                        while (System.currentTimeMillis() < end) {
                            for (int j = 0; j < 200; j++) {
                                String p = PREFIXES[rnd.nextInt(PREFIXES.length)];
                                int i = rnd.nextInt(60);
                                byte[] k = key(p, id, i);
                                String ks = new String(k);
                                if (rnd.nextInt(3) == 0) {
                                    assertEquals(mine.remove(ks), m.remove(k));
                                } else {
                                    assertEquals(mine.put(ks, j), m.put(k, j));
                                }
                            }
                        }
                        expected.put(id, mine);
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    } finally {
                        done.countDown();
                    }
                }).start();
            }
            new Thread(() -> {
                try {
                    Random rnd = new Random(99);
                    while (System.currentTimeMillis() < end) {
                        int i = rnd.nextInt(stable.size());
                        byte[] k = stable.get(i);
                        assertNotNull(m.get(k), "a stable key was not found");
                        assertNull(m.get(ghosts.get(i)), "a ghost key was found");
                        Map.Entry<byte[], Integer> e = m.ceilingEntry(k);
                        assertNotNull(e);
                        assertArrayEquals(k, e.getKey(), "ceiling of a stable key is itself");
                        Map.Entry<byte[], Integer> f = m.floorEntry(k);
                        assertArrayEquals(k, f.getKey(), "floor of a stable key is itself");
                        byte[] h = m.higherKey(k);
                        assertTrue(h == null || Arrays.compareUnsigned(h, k) > 0);
                        byte[] prev = null;
                        int seen = 0;
                        for (byte[] x : m.subMap(stable.get(0), true, stable.get(stable.size() - 1), true).keySet()) {
                            assertTrue(prev == null || Arrays.compareUnsigned(prev, x) < 0, "scan out of order");
                            prev = x;
                            seen++;
                        }
                        assertTrue(seen >= 1);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    done.countDown();
                }
            }).start();
            done.await();
            if (failure.get() != null) {
                throw new AssertionError("width " + width, failure.get());
            }
            m.checkInvariants();
            for (byte[] k : stable) {
                assertNotNull(m.remove(k));
            }
            for (Map.Entry<Integer, Map<String, Integer>> e : expected.entrySet()) {
                for (Map.Entry<String, Integer> kv : e.getValue().entrySet()) {
                    assertEquals(kv.getValue(), m.remove(kv.getKey().getBytes()), "lost or wrong value");
                }
            }
            assertTrue(m.isEmpty(), "keys the writers removed are still there: " + m.size());
            m.checkInvariants();
            long[] counts = m.nodeCounts();
            assertArrayEquals(new long[] {1, 0, 1}, counts, "border, interior nodes and layers left");
        }
    }

    @Test
    void concurrentPollsHandOutEachKeyOnce() throws Exception {
        MasstreeMap<byte[], Integer> m = MasstreeMap.<Integer>bytesBuilder().nodeWidth(3).build();
        int n = 3000 * SCALE;
        for (int i = 0; i < n; i++) {
            m.put(key(PREFIXES[i % 4], 1, i), i);
        }
        ConcurrentHashMap<Integer, Boolean> polled = new ConcurrentHashMap<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            boolean last = t == 1;
            ts.add(new Thread(() -> {
                try {
                    Map.Entry<byte[], Integer> e;
                    while ((e = last ? m.pollLastEntry() : m.pollFirstEntry()) != null) {
                        assertNull(polled.put(e.getValue(), true), "polled twice: " + e.getValue());
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        ts.forEach(Thread::start);
        for (Thread t : ts) {
            t.join(120_000);
            assertFalse(t.isAlive());
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(n, polled.size());
        assertTrue(m.isEmpty());
        m.checkInvariants();
    }
}
