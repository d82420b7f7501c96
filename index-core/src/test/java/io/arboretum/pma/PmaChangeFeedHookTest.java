package io.arboretum.pma;

import io.arboretum.map.ChangeFeedChecks;
import io.arboretum.map.ChangeFeedChecks.Change;
import io.arboretum.map.KeyOrders;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.arboretum.map.ChangeFeed;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Issue 21 for {@code PackedMemoryArrayMap}: every write path publishes exactly the change it
 * committed, with the old and new value, under its segment latches; redistributions and resizes
 * (which move entries without changing a mapping) publish nothing; a writer racing a change of
 * the same key waits for its latches, so it is published after it, also when the change
 * redistributed a window and when {@code clear} replaced the array; per key the sequence numbers
 * and value chains follow commit order under concurrent writers; a scan started after a
 * subscription reflects every change the listener was not sent. Segments of 4 and 5 cells, so
 * windows redistribute and the array grows and shrinks within a few dozen keys; keys as primitive
 * longs and as objects in a reversed order; keys come in random, descending and adversarial
 * (alternating extremes) orders.
 */
class PmaChangeFeedHookTest {
    private static final int SCALE = Math.max(1, Integer.getInteger("arboretum.test.scale", 1));

    /** A key type: how to make a map, the keys' order, and a universe of keys. */
    record Kind<K>(String name, Supplier<PackedMemoryArrayMap<K, Long>> maps, Comparator<? super K> order,
                   List<K> keys) {
        TreeMap<K, Long> copy(Map<K, Long> m) {
            TreeMap<K, Long> t = new TreeMap<>(order);
            t.putAll(m);
            return t;
        }
    }

    private static List<Kind<?>> kinds(int n, long seed) {
        Random rnd = new Random(seed);
        Set<Long> longs = new LinkedHashSet<>();
        while (longs.size() < n) {
            longs.add((long) rnd.nextInt(2_000_000) - 1_000_000); // negative and positive
        }
        Set<String> strings = new LinkedHashSet<>();
        while (strings.size() < n) {
            strings.add("tenant:" + rnd.nextInt(4) + "/entity:" + rnd.nextInt(100_000));
        }
        return List.of(
                new Kind<Long>("longs (exact mode), segments of 4",
                        () -> PackedMemoryArrayMap.<Long, Long>builder().segmentSize(4).build(),
                        Comparator.naturalOrder(), new ArrayList<>(longs)),
                new Kind<String>("strings in reverse order (object mode), segments of 5",
                        () -> PackedMemoryArrayMap.<String, Long>builder().segmentSize(5)
                                .comparator(Comparator.reverseOrder()).build(),
                        Comparator.reverseOrder(), new ArrayList<>(strings)));
    }

    // ------------------------------------------------------------------ every write path

    @Test
    void everyWritePathPublishesExactlyTheChangeItMade() {
        for (Kind<?> kind : kinds(150, 21)) {
            everyWritePath(kind);
        }
    }

