package io.arboretum.bwtree;

import io.arboretum.map.ChangeFeedChecks;
import io.arboretum.map.ChangeFeedChecks.Change;
import io.arboretum.map.KeyOrders;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.arboretum.map.ChangeFeed;
import io.arboretum.map.ChangeListener;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The change feed of {@link BwTreeMap}: every write path publishes exactly the change it
 * committed (key, the value just below its delta, the new value) once; writes that change nothing
 * publish nothing; consolidations, splits and merges publish nothing; under concurrent writers on
 * few keys, with pages of 4 entries and a consolidation threshold of 2, so that consolidations,
 * splits and merges race the writers' publications, the publications sorted by sequence form per
 * key an unbroken old-to-new chain ending at the key's final value; a scan started after a
 * subscription, together with the events, converges to the final map; a throwing listener is
 * detached. Keys as longs and as strings in reverse order; random, descending and adversarial
 * (alternating extremes) key orders.
 */
class BwTreeChangeFeedHookTest {
    private static final int SCALE = Math.max(1, Integer.getInteger("arboretum.test.scale", 1));

    /** A key type: how to make a map, the keys' order, and a universe of keys. */
    record Kind<K>(String name, Supplier<BwTreeMap<K, Long>> maps, Comparator<? super K> order, List<K> keys) {
        TreeMap<K, Long> copy(Map<K, Long> m) {
            TreeMap<K, Long> t = new TreeMap<>(order);
            t.putAll(m);
            return t;
        }
    }

    private static List<Kind<?>> kinds(int n, long seed, int threshold) {
        Random rnd = new Random(seed);
        Set<Long> longs = new LinkedHashSet<>();
        while (longs.size() < n) {
            longs.add((long) rnd.nextInt(2_000_000) - 1_000_000);
        }
        Set<String> strings = new LinkedHashSet<>();
        while (strings.size() < n) {
            strings.add("tenant:" + rnd.nextInt(4) + "/entity:" + rnd.nextInt(100_000));
        }
        return List.of(
                new Kind<Long>("longs, capacity 4, threshold " + threshold,
                        () -> BwTreeMap.<Long, Long>builder().nodeCapacity(4).consolidateThreshold(threshold).build(),
                        Comparator.naturalOrder(), new ArrayList<>(longs)),
                new Kind<String>("strings in reverse order, capacity 4, threshold " + threshold,
                        () -> BwTreeMap.<String, Long>builder().nodeCapacity(4).consolidateThreshold(threshold)
                                .comparator(Comparator.reverseOrder()).build(),
                        Comparator.reverseOrder(), new ArrayList<>(strings)));
    }

    /** The keys in random, descending and adversarial (alternating extremes) orders. */
    private static <K> List<List<K>> orders(Kind<K> kind, long seed) {
        // The random order shuffles the keys as generated (not sorted first, as KeyOrders does).
        List<K> random = new ArrayList<>(kind.keys());
        Collections.shuffle(random, new Random(seed));
        return List.of(random, KeyOrders.ordered(kind.keys(), kind.order(), KeyOrders.DESCENDING, null),
                KeyOrders.ordered(kind.keys(), kind.order(), KeyOrders.ZIGZAG, null));
    }

    private static <K> ChangeFeed.Subscription record(BwTreeMap<K, Long> map, List<Change> into) {
        return map.subscribe((s, k, o, n) -> into.add(new Change(s, k, o, n)));
    }

    /** Runs op and checks it published exactly (key, old, now), or nothing if old equals now. */
    private static <K> void exactly(List<Change> got, Runnable op, K key, Long old, Long now, String what) {
        got.clear();
        if (Objects.equals(old, now)) {
            op.run();
            assertTrue(got.isEmpty(), () -> what + ": published " + got + " although nothing changed");
        } else {
            ChangeFeedChecks.exactlyOne(got, op, key, old, now, what);
        }
    }

    // ------------------------------------------------------------------ each write path

    @Test
    void everyWritePathPublishesExactlyTheChangeItMade() {
        for (Kind<?> kind : kinds(40, 1, 2)) {
            everyWritePath(kind);
        }
    }

