package io.arboretum.btree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * The tree's own primitives (point operations, findNear, pollInRange, copyBatch, clear) against
 * {@link TreeMap}, single-threaded, with random, descending and adversarial key orders and node
 * capacities that force splits, merges and root changes; the structure is checked throughout.
 * Concurrency is covered by {@link BTreeConcurrencyTest} and the lincheck-tests module.
 */
class BTreeStructureTest {
    static final int SCALE = Integer.getInteger("arboretum.test.scale", 1);

    enum Order { RANDOM, ASCENDING, DESCENDING, ZIGZAG, MIDDLE_OUT }

    static List<Integer> keys(Order order, int n, Random rnd) {
        List<Integer> ks = new ArrayList<>();
        switch (order) {
            case RANDOM:
                for (int i = 0; i < n; i++) {
                    ks.add(rnd.nextInt(n * 2) - n / 2);
                }
                break;
            case ASCENDING:
                for (int i = 0; i < n; i++) {
                    ks.add(i);
                }
                break;
            case DESCENDING:
                for (int i = n; i > 0; i--) {
                    ks.add(i);
                }
                break;
            case ZIGZAG: // alternate ends: 0, n, 1, n-1, ...
                for (int i = 0; i < n / 2; i++) {
                    ks.add(i);
                    ks.add(n - i);
                }
                break;
            case MIDDLE_OUT: // 10, 20, then 15: keys landing between existing ones
                for (int step = n; step >= 1; step /= 2) {
                    for (int i = 0; i < n; i += step) {
                        ks.add(i);
                    }
                }
                break;
            default:
                throw new AssertionError(order);
        }
        return ks;
    }

