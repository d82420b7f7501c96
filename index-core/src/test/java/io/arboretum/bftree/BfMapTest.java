package io.arboretum.bftree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.arboretum.keys.KeyEncoders;
import io.arboretum.testkit.KeyOrder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentNavigableMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The typed view beyond the contract kit: its contents survive reopening (a dataset about 10 times
 * the memory budget, compared with a TreeMap through whole-map and sub-map iteration, navigation
 * and gets, before and after each reopen), the built-in codecs, and bad input.
 */
class BfMapTest {
    static final int SCALE = Math.max(1, Integer.getInteger("arboretum.test.scale", 1));

    @TempDir
    Path tmp;

    /** Values of 12 to 63 bytes, so that 2,000 entries (about 90 KB of records) are about 10 times the 16-page (8 KB) budget. */
    private static String value(Random rnd, long k) {
        return "v" + k + "-" + "x".repeat(10 + rnd.nextInt(45));
    }

    @ParameterizedTest
    @EnumSource(value = KeyOrder.class, names = {"RANDOM", "DESCENDING", "ZIGZAG", "TENS_THEN_MIDDLES"})
    void contentsSurviveReopenAndMatchTreeMap(KeyOrder order) throws IOException {
        Path dir = tmp.resolve("t");
        BfTreeConfig cfg = BfTreeDifferentialTest.smallConfig();
        Random rnd = new Random(order.ordinal() * 31L + 7);
        NavigableMap<Long, String> ref = new TreeMap<>();
        int n = 2000 * SCALE;
        BfTree t = BfTree.create(dir, cfg);
        try {
            BfMap<Long, String> m = t.asMap(KeyEncoders.longs(), ValueCodec.strings());
            for (int k : order.keys(n, rnd)) {
                long key = (k - n / 2) * 7L; // negative keys too: the encoding flips the sign bit
                String v = value(rnd, key);
                assertEquals(ref.put(key, v), m.put(key, v));
            }
            compare(ref, m, rnd);
            t.close();
            for (int round = 0; round < 2; round++) {
                t = BfTree.open(dir, cfg);
                m = t.asMap(KeyEncoders.longs(), ValueCodec.strings());
                compare(ref, m, rnd);
                for (int i = 0; i < n / 2; i++) {
                    long key = (rnd.nextInt(n) - n / 2) * 7L;
                    switch (rnd.nextInt(5)) {
                        case 0:
                            assertEquals(ref.remove(key), m.remove(key));
                            break;
                        case 1: {
                            String v = value(rnd, key);
                            assertEquals(ref.putIfAbsent(key, v), m.putIfAbsent(key, v));
                            break;
                        }
                        case 2: {
                            String old = ref.get(key);
                            String v = value(rnd, key);
                            assertEquals(old != null && ref.replace(key, old, v), old != null && m.replace(key, old, v));
                            break;
                        }
                        case 3: {
                            Map.Entry<Long, String> e = ref.pollFirstEntry();
                            assertEquals(e, m.pollFirstEntry());
                            break;
                        }
                        default: {
                            String v = value(rnd, key);
                            assertEquals(ref.put(key, v), m.put(key, v));
                        }
                    }
                }
                compare(ref, m, rnd);
                t.close();
            }
            t = BfTree.open(dir, cfg);
            compare(ref, t.asMap(KeyEncoders.longs(), ValueCodec.strings()), rnd);
            t.checkInvariants();
        } finally {
            t.close();
        }
    }

