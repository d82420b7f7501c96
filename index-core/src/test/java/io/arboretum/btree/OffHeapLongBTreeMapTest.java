package io.arboretum.btree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Contract tests of the primitive API against {@code TreeMap<Long, Long>}. */
class OffHeapLongBTreeMapTest {
    static final int SCALE = Integer.getInteger("arboretum.test.scale", 1);
    static final long ABSENT = Long.MIN_VALUE;

    enum Order { RANDOM, DESCENDING, ASCENDING_INTERLEAVED, ZIGZAG, CLUSTERED }

    static Stream<Arguments> configs() {
        List<Arguments> out = new ArrayList<>();
        for (int cap : new int[] {4, 5, 8, 255}) {
            for (Order o : Order.values()) {
                out.add(Arguments.of(cap, o));
            }
        }
        return out.stream();
    }

    /** Keys in an adversarial or random order; never only ascending. */
    static long[] keys(Order order, int n, Random rnd) {
        long[] k = new long[n];
        switch (order) {
            case RANDOM:
                for (int i = 0; i < n; i++) {
                    k[i] = rnd.nextInt(4 * n) - 2L * n;
                }
                break;
            case DESCENDING:
                for (int i = 0; i < n; i++) {
                    k[i] = (long) (n - i) * 3;
                }
                break;
            case ASCENDING_INTERLEAVED: // two ascending runs interleaved: hits append splits mid-tree
                for (int i = 0; i < n; i++) {
                    k[i] = (i % 2 == 0) ? i : 1_000_000L + i;
                }
                break;
            case ZIGZAG: // alternately from both ends toward the middle
                for (int i = 0; i < n; i++) {
                    k[i] = (i % 2 == 0) ? i / 2 : n - i / 2;
                }
                break;
            case CLUSTERED: // dense clusters at the extremes of the long range
                for (int i = 0; i < n; i++) {
                    int c = rnd.nextInt(3);
                    k[i] = c == 0 ? Long.MIN_VALUE + rnd.nextInt(n) : c == 1 ? Long.MAX_VALUE - rnd.nextInt(n) : rnd.nextInt(n);
                }
                break;
            default:
                throw new AssertionError(order);
        }
        return k;
    }

    @ParameterizedTest(name = "cap={0} order={1}")
    @MethodSource("configs")
    void behavesLikeTreeMap(int cap, Order order) {
        Random rnd = new Random(cap * 31L + order.ordinal());
        int n = 3000 * SCALE;
        long[] ks = keys(order, n, rnd);
        TreeMap<Long, Long> ref = new TreeMap<>();
        try (OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(cap).debugPoisonFreedNodes(true).build()) {
            // Phase 1: inserts in the given order, with checks along the way.
            for (int i = 0; i < n; i++) {
                long k = ks[i];
                long v = k * 7 + i;
                Long prev = ref.put(k, v);
                assertEquals(prev == null ? ABSENT : prev, m.put(k, v, ABSENT), "put " + k);
                if (i % 500 == 0) {
                    m.checkInvariants();
                }
            }
            m.checkInvariants();
            compareAll(ref, m, rnd);
            // Phase 2: mixed operations on the same keys.
            for (int i = 0; i < 4 * n; i++) {
                long k = ks[rnd.nextInt(n)] + (rnd.nextInt(4) == 0 ? 1 : 0);
                long v = rnd.nextLong() >>> 1;
                switch (rnd.nextInt(6)) {
                    case 0: {
                        Long prev = ref.put(k, v);
                        assertEquals(prev == null ? ABSENT : prev, m.put(k, v, ABSENT));
                        break;
                    }
                    case 1: {
                        Long prev = ref.putIfAbsent(k, v);
                        assertEquals(prev == null ? ABSENT : prev, m.putIfAbsent(k, v, ABSENT));
                        break;
                    }
                    case 2:
                    case 3: {
                        Long prev = ref.remove(k);
                        assertEquals(prev == null ? ABSENT : prev, m.remove(k, ABSENT));
                        break;
                    }
                    case 4: {
                        Long prev = ref.replace(k, v);
                        assertEquals(prev == null ? ABSENT : prev, m.replace(k, v, ABSENT));
                        break;
                    }
                    default: {
                        Long cur = ref.get(k);
                        long expected = cur != null && rnd.nextBoolean() ? cur : v ^ 1;
                        boolean removed = cur != null && cur == expected;
                        if (rnd.nextBoolean()) {
                            assertEquals(removed, m.removeIf(k, expected));
                            if (removed) {
                                ref.remove(k);
                            }
                        } else {
                            assertEquals(removed, m.replaceIf(k, expected, v));
                            if (removed) {
                                ref.put(k, v);
                            }
                        }
                    }
                }
                if (i % 1000 == 0) {
                    m.checkInvariants();
                }
            }
            m.checkInvariants();
            compareAll(ref, m, rnd);
            // Phase 3: delete everything in a shuffled order; memory must come back.
            List<Long> all = new ArrayList<>(ref.keySet());
            Collections.shuffle(all, rnd);
            for (int i = 0; i < all.size(); i++) {
                long k = all.get(i);
                assertEquals((long) ref.remove(k), m.remove(k, ABSENT));
                if (i % 700 == 0) {
                    m.checkInvariants();
                }
            }
            m.checkInvariants();
            assertTrue(m.isEmpty());
            assertEquals(ABSENT, m.firstKey(ABSENT));
            assertEquals(ABSENT, m.lastKey(ABSENT));
            assertTrue(m.bytesInUse() <= 4L * m.nodeSizeBytes(),
                    "an empty tree keeps a few nodes at most, has " + m.bytesInUse() / m.nodeSizeBytes());
            m.epochManager().collect();
            m.epochManager().collect();
            assertEquals(0, m.bytesAwaitingReclamation());
        }
    }