    @SuppressWarnings("unchecked")
    private <K> void everyWritePath(Kind<K> kind) {
        PackedMemoryArrayMap<K, Long> map = kind.maps().get();
        List<K> keys = kind.keys();
        Comparator<? super K> order = kind.order();
        Random rnd = new Random(21);
        // Prefilled before subscribing, in an adversarial order: this is not published.
        for (K k : KeyOrders.ordered(keys.subList(0, keys.size() / 2), order, 2, rnd)) {
            map.put(k, (long) rnd.nextInt(100));
        }
        TreeMap<K, Long> replay = kind.copy(map);
        List<Change> got = Collections.synchronizedList(new ArrayList<>());
        ChangeFeed.Subscription sub = map.subscribe((s, k, o, n) -> got.add(new Change(s, k, o, n)));
        int grows = 0;
        int shrinks = 0;
        int redistributions = 0;
        int ops = 4_000 * SCALE;
        for (int i = 0; i < ops; i++) {
            K k = keys.get(rnd.nextInt(keys.size()));
            long v = rnd.nextInt(1000);
            Long before = map.get(k);
            int cells = map.geometry()[2];
            long moved = map.movedEntries();
            int gotBefore = got.size();
            // The number of changes the call must publish, and for single-key calls the key and
            // the old value; -1 where only the replay below checks.
            int expect;
            Object expectKey = k;
            Long expectOld = before;
            int op = rnd.nextInt(22);
            switch (op) {
                case 0 -> {
                    map.put(k, v);
                    expect = 1; // also when v equals the old value: put always writes
                }
                case 1 -> expect = map.putIfAbsent(k, v) == null ? 1 : 0;
                case 2 -> expect = map.replace(k, v) != null ? 1 : 0;
                case 3 -> expect = map.replace(k, before == null ? 7L : before, v) ? 1 : 0;
                case 4 -> expect = map.remove(k) != null ? 1 : 0;
                case 5 -> expect = map.remove(k, before == null ? 7L : before) ? 1 : 0;
                case 6 -> {
                    map.compute(k, (kk, old) ->
                            old == null ? Long.valueOf(v) : old % 3 == 0 ? null : Long.valueOf(old + 1));
                    expect = 1;
                }
                case 7 -> {
                    map.computeIfAbsent(k, kk -> v);
                    expect = before == null ? 1 : 0;
                }
                case 8 -> {
                    map.computeIfPresent(k, (kk, old) -> old % 2 == 0 ? null : Long.valueOf(old + v));
                    expect = before != null ? 1 : 0;
                }
                case 9 -> {
                    map.merge(k, v, Long::sum);
                    expect = 1;
                }
                case 10, 11, 12, 13 -> {
                    Map.Entry<K, Long> e = switch (op) {
                        case 10 -> map.pollFirstEntry();
                        case 11 -> map.pollLastEntry();
                        case 12 -> map.tailMap(k, true).pollFirstEntry();
                        default -> map.descendingMap().tailMap(k, false).pollFirstEntry();
                    };
                    expect = e == null ? 0 : 1;
                    expectKey = e == null ? null : e.getKey();
                    expectOld = e == null ? null : e.getValue();
                }
                case 14 -> {
                    map.tailMap(k, true).put(k, v);
                    expect = 1;
                }
                case 15 -> {
                    // putAll of a few keys, some present, in one of the three orders
                    Set<K> some = new LinkedHashSet<>();
                    for (int j = rnd.nextInt(12); j >= 0; j--) {
                        some.add(keys.get(rnd.nextInt(keys.size())));
                    }
                    Map<K, Long> entries = new LinkedHashMap<>();
                    for (K x : KeyOrders.ordered(new ArrayList<>(some), order, rnd.nextInt(3), rnd)) {
                        entries.put(x, (long) rnd.nextInt(1000));
                    }
                    map.putAll(entries);
                    expect = -1;
                    assertEquals(entries.size(), got.size() - gotBefore, "one change per entry of putAll");
                }
                case 16 -> expect = map.headMap(k, true).remove(k) != null ? 1 : 0;
                case 17 -> expect = map.keySet().remove(k) ? 1 : 0;
                case 18 -> {
                    Iterator<Map.Entry<K, Long>> it = map.tailMap(k, true).entrySet().iterator();
                    if (it.hasNext()) {
                        Map.Entry<K, Long> e = it.next();
                        it.remove();
                        expectKey = e.getKey();
                        expectOld = e.getValue();
                        expect = 1;
                    } else {
                        expect = 0;
                    }
                }
                case 19 -> {
                    int n = map.headMap(k).size();
                    map.headMap(k).clear();
                    expect = -1;
                    assertEquals(n, got.size() - gotBefore, "one removal per entry of the cleared view");
                }
                case 20 -> {
                    if (rnd.nextInt(25) == 0) {
                        int n = map.size();
                        map.clear();
                        assertEquals(n, got.size() - gotBefore, "one removal per entry of clear");
                    } else {
                        map.put(k, v);
                    }
                    expect = -1;
                }
                default -> {
                    map.put(k, v);
                    expect = 1;
                }
            }
            List<Change> batch = new ArrayList<>(got.subList(gotBefore, got.size()));
            if (expect >= 0) {
                String what = kind.name() + ": op " + op + " on " + k + " (was " + before + ")";
                assertEquals(expect, batch.size(), () -> what + " published " + batch);
                if (expect == 1) {
                    Change c = batch.get(0);
                    assertEquals(0, order.compare((K) expectKey, (K) c.key()), () -> what + ": key of " + c);
                    assertEquals(expectOld, c.old(), () -> what + ": old value of " + c);
                    assertEquals(map.get((K) c.key()), c.now(), () -> "new value of " + c);
                }
            }
            // Each call published exactly the changes it made: replay them and compare.
            ChangeFeedChecks.assertReplays(replay, batch, kind.name());
            assertEquals(replay, kind.copy(map), kind.name() + ": after op " + i);
            int nowCells = map.geometry()[2];
            if (nowCells > cells) {
                grows++;
            } else if (nowCells < cells) {
                shrinks++;
            } else if (map.movedEntries() != moved) {
                redistributions++;
            }
            if (i % 250 == 0) {
                map.checkInvariants();
            }
        }
        map.checkInvariants();
        ChangeFeedChecks.assertIncreasingAndMost(got, ops);
        assertTrue(grows > 0 && shrinks > 0 && redistributions > 0, kind.name()
                + ": the array grew, shrank and redistributed windows while watched: " + grows + ", " + shrinks
                + ", " + redistributions);
        ChangeFeedChecks.assertNothingAfterClose(sub, got, () -> {
            map.put(keys.get(0), 1L);
            map.clear();
        });
    }

