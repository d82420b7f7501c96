package io.arboretum.masstree;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Differential tests of {@link MasstreeMap#forBytes()} against a {@code TreeMap} in unsigned
 * order, on keys that share 8, 16 and 24-byte prefixes (so layers form and collapse), are
 * prefixes of one another, hold zero bytes, or are empty; node widths 3, 4, 7 and 15.
 */
class MasstreeBytesTest {

    static final int[] WIDTHS = {3, 4, 7, 15};
    private static final long SEED = Long.getLong("arboretum.test.seed", 0xB17E5L);
    private static final Comparator<byte[]> U = Arrays::compareUnsigned;

    private static String str(byte[] k) {
        return k == null ? "null" : Arrays.toString(k);
    }

    private static void sameEntry(Map.Entry<byte[], Integer> want, Map.Entry<byte[], Integer> got, String what) {
        if (want == null) {
            assertNull(got, what + ": expected none, got " + (got == null ? "" : str(got.getKey())));
            return;
        }
        assertTrue(got != null, what + ": expected " + str(want.getKey()) + ", got none");
        assertArrayEquals(want.getKey(), got.getKey(), what);
        assertEquals(want.getValue(), got.getValue(), what);
    }

    private static void sameContent(NavigableMap<byte[], Integer> ref, MasstreeMap<byte[], Integer> m) {
        assertEquals(ref.size(), m.size(), "size");
        Iterator<Map.Entry<byte[], Integer>> it = m.entrySet().iterator();
        for (Map.Entry<byte[], Integer> e : ref.entrySet()) {
            assertTrue(it.hasNext(), "iterator ended early");
            sameEntry(e, it.next(), "iteration");
        }
        assertTrue(!it.hasNext(), "iterator has extra entries");
        List<byte[]> down = new ArrayList<>(m.descendingMap().keySet());
        List<byte[]> want = new ArrayList<>(ref.descendingMap().keySet());
        assertEquals(want.size(), down.size());
        for (int i = 0; i < want.size(); i++) {
            assertArrayEquals(want.get(i), down.get(i), "descending iteration");
        }
        m.checkInvariants();
    }

    @Test
    void randomOperationsMatchTreeMap() {
        for (int width : WIDTHS) {
            long seed = SEED + width;
            Random rnd = new Random(seed);
            MasstreeMap<byte[], Integer> m = MasstreeMap.<Integer>bytesBuilder().nodeWidth(width).build();
            TreeMap<byte[], Integer> ref = new TreeMap<>(U);
            List<byte[]> pool = MasstreeKeys.byteKeys(600, rnd);
            for (int i = 0; i < 20_000; i++) {
                byte[] k = pool.get(rnd.nextInt(pool.size())).clone();
                String what = "seed " + seed + " width " + width + " op " + i + " key " + str(k);
                switch (rnd.nextInt(12)) {
                    case 0: case 1: case 2:
                        assertEquals(ref.put(k, i), m.put(k, i), what + " put");
                        break;
                    case 3:
                        assertEquals(ref.remove(k), m.remove(k), what + " remove");
                        break;
                    case 4:
                        assertEquals(ref.get(k), m.get(k), what + " get");
                        break;
                    case 5:
                        assertEquals(ref.putIfAbsent(k, i), m.putIfAbsent(k, i), what + " putIfAbsent");
                        break;
                    case 6:
                        sameEntry(ref.ceilingEntry(k), m.ceilingEntry(k), what + " ceiling");
                        sameEntry(ref.higherEntry(k), m.higherEntry(k), what + " higher");
                        break;
                    case 7:
                        sameEntry(ref.floorEntry(k), m.floorEntry(k), what + " floor");
                        sameEntry(ref.lowerEntry(k), m.lowerEntry(k), what + " lower");
                        break;
                    case 8:
                        if (rnd.nextInt(8) == 0) {
                            sameEntry(ref.pollFirstEntry(), m.pollFirstEntry(), what + " pollFirst");
                        } else if (rnd.nextInt(8) == 0) {
                            sameEntry(ref.pollLastEntry(), m.pollLastEntry(), what + " pollLast");
                        } else {
                            sameEntry(ref.firstEntry(), m.firstEntry(), what + " first");
                            sameEntry(ref.lastEntry(), m.lastEntry(), what + " last");
                        }
                        break;
                    case 9:
                        assertEquals(ref.replace(k, i), m.replace(k, i), what + " replace");
                        break;
                    case 10:
                        Integer cur = ref.get(k);
                        if (cur != null) {
                            assertEquals(ref.remove(k, cur), m.remove(k, cur), what + " remove(k, v)");
                        } else {
                            assertEquals(ref.replace(k, 1, 2), m.replace(k, 1, 2), what + " replace(k, a, b)");
                        }
                        break;
                    default:
                        byte[] k2 = pool.get(rnd.nextInt(pool.size()));
                        byte[] lo = U.compare(k, k2) <= 0 ? k : k2;
                        byte[] hi = lo == k ? k2 : k;
                        List<byte[]> want = new ArrayList<>(ref.subMap(lo, true, hi, false).keySet());
                        List<byte[]> got = new ArrayList<>(m.subMap(lo, true, hi, false).keySet());
                        assertEquals(want.size(), got.size(), what + " subMap size");
                        for (int j = 0; j < want.size(); j++) {
                            assertArrayEquals(want.get(j), got.get(j), what + " subMap");
                        }
                        break;
                }
                if (i % 997 == 0) {
                    m.checkInvariants();
                }
            }
            sameContent(ref, m);
            for (byte[] k : new ArrayList<>(ref.keySet())) {
                assertEquals(ref.remove(k), m.remove(k));
            }
            sameContent(ref, m);
            long[] counts = m.nodeCounts();
            assertEquals(1, counts[0], "border nodes left after removing everything");
            assertEquals(0, counts[1], "interior nodes left after removing everything");
            assertEquals(1, counts[2], "layers left after removing everything");
        }
    }

    @Test
    void keysAreCopiedInAndOut() {
        MasstreeMap<byte[], Integer> m = MasstreeMap.forBytes();
        byte[] k = "a long key that has a suffix".getBytes();
        m.put(k, 1);
        byte[] copy = k.clone();
        k[3] = 'X';
        assertEquals(1, m.get(copy));
        assertNull(m.get(k));
        byte[] out = m.firstKey();
        assertArrayEquals(copy, out);
        out[0] = 'Z';
        assertArrayEquals(copy, m.firstKey());
        assertSame(MasstreeMap.unsignedBytesComparator(), m.comparator());
    }
}