    private <K> void everyWritePath(Kind<K> kind) {
        for (List<K> order : orders(kind, 3)) {
            BwTreeMap<K, Long> map = kind.maps().get();
            List<Change> got = new ArrayList<>();
            ChangeFeed.Subscription sub = record(map, got);
            TreeMap<K, Long> model = new TreeMap<>(kind.order());
            long v = 0;
            for (K k : order) {
                long a = ++v;
                exactly(got, () -> assertNull(map.put(k, a)), k, null, a, kind.name() + " put new");
                model.put(k, a);
            }
            for (K k : order) {
                Long was = model.get(k);
                long a = ++v;
                exactly(got, () -> assertEquals(was, map.put(k, a)), k, was, a, "put replacing");
                exactly(got, () -> assertEquals(a, map.putIfAbsent(k, 0L)), k, a, a, "putIfAbsent present");
                long b = ++v;
                exactly(got, () -> assertEquals(a, map.replace(k, b)), k, a, b, "replace present");
                exactly(got, () -> assertFalse(map.replace(k, a, 0L)), k, b, b, "replace(k, wrong, new)");
                long c = ++v;
                exactly(got, () -> assertTrue(map.replace(k, b, c)), k, b, c, "replace(k, old, new)");
                exactly(got, () -> assertFalse(map.remove(k, b)), k, c, c, "remove(k, wrong)");
                long d = c + 1;
                exactly(got, () -> map.merge(k, 1L, Long::sum), k, c, d, "merge");
                model.put(k, d);
                v = d;
            }
            int i = 0;
            for (K k : order) {
                Long was = model.remove(k);
                switch (i++ % 3) {
                    case 0 -> exactly(got, () -> assertEquals(was, map.remove(k)), k, was, null, "remove");
                    case 1 -> exactly(got, () -> assertTrue(map.remove(k, was)), k, was, null, "remove(k, v)");
                    default -> exactly(got, () -> map.compute(k, (kk, o) -> null), k, was, null, "compute to null");
                }
                exactly(got, () -> assertNull(map.remove(k)), k, null, null, "remove absent");
                exactly(got, () -> assertNull(map.replace(k, 1L)), k, null, null, "replace absent");
                exactly(got, () -> assertFalse(map.remove(k, was)), k, null, null, "remove(k, v) absent");
            }
            for (K k : order) {
                long a = ++v;
                exactly(got, () -> assertNull(map.putIfAbsent(k, a)), k, null, a, "putIfAbsent absent");
                model.put(k, a);
            }
            // Polls publish the entry they return; clear a removal per entry.
            for (int p = 0; p < 6; p++) {
                got.clear();
                Map.Entry<K, Long> e = p % 2 == 0 ? map.pollFirstEntry() : map.pollLastEntry();
                assertEquals(p % 2 == 0 ? model.pollFirstEntry() : model.pollLastEntry(), e, "poll");
                assertEquals(List.of(new Change(got.get(0).seq(), e.getKey(), e.getValue(), null)), got, "poll");
            }
            got.clear();
            map.clear();
            TreeMap<K, Long> removed = new TreeMap<>(kind.order());
            for (Change c : got) {
                assertNull(c.now(), "clear removes");
                @SuppressWarnings("unchecked") K ck = (K) c.key();
                assertNull(removed.put(ck, c.old()), "one removal per entry");
            }
            assertEquals(model, removed, kind.name() + ": clear published each entry with its value");
            got.clear();
            assertNull(map.pollFirstEntry());
            map.clear();
            assertTrue(got.isEmpty(), "polls and clear of an empty map publish nothing");
            sub.close();
            map.checkInvariants();
        }
    }

    // ------------------------------------------------------------------ structure changes

    @Test
    void consolidationsSplitsAndMergesPublishNothing() {
        for (Kind<?> kind : kinds(200, 5, 2)) {
            structureChanges(kind);
        }
    }

    /**
     * Hundreds of keys through pages of 4: many splits, consolidations and (removing all but a
     * few) merges; the feed holds exactly one event per write, so none of them published.
     */
    private <K> void structureChanges(Kind<K> kind) {
        for (List<K> order : orders(kind, 9)) {
            BwTreeMap<K, Long> map = kind.maps().get();
            List<Change> got = new ArrayList<>();
            ChangeFeed.Subscription sub = record(map, got);
            long consolidated = map.statistics().consolidations();
            long v = 0;
            List<Change> expected = new ArrayList<>();
            for (K k : order) {
                map.put(k, ++v);
                expected.add(new Change(0, k, null, v));
            }
            for (int i = 0; i < order.size() - 3; i++) {
                K k = order.get(i);
                Long was = map.remove(k);
                expected.add(new Change(0, k, was, null));
            }
            assertEquals(expected.size(), got.size(), kind.name() + ": one publication per write");
            for (int i = 0; i < got.size(); i++) {
                Change g = got.get(i);
                Change e = expected.get(i);
                assertEquals(new Change(0, e.key(), e.old(), e.now()), new Change(0, g.key(), g.old(), g.now()));
                assertEquals(i + 1, g.seq(), "sequence numbers in order");
            }
            assertTrue(map.statistics().consolidations() > consolidated, "pages were consolidated");
            sub.close();
            map.checkInvariants();
        }
    }