    @Test
    void writesThatChangeNothingPublishNothing() {
        for (Kind<?> kind : kinds(40, 5)) {
            changeNothing(kind);
        }
        // A natural-order map before its first insert (its key mode not chosen yet).
        PackedMemoryArrayMap<Long, Long> fresh = new PackedMemoryArrayMap<>();
        List<Change> got = Collections.synchronizedList(new ArrayList<>());
        fresh.subscribe((s, k, o, n) -> got.add(new Change(s, k, o, n)));
        assertNull(fresh.remove(3L));
        assertFalse(fresh.remove(3L, 1L));
        assertNull(fresh.replace(3L, 1L));
        assertFalse(fresh.replace(3L, 1L, 2L));
        assertNull(fresh.pollFirstEntry());
        assertNull(fresh.tailMap(2L).pollFirstEntry());
        fresh.clear();
        assertEquals(List.of(), got);
        fresh.putIfAbsent(3L, 1L); // the first insert chooses the key mode, then publishes
        assertEquals(1, got.size());
        assertEquals(new Change(got.get(0).seq(), 3L, null, 1L), got.get(0));
    }

    private <K> void changeNothing(Kind<K> kind) {
        PackedMemoryArrayMap<K, Long> map = kind.maps().get();
        List<K> keys = new ArrayList<>(kind.keys());
        keys.sort(kind.order());
        List<K> present = keys.subList(1, keys.size() - 1);
        Random rnd = new Random(3);
        for (K k : KeyOrders.ordered(present, kind.order(), 1, rnd)) { // descending
            map.put(k, 10L);
        }
        K below = keys.get(0);
        K above = keys.get(keys.size() - 1);
        List<Change> got = Collections.synchronizedList(new ArrayList<>());
        map.subscribe((s, k, o, n) -> got.add(new Change(s, k, o, n)));
        for (K absent : List.of(below, above)) {
            assertNull(map.replace(absent, 1L), "replace of an absent key");
            assertNull(map.remove(absent), "remove of an absent key");
            assertFalse(map.remove(absent, 10L));
            assertFalse(map.replace(absent, 10L, 1L));
            assertNull(map.computeIfPresent(absent, (kk, old) -> 1L));
            assertNull(map.compute(absent, (kk, old) -> null));
            assertFalse(map.keySet().remove(absent));
        }
        for (K k : present) {
            assertEquals(10L, map.putIfAbsent(k, 1L));
            assertFalse(map.replace(k, 11L, 1L), "replace with the wrong expected value");
            assertFalse(map.remove(k, 11L), "remove with the wrong expected value");
            assertEquals(10L, map.computeIfAbsent(k, kk -> 1L));
        }
        assertNull(map.tailMap(above, true).pollFirstEntry(), "a poll of an empty range");
        assertNull(map.headMap(below, true).pollLastEntry(), "a poll of an empty range");
        map.headMap(below).clear();
        assertEquals(List.of(), got, kind.name() + ": writes that change nothing publish nothing");
        map.checkInvariants();
    }

