package io.arboretum.bftree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.arboretum.testkit.KeyOrder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * BfTree against a TreeMap in unsigned byte order: inserts in random, descending and adversarial
 * orders, then random put/delete/putIfAbsent/replace, with reopens in between; every check reads
 * through gets and both cursors; 512-byte pages and a 16-page budget, so leaves split and are
 * evicted and reloaded all the time (the data is about 15 times the budget).
 */
class BfTreeDifferentialTest {
    static final int SCALE = Math.max(1, Integer.getInteger("arboretum.test.scale", 1));

    @TempDir
    Path tmp;

    static BfTreeConfig smallConfig() {
        return BfTreeConfig.builder().pageSize(512).memoryBudget(16 * 512)
                .durability(Durability.async(Duration.ofMillis(100))).walSegmentSize(32 << 10)
                .checkpointLogBytes(96 << 10).build();
    }

    /** Keys with prefix relations: decimal digits of 3i, some with a 0x00 or 0xFF byte appended. */
    static byte[] key(int k) {
        byte[] d = Integer.toString(k).getBytes(StandardCharsets.US_ASCII);
        switch (k % 7) {
            case 0:
                return Arrays.copyOf(d, d.length + 1); // ends in 0x00
            case 1: {
                byte[] e = Arrays.copyOf(d, d.length + 1);
                e[d.length] = (byte) 0xFF;
                return e;
            }
            default:
                return d;
        }
    }

    static byte[] value(Random rnd, int k) {
        byte[] v = new byte[4 + rnd.nextInt(50)];
        rnd.nextBytes(v);
        v[0] = (byte) k;
        return v;
    }

    static void assertSame(NavigableMap<byte[], byte[]> model, BfTree t, Random rnd) {
        // Full ascending and descending scans.
        List<Map.Entry<byte[], byte[]>> expect = new ArrayList<>(model.entrySet());
        try (BfCursor c = t.cursor(null, null)) {
            for (Map.Entry<byte[], byte[]> e : expect) {
                assertTrue(c.next(), "ascending cursor ended early");
                assertArrayEquals(e.getKey(), c.key());
                assertArrayEquals(e.getValue(), c.value());
            }
            assertFalse(c.next(), "ascending cursor returned extra keys");
        }
        try (BfCursor c = t.descendingCursor(null, null)) {
            for (int i = expect.size() - 1; i >= 0; i--) {
                assertTrue(c.next(), "descending cursor ended early");
                assertArrayEquals(expect.get(i).getKey(), c.key());
            }
            assertFalse(c.next());
        }
        // Random ranges, bounds both present and absent keys.
        for (int r = 0; r < 20; r++) {
            byte[] a = key(rnd.nextInt(9000));
            byte[] b = key(rnd.nextInt(9000));
            if (Arrays.compareUnsigned(a, b) > 0) {
                byte[] x = a;
                a = b;
                b = x;
            }
            boolean desc = rnd.nextBoolean();
            NavigableMap<byte[], byte[]> sub = model.subMap(a, true, b, false);
            if (desc) {
                sub = sub.descendingMap();
            }
            try (BfCursor c = desc ? t.descendingCursor(a, b) : t.cursor(a, b)) {
                for (byte[] k : sub.keySet()) {
                    assertTrue(c.next());
                    assertArrayEquals(k, c.key());
                }
                assertFalse(c.next());
            }
        }
        for (int r = 0; r < 200; r++) {
            byte[] k = key(rnd.nextInt(9000));
            byte[] v = t.get(k);
            byte[] m = model.get(k);
            assertTrue(Arrays.equals(m, v), "get differs");
        }
        t.checkInvariants();
    }

    @ParameterizedTest
    @EnumSource(value = KeyOrder.class, names = {"RANDOM", "DESCENDING", "ZIGZAG", "TENS_THEN_MIDDLES", "BISECT"})
    void matchesTreeMapAcrossReopens(KeyOrder order) throws IOException {
        Random rnd = new Random(order.ordinal() * 31L + 5);
        int n = 3000 * SCALE;
        Path dir = tmp.resolve("t");
        BfTreeConfig cfg = smallConfig();
        NavigableMap<byte[], byte[]> model = new TreeMap<>(Arrays::compareUnsigned);
        BfTree t = BfTree.create(dir, cfg);
        try {
            for (int k : order.keys(n, rnd)) {
                byte[] v = value(rnd, k);
                assertTrue(Arrays.equals(model.put(key(k), v), t.put(key(k), v)));
            }
            long data = 0;
            for (Map.Entry<byte[], byte[]> e : model.entrySet()) {
                data += e.getKey().length + e.getValue().length;
            }
            assertTrue(data >= 10 * cfg.memoryBudget(), "dataset " + data + " bytes, 10x the budget");
            assertTrue(t.residentBytes() <= cfg.memoryBudget() + 2 * cfg.pageSize(), "resident " + t.residentBytes());
            assertTrue(t.leafCount() > 100, "leaves " + t.leafCount());
            assertSame(model, t, rnd);
            t.close();
            t = BfTree.open(dir, cfg);
            assertSame(model, t, rnd);
            for (int round = 0; round < 2 * SCALE; round++) {
                for (int op = 0; op < 1500; op++) {
                    int k = 3 * rnd.nextInt(n + n / 10);
                    byte[] kb = key(k);
                    byte[] v = value(rnd, k);
                    switch (rnd.nextInt(5)) {
                        case 0:
                        case 1:
                            assertTrue(Arrays.equals(model.put(kb, v), t.put(kb, v)));
                            break;
                        case 2:
                            assertTrue(Arrays.equals(model.remove(kb), t.delete(kb)));
                            break;
                        case 3:
                            assertTrue(Arrays.equals(model.putIfAbsent(kb, v), t.putIfAbsent(kb, v)));
                            break;
                        default: {
                            byte[] cur = model.get(kb);
                            byte[] expected = cur != null && rnd.nextBoolean() ? cur : value(rnd, k);
                            boolean m = cur != null && Arrays.equals(cur, expected);
                            if (m) {
                                model.put(kb, v);
                            }
                            assertEquals(m, t.replace(kb, expected, v));
                        }
                    }
                }
                assertSame(model, t, rnd);
                t.close();
                t = BfTree.open(dir, cfg);
                assertSame(model, t, rnd);
            }
            // Empty the tree, then refill it a little: leaves stay (no merges yet) and still tile the keys.
            for (byte[] k : new ArrayList<>(model.keySet())) {
                if (rnd.nextInt(10) != 0) {
                    model.remove(k);
                    t.delete(k);
                }
            }
            assertSame(model, t, rnd);
            t.close();
            t = BfTree.open(dir, cfg);
            assertSame(model, t, rnd);
            assertNull(t.get(new byte[0]));
            t.put(new byte[0], new byte[] {1});
            model.put(new byte[0], new byte[] {1});
            assertSame(model, t, rnd);
        } finally {
            t.close();
        }
    }
}