    static List<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (int cap : new int[] {4, 5, 8, 64}) {
            for (Order o : Order.values()) {
                out.add(Arguments.of(cap, o, false));
                out.add(Arguments.of(cap, o, true));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "cap={0} order={1} reversed={2}")
    @MethodSource("cases")
    void matchesTreeMap(int cap, Order order, boolean reversed) {
        long seed = new Random().nextLong();
        try {
            runDifferential(cap, order, reversed, seed);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("seed " + seed + ": " + e, e);
        }
    }

    static List<Arguments> latchedCases() {
        List<Arguments> out = new ArrayList<>();
        for (int cap : new int[] {4, 5, 64}) {
            for (Order o : new Order[] {Order.RANDOM, Order.DESCENDING, Order.ZIGZAG}) {
                out.add(Arguments.of(cap, o, cap == 5));
            }
        }
        return out;
    }

    /**
     * The same differential check with no optimistic attempt at all, so that every reader path
     * (get, navigation, polls, batch copies, the ascending cursor) runs its pessimistic fallback.
     */
    @ParameterizedTest(name = "cap={0} order={1} reversed={2}")
    @MethodSource("latchedCases")
    void matchesTreeMapThroughTheLatchedFallback(int cap, Order order, boolean reversed) {
        long seed = new Random().nextLong();
        try {
            runDifferential(cap, order, reversed, seed, 0);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("seed " + seed + ": " + e, e);
        }
    }

    private void runDifferential(int cap, Order order, boolean reversed, long seed) {
        runDifferential(cap, order, reversed, seed, ConcurrentBTreeMap.OPTIMISTIC_ATTEMPTS);
    }

    private void runDifferential(int cap, Order order, boolean reversed, long seed, int attempts) {
        Random rnd = new Random(seed);
        Comparator<Integer> cmp = reversed ? Collections.reverseOrder() : null;
        ConcurrentBTreeMap<Integer, Integer> map = ConcurrentBTreeMap.<Integer, Integer>builder().comparator(cmp)
                .nodeCapacity(cap).optimisticAttempts(attempts).build();
        TreeMap<Integer, Integer> ref = new TreeMap<>(cmp);
        int n = 600 * SCALE;
        List<Integer> ks = keys(order, n, rnd);
        for (Integer k : ks) {
            int v = rnd.nextInt(1000);
            assertEquals(ref.put(k, v), map.put(k, v));
        }
        map.checkInvariants();
        assertEquals(ref.size(), map.size());
        int range = n * 2;
        for (int op = 0; op < 8 * n; op++) {
            int k = rnd.nextInt(range) - n / 2;
            int v = rnd.nextInt(1000);
            switch (rnd.nextInt(12)) {
                case 0:
                    assertEquals(ref.put(k, v), map.put(k, v));
                    break;
                case 1:
                    assertEquals(ref.putIfAbsent(k, v), map.putIfAbsent(k, v));
                    break;
                case 2:
                    assertEquals(ref.remove(k), map.remove(k));
                    break;
                case 3: {
                    Integer cur = ref.get(k);
                    Integer expect = rnd.nextBoolean() && cur != null ? cur : v;
                    assertEquals(ref.remove(k, expect), map.remove(k, expect));
                    break;
                }
                case 4:
                    assertEquals(ref.replace(k, v), map.replace(k, v));
                    break;
                case 5: {
                    Integer cur = ref.get(k);
                    Integer expect = rnd.nextBoolean() && cur != null ? cur : v + 1;
                    assertEquals(ref.replace(k, expect, v), map.replace(k, expect, v));
                    break;
                }
                case 6:
                    assertEquals(ref.get(k), map.get(k));
                    assertEquals(ref.containsKey(k), map.containsKey(k));
                    break;
                case 7: {
                    int rel = rnd.nextInt(4);
                    Integer key = rnd.nextInt(10) == 0 ? null : k;
                    assertEquals(near(ref, key, rel), map.findNear(key, rel), "findNear " + key + " rel " + rel);
                    break;
                }
                case 8: {
                    Bounds b = Bounds.random(rnd, range, n, ref.comparator());
                    boolean highest = rnd.nextBoolean();
                    Map.Entry<Integer, Integer> expect = pollRef(ref, b, highest);
                    assertEquals(expect, map.pollInRange(b.lo, b.loIncl, b.hi, b.hiIncl, highest), "poll " + b);
                    break;
                }
                case 9: {
                    Bounds b = Bounds.random(rnd, range, n, ref.comparator());
                    boolean desc = rnd.nextBoolean();
                    checkBatch(map, ref, b, desc, 1 + rnd.nextInt(9));
                    break;
                }
                case 10:
                    if (rnd.nextInt(200) == 0) {
                        map.clear();
                        ref.clear();
                    }
                    break;
                default: // a burst of removals: merges
                    for (int i = 0; i < 20; i++) {
                        int kk = k + i;
                        assertEquals(ref.remove(kk), map.remove(kk));
                    }
                    break;
            }
            if (op % 97 == 0) {
                map.checkInvariants();
                assertEquals(ref.size(), map.size());
            }
        }
        map.checkInvariants();
        assertEquals(ref, map);
        // Mass delete in a random order gives memory back: the tree collapses to a small height.
        List<Integer> present = new ArrayList<>(ref.keySet());
        Collections.shuffle(present, rnd);
        for (Integer k : present) {
            assertEquals(ref.remove(k), map.remove(k));
        }
        map.checkInvariants();
        assertTrue(map.isEmpty());
        assertTrue(height(map) <= 2, "tree did not shrink after deleting everything: height " + height(map));
    }

    static int height(ConcurrentBTreeMap<?, ?> map) throws IllegalStateException {
        try {
            java.lang.reflect.Field f = ConcurrentBTreeMap.class.getDeclaredField("root");
            f.setAccessible(true);
            ConcurrentBTreeMap.Node n = (ConcurrentBTreeMap.Node) f.get(map);
            int h = 1;
            while (n instanceof ConcurrentBTreeMap.Inner) {
                n = ((ConcurrentBTreeMap.Inner) n).kids[0];
                h++;
            }
            return h;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    record Bounds(Integer lo, boolean loIncl, Integer hi, boolean hiIncl) {
        static Bounds random(Random rnd, int range, int n, Comparator<? super Integer> cmp) {
            Integer a = rnd.nextInt(4) == 0 ? null : rnd.nextInt(range) - n / 2;
            Integer b = rnd.nextInt(4) == 0 ? null : rnd.nextInt(range) - n / 2;
            Comparator<? super Integer> c = cmp == null ? Comparator.naturalOrder() : cmp;
            if (a != null && b != null && c.compare(a, b) > 0) {
                Integer t = a;
                a = b;
                b = t;
            }
            return new Bounds(a, rnd.nextBoolean(), b, rnd.nextBoolean());
        }

        boolean contains(Integer k, Comparator<? super Integer> cmp) {
            Comparator<? super Integer> c = cmp == null ? Comparator.naturalOrder() : cmp;
            if (lo != null) {
                int r = c.compare(k, lo);
                if (r < 0 || (r == 0 && !loIncl)) {
                    return false;
                }
            }
            if (hi != null) {
                int r = c.compare(k, hi);
                return r < 0 || (r == 0 && hiIncl);
            }
            return true;
        }
    }

    static Map.Entry<Integer, Integer> near(TreeMap<Integer, Integer> ref, Integer key, int rel) {
        if (key == null) {
            return rel <= 1 ? ref.firstEntry() : ref.lastEntry();
        }
        switch (rel) {
            case 0: return ref.higherEntry(key);
            case 1: return ref.ceilingEntry(key);
            case 2: return ref.lowerEntry(key);
            default: return ref.floorEntry(key);
        }
    }

    static Map.Entry<Integer, Integer> pollRef(TreeMap<Integer, Integer> ref, Bounds b, boolean highest) {
        List<Integer> in = new ArrayList<>();
        for (Integer k : ref.keySet()) {
            if (b.contains(k, ref.comparator())) {
                in.add(k);
            }
        }
        if (in.isEmpty()) {
            return null;
        }
        Integer k = highest ? in.get(in.size() - 1) : in.get(0);
        return new java.util.AbstractMap.SimpleImmutableEntry<>(k, ref.remove(k));
    }

    static void checkBatch(ConcurrentBTreeMap<Integer, Integer> map, TreeMap<Integer, Integer> ref, Bounds b,
                           boolean desc, int batch) {
        List<Integer> expect = new ArrayList<>();
        for (Integer k : (desc ? ref.descendingKeySet() : ref.keySet())) {
            if (b.contains(k, ref.comparator())) {
                expect.add(k);
            }
        }
        List<Integer> got = new ArrayList<>();
        Object[] ks = new Object[batch];
        Object[] vs = new Object[batch];
        Integer lo = b.lo;
        boolean loIncl = b.loIncl;
        Integer hi = b.hi;
        boolean hiIncl = b.hiIncl;
        for (int guard = 0; guard < 100_000; guard++) {
            int m = map.copyBatch(lo, loIncl, hi, hiIncl, desc, ks, vs);
            if (m == 0) {
                break;
            }
            for (int i = 0; i < m; i++) {
                Integer k = (Integer) ks[i];
                got.add(k);
                assertEquals(ref.get(k), vs[i]);
            }
            if (desc) {
                hi = (Integer) ks[m - 1];
                hiIncl = false;
            } else {
                lo = (Integer) ks[m - 1];
                loIncl = false;
            }
        }
        assertEquals(expect, got, "batch scan " + b + " desc=" + desc);
    }

    @Test
    void stringKeysUsePrefixesAndTiesCompareFullKeys() {
        ConcurrentBTreeMap<String, Integer> map = ConcurrentBTreeMap.<String, Integer>builder().nodeCapacity(4).build();
        TreeMap<String, Integer> ref = new TreeMap<>();
        Random rnd = new Random(7);
        for (int i = 0; i < 2000 * SCALE; i++) {
            // Shared beginnings force full comparisons: "user12" and "user12\0" tie on the 8-byte
            // prefix, which pads short encodings with zero bytes.
            String k = "user" + rnd.nextInt(500) + (rnd.nextBoolean() ? "" : "\0");
            if (rnd.nextInt(3) == 0) {
                assertEquals(ref.remove(k), map.remove(k));
            } else {
                assertEquals(ref.put(k, i), map.put(k, i));
            }
        }
        map.checkInvariants();
        assertEquals(ref, map);
    }

    @Test
    void byteArrayKeysWithTheUnsignedComparator() {
        ConcurrentBTreeMap<byte[], Integer> map = ConcurrentBTreeMap.<byte[], Integer>builder()
                .comparator(ConcurrentBTreeMap.unsignedBytesComparator()).nodeCapacity(4).build();
        TreeMap<byte[], Integer> ref = new TreeMap<>(ConcurrentBTreeMap.unsignedBytesComparator());
        Random rnd = new Random(11);
        for (int i = 0; i < 2000 * SCALE; i++) {
            byte[] k = new byte[rnd.nextInt(12)];
            rnd.nextBytes(k);
            assertEquals(ref.put(k, i), map.put(k, i));
        }
        map.checkInvariants();
        List<byte[]> a = new ArrayList<>(ref.keySet());
        List<byte[]> b = new ArrayList<>();
        for (Map.Entry<byte[], Integer> e : map.entrySet()) {
            b.add(e.getKey());
        }
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertTrue(java.util.Arrays.equals(a.get(i), b.get(i)));
        }
    }

    @Test
    void rejectsNullsWrongTypesAndBadCapacity() {
        ConcurrentBTreeMap<Object, Object> map = new ConcurrentBTreeMap<>();
        assertThrows(NullPointerException.class, () -> map.put(null, 1));
        assertThrows(NullPointerException.class, () -> map.put(1L, null));
        assertThrows(NullPointerException.class, () -> map.get(null));
        map.put(1L, "one");
        ClassCastException e = assertThrows(ClassCastException.class, () -> map.put("x", 2));
        assertTrue(e.getMessage().contains("java.lang.String"), e.getMessage());
        assertThrows(ClassCastException.class, () -> map.get(1));
        assertEquals(1, map.size());
        map.checkInvariants();
        ConcurrentBTreeMap<Object, Object> plain = new ConcurrentBTreeMap<>();
        ClassCastException notComparable = assertThrows(ClassCastException.class, () -> plain.put(new Object(), 1));
        assertTrue(notComparable.getMessage().contains("not Comparable"), notComparable.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> ConcurrentBTreeMap.builder().nodeCapacity(3));
        assertTrue(bad.getMessage().contains("nodeCapacity"), bad.getMessage());
    }

    @Test
    void throwingComparatorLeavesTheMapUnchangedAndUnlatched() throws Exception {
        Comparator<Integer> touchy = (a, b) -> {
            if (a == 13 || b == 13) {
                throw new IllegalStateException("unlucky");
            }
            return Integer.compare(a, b);
        };
        ConcurrentBTreeMap<Integer, Integer> map =
                ConcurrentBTreeMap.<Integer, Integer>builder().comparator(touchy).nodeCapacity(4).build();
        for (int i = 0; i < 40; i++) {
            if (i != 13) {
                map.put(i, i);
            }
        }
        Map<Integer, Integer> before = new TreeMap<>(map);
        assertThrows(IllegalStateException.class, () -> map.put(13, 1));
        assertThrows(IllegalStateException.class, () -> map.get(13));
        assertThrows(IllegalStateException.class, () -> map.remove(13));
        assertThrows(IllegalStateException.class, () -> map.findNear(13, 1));
        map.checkInvariants();
        assertEquals(before, new TreeMap<>(map));
        // Another thread can still write every key: no latch was left held.
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                for (int i = 0; i < 40; i++) {
                    if (i != 13) {
                        map.put(i, -i);
                    }
                }
            } catch (Throwable x) {
                failure.set(x);
            }
        });
        t.start();
        t.join(10_000);
        assertFalse(t.isAlive(), "a writer was blocked by a latch left held");
        assertNull(failure.get());
        assertEquals(-12, map.get(12));
    }

    @Test
    void serializationRoundTripKeepsComparatorAndEntries() throws Exception {
        ConcurrentBTreeMap<Integer, String> map = ConcurrentBTreeMap.<Integer, String>builder()
                .comparator(Collections.reverseOrder()).nodeCapacity(5).build();
        for (int i = 0; i < 300; i++) {
            map.put(i * 7 % 301, "v" + i);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(map);
        }
        @SuppressWarnings("unchecked")
        ConcurrentBTreeMap<Integer, String> copy;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (ConcurrentBTreeMap<Integer, String>) in.readObject();
        }
        copy.checkInvariants();
        assertEquals(map, copy);
        assertEquals(Objects.requireNonNull(copy.comparator()).compare(1, 2), 1);
        assertEquals(map.findNear(null, 1), copy.findNear(null, 1));
    }

    /**
     * Entries of an exact-codec map's iterators rebuild their keys lazily; they must still keep the
     * Map.Entry contract and serialize as plain entries, at every capacity (256 makes iterators go
     * on inside a leaf) and from sub-map views.
     */
    @ParameterizedTest
    @MethodSource("capacitiesForEntries")
    void iteratorEntriesKeepTheEntryContract(int capacity) throws Exception {
        ConcurrentBTreeMap<Long, String> map = ConcurrentBTreeMap.<Long, String>builder().nodeCapacity(capacity).build();
        TreeMap<Long, String> expected = new TreeMap<>();
        Random rnd = new Random(capacity);
        for (int i = 0; i < 1000; i++) {
            long k = rnd.nextLong() % 100_000L;
            map.put(k, "v" + k);
            expected.put(k, "v" + k);
        }
        long lo = expected.firstKey() / 2;
        long hi = expected.lastKey() / 2;
        for (Map.Entry<Long, String> e : map.subMap(lo, true, hi, false).entrySet()) {
            Map.Entry<Long, String> plain = new java.util.AbstractMap.SimpleImmutableEntry<>(e.getKey(), e.getValue());
            assertEquals(plain, e);
            assertEquals(e, plain);
            assertEquals(plain.hashCode(), e.hashCode());
            assertEquals(plain.toString(), e.toString());
            assertTrue(e.getKey() == e.getKey(), "a rebuilt key is kept");
            assertThrows(UnsupportedOperationException.class, () -> e.setValue("x"));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(e);
            }
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                assertEquals(plain, in.readObject());
            }
        }
        assertEquals(new ArrayList<>(expected.subMap(lo, true, hi, false).entrySet()),
                new ArrayList<>(map.subMap(lo, true, hi, false).entrySet()));
        assertEquals(new ArrayList<>(expected.values()), new ArrayList<>(map.values()));
        map.checkInvariants();
    }

    static List<Integer> capacitiesForEntries() {
        return List.of(4, 64, 256);
    }
}
