package io.arboretum.btree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.arboretum.map.ChangeFeed;
import io.arboretum.map.ChangeFeedChecks;
import io.arboretum.map.ChangeFeedChecks.Change;
import io.arboretum.map.ChangeListener;
import io.arboretum.map.ChangeObservable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 21, item 1: every write path of {@code ConcurrentBTreeMap} and of the off-heap map's view
 * publishes each committed change, with the old and new value, under its latch; replaying what a
 * listener received onto a copy of the map as it was at subscription rebuilds the map; per key the
 * sequence numbers and value chains follow commit order under concurrent writers.
 */
class ChangeFeedHookTest {
    private static final int SCALE = Math.max(1, Integer.getInteger("arboretum.test.scale", 1));

    private final List<OffHeapLongBTreeMap> offHeap = new ArrayList<>();

    @AfterEach
    void closeOffHeap() {
        for (OffHeapLongBTreeMap m : offHeap) {
            m.checkInvariants();
            m.close();
        }
    }

    /** Both kinds, with node capacity 4 so that writes split, merge and redistribute leaves. */
    private List<Supplier<ConcurrentNavigableMap<Long, Long>>> kinds() {
        return List.of(
                () -> ConcurrentBTreeMap.<Long, Long>builder().nodeCapacity(4).build(),
                () -> {
                    OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(4).build();
                    offHeap.add(m);
                    return m.asMap();
                });
    }

    @SuppressWarnings("unchecked")
    private static ChangeFeed.Subscription subscribe(ConcurrentNavigableMap<Long, Long> map,
                                                     ChangeListener<Long, Long> l) {
        return ((ChangeObservable<Long, Long>) map).subscribe(l);
    }

    @Test
    void everyWritePathPublishesExactlyTheChangeItMade() {
        for (Supplier<ConcurrentNavigableMap<Long, Long>> kind : kinds()) {
            ConcurrentNavigableMap<Long, Long> map = kind.get();
            SplittableRandom random = new SplittableRandom(21);
            // Prefilled before subscribing, in a random order: this is not published.
            for (int i = 0; i < 40; i++) {
                map.put(random.nextLong(-50, 50), (long) i);
            }
            TreeMap<Long, Long> replay = new TreeMap<>(map);
            List<Change> got = Collections.synchronizedList(new ArrayList<>());
            ChangeFeed.Subscription sub = subscribe(map, (s, k, o, n) -> got.add(new Change(s, k, o, n)));
            int ops = 3_000 * SCALE;
            for (int i = 0; i < ops; i++) {
                long k = random.nextLong(-60, 60);
                long v = random.nextLong(1000);
                Long before = map.get(k);
                int gotBefore = got.size();
                int op = random.nextInt(16);
                switch (op) {
                    case 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 -> ChangeFeedChecks.mapWrite(map, op, k, v, before);
                    case 10 -> map.pollFirstEntry();
                    case 11 -> map.pollLastEntry();
                    case 12 -> map.subMap(k, k + 20).pollFirstEntry();
                    case 13 -> map.descendingMap().headMap(k).remove(k + 1);
                    case 14 -> map.tailMap(k, true).put(k, v);
                    default -> {
                        if (random.nextInt(50) == 0) {
                            map.headMap(k).clear();
                        } else {
                            map.put(k, v);
                        }
                    }
                }
                // Each call published exactly the changes it made: replay them and compare.
                ChangeFeedChecks.assertReplays(replay, got.subList(gotBefore, got.size()), "op " + i);
                assertEquals(replay, new TreeMap<>(map), "after op " + i);
            }
            ChangeFeedChecks.assertIncreasingAndMost(got, ops);
            ChangeFeedChecks.assertNothingAfterClose(sub, got, () -> {
                map.put(1_000L, 1L);
                map.clear();
            });
        }
    }

