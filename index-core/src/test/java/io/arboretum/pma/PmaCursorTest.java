package io.arboretum.pma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.arboretum.map.BatchCursor;
import io.arboretum.map.CodedEntry;
import io.arboretum.testkit.KeyOrder;
import io.arboretum.testkit.NavigableMapContractTests;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * {@link PackedMemoryArrayMap}'s own cursor ({@link PmaCursor}) against {@link TreeMap}, at
 * segment size 4 so that a scan crosses many segments and small batches end inside them: every
 * bound combination (absent, present, missing from the map, inclusive, exclusive, crossed) in both
 * directions, over random, monotone and adversarial insertion orders, with keys stored as
 * primitive longs ({@code Long}, {@code Integer}) and as objects ({@code String}, and
 * {@code Long} under a comparator); then writes between batches that redistribute, grow, shrink
 * and clear the array, after which every batch must be exactly the next entries of the map as it
 * is; then a reader racing a writer that grows, shrinks and clears the array: keys strictly
 * ordered, never one that was never inserted, every key present throughout seen. The structure is
 * checked after each.
 */
class PmaCursorTest {
    private static final int SCALE = Math.max(1, Integer.getInteger("arboretum.test.scale", 1));
    private static final int[] MAX_BATCHES = {1, 2, 3, 5, 16, 17, 64, 256};

    /** How the tests make keys from ints, and the order and storage mode the map keeps them in. */
    private static final class Mode<K> {
        final String name;
        final IntFunction<K> key;
        final Comparator<? super K> order;
        final boolean exact;

        Mode(String name, IntFunction<K> key, Comparator<? super K> order, boolean exact) {
            this.name = name;
            this.key = key;
            this.order = order;
            this.exact = exact;
        }