    static void compareAll(TreeMap<Long, Long> ref, OffHeapLongBTreeMap m, Random rnd) {
        assertEquals(ref.size(), m.size());
        for (Map.Entry<Long, Long> e : ref.entrySet()) {
            assertEquals((long) e.getValue(), m.get(e.getKey(), ABSENT));
            assertTrue(m.containsKey(e.getKey()));
        }
        assertEquals(ref.isEmpty() ? ABSENT : ref.firstKey(), m.firstKey(ABSENT));
        assertEquals(ref.isEmpty() ? ABSENT : ref.lastKey(), m.lastKey(ABSENT));
        List<Long> probes = new ArrayList<>(List.of(Long.MIN_VALUE, Long.MAX_VALUE, 0L, -1L, 1L));
        for (int i = 0; i < 300; i++) {
            long r = rnd.nextLong() % 20000;
            Long near = ref.ceilingKey(r);
            // Half the probes sit on or next to present keys, the other half anywhere.
            probes.add(near == null || rnd.nextBoolean() ? r : near + rnd.nextInt(3) - 1);
        }
        for (long k : probes) {
            assertEquals(orAbsent(ref.ceilingKey(k)), m.ceilingKey(k, ABSENT), "ceiling " + k);
            assertEquals(orAbsent(ref.floorKey(k)), m.floorKey(k, ABSENT), "floor " + k);
            assertEquals(orAbsent(ref.higherKey(k)), m.higherKey(k, ABSENT), "higher " + k);
            assertEquals(orAbsent(ref.lowerKey(k)), m.lowerKey(k, ABSENT), "lower " + k);
            assertFalse(!ref.containsKey(k) && m.containsKey(k));
        }
        // Full scans both ways, then a few sub-ranges with a reused cursor.
        assertScan(ref, m.cursor(Long.MIN_VALUE, Long.MAX_VALUE), false);
        assertScan(ref.descendingMap(), m.descendingCursor(Long.MAX_VALUE, Long.MIN_VALUE), true);
        OffHeapLongCursor c = m.cursor(0, 0);
        OffHeapLongCursor d = m.descendingCursor(0, 0);
        for (int i = 0; i < 20; i++) {
            long a = probes.get(rnd.nextInt(probes.size()));
            long b = probes.get(rnd.nextInt(probes.size()));
            long lo = Math.min(a, b);
            long hi = Math.max(a, b);
            assertScan(ref.subMap(lo, true, hi, true), c.reset(lo, hi), false);
            assertScan(ref.subMap(lo, true, hi, true).descendingMap(), d.reset(hi, lo), true);
        }
        assertFalse(m.cursor(5, 4).next(), "empty range");
    }

    static void assertScan(NavigableMap<Long, Long> expected, OffHeapLongCursor c, boolean descending) {
        for (Map.Entry<Long, Long> e : expected.entrySet()) {
            assertTrue(c.next(), "cursor ended early before " + e.getKey() + (descending ? " (descending)" : ""));
            assertEquals((long) e.getKey(), c.key());
            assertEquals((long) e.getValue(), c.value());
        }
        assertFalse(c.next(), "cursor has extra entries");
        assertFalse(c.next(), "cursor stays at its end");
    }

