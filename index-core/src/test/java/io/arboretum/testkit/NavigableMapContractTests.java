package io.arboretum.testkit;

import io.arboretum.map.BatchCursor;
import io.arboretum.map.BatchScannable;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.function.BiFunction;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The contract of an Arboretum index, checked against {@link TreeMap} as the reference: every
 * method of {@link ConcurrentNavigableMap}, its views and nested views, with random, monotone and
 * adversarial key orders, node capacities 4, 5, 8, 64, 256 and the default, natural ordering and a
 * custom comparator; bad input (nulls, incomparable keys, keys out of a view's range); exceptions
 * from comparators and remapping functions; iterators, entry snapshots, mass deletes, clear and
 * serialization.
 *
 * <p>Randomized tests print their seed on failure; rerun with {@code -Darboretum.test.seed=N}.
 * Sizes scale with {@code arboretum.test.scale}.
 */
public abstract class NavigableMapContractTests extends IndexContractBase {

    private static final long BASE_SEED = Long.getLong("arboretum.test.seed", System.nanoTime());

    /** Natural ordering and the kit's custom (descending) comparator. */
    private static final List<Comparator<? super Integer>> COMPARATORS =
            Arrays.asList(null, ReversedIntComparator.INSTANCE);

    private Differential newRun(long seed, String config, int n, Comparator<? super Integer> cmp, int capacity) {
        ConcurrentNavigableMap<Integer, Integer> m = create(cmp, capacity);
        TreeMap<Integer, Integer> r = new TreeMap<>(cmp);
        Consumer<ConcurrentNavigableMap<?, ?>> inv = this::checkInvariants;
        return new Differential(seed, config + ", capacity=" + capacity + ", comparator=" + cmp, -3, 3 * n + 3,
                new Differential.MapPair(m, r, "root", false), inv);
    }

    private static String cmpName(Comparator<?> c) {
        return c == null ? "natural" : c.toString();
    }

    // ---------------------------------------------------------------- randomized differential

    /** Random operations on the map itself match TreeMap, for every key order, capacity, comparator. */
    @Test
    public void randomOperationsMatchTreeMap() {
        long seed = BASE_SEED;
        int n = 120 * SCALE;
        for (Comparator<? super Integer> cmp : COMPARATORS) {
            for (int capacity : CAPACITIES) {
                for (KeyOrder order : KeyOrder.values()) {
                    Differential d = newRun(seed++, "order=" + order, n, cmp, capacity);
                    d.load(order.keys(n, d.rnd));
                    d.checkRoot();
                    for (int round = 0; round < 3; round++) {
                        for (int i = 0; i < 150; i++) {
                            d.mapOp(d.root);
                        }
                        d.checkRoot();
                    }
                }
            }
        }
    }

    /** Random operations on nested views (sub, head, tail, descending, in any nesting) match TreeMap's. */
    @Test
    public void nestedViewsMatchTreeMap() {
        long seed = BASE_SEED + 1000;
        int n = 100 * SCALE;
        for (Comparator<? super Integer> cmp : COMPARATORS) {
            for (int capacity : CAPACITIES) {
                Differential d = newRun(seed++, "nested map views", n, cmp, capacity);
                d.load(KeyOrder.values()[(int) (seed % KeyOrder.values().length)].keys(n, d.rnd));
                for (int round = 0; round < 12 * SCALE; round++) {
                    Differential.MapPair p = d.root;
                    int depth = 1 + d.rnd.nextInt(4);
                    for (int i = 0, tries = 0; i < depth && tries < 20; tries++) {
                        Differential.MapPair q = d.deriveMap(p);
                        if (q != null) {
                            p = q;
                            i++;
                        }
                    }
                    d.assertSameView(p);
                    for (int i = 0; i < 40; i++) {
                        d.mapOp(p);
                    }
                    d.assertSameView(p);
                    d.checkRoot();
                    // Refill some keys so that views do not drain to nothing.
                    d.load(KeyOrder.RANDOM.keys(n, d.rnd).subList(0, n / 4));
                }
            }
        }
    }

    /** Random operations on nested key set views match TreeMap's navigableKeySet views. */
    @Test
    public void nestedKeySetViewsMatchTreeMap() {
        long seed = BASE_SEED + 2000;
        int n = 100 * SCALE;
        for (Comparator<? super Integer> cmp : COMPARATORS) {
            for (int capacity : CAPACITIES) {
                Differential d = newRun(seed++, "nested key set views", n, cmp, capacity);
                d.load(KeyOrder.RANDOM.keys(n, d.rnd));
                for (int round = 0; round < 10 * SCALE; round++) {
                    Differential.SetPair p;
                    switch (d.rnd.nextInt(4)) {
                        case 0:
                            p = new Differential.SetPair(d.root.m.keySet(), d.root.r.navigableKeySet(), "keySet()");
                            break;
                        case 1:
                            p = new Differential.SetPair(d.root.m.descendingKeySet(), d.root.r.descendingKeySet(),
                                    "descendingKeySet()");
                            break;
                        case 2:
                            p = new Differential.SetPair(d.root.m.descendingMap().navigableKeySet(),
                                    d.root.r.descendingMap().navigableKeySet(), "descendingMap().navigableKeySet()");
                            break;
                        default:
                            p = new Differential.SetPair(d.root.m.navigableKeySet(), d.root.r.navigableKeySet(),
                                    "navigableKeySet()");
                            break;
                    }
                    int depth = d.rnd.nextInt(4);
                    for (int i = 0, tries = 0; i < depth && tries < 20; tries++) {
                        Differential.SetPair q = d.deriveSet(p);
                        if (q != null) {
                            p = q;
                            i++;
                        }
                    }
                    for (int i = 0; i < 40; i++) {
                        d.setOp(p);
                    }
                    d.checkRoot();
                    d.load(KeyOrder.RANDOM.keys(n, d.rnd).subList(0, n / 4));
                }
            }
        }
    }

    /** Repeated insert-delete of one region, alternating-end deletes, and reinsertion in the middle. */
    @Test
    public void adversarialChurnMatchesTreeMap() {
        long seed = BASE_SEED + 3000;
        int n = 200 * SCALE;
        for (Comparator<? super Integer> cmp : COMPARATORS) {
            for (int capacity : CAPACITIES) {
                Differential d = newRun(seed++, "adversarial churn", n, cmp, capacity);
                ConcurrentNavigableMap<Integer, Integer> m = d.root.m;
                NavigableMap<Integer, Integer> r = d.root.r;
                d.load(KeyOrder.ZIGZAG.keys(n, d.rnd));
                int lo = n;
                int hi = 2 * n;
                for (int cycle = 0; cycle < 8; cycle++) {
                    for (int k = lo; k < hi; k++) {
                        int fk = k;
                        d.same("remove(" + k + ")", () -> m.remove(fk), () -> r.remove(fk));
                    }
                    List<Integer> back = new ArrayList<>();
                    for (int k = (cycle % 2 == 0 ? hi - 1 : lo); k >= lo && k < hi; k += (cycle % 2 == 0 ? -1 : 1)) {
                        back.add(k);
                    }
                    d.load(back);
                    d.checkRoot();
                }
                for (int i = 0; !r.isEmpty(); i++) {
                    // Alternate ends: first, last, first, ...
                    if (i % 2 == 0) {
                        d.same("pollFirstEntry", m::pollFirstEntry, r::pollFirstEntry);
                    } else {
                        d.same("remove(lastKey)", () -> m.remove(m.lastKey()), () -> r.remove(r.lastKey()));
                    }
                    if (i % 97 == 0) {
                        d.checkRoot();
                    }
                }
                d.checkRoot();
                // 10, 20, 15: keys inserted in the middle of ranges.
                d.load(KeyOrder.TENS_THEN_MIDDLES.keys(n, d.rnd));
                d.checkRoot();
            }
        }
    }

    /** Everything deleted (in six different ways), then everything reinserted. */
    @Test
    public void massDeleteThenReinsert() {
        long seed = BASE_SEED + 4000;
        int n = 300 * SCALE;
        for (Comparator<? super Integer> cmp : COMPARATORS) {
            for (int capacity : CAPACITIES) {
                Differential d = newRun(seed++, "mass delete", n, cmp, capacity);
                ConcurrentNavigableMap<Integer, Integer> m = d.root.m;
                NavigableMap<Integer, Integer> r = d.root.r;
                for (int way = 0; way < 6; way++) {
                    d.load(KeyOrder.RANDOM.keys(n, d.rnd));
                    d.checkRoot();
                    switch (way) {
                        case 0:
                            for (int k : KeyOrder.RANDOM.keys(n, d.rnd)) {
                                m.remove(k);
                            }
                            break;
                        case 1:
                            while (m.pollFirstEntry() != null) {
                                assertTrue(m.size() < n, "pollFirstEntry does not shrink the map");
                            }
                            break;
                        case 2:
                            for (int i = 0; i < n; i++) {
                                assertTrue(m.pollLastEntry() != null, "pollLastEntry returned null too early");
                            }
                            break;
                        case 3:
                            for (Iterator<Integer> it = m.descendingKeySet().iterator(); it.hasNext(); ) {
                                it.next();
                                it.remove();
                            }
                            break;
                        case 4: {
                            // Clear chunks of 30 keys through sub-maps, then through head and tail maps.
                            Comparator<Integer> c = Differential.order(cmp);
                            for (int k = 3 * n; k >= 0; k -= 30) {
                                int a = Math.max(0, k - 30);
                                m.subMap(c.compare(a, k) < 0 ? a : k, true, c.compare(a, k) < 0 ? k : a, true).clear();
                            }
                            m.headMap(c.compare(0, 1) < 0 ? 3 * n : 0, true).clear();
                            m.tailMap(c.compare(0, 1) < 0 ? 0 : 3 * n).clear();
                            break;
                        }
                        default:
                            m.clear();
                            break;
                    }
                    r.clear();
                    d.checkRoot();
                    assertTrue(m.isEmpty(), "map not empty after delete way " + way);
                    assertNull(m.firstEntry());
                    assertNull(m.pollLastEntry());
                    assertFalse(m.entrySet().iterator().hasNext());
                    // Reinsert in descending order.
                    d.load(KeyOrder.DESCENDING.keys(n, d.rnd));
                    d.checkRoot();
                    m.clear();
                    r.clear();
                }
            }
        }
    }

    // ---------------------------------------------------------------- views and ranges

    private ConcurrentNavigableMap<Integer, Integer> filled(Comparator<? super Integer> cmp, int capacity,
                                                            TreeMap<Integer, Integer> ref, int from, int to) {
        ConcurrentNavigableMap<Integer, Integer> m = create(cmp, capacity);
        List<Integer> keys = new ArrayList<>();
        for (int k = from; k < to; k++) {
            keys.add(k);
        }
        Collections.shuffle(keys, new Random(keys.size()));
        for (int k : keys) {
            m.put(k, k * 10);
            ref.put(k, k * 10);
        }
        return m;
    }

    private static void assertOutOfRange(Runnable op) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, op::run);
        assertTrue(e.getMessage() != null && e.getMessage().contains("out of range")
                        || e.getMessage() != null && e.getMessage().contains("range"),
                "the message should name the range problem: " + e.getMessage());
    }

    /** Views reject keys and bounds outside their range exactly as ConcurrentSkipListMap's sub-maps. */
    @Test
    public void viewRangesAreCheckedLikeConcurrentSkipListMap() {
        for (int capacity : CAPACITIES) {
            TreeMap<Integer, Integer> ref = new TreeMap<>();
            ConcurrentNavigableMap<Integer, Integer> m = filled(null, capacity, ref, 0, 100);
            ConcurrentNavigableMap<Integer, Integer> v = m.subMap(10, true, 20, false);
            BiFunction<Integer, Integer, Integer> one = (k, x) -> 1;
            for (ConcurrentNavigableMap<Integer, Integer> view : List.of(v, v.descendingMap())) {
                assertOutOfRange(() -> view.put(20, 1));
                assertOutOfRange(() -> view.put(9, 1));
                assertOutOfRange(() -> view.putIfAbsent(25, 1));
                assertOutOfRange(() -> view.replace(5, 1));
                assertOutOfRange(() -> view.replace(5, 50, 1));
                assertOutOfRange(() -> view.compute(25, one));
                assertOutOfRange(() -> view.merge(25, 1, (a, b) -> a));
                assertOutOfRange(() -> view.computeIfAbsent(25, k -> 1));
                assertNull(view.get(25));
                assertFalse(view.containsKey(25));
                assertNull(view.remove(25));
                assertFalse(view.remove(25, 250));
                assertNull(view.computeIfPresent(25, one));
                assertNull(view.compute(25, (k, x) -> null));
                assertFalse(view.keySet().contains(20));
                assertFalse(view.keySet().remove(20));
                assertOutOfRange(() -> view.subMap(5, 15));
                assertOutOfRange(() -> view.keySet().subSet(5, true, 15, true));
                assertOutOfRange(() -> view.headMap(21));
                assertOutOfRange(() -> view.tailMap(9));
            }
            assertThrows(IllegalArgumentException.class, () -> m.subMap(20, 10));
            assertThrows(IllegalArgumentException.class, () -> v.subMap(15, 12));
            assertThrows(IllegalArgumentException.class, () -> m.keySet().subSet(20, 10));
            ConcurrentNavigableMap<Integer, Integer> open = m.subMap(10, false, 20, false);
            assertOutOfRange(() -> open.tailMap(10, true));
            assertEquals(9, open.tailMap(10, false).size());
            assertOutOfRange(() -> open.headMap(20, true));
            assertEquals(9, open.headMap(20, false).size());
            assertOutOfRange(() -> open.subMap(10, true, 15, true));
            ConcurrentNavigableMap<Integer, Integer> desc = v.descendingMap();
            assertEquals(List.of(19, 18, 17, 16), new ArrayList<>(desc.headMap(15).keySet()));
            assertEquals(List.of(19, 18, 17, 16, 15, 14, 13), new ArrayList<>(desc.subMap(19, 12).keySet()));
            assertThrows(IllegalArgumentException.class, () -> desc.subMap(12, 19));
            assertOutOfRange(() -> desc.tailMap(25));
            assertEquals(ref, m, "rejected operations changed the map");
            // Writes inside the range go through to the map.
            v.put(15, 7);
            desc.remove(16);
            v.descendingMap().tailMap(12).put(11, 8);
            ref.put(15, 7);
            ref.remove(16);
            ref.put(11, 8);
            assertEquals(ref, m);
            assertEquals(ref.subMap(10, 20), v);
        }
    }

    /** Empty maps and empty views answer as TreeMap does. */
    @Test
    public void emptyMapsAndViews() {
        for (Comparator<? super Integer> cmp : COMPARATORS) {
            for (int capacity : CAPACITIES) {
                ConcurrentNavigableMap<Integer, Integer> m = create(cmp, capacity);
                TreeMap<Integer, Integer> r = new TreeMap<>(cmp);
                List<ConcurrentNavigableMap<Integer, Integer>> views = List.of(m, m.descendingMap(),
                        m.subMap(5, 5), m.subMap(5, true, 5, true), m.headMap(3), m.tailMap(3, false).descendingMap());
                for (ConcurrentNavigableMap<Integer, Integer> v : views) {
                    assertThrows(NoSuchElementException.class, v::firstKey);
                    assertThrows(NoSuchElementException.class, v::lastKey);
                    assertThrows(NoSuchElementException.class, () -> v.keySet().first());
                    assertThrows(NoSuchElementException.class, () -> v.keySet().iterator().next());
                    assertNull(v.firstEntry());
                    assertNull(v.lastEntry());
                    assertNull(v.pollFirstEntry());
                    assertNull(v.pollLastEntry());
                    assertNull(v.keySet().pollFirst());
                    assertNull(v.ceilingKey(4));
                    assertNull(v.floorEntry(4));
                    assertEquals(0, v.size());
                    assertTrue(v.isEmpty());
                    assertEquals("{}", v.toString());
                    assertEquals(r, v);
                    assertEquals(0, v.hashCode());
                    assertFalse(v.entrySet().iterator().hasNext());
                }
                m.put(5, 1);
                assertTrue(m.subMap(5, 5).isEmpty());
                assertEquals(1, m.subMap(5, true, 5, true).size());
                assertTrue(m.subMap(5, false, 5, true).isEmpty());
            }
        }
    }

    /** comparator() of the map and of its descending views: same order, reversed, reversed back. */
    @Test
    public void viewComparatorsFollowTheirOrder() {
        for (Comparator<? super Integer> cmp : COMPARATORS) {
            ConcurrentNavigableMap<Integer, Integer> m = create(cmp, 0);
            assertEquals(cmp, m.comparator(), "comparator() must return the map's comparator");
            Comparator<Integer> base = Differential.order(m.comparator());
            Comparator<Integer> desc = Differential.order(m.descendingMap().comparator());
            Comparator<Integer> back = Differential.order(m.descendingMap().descendingMap().comparator());
            Comparator<Integer> keys = Differential.order(m.descendingKeySet().comparator());
            Comparator<Integer> sub = Differential.order(m.headMap(5).descendingMap().comparator());
            for (int[] ab : new int[][] {{1, 2}, {2, 1}, {3, 3}, {-5, 7}}) {
                int s = Integer.signum(base.compare(ab[0], ab[1]));
                assertEquals(-s, Integer.signum(desc.compare(ab[0], ab[1])), cmpName(cmp));
                assertEquals(s, Integer.signum(back.compare(ab[0], ab[1])), cmpName(cmp));
                assertEquals(-s, Integer.signum(keys.compare(ab[0], ab[1])), cmpName(cmp));
                assertEquals(-s, Integer.signum(sub.compare(ab[0], ab[1])), cmpName(cmp));
            }
        }
    }

    /** clear() of the map empties it; clear() of a view removes exactly the view's range. */
    @Test
    public void clearOfMapAndViews() {
        for (Comparator<? super Integer> cmp : COMPARATORS) {
            for (int capacity : CAPACITIES) {
                TreeMap<Integer, Integer> ref = new TreeMap<>(cmp);
                ConcurrentNavigableMap<Integer, Integer> m = filled(cmp, capacity, ref, 0, 300 * SCALE);
                boolean up = Differential.order(cmp).compare(50, 120) < 0;
                m.subMap(up ? 50 : 120, up ? 120 : 50).clear();
                ref.subMap(up ? 50 : 120, up ? 120 : 50).clear();
                assertEquals(ref, m);
                m.descendingMap().headMap(200, true).clear();
                ref.descendingMap().headMap(200, true).clear();
                assertEquals(ref, m);
                boolean natural = Differential.order(cmp).compare(20, 250) < 0;
                int a = natural ? 20 : 250;
                int b = natural ? 250 : 20;
                m.tailMap(a, false).descendingMap().tailMap(b, false).clear();
                ref.tailMap(a, false).descendingMap().tailMap(b, false).clear();
                assertEquals(ref, m);
                m.keySet().headSet(30).clear();
                ref.navigableKeySet().headSet(30).clear();
                assertEquals(ref, m);
                checkInvariants(m);
                m.clear();
                assertTrue(m.isEmpty());
                assertEquals(0, m.size());
                m.put(1, 1);
                assertEquals(Map.of(1, 1), m);
            }
        }
    }

    // ---------------------------------------------------------------- iterators and entries

    /** Iterator protocol: remove() rules, NoSuchElementException at the end, live changes, no CME. */
    @Test
    public void iteratorProtocol() {
        for (int capacity : CAPACITIES) {
            TreeMap<Integer, Integer> ref = new TreeMap<>();
            ConcurrentNavigableMap<Integer, Integer> m = filled(null, capacity, ref, 0, 200);
            List<Iterator<?>> its = List.of(m.keySet().iterator(), m.values().iterator(), m.entrySet().iterator(),
                    m.descendingMap().entrySet().iterator(), m.subMap(20, 80).keySet().iterator(),
                    m.headMap(150).descendingKeySet().iterator());
            for (Iterator<?> it : its) {
                assertThrows(IllegalStateException.class, it::remove);
                it.next();
                it.remove();
                assertThrows(IllegalStateException.class, it::remove);
                while (it.hasNext()) {
                    it.next();
                }
                assertFalse(it.hasNext());
                assertThrows(NoSuchElementException.class, it::next);
                assertFalse(it.hasNext());
            }
            // Removed: 0 (keys, then 1 values, 2 entries), 199 (descending), 20 (sub), 149 (head, descending).
            for (int k : new int[] {0, 1, 2, 199, 20, 149}) {
                assertFalse(m.containsKey(k), "iterator.remove() did not remove " + k);
                ref.remove(k);
            }
            assertEquals(ref, m);
            // Modifying the map while iterating: never a CME, strictly ascending, keys present
            // throughout all seen.
            int previous = Integer.MIN_VALUE;
            List<Integer> seen = new ArrayList<>();
            for (Iterator<Integer> it = m.keySet().iterator(); it.hasNext(); ) {
                int k = it.next();
                assertTrue(k > previous, "iterator went backwards or repeated: " + previous + " then " + k);
                previous = k;
                seen.add(k);
                if (k % 10 == 3 && k < 200) {
                    m.remove(k + 1);
                    m.put(k + 1000, 1);
                    m.remove(k - 2);
                    m.put(-k - 1, 1);
                }
            }
            for (int k = 0; k < 200; k++) {
                if (ref.containsKey(k) && k % 10 != 4 && k % 10 != 1) {
                    assertTrue(seen.contains(k), "key " + k + " present throughout was not returned");
                }
            }
        }
    }

    /**
     * {@link BatchScannable#openCursor} returns exactly the range TreeMap holds, in order, in
     * batches of at most {@code maxBatch} entries, for random bounds (open, closed, absent, crossed),
     * both directions, batch limits from 1 to more than a leaf, every key order and capacity, with
     * and without {@link BatchCursor#prefetchValues()} hints.
     */
    @Test
    public void batchCursorsMatchTreeMap() {
        assumeTrue(create(null, 0) instanceof BatchScannable, "the index has no batch cursor");
        long seed = BASE_SEED + 5000;
        int n = 150 * SCALE;
        int[] maxBatches = {1, 2, 7, 16, 64, 300};
        for (Comparator<? super Integer> cmp : COMPARATORS) {
            for (int capacity : CAPACITIES) {
                for (KeyOrder order : KeyOrder.values()) {
                    Random rnd = new Random(seed++);
                    TreeMap<Integer, Integer> ref = new TreeMap<>(cmp);
                    ConcurrentNavigableMap<Integer, Integer> m = create(cmp, capacity);
                    for (int k : order.keys(n, rnd)) {
                        m.put(k, -k);
                        ref.put(k, -k);
                    }
                    @SuppressWarnings("unchecked")
                    BatchScannable<Integer, Integer> scannable = (BatchScannable<Integer, Integer>) m;
                    for (int round = 0; round < 25; round++) {
                        Integer lo = rnd.nextInt(6) == 0 ? null : rnd.nextInt(3 * n + 6) - 3;
                        Integer hi = rnd.nextInt(6) == 0 ? null : rnd.nextInt(3 * n + 6) - 3;
                        boolean loIncl = rnd.nextBoolean();
                        boolean hiIncl = rnd.nextBoolean();
                        boolean desc = rnd.nextBoolean();
                        int maxBatch = maxBatches[rnd.nextInt(maxBatches.length)];
                        String what = "seed=" + (seed - 1) + ", order=" + order + ", capacity=" + capacity
                                + ", comparator=" + cmpName(cmp) + ", range=" + (loIncl ? "[" : "(") + lo + ", "
                                + hi + (hiIncl ? "]" : ")") + ", descending=" + desc + ", maxBatch=" + maxBatch;
                        NavigableMap<Integer, Integer> expected = range(ref, lo, loIncl, hi, hiIncl);
                        if (desc) {
                            expected = expected.descendingMap();
                        }
                        List<Map.Entry<Integer, Integer>> got = new ArrayList<>();
                        BatchCursor<Integer, Integer> c = scannable.openCursor(lo, loIncl, hi, hiIncl, desc, maxBatch);
                        // prefetchValues() is a hint: before the first batch, on some batches
                        // and after the end, it must change nothing the cursor returns.
                        boolean prefetch = rnd.nextBoolean();
                        if (prefetch) {
                            c.prefetchValues();
                        }
                        for (int b; (b = c.advance()) > 0; ) {
                            assertTrue(b <= maxBatch, what + ": batch of " + b);
                            if (prefetch && rnd.nextInt(4) != 0) {
                                c.prefetchValues();
                            }
                            for (int i = 0; i < b; i++) {
                                Map.Entry<Integer, Integer> e = c.entry(i);
                                assertEquals(c.key(i), e.getKey(), what);
                                assertEquals(c.value(i), e.getValue(), what);
                                assertThrows(UnsupportedOperationException.class, () -> e.setValue(0), what);
                                got.add(e);
                            }
                        }
                        assertEquals(0, c.advance(), what + ": advance after the end");
                        if (prefetch) {
                            c.prefetchValues();
                        }
                        assertEquals(new ArrayList<>(expected.entrySet()), got, what);
                    }
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> scannable.openCursor(null, false, null, false, false, 0));
                    assertTrue(e.getMessage().contains("maxBatch"), e.getMessage());
                }
            }
        }
    }

    /**
     * The entries of {@code ref} in a range with optional ({@code null}) bounds, as a batch scan
     * of that range must return them; empty when the bounds cross.
     *
     * @param ref the reference map
     * @param lo the lower bound, or {@code null}
     * @param loIncl whether {@code lo} is in the range
     * @param hi the upper bound, or {@code null}
     * @param hiIncl whether {@code hi} is in the range
     * @param <K> the key type
     * @param <V> the value type
     * @return a view of {@code ref}, or an empty map
     */
    public static <K, V> NavigableMap<K, V> range(TreeMap<K, V> ref, K lo, boolean loIncl, K hi, boolean hiIncl) {
        if (lo != null && hi != null) {
            @SuppressWarnings("unchecked")
            int c = ref.comparator() == null ? ((Comparable<? super K>) lo).compareTo(hi) : ref.comparator().compare(lo, hi);
            if (c > 0 || (c == 0 && !(loIncl && hiIncl))) {
                return new TreeMap<>(ref.comparator());
            }
            return ref.subMap(lo, loIncl, hi, hiIncl);
        }
        if (lo != null) {
            return ref.tailMap(lo, loIncl);
        }
        return hi != null ? ref.headMap(hi, hiIncl) : ref;
    }

    /** Entries from every source are immutable snapshots. */
    @Test
    public void entriesAreImmutableSnapshots() {
        for (int capacity : CAPACITIES) {
            ConcurrentNavigableMap<Integer, Integer> m = filled(null, capacity, new TreeMap<>(), 0, 50);
            List<Map.Entry<Integer, Integer>> entries = new ArrayList<>(List.of(m.firstEntry(), m.lastEntry(),
                    m.ceilingEntry(10), m.floorEntry(10), m.higherEntry(10), m.lowerEntry(10),
                    m.entrySet().iterator().next(), m.descendingMap().entrySet().iterator().next(),
                    m.subMap(20, 30).firstEntry(), m.subMap(20, 30).entrySet().iterator().next(),
                    m.descendingMap().ceilingEntry(33)));
            entries.add(m.pollFirstEntry());
            entries.add(m.descendingMap().pollFirstEntry());
            for (Map.Entry<Integer, Integer> e : entries) {
                assertThrows(UnsupportedOperationException.class, () -> e.setValue(-1), "setValue on " + e);
            }
            Map.Entry<Integer, Integer> e = m.ceilingEntry(10);
            Map.Entry<Integer, Integer> it = m.tailMap(10).entrySet().iterator().next();
            m.put(10, -7);
            assertEquals(100, e.getValue(), "a navigation entry must be a snapshot");
            assertEquals(100, it.getValue(), "an iterator entry must be a snapshot");
            assertEquals(-7, m.get(10));
        }
    }

    // ---------------------------------------------------------------- bad input

    private static void assertNpe(String what, Runnable op) {
        assertThrows(NullPointerException.class, op::run, what + " must throw NullPointerException");
    }

    /** Null keys, values, bounds and functions are rejected everywhere, and change nothing. */
    @Test
    public void nullsAreRejected() {
        for (Comparator<? super Integer> cmp : COMPARATORS) {
            TreeMap<Integer, Integer> ref = new TreeMap<>(cmp);
            ConcurrentNavigableMap<Integer, Integer> m = filled(cmp, 4, ref, 0, 100);
            List<ConcurrentNavigableMap<Integer, Integer>> views = List.of(m, m.descendingMap(),
                    m.subMap(Differential.order(cmp).compare(0, 99) < 0 ? 0 : 99,
                            Differential.order(cmp).compare(0, 99) < 0 ? 99 : 0),
                    m.descendingMap().tailMap(Differential.order(cmp).compare(0, 99) < 0 ? 60 : 10));
            BiFunction<Integer, Integer, Integer> f = (a, b) -> 1;
            for (ConcurrentNavigableMap<Integer, Integer> v : views) {
                Integer k = 30; // in every view's range
                assertNpe("get(null)", () -> v.get(null));
                assertNpe("containsKey(null)", () -> v.containsKey(null));
                assertNpe("containsValue(null)", () -> v.containsValue(null));
                assertNpe("getOrDefault(null)", () -> v.getOrDefault(null, 1));
                assertNpe("put(null, v)", () -> v.put(null, 1));
                assertNpe("put(k, null)", () -> v.put(k, null));
                assertNpe("putIfAbsent(null, v)", () -> v.putIfAbsent(null, 1));
                assertNpe("putIfAbsent(k, null)", () -> v.putIfAbsent(k, null));
                assertNpe("remove(null)", () -> v.remove(null));
                assertNpe("remove(null, v)", () -> v.remove(null, 1));
                assertNpe("replace(null, v)", () -> v.replace(null, 1));
                assertNpe("replace(k, null)", () -> v.replace(k, null));
                assertNpe("replace(null, a, b)", () -> v.replace(null, 1, 2));
                assertNpe("replace(k, null, b)", () -> v.replace(k, null, 2));
                assertNpe("replace(k, a, null)", () -> v.replace(k, 300, null));
                assertNpe("computeIfAbsent(null, f)", () -> v.computeIfAbsent(null, x -> 1));
                assertNpe("computeIfAbsent(k, null)", () -> v.computeIfAbsent(k, null));
                assertNpe("computeIfPresent(null, f)", () -> v.computeIfPresent(null, f));
                assertNpe("computeIfPresent(k, null)", () -> v.computeIfPresent(k, null));
                assertNpe("compute(null, f)", () -> v.compute(null, f));
                assertNpe("compute(k, null)", () -> v.compute(k, null));
                assertNpe("merge(null, v, f)", () -> v.merge(null, 1, (a, b) -> a));
                assertNpe("merge(k, null, f)", () -> v.merge(k, null, (a, b) -> a));
                assertNpe("merge(k, v, null)", () -> v.merge(k, 1, null));
                assertNpe("ceilingKey(null)", () -> v.ceilingKey(null));
                assertNpe("floorKey(null)", () -> v.floorKey(null));
                assertNpe("higherKey(null)", () -> v.higherKey(null));
                assertNpe("lowerKey(null)", () -> v.lowerKey(null));
                assertNpe("ceilingEntry(null)", () -> v.ceilingEntry(null));
                assertNpe("floorEntry(null)", () -> v.floorEntry(null));
                assertNpe("higherEntry(null)", () -> v.higherEntry(null));
                assertNpe("lowerEntry(null)", () -> v.lowerEntry(null));
                assertNpe("subMap(null, k)", () -> v.subMap(null, k));
                assertNpe("subMap(k, null)", () -> v.subMap(k, null));
                assertNpe("subMap(null, true, k, true)", () -> v.subMap(null, true, k, true));
                assertNpe("headMap(null)", () -> v.headMap(null));
                assertNpe("headMap(null, true)", () -> v.headMap(null, true));
                assertNpe("tailMap(null)", () -> v.tailMap(null));
                assertNpe("tailMap(null, false)", () -> v.tailMap(null, false));
                NavigableSet<Integer> ks = v.navigableKeySet();
                assertNpe("keySet().contains(null)", () -> ks.contains(null));
                assertNpe("keySet().remove(null)", () -> ks.remove(null));
                assertNpe("keySet().ceiling(null)", () -> ks.ceiling(null));
                assertNpe("keySet().lower(null)", () -> ks.lower(null));
                assertNpe("keySet().subSet(null, k)", () -> ks.subSet(null, k));
                assertNpe("keySet().headSet(null)", () -> ks.headSet(null));
                assertNpe("keySet().tailSet(null)", () -> ks.tailSet(null));
                assertNpe("values().contains(null)", () -> v.values().contains(null));
            }
            assertEquals(ref, m, "rejected null arguments changed the map");
        }
    }

    /** A key of the wrong type throws ClassCastException and changes nothing. */
    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    public void incomparableKeysAreRejected() {
        for (Comparator<? super Integer> cmp : COMPARATORS) {
            for (int capacity : CAPACITIES) {
                TreeMap<Integer, Integer> ref = new TreeMap<>(cmp);
                ConcurrentNavigableMap<Integer, Integer> m = filled(cmp, capacity, ref, 0, 60);
                for (ConcurrentNavigableMap raw : new ConcurrentNavigableMap[] {m, m.descendingMap(),
                        m.subMap(Differential.order(cmp).compare(0, 59) < 0 ? 0 : 59,
                                Differential.order(cmp).compare(0, 59) < 0 ? 59 : 0)}) {
                    Object s = "not an integer";
                    assertThrows(ClassCastException.class, () -> raw.put(s, 1), "put");
                    assertThrows(ClassCastException.class, () -> raw.putIfAbsent(s, 1), "putIfAbsent");
                    assertThrows(ClassCastException.class, () -> raw.get(s), "get");
                    assertThrows(ClassCastException.class, () -> raw.containsKey(s), "containsKey");
                    assertThrows(ClassCastException.class, () -> raw.remove(s), "remove");
                    assertThrows(ClassCastException.class, () -> raw.remove(s, 1), "remove(k, v)");
                    assertThrows(ClassCastException.class, () -> raw.replace(s, 1), "replace");
                    assertThrows(ClassCastException.class, () -> raw.replace(s, 1, 2), "replace(k, a, b)");
                    assertThrows(ClassCastException.class, () -> raw.computeIfAbsent(s, x -> 1), "computeIfAbsent");
                    assertThrows(ClassCastException.class, () -> raw.compute(s, (a, b) -> 1), "compute");
                    assertThrows(ClassCastException.class, () -> raw.merge(s, 1, (a, b) -> a), "merge");
                    assertThrows(ClassCastException.class, () -> raw.ceilingKey(s), "ceilingKey");
                    assertThrows(ClassCastException.class, () -> raw.floorEntry(s), "floorEntry");
                    assertThrows(ClassCastException.class, () -> raw.higherKey(s), "higherKey");
                    assertThrows(ClassCastException.class, () -> raw.lowerEntry(s), "lowerEntry");
                    assertThrows(ClassCastException.class, () -> raw.subMap(s, 30), "subMap");
                    assertThrows(ClassCastException.class, () -> raw.keySet().contains(s), "keySet().contains");
                }
                assertEquals(ref, m, "rejected incomparable keys changed the map");
                checkInvariants(m);
            }
        }
    }

    /** Thrown by {@link PoisonComparator} on its poisoned key. */
    static final class PoisonException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PoisonException(Object key) {
            super("comparator refuses key " + key);
        }
    }

    /** A comparator (natural or reversed order) that throws whenever it meets an armed key. */
    static final class PoisonComparator implements Comparator<Integer>, Serializable {
        private static final long serialVersionUID = 1L;
        private final boolean reversed;
        volatile Integer poison;

        PoisonComparator(boolean reversed) {
            this.reversed = reversed;
        }

        @Override
        public int compare(Integer a, Integer b) {
            Integer p = poison;
            if (p != null && (p.equals(a) || p.equals(b))) {
                throw new PoisonException(p);
            }
            return reversed ? Integer.compare(b, a) : Integer.compare(a, b);
        }
    }

    /** Runs checks on another thread, failing if they block: a latch left held would hang them. */
    private static void onAnotherThread(Runnable checks) {
        assertTimeoutPreemptively(Duration.ofSeconds(30), checks::run,
                "operations after an exception did not complete: a latch may have been left held");
    }

    /** A comparator that throws leaves the map unchanged and every latch released. */
    @Test
    public void throwingComparatorLeavesMapUnchanged() {
        for (boolean reversed : new boolean[] {false, true}) {
            for (int capacity : CAPACITIES) {
                PoisonComparator pc = new PoisonComparator(reversed);
                TreeMap<Integer, Integer> ref = new TreeMap<>(Differential.order(reversed ? ReversedIntComparator.INSTANCE : null));
                ConcurrentNavigableMap<Integer, Integer> m = create(pc, capacity);
                for (int k : KeyOrder.RANDOM.keys(150, new Random(capacity))) {
                    m.put(k, k);
                    ref.put(k, k);
                }
                int absent = 151; // 3 * i keys: 151 is absent, 150 is present
                int present = 150;
                for (int poisoned : new int[] {absent, present}) {
                    pc.poison = poisoned;
                    int k = poisoned;
                    List<Runnable> ops = List.of(() -> m.get(k), () -> m.containsKey(k), () -> m.put(k, 1),
                            () -> m.putIfAbsent(k, 1), () -> m.remove(k), () -> m.remove(k, 150),
                            () -> m.replace(k, 1), () -> m.replace(k, 150, 1), () -> m.computeIfAbsent(k, x -> 1),
                            () -> m.computeIfPresent(k, (a, b) -> null), () -> m.compute(k, (a, b) -> 1),
                            () -> m.merge(k, 1, (a, b) -> null), () -> m.ceilingKey(k), () -> m.floorEntry(k),
                            () -> m.higherKey(k), () -> m.lowerEntry(k), () -> m.descendingMap().ceilingKey(k),
                            () -> m.subMap(reversed ? 400 : 0, true, reversed ? 0 : 400, true).get(k), () -> m.tailMap(k).put(k, 1),
                            () -> m.keySet().remove(k));
                    for (int i = 0; i < ops.size(); i++) {
                        int fi = i;
                        assertThrows(PoisonException.class, () -> ops.get(fi).run(),
                                "operation #" + i + " on poisoned key " + k + " did not let the comparator's exception through");
                    }
                    pc.poison = null;
                    assertEquals(ref, m, "a comparator exception left the map changed");
                    checkInvariants(m);
                    onAnotherThread(() -> {
                        assertEquals(ref.get(k), m.get(k));
                        assertEquals(ref.put(k, 7), m.put(k, 7));
                        assertEquals(ref.remove(k - 1), m.remove(k - 1));
                        assertEquals(ref.put(k + 1, 8), m.put(k + 1, 8));
                        assertEquals(ref.pollFirstEntry(), m.pollFirstEntry());
                        assertEquals(ref.ceilingKey(k - 5), m.ceilingKey(k - 5));
                        assertEquals(ref, m);
                    });
                }
            }
        }
    }

    /** A remapping function that throws leaves the map unchanged and every latch released. */
    @Test
    public void throwingFunctionLeavesMapUnchanged() {
        for (Comparator<? super Integer> cmp : COMPARATORS) {
            for (int capacity : CAPACITIES) {
                TreeMap<Integer, Integer> ref = new TreeMap<>(cmp);
                ConcurrentNavigableMap<Integer, Integer> m = filled(cmp, capacity, ref, 0, 100);
                RuntimeException boom = new IllegalStateException("boom from a remapping function");
                BiFunction<Integer, Integer, Integer> thrower = (a, b) -> {
                    throw boom;
                };
                for (ConcurrentNavigableMap<Integer, Integer> v : List.of(m, m.descendingMap(), m.subMap(
                        Differential.order(cmp).compare(0, 99) < 0 ? 0 : 99,
                        Differential.order(cmp).compare(0, 99) < 0 ? 99 : 0))) {
                    for (int k : new int[] {50, 98, 1}) {
                        v.remove(k);
                        ref.remove(k);
                        // k is absent now; 51 is present.
                        assertSame(boom, assertThrows(RuntimeException.class, () -> v.computeIfAbsent(k, x -> {
                            throw boom;
                        })));
                        assertSame(boom, assertThrows(RuntimeException.class, () -> v.compute(k, thrower)));
                        assertSame(boom, assertThrows(RuntimeException.class, () -> v.compute(51, thrower)));
                        assertSame(boom, assertThrows(RuntimeException.class, () -> v.computeIfPresent(51, thrower)));
                        assertSame(boom, assertThrows(RuntimeException.class, () -> v.merge(51, 3, thrower)));
                        assertEquals(ref, m, "a throwing function left the map changed");
                        onAnotherThread(() -> {
                            assertEquals(ref.compute(k, (a, b) -> 5), v.compute(k, (a, b) -> 5));
                            assertEquals(ref.merge(51, 2, Integer::sum), v.merge(51, 2, Integer::sum));
                            assertEquals(ref.computeIfPresent(k, (a, b) -> null), v.computeIfPresent(k, (a, b) -> null));
                            assertEquals(ref, m);
                        });
                    }
                }
                checkInvariants(m);
            }
        }
    }

    // ---------------------------------------------------------------- serialization

    /** A serializable map round-trips with its comparator and contents. */
    @Test
    public void serializationRoundTrip() throws IOException, ClassNotFoundException {
        assumeTrue(create(null, 0) instanceof Serializable, "the index is not Serializable");
        for (Comparator<? super Integer> cmp : COMPARATORS) {
            for (int capacity : CAPACITIES) {
                TreeMap<Integer, Integer> ref = new TreeMap<>(cmp);
                ConcurrentNavigableMap<Integer, Integer> m = filled(cmp, capacity, ref, -50, 200 * SCALE);
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                    out.writeObject(m);
                }
                Object back;
                try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                    back = in.readObject();
                }
                @SuppressWarnings("unchecked")
                ConcurrentNavigableMap<Integer, Integer> copy = (ConcurrentNavigableMap<Integer, Integer>) back;
                assertEquals(m.getClass(), copy.getClass());
                assertEquals(cmp, copy.comparator(), "the comparator did not survive serialization");
                assertEquals(ref, copy);
                assertEquals(new ArrayList<>(ref.keySet()), new ArrayList<>(copy.keySet()), "order changed");
                checkInvariants(copy);
                copy.put(1000, 1);
                copy.remove(0);
                assertEquals(ref, m, "the copy shares state with the original");
                ref.put(1000, 1);
                ref.remove(0);
                assertEquals(ref, copy);
                checkInvariants(copy);
            }
        }
    }
}