    // ------------------------------------------------------------------ structure changes

    @Test
    void redistributionsAndResizesPublishOnlyTheWrite() {
        for (Kind<?> kind : kinds(300, 9)) {
            for (int which = 0; which < 3; which++) {
                structureChanges(kind, which);
            }
        }
    }

    /**
     * Fills the map in one of the three orders and empties it again (removes and polls), each write
     * publishing exactly its own change, while windows redistribute and the array grows and
     * shrinks.
     */
    private <K> void structureChanges(Kind<K> kind, int which) {
        PackedMemoryArrayMap<K, Long> map = kind.maps().get();
        Random rnd = new Random(which);
        List<Change> got = Collections.synchronizedList(new ArrayList<>());
        map.subscribe((s, k, o, n) -> got.add(new Change(s, k, o, n)));
        int[] structure = new int[3]; // grows, shrinks, redistributions
        long v = 0;
        for (K k : KeyOrders.ordered(kind.keys(), kind.order(), which, rnd)) {
            long value = ++v;
            exactlyOne(map, got, () -> map.put(k, value), k, null, value, structure);
        }
        map.checkInvariants();
        int i = 0;
        for (K k : KeyOrders.ordered(kind.keys(), kind.order(), (which + 1) % 3, rnd)) {
            for (Long old; (old = map.get(k)) != null; ) { // until k is gone, perhaps polled
                switch (i++ % 4) {
                    case 0 -> {
                        K first = map.firstKey();
                        Long firstOld = map.get(first);
                        exactlyOne(map, got, map::pollFirstEntry, first, firstOld, null, structure);
                    }
                    case 1 -> {
                        K last = map.lastKey();
                        Long lastOld = map.get(last);
                        exactlyOne(map, got, map::pollLastEntry, last, lastOld, null, structure);
                    }
                    default -> {
                        Long was = old;
                        exactlyOne(map, got, () -> map.remove(k), k, was, null, structure);
                    }
                }
            }
        }
        assertTrue(map.isEmpty());
        map.checkInvariants();
        assertTrue(structure[0] > 0 && structure[1] > 0 && structure[2] > 0, kind.name() + ", order " + which
                + ": grows, shrinks and redistributions happened: " + Arrays.toString(structure));
    }

    /**
     * Runs {@code op} and checks that it published exactly {@code key: old -> now}; counts in
     * {@code structure} whether it grew or shrank the array or redistributed a window.
     */
    private static <K> void exactlyOne(PackedMemoryArrayMap<K, Long> map, List<Change> got, Runnable op, K key,
                                       Long old, Long now, int[] structure) {
        int cells = map.geometry()[2];
        long moved = map.movedEntries();
        ChangeFeedChecks.exactlyOne(got, op, key, old, now, String.valueOf(key));
        int nowCells = map.geometry()[2];
        if (nowCells > cells) {
            structure[0]++;
        } else if (nowCells < cells) {
            structure[1]++;
        } else if (map.movedEntries() != moved) {
            structure[2]++;
        }
    }

    // ------------------------------------------------------------------ writers racing a change

    @Test
    void aWriterOfTheSameKeyWaitsForTheLatchesOfAChangeBeingPublished() throws InterruptedException {
        for (Kind<?> kind : kinds(200, 13)) {
            racingWriters(kind);
        }
    }