    private static void compare(NavigableMap<Long, String> ref, BfMap<Long, String> m, Random rnd) {
        assertEquals(ref.size(), m.size());
        assertEquals(new ArrayList<>(ref.entrySet()), new ArrayList<>(m.entrySet()));
        assertEquals(new ArrayList<>(ref.descendingMap().keySet()), new ArrayList<>(m.descendingMap().keySet()));
        long span = ref.isEmpty() ? 1 : ref.lastKey() - ref.firstKey() + 20;
        long base = ref.isEmpty() ? 0 : ref.firstKey() - 10;
        for (int i = 0; i < 20; i++) {
            long a = base + Math.floorMod(rnd.nextLong(), span);
            long b = a + rnd.nextInt(400);
            boolean ai = rnd.nextBoolean();
            boolean bi = rnd.nextBoolean();
            assertEquals(new ArrayList<>(ref.subMap(a, ai, b, bi).entrySet()),
                    new ArrayList<>(m.subMap(a, ai, b, bi).entrySet()), "[" + a + ", " + b + "]");
            assertEquals(new ArrayList<>(ref.subMap(a, ai, b, bi).descendingMap().entrySet()),
                    new ArrayList<>(m.subMap(a, ai, b, bi).descendingMap().entrySet()));
            assertEquals(ref.ceilingEntry(a), m.ceilingEntry(a));
            assertEquals(ref.higherKey(a), m.higherKey(a));
            assertEquals(ref.floorEntry(b), m.floorEntry(b));
            assertEquals(ref.lowerKey(b), m.lowerKey(b));
            assertEquals(ref.get(a), m.get(a));
        }
    }

    /**
     * Conditional writes are atomic per key: two threads merging increments into the same eight
     * keys lose none (merge is a loop over replace(k, old, new) and putIfAbsent), and two threads
     * polling the same map receive every entry exactly once (a poll is a find and a
     * delete(k, expected)). A lost update or a double poll fails the counts.
     */
    @Test
    void conditionalWritesAreAtomicPerKey() throws Exception {
        try (BfTree t = BfTree.create(tmp.resolve("a"), BfTreeDifferentialTest.smallConfig())) {
            BfMap<Long, Long> m = t.asMap(KeyEncoders.longs(), ValueCodec.longs());
            int perThread = 1500 * SCALE;
            Thread[] threads = new Thread[2];
            for (int i = 0; i < threads.length; i++) {
                int seed = i;
                threads[i] = new Thread(() -> {
                    Random rnd = new Random(seed);
                    for (int j = 0; j < perThread; j++) {
                        m.merge(100_000L + rnd.nextInt(8) * 1000L, 1L, Long::sum);
                    }
                });
                threads[i].start();
            }
            for (Thread th : threads) {
                th.join();
            }
            assertEquals(2L * perThread, m.values().stream().mapToLong(Long::longValue).sum());
            int n = 600;
            for (int k : KeyOrder.DESCENDING.keys(n, new Random(1))) {
                m.put((long) k, (long) k);
            }
            java.util.Set<Long> polled = java.util.concurrent.ConcurrentHashMap.newKeySet();
            java.util.concurrent.atomic.AtomicInteger duplicates = new java.util.concurrent.atomic.AtomicInteger();
            for (int i = 0; i < threads.length; i++) {
                boolean last = i == 1;
                threads[i] = new Thread(() -> {
                    Map.Entry<Long, Long> e;
                    while ((e = last ? m.pollLastEntry() : m.pollFirstEntry()) != null) {
                        if (!polled.add(e.getKey())) {
                            duplicates.incrementAndGet();
                        }
                    }
                });
                threads[i].start();
            }
            for (Thread th : threads) {
                th.join();
            }
            assertEquals(0, duplicates.get());
            assertEquals(n + 8, polled.size()); // the 600 keys and the 8 merged ones
            assertTrue(m.isEmpty());
            t.checkInvariants();
        }
    }