    // ------------------------------------------------------------------ concurrent writers

    @Test
    void concurrentWritersPublishEachKeysChangesInCommitOrder() throws InterruptedException {
        for (int threshold = 2; threshold <= 3; threshold++) {
            for (Kind<?> kind : kinds(24, 7 + threshold, threshold)) {
                concurrentWriters(kind);
            }
        }
    }

    /**
     * Few keys and pages of 4: writers collide on keys while consolidations, splits and merges
     * race their publications. The listener now and then dawdles (a short spin), widening the
     * window between a writer's CAS and the end of its publication, in which a writer of the same
     * page or a rebuild of it must wait.
     */
    @SuppressWarnings("unchecked")
    private <K> void concurrentWriters(Kind<K> kind) throws InterruptedException {
        BwTreeMap<K, Long> map = kind.maps().get();
        List<K> keys = kind.keys();
        ConcurrentLinkedQueue<Change> got = new ConcurrentLinkedQueue<>();
        ChangeFeed.Subscription sub = map.subscribe((s, k, o, n) -> {
            if ((s & 7) == 0) {
                for (int i = 0; i < 2_000; i++) {
                    Thread.onSpinWait();
                }
            }
            got.add(new Change(s, k, o, n));
        });
        int threads = 3;
        int each = 4_000 * SCALE;
        try {
            ChangeFeedChecks.runWriters(threads, each, ChangeFeedChecks.mixedWrites(map, keys, (k, r) ->
                    map.putIfAbsent(k, (long) r.nextInt(1000))), kind.name());
        } finally {
            sub.close();
        }
        // Sorting by sequence must give, per key, an unbroken chain old -> new, ending at the
        // key's final value: per-key publication order is commit order.
        int changed = ChangeFeedChecks.assertChainsEndAt(got, kind.order(), map, kind.name());
        assertTrue(changed > threads * each / 3, "most operations changed something");
        assertTrue(map.statistics().consolidations() > 0, "pages were consolidated meanwhile");
        map.checkInvariants();
    }

    // ------------------------------------------------------------------ the hand-off

    @Test
    void aScanAfterSubscribingReflectsEveryChangeTheListenerWasNotSent() throws InterruptedException {
        for (Kind<?> kind : kinds(60, 11, 2)) {
            handOff(kind);
        }
    }

    /**
     * Subscribe, then scan, while writers run: the scan with the subscription's events applied in
     * sequence order equals the final map. Scans alternate between the entry iterator and
     * {@code copyBatch} ascending and descending into a small array, continued after the last key
     * (it may return fewer entries than fit).
     */
    private <K> void handOff(Kind<K> kind) throws InterruptedException {
        BwTreeMap<K, Long> map = kind.maps().get();
        ChangeFeedChecks.assertHandOff(map, kind.order(), ChangeFeedChecks.clearRemovePollPut(map, kind.keys()),
                90 * SCALE, ChangeFeedChecks.iteratorOrBatches(map, 7), kind.name());
        map.checkInvariants();
    }

    // ------------------------------------------------------------------ a failing listener

    @Test
    void aThrowingListenerIsDetachedAndTheWriteCompletes() {
        BwTreeMap<Long, Long> map = BwTreeMap.<Long, Long>builder().nodeCapacity(4).consolidateThreshold(2).build();
        AtomicReference<Throwable> detached = new AtomicReference<>();
        List<Change> calls = new ArrayList<>();
        ChangeFeed.Subscription sub = map.subscribe(new ChangeListener<Long, Long>() {
            @Override
            public void onChange(long sequence, Long key, Long oldValue, Long newValue) {
                calls.add(new Change(sequence, key, oldValue, newValue));
                throw new IllegalStateException("listener failure");
            }

            @Override
            public void onDetached(Throwable cause) {
                detached.set(cause);
            }
        });
        List<Change> healthy = new ArrayList<>();
        ChangeFeed.Subscription other = record(map, healthy);
        assertNull(map.put(1L, 10L), "the write completes");
        assertEquals(1, calls.size());
        assertTrue(detached.get() instanceof IllegalStateException, "detached with its failure");
        // Later writes of the same page go on (they wait for the failed one's flag) and reach
        // the remaining listener only.
        for (long k = 2; k < 40; k++) {
            map.put(k, k);
        }
        assertEquals(1, calls.size(), "a detached listener is not called again");
        assertEquals(39, healthy.size(), "the other listener saw every write");
        assertEquals(39, map.size());
        sub.close();
        other.close();
        map.checkInvariants();
    }
}