    /**
     * Inserts the keys in descending order, replaces some values in place, and then removes the
     * keys in random order. For some writes of each kind (within a segment, redistributing a
     * window, after a resize) the listener, called under the write's latches, starts a put of the
     * same key on another thread and waits 50 ms for it: the put must wait for the unlock, so it
     * is published after the change (a change published after its unlock, or a key reachable by
     * other writers before its change is published, is how per-key order breaks).
     */
    @SuppressWarnings("unchecked")
    private <K> void racingWriters(Kind<K> kind) throws InterruptedException {
        PackedMemoryArrayMap<K, Long> map = kind.maps().get();
        Thread main = Thread.currentThread();
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Thread> racer = new AtomicReference<>();
        AtomicBoolean race = new AtomicBoolean();
        long[] movedAtStart = new long[1];
        int[] cellsAtStart = new int[1];
        int[] raced = new int[3]; // within a segment, redistributing, after a resize
        try (ChangeFeed.Subscription sub = map.subscribe((s, k, o, n) -> {
            events.add(k + ": " + o + " -> " + n);
            if (Thread.currentThread() != main || !race.get()) {
                return;
            }
            // Did this write resize the array before its retry made the change, or redistribute a
            // window (movedEntries is added to before the redistribution publishes)?
            int which = map.geometry()[2] != cellsAtStart[0] ? 2 : map.movedEntries() != movedAtStart[0] ? 1 : 0;
            if (raced[which] >= 4) {
                return;
            }
            raced[which]++;
            Thread t = new Thread(() -> map.put(k, 1_000L));
            racer.set(t);
            t.start();
            try {
                t.join(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            events.add(t.isAlive() ? "racer waited" : "racer finished");
        })) {
            Random rnd = new Random(1);
            List<K> keys = KeyOrders.ordered(kind.keys(), kind.order(), 1, rnd);
            for (int phase = 0; phase < 3; phase++) { // inserts, replacements in place, removals
                Arrays.fill(raced, 0);
                List<K> some = phase == 1 ? KeyOrders.ordered(keys, kind.order(), 2, rnd).subList(0, 20) : null;
                for (K k : phase == 0 ? keys : phase == 1 ? some : KeyOrders.ordered(keys, kind.order(), 0, rnd)) {
                    events.clear();
                    racer.set(null);
                    movedAtStart[0] = map.movedEntries();
                    cellsAtStart[0] = map.geometry()[2];
                    race.set(true);
                    Long old = map.get(k);
                    if (phase == 0) {
                        map.put(k, 1L);
                    } else if (phase == 1) {
                        map.put(k, 2L);
                    } else {
                        map.remove(k);
                    }
                    race.set(false);
                    Thread t = racer.get();
                    if (t == null) {
                        continue;
                    }
                    t.join();
                    Long now = phase == 0 ? Long.valueOf(1L) : phase == 1 ? Long.valueOf(2L) : null;
                    String change = k + ": " + old + " -> " + now;
                    String racing = k + ": " + now + " -> 1000";
                    assertEquals(List.of(change, "racer waited", racing), events, kind.name());
                    if (phase == 2) {
                        map.remove(k); // the racer put it back
                    }
                }
                assertEquals(4, raced[0], kind.name() + ": writes within a segment raced, phase " + phase);
                if (phase != 1) {
                    assertEquals(4, raced[1], kind.name() + ": redistributing writes raced, phase " + phase);
                    assertTrue(raced[2] > 0, kind.name() + ": writes after a resize raced, phase " + phase);
                }
                map.checkInvariants();
            }
            assertTrue(map.isEmpty());
        }
    }

    @Test
    void clearPublishesItsRemovalsBeforeWritersReachTheEmptyArray() throws InterruptedException {
        for (Kind<?> kind : kinds(120, 17)) {
            clearThenRacingPut(kind);
        }
    }

    /**
     * {@code clear}'s listener, at its first removal, starts a put of the key whose removal it
     * publishes last, and waits 300 ms for it: the put must wait until {@code clear} is done, so
     * its insert is published after that removal (a {@code clear} that published after storing
     * the empty array let the put in first).
     */
    @SuppressWarnings("unchecked")
    private <K> void clearThenRacingPut(Kind<K> kind) throws InterruptedException {
        PackedMemoryArrayMap<K, Long> map = kind.maps().get();
        Random rnd = new Random(2);
        for (K k : KeyOrders.ordered(kind.keys(), kind.order(), 2, rnd)) {
            map.put(k, 5L);
        }
        K last = map.lastKey(); // clear publishes in key order
        Thread main = Thread.currentThread();
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Thread> racer = new AtomicReference<>();
        int n = map.size();
        try (ChangeFeed.Subscription sub = map.subscribe((s, k, o, v) -> {
            if (Objects.equals(k, last) || Thread.currentThread() != main) {
                events.add(k + ": " + o + " -> " + v);
            }
            if (Thread.currentThread() == main && racer.get() == null) {
                Thread t = new Thread(() -> map.put(last, 6L));
                racer.set(t);
                t.start();
                try {
                    t.join(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                events.add(t.isAlive() ? "racer waited" : "racer finished");
            }
        })) {
            map.clear();
            racer.get().join();
            assertEquals(List.of("racer waited", last + ": 5 -> null", last + ": null -> 6"), events, kind.name());
        }
        assertEquals(Map.of(last, 6L), Map.copyOf(map));
        assertTrue(n > 20);
        map.checkInvariants();
    }

    // ------------------------------------------------------------------ a throwing listener

    @Test
    void aThrowingListenerIsDetachedAndTheWriteCompletesWithNothingLatched() {
        PackedMemoryArrayMap<Long, Long> map = PackedMemoryArrayMap.<Long, Long>builder().segmentSize(4).build();
        List<Change> other = new ArrayList<>();
        map.subscribe((s, k, o, n) -> other.add(new Change(s, k, o, n)));
        List<Throwable> detached = new ArrayList<>();
        Runnable subscribeThrowing = () -> map.subscribe(ChangeFeedChecks.throwingListener(detached));
        subscribeThrowing.run();
        map.put(5L, 50L);
        assertEquals(1, detached.size());
        assertEquals("listener failed on 5", detached.get(0).getMessage());
        assertEquals(50L, map.get(5L));
        map.checkInvariants(); // also: no segment is still latched
        // Descending inserts, each with a fresh throwing listener: in-segment inserts,
        // redistributions and growth all complete, release their latches, and detach it.
        long moved = map.movedEntries();
        int cells = map.geometry()[2];
        for (long k = 100; k > 0; k -= 3) {
            subscribeThrowing.run();
            map.put(k, k);
            map.checkInvariants();
        }
        assertTrue(map.movedEntries() > moved && map.geometry()[2] > cells, "redistributions and growth");
        subscribeThrowing.run();
        assertEquals(50L, map.replace(5L, 51L));
        subscribeThrowing.run();
        assertEquals(1L, map.pollFirstEntry().getKey());
        subscribeThrowing.run();
        assertEquals(100L, map.remove(100L));
        map.checkInvariants();
        int size = map.size();
        subscribeThrowing.run();
        map.clear(); // the listener throws at the first removal; the others still reach "other"
        assertTrue(map.isEmpty());
        map.checkInvariants();
        assertEquals(39, detached.size());
        assertEquals(1 + 34 + 3 + size, other.size(), "the other listener kept, and got every change");
        map.put(1L, 1L);
        assertEquals(39, detached.size(), "nothing throws once every throwing listener is gone");
        assertThrows(NullPointerException.class, () -> map.subscribe(null));
    }

    // ------------------------------------------------------------------ concurrent writers

    @Test
    void concurrentWritersPublishEachKeysChangesInCommitOrder() throws InterruptedException {
        for (Kind<?> kind : kinds(48, 7)) {
            concurrentWriters(kind);
        }
    }

    @SuppressWarnings("unchecked")
    private <K> void concurrentWriters(Kind<K> kind) throws InterruptedException {
        PackedMemoryArrayMap<K, Long> map = kind.maps().get();
        List<K> keys = kind.keys(); // few keys: writers collide on keys, segments and windows
        ConcurrentLinkedQueue<Change> got = new ConcurrentLinkedQueue<>();
        ChangeFeed.Subscription sub = map.subscribe((s, k, o, n) -> got.add(new Change(s, k, o, n)));
        int threads = 3;
        int each = 4_000 * SCALE;
        long moved = map.movedEntries();
        try {
            ChangeFeedChecks.runWriters(threads, each, ChangeFeedChecks.mixedWrites(map, keys, (k, r) ->
                    map.putAll(Map.of(k, (long) r.nextInt(1000),
                            keys.get((keys.indexOf(k) + 1) % keys.size()), (long) r.nextInt(1000)))), kind.name());
        } finally {
            sub.close();
        }
        // Sorting by sequence must give, per key, an unbroken chain old -> new, ending at the
        // key's final value: per-key publication order is commit order.
        int changed = ChangeFeedChecks.assertChainsEndAt(got, kind.order(), map, kind.name());
        assertTrue(changed > threads * each / 2, "most operations changed something");
        assertTrue(map.movedEntries() > moved, "windows redistributed and the array resized meanwhile");
        map.checkInvariants();
    }

    // ------------------------------------------------------------------ the hand-off

    @Test
    void aScanAfterSubscribingReflectsEveryChangeTheListenerWasNotSent() throws InterruptedException {
        for (Kind<?> kind : kinds(60, 11)) {
            handOff(kind);
        }
    }

    /**
     * The hand-off {@code snapshotThenChanges} relies on, while writers clear, remove, poll and
     * put. {@code copyBatch} may return fewer entries than fit (a segment's part at a time, fewer
     * after failed validations under writers), so the batch scans continue after the last key, as
     * the cursors do.
     */
    private <K> void handOff(Kind<K> kind) throws InterruptedException {
        PackedMemoryArrayMap<K, Long> map = kind.maps().get();
        ChangeFeedChecks.assertHandOff(map, kind.order(), ChangeFeedChecks.clearRemovePollPut(map, kind.keys()),
                90 * SCALE, ChangeFeedChecks.iteratorOrBatches(map, 7), kind.name());
        map.checkInvariants();
    }

    /**
     * The store-load pair, made deterministic: a writer whose search of the array began before the
     * subscription (it is held inside the comparator, before it latches anything) and whose change
     * comes after the subscriber's scan must be published, since the scan could not see it. A
     * writer that decided whether to publish before latching (reading the listeners early) loses it.
     */
    @Test
    void aWriteThatSearchedBeforeTheSubscriptionAndChangedAfterTheScanIsPublished() throws Exception {
        AtomicReference<Thread> gated = new AtomicReference<>();
        CountDownLatch searching = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Comparator<String> cmp = (x, y) -> {
            if (Thread.currentThread() == gated.get() && gated.compareAndSet(Thread.currentThread(), null)) {
                searching.countDown();
                try {
                    assertTrue(release.await(10, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
            return y.compareTo(x); // descending
        };
        PackedMemoryArrayMap<String, Long> map = PackedMemoryArrayMap.<String, Long>builder().segmentSize(4)
                .comparator(cmp).build();
        for (int i = 99; i >= 0; i -= 2) {
            map.put(String.format("k%03d", i), (long) i);
        }
        assertTrue(map.geometry()[0] > 1, "several segments: the search compares before it latches");
        Thread writer = new Thread(() -> map.put("k050", 50L));
        gated.set(writer);
        writer.start();
        assertTrue(searching.await(10, TimeUnit.SECONDS));
        ConcurrentLinkedQueue<Change> q = new ConcurrentLinkedQueue<>();
        try (ChangeFeed.Subscription sub = map.subscribe((s, k, o, n) -> q.add(new Change(s, k, o, n)))) {
            TreeMap<String, Long> scan = new TreeMap<>(Comparator.reverseOrder());
            scan.putAll(map);
            assertFalse(scan.containsKey("k050"), "the write has not latched yet");
            release.countDown();
            writer.join();
            for (Change c : q) {
                scan.put((String) c.key(), c.now());
            }
            assertEquals(new TreeMap<>(map), new TreeMap<>(scan), "the scan and the changes sent give the map");
            assertEquals(List.of(new Change(1, "k050", null, 50L)), new ArrayList<>(q));
        }
        map.checkInvariants();
    }
}