    static long orAbsent(Long k) {
        return k == null ? ABSENT : k;
    }

    @Test
    void randomAndSequentialLoadsFillNodesWell() {
        int n = 200_000 * SCALE;
        Random rnd = new Random(7);
        for (String kind : new String[] {"random", "ascending", "descending"}) {
            try (OffHeapLongBTreeMap m = new OffHeapLongBTreeMap()) {
                for (int i = 0; i < n; i++) {
                    long k = kind.equals("random") ? rnd.nextLong() : kind.equals("ascending") ? i : -i;
                    m.put(k, i, ABSENT);
                }
                m.checkInvariants();
                double perEntry = (double) m.bytesInUse() / m.size();
                assertTrue(perEntry <= 22.0, kind + ": " + perEntry + " off-heap bytes per entry");
            }
        }
    }

    @Test
    void capacityLimitGivesAClearExceptionAndAnIntactTree() {
        OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(4).maxOffHeapBytes(80 * 200).build();
        TreeMap<Long, Long> ref = new TreeMap<>();
        Random rnd = new Random(3);
        OffHeapCapacityException full = null;
        for (int i = 0; i < 100_000 && full == null; i++) {
            long k = rnd.nextInt(1_000_000);
            try {
                long prev = m.put(k, k, ABSENT);
                ref.put(k, k);
                assertTrue(prev == ABSENT || prev == k);
            } catch (OffHeapCapacityException e) {
                full = e;
            }
        }
        assertTrue(full != null, "the limit was reached");
        assertTrue(full.getMessage().contains("maxOffHeapBytes"), full.getMessage());
        m.checkInvariants();
        assertTrue(m.bytesReserved() <= 80 * 200);
        for (Map.Entry<Long, Long> e : ref.entrySet()) {
            assertEquals((long) e.getValue(), m.get(e.getKey(), ABSENT));
        }
        // Deleting gives memory back, after which inserts succeed again.
        List<Long> ks = new ArrayList<>(ref.keySet());
        for (int i = 0; i < ks.size() / 2; i++) {
            m.remove(ks.get(i), ABSENT);
            ref.remove(ks.get(i));
        }
        m.epochManager().collect();
        m.epochManager().collect();
        for (int i = 0; i < 20; i++) {
            m.put(ks.get(i), 1, ABSENT);
            ref.put(ks.get(i), 1L);
        }
        m.checkInvariants();
        assertEquals(ref.size(), m.size());
        m.close();
    }

    @Test
    void closeReleasesMemoryAndLaterUseThrows() {
        OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(8).build();
        for (int i = 0; i < 1000; i++) {
            m.put(i * 7919L % 1000, i, ABSENT);
        }
        assertTrue(m.bytesReserved() > 0);
        OffHeapLongCursor c = m.cursor(0, 100);
        m.close();
        m.close(); // idempotent
        assertTrue(m.isClosed());
        assertEquals(0, m.bytesReserved());
        assertEquals(0, m.bytesInUse());
        assertThrows(IllegalStateException.class, () -> m.get(1, 0));
        assertThrows(IllegalStateException.class, () -> m.put(1, 1, 0));
        assertThrows(IllegalStateException.class, () -> m.remove(1, 0));
        assertThrows(IllegalStateException.class, () -> m.ceilingKey(1, 0));
        assertThrows(IllegalStateException.class, () -> m.containsKey(1));
        assertThrows(IllegalStateException.class, c::next);
        assertThrows(IllegalStateException.class, () -> m.cursor(0, 1));
        assertThrows(IllegalStateException.class, m::checkInvariants);
    }

    @Test
    void rejectsInvalidConfiguration() {
        assertThrows(IllegalArgumentException.class, () -> OffHeapLongBTreeMap.builder().nodeCapacity(3));
        assertThrows(IllegalArgumentException.class, () -> OffHeapLongBTreeMap.builder().nodeCapacity(100_000));
        assertThrows(IllegalArgumentException.class, () -> OffHeapLongBTreeMap.builder().maxOffHeapBytes(0));
        assertThrows(IllegalArgumentException.class, () -> OffHeapLongBTreeMap.builder().maxOffHeapBytes(64).build());
        assertThrows(NullPointerException.class, () -> OffHeapLongBTreeMap.builder().epochManager(null));
    }
}
