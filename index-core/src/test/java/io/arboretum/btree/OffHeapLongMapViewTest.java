package io.arboretum.btree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.arboretum.map.BatchCursor;
import io.arboretum.testkit.NavigableMapContractTests;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentNavigableMap;
import org.junit.jupiter.api.Test;

/** The boxed view's primitives against {@code TreeMap<Long, Long>}. */
class OffHeapLongMapViewTest {
    static final int SCALE = Integer.getInteger("arboretum.test.scale", 1);

    @Test
    void primitivesBehaveLikeTreeMap() {
        Random rnd = new Random(11);
        try (OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(4).build()) {
            ConcurrentNavigableMap<Long, Long> v = m.asMap();
            TreeMap<Long, Long> ref = new TreeMap<>();
            for (int i = 0; i < 20_000 * SCALE; i++) {
                // Descending-biased keys with random noise, including the sentinel-like extremes.
                long k = rnd.nextInt(10) == 0 ? (rnd.nextBoolean() ? Long.MIN_VALUE : Long.MAX_VALUE)
                        : 5000 - rnd.nextInt(3000) - i / 10;
                long val = rnd.nextInt(8) == 0 ? Long.MIN_VALUE : rnd.nextLong();
                switch (rnd.nextInt(9)) {
                    case 0:
                        assertEquals(ref.put(k, val), v.put(k, val));
                        break;
                    case 1:
                        assertEquals(ref.putIfAbsent(k, val), v.putIfAbsent(k, val));
                        break;
                    case 2:
                        assertEquals(ref.remove(k), v.remove(k));
                        break;
                    case 3: {
                        Long cur = ref.get(k);
                        long expected = cur != null && rnd.nextBoolean() ? cur : val;
                        assertEquals(ref.remove(k, expected), v.remove(k, expected));
                        break;
                    }
                    case 4:
                        assertEquals(ref.replace(k, val), v.replace(k, val));
                        break;
                    case 5: {
                        Long cur = ref.get(k);
                        long expected = cur != null && rnd.nextBoolean() ? cur : val ^ 1;
                        assertEquals(ref.replace(k, expected, val), v.replace(k, expected, val));
                        break;
                    }
                    case 6:
                        assertEquals(ref.get(k), v.get(k));
                        assertEquals(ref.containsKey(k), v.containsKey(k));
                        break;
                    case 7:
                        assertEquals(ref.ceilingEntry(k), v.ceilingEntry(k));
                        assertEquals(ref.floorEntry(k), v.floorEntry(k));
                        assertEquals(ref.higherKey(k), v.higherKey(k));
                        assertEquals(ref.lowerKey(k), v.lowerKey(k));
                        break;
                    default:
                        if (rnd.nextInt(20) == 0) {
                            assertEquals(ref.pollFirstEntry(), v.pollFirstEntry());
                            assertEquals(ref.pollLastEntry(), v.pollLastEntry());
                        }
                        assertEquals(ref.firstEntry(), v.firstEntry());
                        assertEquals(ref.lastEntry(), v.lastEntry());
                }
            }
            assertEquals(ref.size(), v.size());
            m.checkInvariants();
            // copyBatch: walk the whole map in small batches, both directions.
            Object[] ks = new Object[3];
            Object[] vs = new Object[3];
            TreeMap<Long, Long> seen = new TreeMap<>();
            Long from = null;
            for (int n; (n = ((OffHeapLongMapView) v).copyBatch(from, from == null, null, true, false, ks, vs)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    assertTrue(seen.isEmpty() || (Long) ks[i] > seen.lastKey());
                    seen.put((Long) ks[i], (Long) vs[i]);
                }
                from = (Long) ks[n - 1];
            }
            assertEquals(ref, seen);
            seen.clear();
            Long to = null;
            for (int n; (n = ((OffHeapLongMapView) v).copyBatch(null, true, to, to == null, true, ks, vs)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    assertTrue(seen.isEmpty() || (Long) ks[i] < seen.firstKey());
                    seen.put((Long) ks[i], (Long) vs[i]);
                }
                to = (Long) ks[n - 1];
            }
            assertEquals(ref, seen);
            // openCursor: whole map and random ranges, both directions, batches bounded by maxBatch.
            OffHeapLongMapView view = (OffHeapLongMapView) v;
            for (int round = 0; round < 200; round++) {
                Long lo = rnd.nextInt(5) == 0 ? null : (rnd.nextInt(10) == 0 ? Long.MIN_VALUE : 5000L - rnd.nextInt(8000));
                Long hi = rnd.nextInt(5) == 0 ? null : (rnd.nextInt(10) == 0 ? Long.MAX_VALUE : 5000L - rnd.nextInt(8000));
                boolean loIncl = rnd.nextBoolean();
                boolean hiIncl = rnd.nextBoolean();
                boolean desc = rnd.nextBoolean();
                int maxBatch = 1 + rnd.nextInt(rnd.nextBoolean() ? 3 : 100);
                NavigableMap<Long, Long> expected = NavigableMapContractTests.range(ref, lo, loIncl, hi, hiIncl);
                List<Map.Entry<Long, Long>> got = new ArrayList<>();
                BatchCursor<Long, Long> c = view.openCursor(lo, loIncl, hi, hiIncl, desc, maxBatch);
                for (int b; (b = c.advance()) > 0; ) {
                    assertTrue(b <= maxBatch, "batch of " + b + " > " + maxBatch);
                    for (int i = 0; i < b; i++) {
                        got.add(c.entry(i));
                    }
                }
                assertEquals(0, c.advance());
                assertEquals(new ArrayList<>((desc ? expected.descendingMap() : expected).entrySet()), got,
                        "range " + lo + (loIncl ? "]" : ")") + " " + hi + (hiIncl ? "]" : ")") + " desc=" + desc);
            }
            assertThrows(IllegalArgumentException.class, () -> view.openCursor(null, true, null, true, false, 0));
            Map.Entry<Long, Long> first = ref.firstEntry();
            if (first != null) {
                assertEquals(ref.headMap(100L, true).size() > 0 ? ref.ceilingKey(Long.MIN_VALUE) : first.getKey(), v.firstKey());
            }
            v.clear();
            assertTrue(v.isEmpty());
            assertNull(v.firstEntry());
            m.checkInvariants();
        }
    }