        PackedMemoryArrayMap<K, Integer> newMap() {
            return PackedMemoryArrayMap.<K, Integer>builder().segmentSize(4).comparator(order).build();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static List<Mode<?>> modes() {
        return List.of(
                new Mode<Long>("Long (longs)", k -> k * 1_000_003L - 50_000_000L, null, true),
                new Mode<Integer>("Integer (longs)", k -> k - 300, null, true),
                new Mode<String>("String (objects)", k -> "k" + Integer.toString(k, 7), null, false),
                new Mode<Long>("Long, reversed comparator (objects)", k -> (long) k, Comparator.reverseOrder(), false));
    }

    @Test
    void openCursorGivesTheMapsOwnCursor() {
        PackedMemoryArrayMap<Long, Integer> m = new PackedMemoryArrayMap<>();
        // Before the first key (the storage mode is not chosen yet) and after.
        BatchCursor<Long, Integer> before = m.openCursor(null, false, null, false, false, 8);
        assertSame(PmaCursor.class, before.getClass());
        m.put(1L, 1);
        m.put(2L, 2);
        assertSame(PmaCursor.class, m.openCursor(1L, true, 2L, true, true, 1).getClass());
        // A cursor reads nothing before its first advance(): it sees the keys put after opening.
        assertEquals(2, before.advance());
        assertEquals(List.of(1L, 2L), List.of(before.key(0), before.key(1)));
        // Keys stored as longs: entries keep the prefix and build the key when asked for.
        assertSame(CodedEntry.class, before.entry(0).getClass());
        assertEquals(Map.entry(1L, 1), before.entry(0));
        assertEquals(0, before.advance());
        assertEquals(0, before.advance(), "an exhausted cursor stays exhausted");
        // On a map that never held a key the range is empty, and stays so for that cursor.
        PackedMemoryArrayMap<Long, Integer> empty = new PackedMemoryArrayMap<>();
        BatchCursor<Long, Integer> c = empty.openCursor(5L, true, null, false, false, 4);
        assertEquals(0, c.advance());
        empty.put(6L, 6);
        assertEquals(0, c.advance());
    }

    @Test
    void everyRangeAndDirectionMatchesTreeMap() {
        for (Mode<?> mode : modes()) {
            for (KeyOrder order : KeyOrder.values()) {
                matchTreeMap(mode, order, new Random(31L * order.ordinal() + mode.name.hashCode()));
            }
        }
    }

    private static <K> void matchTreeMap(Mode<K> mode, KeyOrder order, Random rnd) {
        int n = 200 * SCALE;
        PackedMemoryArrayMap<K, Integer> m = mode.newMap();
        TreeMap<K, Integer> ref = new TreeMap<>(mode.order);
        for (int k : order.keys(n, rnd)) {
            K key = mode.key.apply(k);
            m.put(key, k);
            ref.put(key, k);
        }
        assertEquals(mode.exact, m.storesLongs(), mode + ": storage mode");
        for (int round = 0; round < 6; round++) {
            // Keys are 3 * i: these bounds are present, absent between keys, or beyond the ends.
            K a = mode.key.apply(rnd.nextInt(3 * n + 6) - 3);
            K b = mode.key.apply(rnd.nextInt(3 * n + 6) - 3);
            for (int shape = 0; shape < 32; shape++) {
                K lo = (shape & 1) != 0 ? null : a;
                K hi = (shape & 2) != 0 ? null : b;
                boolean loIn = (shape & 4) != 0;
                boolean hiIn = (shape & 8) != 0;
                boolean desc = (shape & 16) != 0;
                int maxBatch = MAX_BATCHES[rnd.nextInt(MAX_BATCHES.length)];
                String what = mode + ", " + order + ", " + (loIn ? "[" : "(") + lo + ", " + hi + (hiIn ? "]" : ")")
                        + (desc ? " descending" : "") + ", maxBatch " + maxBatch;
                NavigableMap<K, Integer> range = NavigableMapContractTests.range(ref, lo, loIn, hi, hiIn);
                List<Map.Entry<K, Integer>> want = new ArrayList<>((desc ? range.descendingMap() : range).entrySet());
                List<Map.Entry<K, Integer>> got = new ArrayList<>();
                BatchCursor<K, Integer> c = m.openCursor(lo, loIn, hi, hiIn, desc, maxBatch);
                int cap = Math.min(PmaCursor.FIRST_BATCH, maxBatch);
                for (int size; (size = c.advance()) > 0; cap = Math.min(2 * cap, maxBatch)) {
                    // Batches start small and double, as CopyingCursor's: each as full as its size allows.
                    assertEquals(Math.min(cap, want.size() - got.size()), size, what + ": batch size");
                    for (int i = 0; i < size; i++) {
                        got.add(c.entry(i));
                    }
                    // The Map.Entry contract, on one entry a batch.
                    Map.Entry<K, Integer> e = got.get(got.size() - 1);
                    SimpleImmutableEntry<K, Integer> plain =
                            new SimpleImmutableEntry<>(c.key(size - 1), c.value(size - 1));
                    assertEquals(plain, e, what);
                    assertEquals(e, plain, what);
                    assertEquals(plain.hashCode(), e.hashCode(), what);
                    assertEquals(plain.toString(), e.toString(), what);
                    assertThrows(UnsupportedOperationException.class, () -> e.setValue(0), what);
                }
                assertEquals(0, c.advance(), what + ": advance after the end");
                assertEquals(want, got, what);
                // copyBatch is one batch of the same cursor, into the caller's arrays.
                Object[] ks = new Object[maxBatch];
                Object[] vs = new Object[maxBatch];
                int copied = m.copyBatch(lo, loIn, hi, hiIn, desc, ks, vs);
                List<Map.Entry<K, Integer>> first = new ArrayList<>();
                for (int i = 0; i < copied; i++) {
                    @SuppressWarnings("unchecked")
                    K k = (K) ks[i];
                    first.add(new SimpleImmutableEntry<>(k, (Integer) vs[i]));
                }
                assertEquals(want.subList(0, Math.min(maxBatch, want.size())), first, what + ": copyBatch");
            }
        }
        m.checkInvariants();
    }

    @Test
    void batchesAreTheMapAsItIsWhenWritesRunBetweenThem() {
        for (Mode<?> mode : modes()) {
            for (boolean clears : new boolean[] {false, true}) {
                writesBetweenBatches(mode, clears, new Random(mode.name.hashCode() + (clears ? 1 : 0)));
            }
        }
    }

    /**
     * Scans with random bounds, directions and batch limits, and between batches writes that
     * redistribute windows (puts and removes next to the scan), grow the array (bursts of new
     * keys), shrink it (removing most of them) and, with {@code clears}, empty it and fill it
     * again. No write runs during an {@code advance()}, so each batch must be exactly the next
     * entries of the map as it is then, after the last key returned.
     */
    private static <K> void writesBetweenBatches(Mode<K> mode, boolean clears, Random rnd) {
        int grew = 0;
        int shrank = 0;
        int cleared = 0;
        for (int round = 0; round < 12 * SCALE; round++) {
            PackedMemoryArrayMap<K, Integer> m = mode.newMap();
            TreeMap<K, Integer> ref = new TreeMap<>(mode.order);
            for (int k : KeyOrder.values()[round % KeyOrder.values().length].keys(150, rnd)) {
                m.put(mode.key.apply(k), k);
                ref.put(mode.key.apply(k), k);
            }
            K lo = rnd.nextInt(3) == 0 ? null : mode.key.apply(rnd.nextInt(200));
            K hi = rnd.nextInt(3) == 0 ? null : mode.key.apply(250 + rnd.nextInt(250));
            boolean loIn = rnd.nextBoolean();
            boolean hiIn = rnd.nextBoolean();
            boolean desc = rnd.nextBoolean();
            int maxBatch = MAX_BATCHES[rnd.nextInt(5)]; // at most 16: many batches, many end inside segments
            String what = mode + (clears ? " with clears" : "") + ", round " + round;
            BatchCursor<K, Integer> c = m.openCursor(lo, loIn, hi, hiIn, desc, maxBatch);
            K last = null;
            boolean tookAll = false; // the last batch held every entry left in the range then
            int cap = Math.min(PmaCursor.FIRST_BATCH, maxBatch);
            for (int size; ; cap = Math.min(2 * cap, maxBatch)) {
                NavigableMap<K, Integer> rest = rest(ref, lo, loIn, hi, hiIn, desc, last);
                size = c.advance();
                if (size == 0 && tookAll) {
                    break; // the cursor saw the range end then: entries put since need not be returned
                }
                List<Map.Entry<K, Integer>> want = new ArrayList<>();
                Iterator<Map.Entry<K, Integer>> it = rest.entrySet().iterator();
                while (want.size() < cap && it.hasNext()) {
                    want.add(it.next());
                }
                List<Map.Entry<K, Integer>> got = new ArrayList<>();
                for (int i = 0; i < size; i++) {
                    got.add(new SimpleImmutableEntry<>(c.key(i), c.value(i)));
                }
                assertEquals(want, got, what + ": the batch after " + last);
                if (size == 0) {
                    break;
                }
                tookAll = size == rest.size();
                last = c.key(size - 1);
                int cellsBefore = m.geometry()[2];
                switch (rnd.nextInt(clears ? 5 : 4)) {
                    case 0: // redistributions around the scan's place: remove and put back nearby keys
                        for (int w = 0; w < 6; w++) {
                            int k = rnd.nextInt(500);
                            if (rnd.nextBoolean()) {
                                m.remove(mode.key.apply(k));
                                ref.remove(mode.key.apply(k));
                            } else {
                                m.put(mode.key.apply(k), -k);
                                ref.put(mode.key.apply(k), -k);
                            }
                        }
                        break;
                    case 1: // growth: a burst of new keys
                        for (int w = 0; w < 300; w++) {
                            int k = 500 + rnd.nextInt(3000);
                            m.put(mode.key.apply(k), k);
                            ref.put(mode.key.apply(k), k);
                        }
                        break;
                    case 2: // shrinking: most keys go
                        for (Iterator<K> keys = ref.keySet().iterator(); keys.hasNext(); ) {
                            K k = keys.next();
                            if (rnd.nextInt(4) != 0) {
                                m.remove(k);
                                keys.remove();
                            }
                        }
                        break;
                    case 3: // nothing: the next batch goes on in place
                        break;
                    default: // clear, then some keys back
                        m.clear();
                        ref.clear();
                        cleared++;
                        for (int w = 0; w < 60; w++) {
                            int k = rnd.nextInt(600);
                            m.put(mode.key.apply(k), k);
                            ref.put(mode.key.apply(k), k);
                        }
                        break;
                }
                int cellsAfter = m.geometry()[2];
                grew += cellsAfter > cellsBefore ? 1 : 0;
                shrank += cellsAfter < cellsBefore ? 1 : 0;
            }
            assertEquals(0, c.advance(), what + ": advance after the end");
            m.checkInvariants();
        }
        assertTrue(grew > 0 && shrank > 0 && (cleared > 0 || !clears),
                mode + ": the writes grew the array " + grew + " times, shrank it " + shrank + " times, cleared it "
                        + cleared + " times");
    }

    /** The entries of a scan's range still to come after {@code last} (all of them if null), in scan order. */
    private static <K> NavigableMap<K, Integer> rest(TreeMap<K, Integer> ref, K lo, boolean loIn, K hi, boolean hiIn,
                                                     boolean desc, K last) {
        NavigableMap<K, Integer> r;
        if (last == null) {
            r = NavigableMapContractTests.range(ref, lo, loIn, hi, hiIn);
        } else if (desc) {
            r = NavigableMapContractTests.range(ref, lo, loIn, last, false);
        } else {
            r = NavigableMapContractTests.range(ref, last, false, hi, hiIn);
        }
        return desc ? r.descendingMap() : r;
    }

    /**
     * A reader scanning while a writer makes the array grow (bursts of even keys), shrink (removing
     * them) and, in the runs with clears, clears it (and puts the stable keys back). Keys {@code 4i + 1}
     * are stable: present throughout unless a clear ran during the scan, which a generation
     * counter tells; keys {@code 4i + 3} are never inserted. Each scan, through a cursor with
     * random bounds, direction and batch limit or through an iterator of the map or a view, must
     * return keys strictly in the map's order (so none twice), none that was never inserted, each
     * with its own value, and every stable key in its range when no clear ran.
     */
    @Test
    void scansRaceAWriterThatGrowsShrinksAndClearsTheArray() throws InterruptedException {
        for (boolean clears : new boolean[] {false, true}) {
            race(null, clears);
            race(Comparator.reverseOrder(), clears);
        }
    }

    private static void race(Comparator<Long> order, boolean clears) throws InterruptedException {
        int range = 4000;
        PackedMemoryArrayMap<Long, Long> m = PackedMemoryArrayMap.<Long, Long>builder().segmentSize(4).comparator(order)
                .build();
        for (long k = 1; k < range; k += 4) {
            m.put(k, k);
        }
        assertEquals(order == null, m.storesLongs(), "storage mode");
        Comparator<Long> cmp = order == null ? Comparator.naturalOrder() : order;
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong generation = new AtomicLong(); // odd while a clear and its refill run
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        AtomicLong scans = new AtomicLong();
        Thread writer = new Thread(() -> {
            SplittableRandom r = new SplittableRandom(5);
            while (!stop.get()) {
                int burst = 100 + r.nextInt(1500);
                for (int i = 0; i < burst; i++) {
                    long k = 2L * r.nextInt(range / 2);
                    m.put(k, -k);
                }
                for (long k = 0; k < range; k += 2) {
                    m.remove(k);
                }
                if (clears && r.nextInt(3) == 0) {
                    generation.incrementAndGet();
                    m.clear();
                    for (long k = 1; k < range; k += 4) {
                        m.put(k, k);
                    }
                    generation.incrementAndGet();
                }
            }
        });
        Thread reader = new Thread(() -> {
            SplittableRandom r = new SplittableRandom(11);
            while (!stop.get() && errors.size() < 10) {
                long a = r.nextInt(range + 8) - 4;
                long b = r.nextInt(range + 8) - 4;
                Long lo = r.nextInt(4) == 0 ? null : (cmp.compare(a, b) <= 0 ? a : b);
                Long hi = r.nextInt(4) == 0 ? null : (cmp.compare(a, b) <= 0 ? b : a);
                boolean loIn = r.nextBoolean();
                boolean hiIn = r.nextBoolean();
                boolean desc = r.nextBoolean();
                long g0 = generation.get();
                List<Map.Entry<Long, Long>> seen = new ArrayList<>();
                if (r.nextInt(4) == 0 && (lo == null || hi == null || cmp.compare(lo, hi) < 0)) {
                    NavigableMap<Long, Long> view = lo == null && hi == null ? m
                            : lo == null ? m.headMap(hi, hiIn)
                            : hi == null ? m.tailMap(lo, loIn) : m.subMap(lo, loIn, hi, hiIn);
                    (desc ? view.descendingMap() : view).entrySet().forEach(seen::add);
                } else {
                    int maxBatch = MAX_BATCHES[r.nextInt(MAX_BATCHES.length)];
                    BatchCursor<Long, Long> c = m.openCursor(lo, loIn, hi, hiIn, desc, maxBatch);
                    for (int n; (n = c.advance()) > 0; ) {
                        for (int i = 0; i < n; i++) {
                            seen.add(c.entry(i));
                        }
                    }
                }
                long g1 = generation.get();
                String what = (order == null ? "longs" : "objects") + ", " + (loIn ? "[" : "(") + lo + ", " + hi
                        + (hiIn ? "]" : ")") + (desc ? " descending" : "");
                check(what, seen, cmp, desc, g0 == g1 && (g0 & 1) == 0, lo, loIn, hi, hiIn, range, errors);
                scans.incrementAndGet();
            }
        });
        writer.start();
        reader.start();
        Thread.sleep(1000L * SCALE);
        stop.set(true);
        writer.join(60_000);
        reader.join(60_000);
        assertFalse(writer.isAlive() || reader.isAlive(), "a thread did not finish");
        assertTrue(errors.isEmpty(), errors.size() + " errors, first " + errors.peek());
        assertTrue(scans.get() > 0, "no scan finished");
        m.checkInvariants();
        assertNotEquals(0, m.size());
    }

    private static void check(String what, List<Map.Entry<Long, Long>> seen, Comparator<Long> cmp, boolean desc,
                              boolean noClear, Long lo, boolean loIn, Long hi, boolean hiIn, int range,
                              ConcurrentLinkedQueue<String> errors) {
        Comparator<Long> scanOrder = desc ? cmp.reversed() : cmp;
        Long prev = null;
        Set<Long> keys = new HashSet<>();
        for (Map.Entry<Long, Long> e : seen) {
            long k = e.getKey();
            if (prev != null && scanOrder.compare(prev, k) >= 0) {
                errors.add(what + ": " + prev + " then " + k);
            }
            prev = k;
            keys.add(k);
            if ((k & 3) == 3) {
                errors.add(what + ": " + k + " was never inserted");
            }
            if (e.getValue() != ((k & 1) == 1 ? k : -k)) {
                errors.add(what + ": " + k + " with the value " + e.getValue());
            }
            if ((lo != null && (loIn ? cmp.compare(k, lo) < 0 : cmp.compare(k, lo) <= 0))
                    || (hi != null && (hiIn ? cmp.compare(k, hi) > 0 : cmp.compare(k, hi) >= 0))) {
                errors.add(what + ": " + k + " is out of the range");
            }
        }
        if (!noClear) {
            return;
        }
        for (long k = 1; k < range; k += 4) {
            boolean inRange = (lo == null || (loIn ? cmp.compare(k, lo) >= 0 : cmp.compare(k, lo) > 0))
                    && (hi == null || (hiIn ? cmp.compare(k, hi) <= 0 : cmp.compare(k, hi) < 0));
            if (inRange && !keys.contains(k)) {
                errors.add(what + ": " + k + ", present throughout, was not returned");
                return;
            }
        }
    }

    @Test
    void boundErrorsAreThoseOfCopyBatch() {
        Object[] ks = new Object[4];
        Object[] vs = new Object[4];
        // Keys as longs: a bound of another type cannot be encoded.
        PackedMemoryArrayMap<Object, Integer> longs = raw(new PackedMemoryArrayMap<Long, Integer>());
        longs.put(1L, 1);
        assertThrows(ClassCastException.class, () -> longs.copyBatch("a", true, null, false, false, ks, vs));
        assertThrows(ClassCastException.class, () -> longs.openCursor("a", true, null, false, false, 4).advance());
        assertThrows(ClassCastException.class, () -> longs.openCursor(null, false, "a", true, true, 4).advance());
        // A natural-order map that never held a key: a bound that is not Comparable.
        PackedMemoryArrayMap<Object, Integer> undecided = raw(new PackedMemoryArrayMap<Long, Integer>());
        Object odd = new Object();
        assertThrows(ClassCastException.class, () -> undecided.copyBatch(null, false, odd, false, false, ks, vs));
        assertThrows(ClassCastException.class, () -> undecided.openCursor(null, false, odd, false, false, 4).advance());
        assertEquals(0, undecided.openCursor(null, false, 3L, false, false, 4).advance());
        // Keys as objects: the comparison with the bound throws, after the read validates.
        PackedMemoryArrayMap<Object, Integer> strings =
                raw(PackedMemoryArrayMap.<String, Integer>builder().segmentSize(4).build());
        for (int i = 0; i < 40; i++) {
            strings.put("s" + i, i);
        }
        assertThrows(ClassCastException.class, () -> strings.copyBatch(7, true, null, false, false, ks, vs));
        assertThrows(ClassCastException.class, () -> strings.openCursor(7, true, null, false, false, 4).advance());
        assertThrows(ClassCastException.class, () -> strings.openCursor(null, false, 7, true, false, 4).advance());
        strings.checkInvariants(); // no latch left held
        // A comparator that throws on one pair of keys, 20 and the bound 100: its exception
        // reaches the caller in the batch that meets 20, after the batches before it.
        Comparator<Integer> poison = (a, b) -> {
            if (Math.min(a, b) == 20 && Math.max(a, b) == 100) {
                throw new IllegalStateException("poison");
            }
            return Integer.compare(a, b);
        };
        PackedMemoryArrayMap<Integer, Integer> poisoned =
                PackedMemoryArrayMap.<Integer, Integer>builder().segmentSize(4).comparator(poison).build();
        for (int i = 0; i < 40; i++) {
            poisoned.put(i, i);
        }
        BatchCursor<Integer, Integer> c = poisoned.openCursor(null, false, 100, false, false, 2);
        List<Integer> before = new ArrayList<>();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
            for (int n; (n = c.advance()) > 0; ) {
                for (int i = 0; i < n; i++) {
                    before.add(c.key(i));
                }
            }
        });
        assertEquals("poison", e.getMessage());
        assertEquals(IntStream.range(0, 20).boxed().collect(Collectors.toList()), before);
        poisoned.checkInvariants(); // no latch left held
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> longs.openCursor(null, false, null, false, false, 0));
        assertTrue(bad.getMessage().contains("maxBatch"), bad.getMessage());
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static PackedMemoryArrayMap<Object, Integer> raw(PackedMemoryArrayMap<?, Integer> m) {
        return (PackedMemoryArrayMap) m;
    }
}
