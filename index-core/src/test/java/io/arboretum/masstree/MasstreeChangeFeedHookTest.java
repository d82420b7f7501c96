package io.arboretum.masstree;

import io.arboretum.map.ChangeFeedChecks;
import io.arboretum.map.ChangeFeedChecks.Change;
import io.arboretum.map.KeyOrders;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.arboretum.map.ChangeFeed;
import io.arboretum.masstree.MasstreeMap.Border;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Issue 21 for {@code MasstreeMap}: every write path publishes exactly the change it committed,
 * with the old and new value, under its border-node lock; splits, grows, new layers and layer
 * collapses (which move entries without changing a mapping) publish nothing; per key the sequence
 * numbers and value chains follow commit order under concurrent writers; a scan opened after a
 * subscription waits out locked nodes, so it reflects every change the listener was not sent.
 * Keys share 8, 16 and 24-byte prefixes and nodes are narrow, so layers form and collapse and
 * nodes split and grow while the feed is watched; keys come in random, descending and
 * adversarial (alternating extremes) orders.
 */
class MasstreeChangeFeedHookTest {
    private static final int SCALE = Math.max(1, Integer.getInteger("arboretum.test.scale", 1));

    /** A key type: how to make a map, the keys' order, and a universe of keys with shared prefixes. */
    record Kind<K>(String name, Supplier<MasstreeMap<K, Long>> maps, Comparator<? super K> order, List<K> keys) {
        TreeMap<K, Long> copy(Map<K, Long> m) {
            TreeMap<K, Long> t = new TreeMap<>(order);
            t.putAll(m);
            return t;
        }
    }

    private static List<Kind<?>> kinds(int n, long seed) {
        Random rnd = new Random(seed);
        return List.of(
                new Kind<String>("strings, width 3", () -> MasstreeMap.<String, Long>builder().nodeWidth(3).build(),
                        Comparator.naturalOrder(), MasstreeKeys.stringKeys(n, rnd)),
                new Kind<byte[]>("bytes, width 4", () -> MasstreeMap.<Long>bytesBuilder().nodeWidth(4).build(),
                        Arrays::compareUnsigned, MasstreeKeys.byteKeys(n, rnd)));
    }

    @Test
    void everyWritePathPublishesExactlyTheChangeItMade() {
        for (Kind<?> kind : kinds(70, 21)) {
            everyWritePath(kind);
        }
    }