    @Test
    void clearPublishesARemovalPerEntryAndPollsPublishTheirEntry() {
        for (Supplier<ConcurrentNavigableMap<Long, Long>> kind : kinds()) {
            ConcurrentNavigableMap<Long, Long> map = kind.get();
            for (long k = 99; k >= 0; k--) {
                map.put(k, -k); // descending order
            }
            List<Change> got = Collections.synchronizedList(new ArrayList<>());
            try (ChangeFeed.Subscription sub = subscribe(map, (s, k, o, n) -> got.add(new Change(s, k, o, n)))) {
                assertEquals(Map.entry(0L, 0L), map.pollFirstEntry());
                assertEquals(new Change(got.get(0).seq(), 0L, 0L, null), got.get(0));
                map.clear();
                assertEquals(100, got.size());
                Map<Long, Long> removed = new HashMap<>();
                for (Change c : got.subList(1, got.size())) {
                    assertNull(c.now());
                    removed.put((Long) c.key(), c.old());
                }
                assertEquals(99, removed.size());
                for (long k = 1; k < 100; k++) {
                    assertEquals(-k, removed.get(k));
                }
            }
        }
    }

    @Test
    void aThrowingListenerIsDetachedAndTheWriteCompletesWithNothingLatched() {
        for (Supplier<ConcurrentNavigableMap<Long, Long>> kind : kinds()) {
            ConcurrentNavigableMap<Long, Long> map = kind.get();
            List<Throwable> detached = new ArrayList<>();
            List<Change> other = new ArrayList<>();
            subscribe(map, ChangeFeedChecks.throwingListener(detached));
            subscribe(map, (s, k, o, n) -> other.add(new Change(s, k, o, n)));
            map.put(5L, 50L);
            assertEquals(1, detached.size());
            assertEquals("listener failed on 5", detached.get(0).getMessage());
            assertEquals(50L, map.get(5L));
            // Nothing left latched: more writes to the same leaf, and the second listener kept.
            for (long k = 0; k < 20; k++) {
                map.put(k, k);
            }
            assertEquals(21, other.size());
            assertEquals(1, detached.size());
        }
        assertThrows(NullPointerException.class,
                () -> subscribe(ConcurrentBTreeMap.<Long, Long>builder().build(), null));
    }

    @Test
    void concurrentWritersPublishEachKeysChangesInCommitOrder() throws InterruptedException {
        for (Supplier<ConcurrentNavigableMap<Long, Long>> kind : kinds()) {
            ConcurrentNavigableMap<Long, Long> map = kind.get();
            ConcurrentLinkedQueue<Change> got = new ConcurrentLinkedQueue<>();
            ChangeFeed.Subscription sub = subscribe(map, (s, k, o, n) -> got.add(new Change(s, k, o, n)));
            int threads = 3;
            int each = 4_000 * SCALE;
            try {
                ChangeFeedChecks.runWriters(threads, each, seed -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    return () -> {
                        long k = r.nextLong(40); // few keys: writers collide on keys and leaves
                        switch (r.nextInt(4)) {
                            case 0 -> map.remove(k);
                            case 1 -> map.merge(k, 1L, Long::sum);
                            case 2 -> map.pollFirstEntry();
                            default -> map.put(k, r.nextLong(1_000_000));
                        }
                    };
                }, "B+tree");
            } finally {
                sub.close();
            }
            // Sorting by sequence must give, per key, an unbroken chain old -> new, ending at the
            // key's final value: per-key publication order is commit order.
            int changed = ChangeFeedChecks.assertChainsEndAt(got, Comparator.<Long>naturalOrder(), map, "B+tree");
            assertTrue(changed > threads * each / 2, "most operations changed something");
        }
    }

    @Test
    void aFeedIsInstalledOnceAndSharedByEveryViewOfTheOffHeapMap() {
        OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(4).build();
        offHeap.add(m);
        List<Change> got = new ArrayList<>();
        try (ChangeFeed.Subscription sub = subscribe(m.asMap(), (s, k, o, n) -> got.add(new Change(s, k, o, n)))) {
            m.put(3, 30, -1);                 // the primitive API publishes too
            m.asMap().put(4L, 40L);           // another view
            m.replaceIf(3, 30, 31);
            m.removeIf(4, 40);
            assertEquals(List.of(new Change(1, 3L, null, 30L), new Change(2, 4L, null, 40L),
                    new Change(3, 3L, 30L, 31L), new Change(4, 4L, 40L, null)), got);
            assertSame(got.get(0).key().getClass(), Long.class);
        }
    }
}
