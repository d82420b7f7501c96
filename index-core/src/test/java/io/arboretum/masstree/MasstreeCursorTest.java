package io.arboretum.masstree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.arboretum.map.BatchCursor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link MasstreeMap}'s own cursor ({@link MasstreeCursor}) against {@link TreeMap}: random
 * ranges (bounds present and absent, inclusive and exclusive, empty and inverted), both
 * directions, batch limits from 1 up, over keys that share 8, 16 and 24-byte prefixes (layers)
 * at node width 3 (splits), inserted in random order; and writes between batches (splits,
 * removals that empty nodes and collapse layers), after which every batch must still be strictly
 * ordered, hold only keys present when it was copied, and the scan must return every key present
 * throughout. The structure is checked after every test.
 */
class MasstreeCursorTest {
    private static final int SCALE = Math.max(1, Integer.getInteger("arboretum.test.scale", 1));

    private MasstreeMap<byte[], Integer> map;

    @AfterEach
    void check() {
        if (map != null) {
            map.checkInvariants();
        }
    }

    private static MasstreeMap<byte[], Integer> newMap(int width) {
        return MasstreeMap.<Integer>bytesBuilder().nodeWidth(width).build();
    }

    private static List<byte[]> scan(BatchCursor<byte[], Integer> c, NavigableMap<byte[], Integer> values) {
        List<byte[]> out = new ArrayList<>();
        for (int n; (n = c.advance()) > 0; ) {
            for (int i = 0; i < n; i++) {
                out.add(c.key(i));
                values.put(c.key(i), c.value(i));
            }
        }
        assertEquals(0, c.advance(), "an exhausted cursor stays exhausted");
        return out;
    }

    @Test
    void rangesAndDirectionsMatchTreeMap() {
        Random rnd = new Random(17);
        for (int width : new int[] {3, 15}) {
            map = newMap(width);
            TreeMap<byte[], Integer> ref = new TreeMap<>(Arrays::compareUnsigned);
            List<byte[]> keys = MasstreeKeys.byteKeys(600 * SCALE, rnd);
            for (int i = 0; i < keys.size(); i++) {
                map.put(keys.get(i), i);
                ref.put(keys.get(i), i);
            }
            for (int round = 0; round < 300 * SCALE; round++) {
                byte[] lo = rnd.nextInt(6) == 0 ? null : bound(keys, rnd);
                byte[] hi = rnd.nextInt(6) == 0 ? null : bound(keys, rnd);
                boolean loIn = rnd.nextBoolean();
                boolean hiIn = rnd.nextBoolean();
                boolean desc = rnd.nextBoolean();
                int maxBatch = new int[] {1, 2, 3, 7, 16, 256}[rnd.nextInt(6)];
                NavigableMap<byte[], Integer> expected;
                if (lo != null && hi != null && Arrays.compareUnsigned(lo, hi) > 0) {
                    expected = new TreeMap<>(Arrays::compareUnsigned); // an inverted range is empty
                } else if (lo == null && hi == null) {
                    expected = ref;
                } else if (lo == null) {
                    expected = ref.headMap(hi, hiIn);
                } else if (hi == null) {
                    expected = ref.tailMap(lo, loIn);
                } else {
                    expected = ref.subMap(lo, loIn, hi, hiIn);
                }
                if (desc) {
                    expected = expected.descendingMap();
                }
                NavigableMap<byte[], Integer> got = new TreeMap<>(Arrays::compareUnsigned);
                List<byte[]> order = scan(map.openCursor(lo, loIn, hi, hiIn, desc, maxBatch), got);
                List<byte[]> want = new ArrayList<>(expected.keySet());
                assertEquals(want.size(), order.size(), "entries in the range, round " + round);
                for (int i = 0; i < want.size(); i++) {
                    assertArrayEquals(want.get(i), order.get(i), "key " + i + " of round " + round);
                }
                for (Map.Entry<byte[], Integer> e : got.entrySet()) {
                    assertEquals(ref.get(e.getKey()), e.getValue());
                }
            }
        }
    }

    /** A present key, or a key near one (a prefix of it, or it with a byte added). */
    private static byte[] bound(List<byte[]> keys, Random rnd) {
        byte[] k = keys.get(rnd.nextInt(keys.size()));
        switch (rnd.nextInt(3)) {
            case 0:
                return k;
            case 1:
                return Arrays.copyOf(k, rnd.nextInt(k.length + 1));
            default:
                byte[] x = Arrays.copyOf(k, k.length + 1);
                x[k.length] = (byte) rnd.nextInt(256);
                return x;
        }
    }

    @Test
    void batchesStayConsistentUnderWritesBetweenThem() {
        Random rnd = new Random(23);
        for (int round = 0; round < 40 * SCALE; round++) {
            map = newMap(3);
            List<byte[]> keys = MasstreeKeys.byteKeys(300, rnd);
            TreeSet<byte[]> stable = new TreeSet<>(Arrays::compareUnsigned); // present throughout
            TreeMap<byte[], Integer> present = new TreeMap<>(Arrays::compareUnsigned); // the map now
            List<byte[]> churn = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                map.put(keys.get(i), i);
                present.put(keys.get(i), i);
                if (i % 3 == 0) {
                    stable.add(keys.get(i));
                } else {
                    churn.add(keys.get(i));
                }
            }
            boolean desc = rnd.nextBoolean();
            BatchCursor<byte[], Integer> c = map.openCursor(null, false, null, false, desc, 1 + rnd.nextInt(8));
            byte[] last = null;
            TreeSet<byte[]> seen = new TreeSet<>(Arrays::compareUnsigned);
            for (int n; (n = c.advance()) > 0; ) {
                for (int i = 0; i < n; i++) {
                    byte[] k = c.key(i);
                    // No write runs during advance(), so its batch is the map as it is now.
                    assertEquals(present.get(k), c.value(i), "a batch entry that is not in the map");
                    if (last != null) {
                        int cmp = Arrays.compareUnsigned(last, k);
                        assertTrue(desc ? cmp > 0 : cmp < 0, "keys not strictly ordered");
                    }
                    last = k;
                    seen.add(k);
                }
                // Between batches: remove and put back churn keys (nodes empty, layers collapse and
                // form again), and add new keys (splits), at most 150 of them.
                for (int w = 0; w < 12; w++) {
                    byte[] k = churn.get(rnd.nextInt(churn.size()));
                    if (rnd.nextBoolean()) {
                        map.remove(k);
                        present.remove(k);
                    } else {
                        map.put(k, -w);
                        present.put(k, -w);
                    }
                    byte[] fresh = MasstreeKeys.byteKey(rnd);
                    if (churn.size() < 350 && !present.containsKey(fresh) && !stable.contains(fresh)) {
                        churn.add(fresh);
                        map.put(fresh, -100 - w);
                        present.put(fresh, -100 - w);
                    }
                }
            }
            for (byte[] k : stable) {
                assertTrue(seen.contains(k), "a key present throughout the scan was not returned");
            }
            map.checkInvariants();
        }
    }

    @Test
    void badMaxBatchAndBoundTypesAreRejected() {
        map = newMap(3);
        map.put(new byte[] {1}, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> map.openCursor(null, false, null, false, false, 0));
        assertTrue(e.getMessage().contains("maxBatch"), e.getMessage());
        MasstreeMap<String, Integer> strings = new MasstreeMap<>();
        strings.put("a", 1);
        @SuppressWarnings({"unchecked", "rawtypes"})
        MasstreeMap<Object, Integer> raw = (MasstreeMap) strings;
        assertThrows(ClassCastException.class, () -> raw.openCursor(42L, true, null, false, false, 4));
    }
}