    @Test
    void builtInCodecsRoundTripAndCompareByContent() throws IOException {
        try (BfTree t = BfTree.create(tmp.resolve("c"), BfTreeDifferentialTest.smallConfig())) {
            BfMap<byte[], byte[]> bytes = t.asMap(KeyEncoders.byteArrays(), ValueCodec.byteArrays());
            byte[] k = {3, (byte) 0xFF, 0};
            byte[] v = {9, 8, 7};
            assertNull(bytes.put(k, v));
            v[0] = 0; // the map copied it
            assertArrayEquals(new byte[] {9, 8, 7}, bytes.get(k.clone()));
            // byte[] values compare by content in the conditional writes (ValueCodec documents it).
            assertTrue(bytes.replace(k, new byte[] {9, 8, 7}, new byte[] {1}));
            assertFalse(bytes.remove(k, new byte[] {9, 8, 7}));
            assertTrue(bytes.remove(k, new byte[] {1}));
            assertTrue(bytes.isEmpty());
            assertFalse(bytes.remove(k, "not a byte array"));

            BfMap<String, Long> longs = t.asMap(KeyEncoders.strings(), ValueCodec.longs());
            for (long x : new long[] {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE}) {
                longs.put("k" + x, x);
                assertEquals(x, longs.get("k" + x));
            }
            BfMap<String, String> strings = t.asMap(KeyEncoders.strings(), ValueCodec.strings());
            strings.put("\u00e9\ud83c\udf33", "\u00e9t\u00e9 \ud83c\udf33");
            assertEquals("\u00e9t\u00e9 \ud83c\udf33", strings.get("\u00e9\ud83c\udf33"));
            IllegalArgumentException lone = assertThrows(IllegalArgumentException.class,
                    () -> strings.put("x", "bad \ud83c"));
            assertTrue(lone.getMessage().contains("unpaired surrogate"), lone.getMessage());
            assertNull(strings.get("x"));
            t.checkInvariants();
        }
    }

    @Test
    void badInputFailsClearlyAndWritesNothing() throws IOException {
        try (BfTree t = BfTree.create(tmp.resolve("b"), BfTreeDifferentialTest.smallConfig())) {
            BfMap<byte[], byte[]> m = t.asMap(KeyEncoders.byteArrays(), ValueCodec.byteArrays());
            int maxKey = t.limits().maxKey;
            int maxValue = t.limits().maxValue;
            m.put(new byte[maxKey], new byte[maxValue]); // the limits themselves are allowed
            assertThrows(NullPointerException.class, () -> m.put(null, new byte[1]));
            assertThrows(NullPointerException.class, () -> m.put(new byte[1], null));
            assertThrows(NullPointerException.class, () -> m.get(null));
            assertThrows(NullPointerException.class, () -> m.replace(new byte[1], null, new byte[1]));
            IllegalArgumentException key = assertThrows(IllegalArgumentException.class,
                    () -> m.put(new byte[maxKey + 1], new byte[1]));
            assertTrue(key.getMessage().contains("maximum key size is " + maxKey), key.getMessage());
            IllegalArgumentException value = assertThrows(IllegalArgumentException.class,
                    () -> m.put(new byte[] {1}, new byte[maxValue + 1]));
            assertTrue(value.getMessage().contains("maximum value size is " + maxValue), value.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.putIfAbsent(new byte[] {2}, new byte[maxValue + 1]));
            assertThrows(IllegalArgumentException.class, () -> m.replace(new byte[maxKey], new byte[maxValue + 1]));
            assertEquals(1, m.size()); // nothing of the failed calls was written
            assertEquals(maxValue, m.get(new byte[maxKey]).length);
            @SuppressWarnings({"unchecked", "rawtypes"})
            Map<Object, Object> raw = (Map) m;
            assertThrows(ClassCastException.class, () -> raw.get("a string key"));
            assertThrows(ClassCastException.class, () -> raw.put("a string key", new byte[1]));
            ConcurrentNavigableMap<byte[], byte[]> view = m.subMap(new byte[] {1}, new byte[] {5});
            IllegalArgumentException out = assertThrows(IllegalArgumentException.class,
                    () -> view.put(new byte[] {7}, new byte[1]));
            assertTrue(out.getMessage() != null && !out.getMessage().isEmpty());
            assertThrows(NullPointerException.class, () -> t.asMap(null, ValueCodec.byteArrays()));
            List<Object> untouched = new ArrayList<>(m.keySet());
            assertEquals(1, untouched.size());
            t.checkInvariants();
        }
    }
}