    /** Two threads poll from both ends while a third inserts: every key is taken exactly once. */
    @Test
    void concurrentPollsTakeEachKeyOnce() throws Exception {
        int n = 20_000 * SCALE;
        try (OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(4).build()) {
            ConcurrentNavigableMap<Long, Long> v = m.asMap();
            for (long k = 0; k < n; k += 2) {
                v.put(k, -k);
            }
            java.util.concurrent.ConcurrentHashMap<Long, Boolean> taken = new java.util.concurrent.ConcurrentHashMap<>();
            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            Thread inserter = new Thread(() -> {
                for (long k = 1; k < n; k += 2) {
                    v.put(k, -k);
                }
            });
            Thread[] pollers = new Thread[2];
            for (int t = 0; t < 2; t++) {
                boolean first = t == 0;
                pollers[t] = new Thread(() -> {
                    try {
                        int misses = 0;
                        while (misses < 1000) {
                            Map.Entry<Long, Long> e = first ? v.pollFirstEntry() : v.pollLastEntry();
                            if (e == null) {
                                misses++;
                                Thread.yield();
                                continue;
                            }
                            if (e.getValue() != -e.getKey() || taken.put(e.getKey(), true) != null) {
                                throw new AssertionError("bad or duplicate poll " + e);
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
            }
            inserter.start();
            for (Thread t : pollers) {
                t.start();
            }
            inserter.join();
            for (Thread t : pollers) {
                t.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            // Whatever the pollers left is still in the map; together they account for every key.
            assertEquals(n, taken.size() + v.size());
            for (Long k : taken.keySet()) {
                assertNull(v.get(k));
            }
            m.checkInvariants();
        }
    }

    @Test
    void rejectsNullsAndForeignKeys() {
        try (OffHeapLongBTreeMap m = new OffHeapLongBTreeMap()) {
            ConcurrentNavigableMap<Long, Long> v = m.asMap();
            assertThrows(NullPointerException.class, () -> v.put(null, 1L));
            assertThrows(NullPointerException.class, () -> v.put(1L, null));
            assertThrows(NullPointerException.class, () -> v.get(null));
            assertThrows(ClassCastException.class, () -> v.get("one"));
            assertThrows(NullPointerException.class, () -> v.ceilingKey(null));
        }
    }
}