    private <K> void everyWritePath(Kind<K> kind) {
        MasstreeMap<K, Long> map = kind.maps().get();
        List<K> keys = kind.keys();
        Random rnd = new Random(21);
        // Prefilled before subscribing, in an adversarial order: this is not published.
        for (K k : KeyOrders.ordered(keys.subList(0, keys.size() / 2), kind.order(), 2, rnd)) {
            map.put(k, (long) rnd.nextInt(100));
        }
        TreeMap<K, Long> replay = kind.copy(map);
        Set<Object> callers = Collections.newSetFromMap(new IdentityHashMap<>());
        callers.addAll(keys);
        List<Change> got = Collections.synchronizedList(new ArrayList<>());
        ChangeFeed.Subscription sub = map.subscribe((s, k, o, n) -> got.add(new Change(s, k, o, n)));
        long maxLayers = 0;
        int collapses = 0;
        long layers = map.nodeCounts()[2];
        int ops = 3_000 * SCALE;
        for (int i = 0; i < ops; i++) {
            K k = keys.get(rnd.nextInt(keys.size()));
            long v = rnd.nextInt(1000);
            Long before = map.get(k);
            int gotBefore = got.size();
            int op = rnd.nextInt(18);
            switch (op) {
                case 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 -> ChangeFeedChecks.mapWrite(map, op, k, v, before);
                case 10 -> map.pollFirstEntry();
                case 11 -> map.pollLastEntry();
                case 12 -> map.tailMap(k, true).pollFirstEntry();
                case 13 -> map.descendingMap().tailMap(k, false).pollFirstEntry();
                case 14 -> map.tailMap(k, true).put(k, v);
                case 15 -> {
                    // putAllSorted of a few keys, some present, in one of the three orders
                    List<K> some = new ArrayList<>();
                    for (int j = rnd.nextInt(12); j >= 0; j--) {
                        K x = keys.get(rnd.nextInt(keys.size()));
                        if (!some.contains(x)) {
                            some.add(x);
                        }
                    }
                    List<Map.Entry<K, Long>> entries = new ArrayList<>();
                    for (K x : KeyOrders.ordered(some, kind.order(), rnd.nextInt(3), rnd)) {
                        entries.add(new SimpleImmutableEntry<>(x, (long) rnd.nextInt(1000)));
                    }
                    map.putAllSorted(entries);
                }
                case 16 -> map.headMap(k, true).remove(k);
                default -> {
                    if (rnd.nextInt(40) == 0) {
                        map.headMap(k).clear();
                    } else {
                        map.put(k, v);
                    }
                }
            }
            // Each call published exactly the changes it made: replay them and compare.
            List<Change> batch = new ArrayList<>(got.subList(gotBefore, got.size()));
            for (Change c : batch) {
                if (c.key() instanceof byte[]) {
                    assertFalse(callers.contains(c.key()), "a byte[] key is published as a copy, never the caller's");
                }
            }
            ChangeFeedChecks.assertReplays(replay, batch, kind.name());
            assertEquals(replay, kind.copy(map), kind.name() + ": after op " + i);
            long now = map.nodeCounts()[2];
            maxLayers = Math.max(maxLayers, now);
            if (now < layers) {
                collapses++;
            }
            layers = now;
            if (i % 250 == 0) {
                map.checkInvariants();
            }
        }
        map.checkInvariants();
        ChangeFeedChecks.assertIncreasingAndMost(got, ops);
        assertTrue(maxLayers >= 4, kind.name() + ": layers at depths 1 to 3 formed, max " + maxLayers);
        assertTrue(collapses > 0, kind.name() + ": emptied layers collapsed during the test");
        ChangeFeedChecks.assertNothingAfterClose(sub, got, () -> {
            map.put(keys.get(0), 1L);
            map.clear();
        });
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Runs {@code op} and checks that it published exactly {@code key: old -> now}. */
    private static void exactlyOne(List<Change> got, Runnable op, String key, Long old, Long now) {
        ChangeFeedChecks.exactlyOne(got, op, b(key), old, now, key);
    }

    @Test
    void layerCreationGrowthSplitsAndCollapsePublishOnlyTheWrite() {
        MasstreeMap<byte[], Long> map = MasstreeMap.<Long>bytesBuilder().nodeWidth(4).build();
        List<Change> got = Collections.synchronizedList(new ArrayList<>());
        map.subscribe((s, k, o, n) -> got.add(new Change(s, k, o, n)));
        String p = "tenant:7/entity:00000042"; // three whole slices in common
        exactlyOne(got, () -> map.put(b(p + "/a"), 1L), p + "/a", null, 1L);
        assertEquals(1, map.nodeCounts()[2], "one key: stored with its suffix in the top layer");
        // The second key moves the first down a chain of three new layers: one change, the insert.
        exactlyOne(got, () -> map.put(b(p + "/b"), 2L), p + "/b", null, 2L);
        assertEquals(4, map.nodeCounts()[2], "a chain of layers at depths 1 to 3");
        // The lower node starts with two slots and grows, then splits at width 4: one change each.
        long n = 3;
        for (char c = 'c'; c <= 'm'; c++) {
            exactlyOne(got, () -> map.put(b(p + "/" + (char) 0 + "x"), 0L), p + "/" + (char) 0 + "x",
                    c == 'c' ? null : 0L, 0L);
            String k = p + "/" + c;
            long v = n++;
            exactlyOne(got, () -> map.put(b(k), v), k, null, v);
        }
        assertTrue(map.nodeCounts()[0] > 4, "the lowest layer split");
        map.checkInvariants();
        exactlyOne(got, () -> map.replace(b(p + "/c"), 30L), p + "/c", 3L, 30L);
        exactlyOne(got, () -> assertTrue(map.replace(b(p + "/c"), 30L, 31L)), p + "/c", 30L, 31L);
        assertNull(map.putIfAbsent(b(p + "/zz"), 9L));
        exactlyOne(got, () -> map.remove(b(p + "/zz")), p + "/zz", 9L, null);
        int before = got.size();
        assertNull(map.replace(b(p + "/absent"), 1L));
        assertFalse(map.remove(b(p + "/c"), 30L));
        assertEquals(4L, map.putIfAbsent(b(p + "/d"), 1L));
        assertEquals(before, got.size(), "writes that change nothing publish nothing");
        // Remove everything, polls included: the layers collapse, and each removal is one change.
        exactlyOne(got, () -> map.pollFirstEntry(), p + "/" + (char) 0 + "x", 0L, null);
        exactlyOne(got, () -> map.pollLastEntry(), p + "/m", 13L, null);
        for (byte[] k : new ArrayList<>(map.keySet())) {
            Long old = map.get(k);
            exactlyOne(got, () -> map.remove(k), new String(k, StandardCharsets.UTF_8), old, null);
        }
        assertTrue(map.isEmpty());
        assertEquals(1, map.nodeCounts()[2], "every lower layer collapsed");
        map.checkInvariants();
    }

    @Test
    void aKeyPutBySplitOrGrowIsOutOfOtherWritersReachWhileItsInsertIsPublished() throws Exception {
        // Split: width 3 and ascending keys, so "d" goes alone into a new right node (a new root
        // above both), which is not locked: it must be linked only after the publication.
        insertThenRacingRemove(MasstreeMap.<Long>bytesBuilder().nodeWidth(3).build(), List.of("a", "b", "c"), "d");
        // Grow: two keys sharing a slice make a lower layer of one two-slot node; a third grows it
        // into a wider copy, which is not locked: it must become the root only after the publication.
        insertThenRacingRemove(MasstreeMap.<Long>bytesBuilder().build(),
                List.of("tenant:7/a", "tenant:7/b"), "tenant:7/c");
        // New layer: the link to it is behind the upper node's lock until the unlock.
        insertThenRacingRemove(MasstreeMap.<Long>bytesBuilder().build(), List.of("tenant:7/a"), "tenant:7/b");
    }

    /**
     * Puts {@code key} after {@code before}; its listener, called under the lock of the insert,
     * starts a removal of {@code key} on another thread and waits 300 ms for it. The removal must
     * wait for the insert's unlock, so the removal is published after the insert (a key reachable
     * by other writers before its insert is published is how per-key order breaks).
     */
    private static void insertThenRacingRemove(MasstreeMap<byte[], Long> map, List<String> before, String key)
            throws InterruptedException {
        for (String k : before) {
            map.put(b(k), 1L);
        }
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Thread> remover = new AtomicReference<>();
        try (ChangeFeed.Subscription sub = map.subscribe((s, k, o, n) -> {
            String ks = new String(k, StandardCharsets.UTF_8);
            events.add(ks + (n == null ? " removed" : " put"));
            if (ks.equals(key) && n != null && remover.get() == null) {
                Thread t = new Thread(() -> map.remove(b(key)));
                remover.set(t);
                t.start();
                try {
                    t.join(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                events.add(t.isAlive() ? "remover waited" : "remover finished");
            }
        })) {
            map.put(b(key), 2L);
            remover.get().join();
            assertEquals(List.of(key + " put", "remover waited", key + " removed"), events);
        }
        assertNull(map.get(b(key)));
        map.checkInvariants();
    }

    @Test
    void clearPublishesARemovalPerEntryPollsPublishTheirEntryAndByteKeysAreCopies() {
        MasstreeMap<byte[], Long> map = MasstreeMap.<Long>bytesBuilder().nodeWidth(3).build();
        List<byte[]> keys = new ArrayList<>();
        for (int i = 99; i >= 0; i--) { // descending order
            byte[] k = b("tenant:7/entity:" + (i % 4 == 0 ? "00000042/" : "") + String.format("%03d", i));
            keys.add(k);
            map.put(k, (long) -i);
        }
        List<Change> got = Collections.synchronizedList(new ArrayList<>());
        try (ChangeFeed.Subscription sub = map.subscribe((s, k, o, n) -> got.add(new Change(s, k, o, n)))) {
            byte[] mine = b("tenant:7/entity:mine");
            map.put(mine, 5L);
            mine[0] = 'X'; // the caller reuses its array: the published key must not change
            assertArrayEquals(b("tenant:7/entity:mine"), (byte[]) got.get(0).key());
            Map.Entry<byte[], Long> first = map.pollFirstEntry();
            Change polled = got.get(1);
            assertArrayEquals(first.getKey(), (byte[]) polled.key());
            assertNotSame(first.getKey(), polled.key(), "the listener and the caller get separate arrays");
            assertEquals(first.getValue(), polled.old());
            assertNull(polled.now());
            int size = map.size();
            map.clear();
            assertEquals(2 + size, got.size());
            TreeMap<byte[], Long> removed = new TreeMap<>(Arrays::compareUnsigned);
            for (Change c : got.subList(2, got.size())) {
                assertNull(c.now());
                removed.put((byte[]) c.key(), c.old());
            }
            assertEquals(size, removed.size());
            for (int i = 0; i < 100; i++) {
                byte[] k = b("tenant:7/entity:" + (i % 4 == 0 ? "00000042/" : "") + String.format("%03d", i));
                if (!Arrays.equals(k, first.getKey())) {
                    assertEquals((long) -i, removed.get(k), () -> new String(k, StandardCharsets.UTF_8));
                }
            }
            assertTrue(map.isEmpty());
            assertEquals(1, map.nodeCounts()[2]);
        }
    }

    @Test
    void putAllSortedPublishesEachEntryOnceInEveryOrder() {
        for (int which = 0; which < 3; which++) {
            Random rnd = new Random(which);
            List<String> keys = MasstreeKeys.stringKeys(400, rnd);
            MasstreeMap<String, Long> map = MasstreeMap.<String, Long>builder().nodeWidth(3).build();
            for (String k : keys.subList(0, 150)) {
                map.put(k, 1L); // some present before: published as replacements
            }
            Map<String, Long> before = new HashMap<>(map);
            List<Change> got = Collections.synchronizedList(new ArrayList<>());
            try (ChangeFeed.Subscription sub = map.subscribe((s, k, o, n) -> got.add(new Change(s, k, o, n)))) {
                List<Map.Entry<String, Long>> entries = new ArrayList<>();
                for (String k : KeyOrders.ordered(keys, Comparator.naturalOrder(), which, rnd)) {
                    entries.add(new SimpleImmutableEntry<>(k, 2L));
                }
                map.putAllSorted(entries);
                assertEquals(keys.size(), got.size(), "one change per entry, order " + which);
                for (int i = 0; i < entries.size(); i++) {
                    Change c = got.get(i);
                    assertSame(entries.get(i).getKey(), c.key(), "published in load order, the caller's key");
                    assertEquals(before.get(c.key()), c.old());
                    assertEquals(2L, c.now());
                }
            }
            map.checkInvariants();
        }
    }

    @Test
    void aThrowingListenerIsDetachedAndTheWriteCompletesWithNothingLocked() {
        MasstreeMap<String, Long> map = MasstreeMap.<String, Long>builder().nodeWidth(3).build();
        List<Throwable> detached = new ArrayList<>();
        List<Change> other = new ArrayList<>();
        map.subscribe(ChangeFeedChecks.throwingListener(detached));
        map.subscribe((s, k, o, n) -> other.add(new Change(s, k, o, n)));
        map.put("tenant:7/entity:5", 50L);
        assertEquals(1, detached.size());
        assertEquals("listener failed on tenant:7/entity:5", detached.get(0).getMessage());
        assertEquals(50L, map.get("tenant:7/entity:5"));
        // Nothing left locked: more writes to the same nodes (splits, a new layer), and the second
        // listener kept.
        for (int k = 0; k < 20; k++) {
            map.put("tenant:7/entity:" + k, (long) k);
        }
        assertEquals(21, other.size());
        assertEquals(1, detached.size());
        map.checkInvariants();
        assertThrows(NullPointerException.class, () -> map.subscribe(null));
    }

    @Test
    void concurrentWritersPublishEachKeysChangesInCommitOrder() throws InterruptedException {
        for (Kind<?> kind : kinds(48, 7)) {
            concurrentWriters(kind);
        }
    }

    @SuppressWarnings("unchecked")
    private <K> void concurrentWriters(Kind<K> kind) throws InterruptedException {
        MasstreeMap<K, Long> map = kind.maps().get();
        List<K> keys = kind.keys(); // few keys: writers collide on keys, nodes and layers
        ConcurrentLinkedQueue<Change> got = new ConcurrentLinkedQueue<>();
        ChangeFeed.Subscription sub = map.subscribe((s, k, o, n) -> got.add(new Change(s, k, o, n)));
        int threads = 3;
        int each = 4_000 * SCALE;
        try {
            ChangeFeedChecks.runWriters(threads, each, seed -> {
                Random r = new Random(seed);
                return () -> {
                    K k = keys.get(r.nextInt(keys.size()));
                    switch (r.nextInt(7)) {
                        case 0, 1 -> map.remove(k);
                        case 2 -> map.merge(k, 1L, Long::sum);
                        case 3 -> map.pollFirstEntry();
                        case 4 -> map.compute(k, (kk, old) ->
                                old == null ? Long.valueOf(1) : old % 5 == 0 ? null : Long.valueOf(old + 1));
                        case 5 -> map.putAllSorted(List.of(
                                new SimpleImmutableEntry<>(k, (long) r.nextInt(1000)),
                                new SimpleImmutableEntry<>(keys.get(r.nextInt(keys.size())),
                                        (long) r.nextInt(1000))));
                        default -> map.put(k, (long) r.nextInt(1_000_000));
                    }
                };
            }, kind.name());
        } finally {
            sub.close();
        }
        // Sorting by sequence must give, per key, an unbroken chain old -> new, ending at the
        // key's final value: per-key publication order is commit order.
        int changed = ChangeFeedChecks.assertChainsEndAt(got, kind.order(), map, kind.name());
        assertTrue(changed > threads * each / 2, "most operations changed something");
        map.checkInvariants();
    }

    @Test
    void aScanOpenedWhileListenersExistWaitsOutALockedNode() throws Exception {
        MasstreeMap<String, Long> map = MasstreeMap.<String, Long>builder().build();
        for (int i = 0; i < 5; i++) {
            map.put("k" + i, (long) i);
        }
        Border n = (Border) map.top.rootAcquire(); // five keys: the top layer is one border node
        // Without a listener a scan ignores a lock that changes nothing.
        n.lock();
        try {
            assertEquals(5, scanInThread(map).get(5_000));
        } finally {
            n.unlock();
        }
        try (ChangeFeed.Subscription sub = map.subscribe((s, k, o, v) -> { })) {
            for (boolean iterator : new boolean[] {true, false}) {
                n.lock();
                Scan scan;
                try {
                    scan = iterator ? scanInThread(map) : copyInThread(map);
                    Thread.sleep(200);
                    assertFalse(scan.done.get(), "a scan after a subscription waits for the lock holder");
                } finally {
                    n.unlock();
                }
                // The iterator reads all five; a copyBatch that failed validation for a while
                // collects fewer entries (at least one), as its contract allows.
                int read = scan.get(5_000);
                assertTrue(iterator ? read == 5 : read >= 1, "entries read: " + read);
            }
        }
    }

    /** A scan running on its own thread. */
    private static final class Scan {
        final AtomicBoolean done = new AtomicBoolean();
        final AtomicReference<Object> result = new AtomicReference<>();
        Thread thread;

        int get(long millis) throws InterruptedException {
            thread.join(millis);
            assertTrue(done.get(), "scan finished");
            Object r = result.get();
            if (r instanceof Throwable) {
                throw new AssertionError(r);
            }
            return (Integer) r;
        }
    }

    private static Scan run(Supplier<Integer> body) {
        Scan s = new Scan();
        s.thread = new Thread(() -> {
            try {
                s.result.set(body.get());
            } catch (Throwable e) {
                s.result.set(e);
            }
            s.done.set(true);
        });
        s.thread.start();
        return s;
    }

    private static Scan scanInThread(MasstreeMap<String, Long> map) {
        return run(() -> new ArrayList<>(map.entrySet()).size());
    }

    private static Scan copyInThread(MasstreeMap<String, Long> map) {
        return run(() -> map.copyBatch(null, true, null, true, false, new Object[16], new Object[16]));
    }

    @Test
    void aScanAfterSubscribingReflectsEveryChangeTheListenerWasNotSent() throws InterruptedException {
        for (Kind<?> kind : kinds(60, 11)) {
            handOff(kind);
        }
    }

    /**
     * The hand-off {@code snapshotThenChanges} relies on, while writers remove and put: scans
     * alternate between the entry iterator and {@code copyBatch} ascending into an array one
     * larger than the key universe, continued after the last key.
     */
    private <K> void handOff(Kind<K> kind) throws InterruptedException {
        MasstreeMap<K, Long> map = kind.maps().get();
        List<K> keys = kind.keys();
        ChangeFeedChecks.assertHandOff(map, kind.order(), seed -> {
            Random r = new Random(seed);
            long[] v = {0};
            return () -> {
                K k = keys.get(r.nextInt(keys.size()));
                if (r.nextInt(3) == 0) {
                    map.remove(k);
                } else {
                    map.put(k, ++v[0]);
                }
            };
        }, 60 * SCALE, (scan, i) -> {
            if (i % 2 == 0) {
                ChangeFeedChecks.iterateAll(map, scan);
            } else {
                // copyBatch may return fewer entries than fit (after failed validations under
                // writers its walk collects fewer, down to one): continue after the last key, as
                // the cursors do. Every batch starts after the subscription, so each is strict.
                ChangeFeedChecks.copyAll(map, false, keys.size() + 1, scan);
            }
        }, kind.name());
        map.checkInvariants();
    }
}
