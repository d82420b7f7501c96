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

    /** What a test thread runs; it may throw anything, which fails the test. */
    private interface Body {
        void run() throws Throwable;
    }

    /** Starts a thread that runs {@code body}, records its first failure and counts down {@code done}. */
    private static void start(CountDownLatch done, AtomicReference<Throwable> failure, Body body) {
        new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            } finally {
                done.countDown();
            }
        }).start();
    }

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
                start(done, failure, () -> {
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
                });
            }
            start(done, failure, () -> {
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
            });
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

    /**
     * Each writer owns a chain of layers (its keys share 8 + 16 bytes with no other thread's), and
     * toggles its few keys so that the chain forms, deepens and collapses all the time, next to a
     * stable key in the same top slice that readers keep looking up and navigating around.
     */
    @Test
    void layersFormAndCollapseUnderReaders() throws Exception {
        for (int width : new int[] {3, 15}) {
            MasstreeMap<byte[], Integer> m = MasstreeMap.<Integer>bytesBuilder().nodeWidth(width).build();
            byte[] stable = "churn-00stable".getBytes();
            byte[] before = "churn-00".getBytes();
            m.put(stable, -1);
            m.put(before, -2);
            int writers = 2;
            String[] tails = {"", "x", "xxxxxxxx", "xxxxxxxxy", "xxxxxxxxyyyyyyyy", "xxxxxxxxyyyyyyyyz", "\u0000"};
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long end = System.currentTimeMillis() + MILLIS;
            CountDownLatch done = new CountDownLatch(writers + 1);
            List<Map<String, Integer>> finals = new ArrayList<>();
            for (int t = 0; t < writers; t++) {
                finals.add(new java.util.HashMap<>());
                int id = t;
                start(done, failure, () -> {
                    Random rnd = new Random(id + 10);
                    Map<String, Integer> mine = finals.get(id);
                    String owner = "churn-00w" + id + "-aaaaaaabbbbbbbb";
                    for (int j = 0; System.currentTimeMillis() < end; j++) {
                        String ks = owner + tails[rnd.nextInt(tails.length)];
                        byte[] k = ks.getBytes();
                        if (mine.containsKey(ks) && rnd.nextBoolean() || mine.size() > 4) {
                            for (String r : new ArrayList<>(mine.keySet())) {
                                assertEquals(mine.remove(r), m.remove(r.getBytes()), "remove " + r);
                            }
                        } else {
                            assertEquals(mine.put(ks, j), m.put(k, j), "put " + ks);
                        }
                        assertEquals(mine.get(ks), m.get(k), "read own write " + ks);
                    }
                });
            }
            start(done, failure, () -> {
                while (System.currentTimeMillis() < end) {
                    assertEquals(-1, m.get(stable));
                    assertArrayEquals(stable, m.ceilingKey(stable));
                    assertArrayEquals(stable, m.floorKey(stable));
                    assertArrayEquals(before, m.firstKey());
                    byte[] h = m.higherKey(stable);
                    assertTrue(h == null || Arrays.compareUnsigned(h, stable) > 0);
                    byte[] l = m.lowerKey(stable);
                    assertTrue(l != null && Arrays.compareUnsigned(l, stable) < 0
                            && Arrays.compareUnsigned(l, before) >= 0, "lower of the stable key");
                    byte[] prev = null;
                    for (byte[] x : m.tailMap(before).keySet()) {
                        assertTrue(prev == null || Arrays.compareUnsigned(prev, x) < 0, "scan out of order");
                        prev = x;
                    }
                    prev = null;
                    for (byte[] x : m.descendingMap().keySet()) {
                        assertTrue(prev == null || Arrays.compareUnsigned(prev, x) > 0, "descending scan out of order");
                        prev = x;
                    }
                }
            });
            done.await();
            if (failure.get() != null) {
                throw new AssertionError("width " + width, failure.get());
            }
            m.checkInvariants();
            for (Map<String, Integer> mine : finals) {
                for (Map.Entry<String, Integer> e : mine.entrySet()) {
                    assertEquals(e.getValue(), m.remove(e.getKey().getBytes()));
                }
            }
            assertEquals(2, m.size());
            m.checkInvariants();
            // Layer 0 links "churn-00" + suffixes to layer 1, where only "stable" is left: two layers, one
            // border node each (a layer is collapsed when empty, not when it holds one key).
            assertArrayEquals(new long[] {2, 0, 2}, m.nodeCounts(), "only the stable keys' layers are left");
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
