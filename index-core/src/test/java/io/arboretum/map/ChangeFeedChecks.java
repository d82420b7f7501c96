package io.arboretum.map;

import io.arboretum.testkit.Threads;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.IntFunction;
import java.util.function.ObjIntConsumer;

/**
 * The checks every index's change-feed hook test makes of what its listeners received: per-key
 * commit order (an unbroken chain of old and new values), the hand-off a subscriber's scan relies
 * on (scan plus events converge), and a complete scan through {@link BatchScannable#copyBatch};
 * and the harness they share: one write checked for exactly one change, a replay of what one call
 * published, writer threads started together, a throwing listener. One place for the logic the
 * B+tree, Masstree, PMA and Bw-tree hook tests share.
 */
public final class ChangeFeedChecks {
    private ChangeFeedChecks() {
    }

    /**
     * A change as a listener received it.
     *
     * @param seq the sequence number
     * @param key the key
     * @param old the value before, or null
     * @param now the value after, or null
     */
    public record Change(long seq, Object key, Long old, Long now) {
    }

    /**
     * Sorts {@code got} by sequence number and checks that the numbers are unique and that, per
     * key, each change's old value is the previous change's new value (commit order), the chain
     * starting from absent and ending at {@code end}'s value for the key.
     *
     * @param got the changes received, in any order
     * @param order the keys' order
     * @param end the map's content at the end (keys absent there must end removed)
     * @param name what to call the case in a failure
     * @return the number of changes
     */
    @SuppressWarnings("unchecked")
    public static <K> int assertChainsEndAt(Collection<Change> got, Comparator<? super K> order, Map<K, Long> end,
                                            String name) {
        List<Change> all = new ArrayList<>(got);
        all.sort(Comparator.comparingLong(Change::seq));
        TreeMap<K, Long> state = new TreeMap<>(order);
        long lastSeq = 0;
        for (Change c : all) {
            assertTrue(c.seq() > lastSeq, "sequence numbers are unique");
            lastSeq = c.seq();
            K ck = (K) c.key();
            assertEquals(state.get(ck), c.old(), () -> name + ": chain broken at " + c);
            apply(state, c);
        }
        TreeMap<K, Long> expected = new TreeMap<>(order);
        expected.putAll(end);
        assertEquals(expected, state, name);
        return all.size();
    }

    /**
     * Applies {@code events} to {@code view} in sequence order: what a {@code snapshotThenChanges}
     * collector does with its snapshot.
     *
     * @param view the snapshot, changed in place
     * @param events the events received after subscribing
     */
    public static <K> void applyInSequence(TreeMap<K, Long> view, Collection<Change> events) {
        List<Change> changes = new ArrayList<>(events);
        changes.sort(Comparator.comparingLong(Change::seq));
        for (Change c : changes) {
            apply(view, c);
        }
    }

    @SuppressWarnings("unchecked")
    private static <K> void apply(Map<K, Long> m, Change c) {
        if (c.now() == null) {
            m.remove((K) c.key());
        } else {
            m.put((K) c.key(), c.now());
        }
    }

    /**
     * Copies the whole map into {@code into} through {@code copyBatch} calls of at most
     * {@code batch} entries, each continuing strictly after the last key copied (a call may copy
     * fewer entries than fit, as {@link BatchScannable} allows, so one call is not the whole map).
     *
     * @param map the map
     * @param descending whether to copy from the high end down
     * @param batch the most entries per call
     * @param into receives the entries
     */
    @SuppressWarnings("unchecked")
    public static <K> void copyAll(BatchScannable<K, Long> map, boolean descending, int batch, Map<K, Long> into) {
        Object[] ks = new Object[batch];
        Object[] vs = new Object[batch];
        K after = null;
        for (int c; (c = descending ? map.copyBatch(null, true, after, false, true, ks, vs)
                : map.copyBatch(after, false, null, true, false, ks, vs)) > 0; ) {
            for (int j = 0; j < c; j++) {
                into.put((K) ks[j], (Long) vs[j]);
            }
            after = (K) ks[c - 1];
        }
    }

    /**
     * Runs {@code op} and checks that it published exactly one change, {@code key: old -> now}
     * ({@code byte[]} keys compared by content).
     *
     * @param got what the listener received so far (the change is appended)
     * @param op the write
     * @param key the key expected
     * @param old the old value expected, or null
     * @param now the new value expected, or null
     * @param what what to call the write in a failure
     * @return the change
     */
    public static Change exactlyOne(List<Change> got, Runnable op, Object key, Long old, Long now, String what) {
        int before = got.size();
        op.run();
        assertEquals(before + 1, got.size(),
                () -> what + ": one change, got " + got.subList(before, got.size()));
        Change c = got.get(before);
        if (key instanceof byte[] bytes) {
            assertArrayEquals(bytes, (byte[]) c.key(), () -> what + ": key of " + c);
        } else {
            assertEquals(key, c.key(), () -> what + ": key of " + c);
        }
        assertEquals(old, c.old(), () -> what + ": old value of " + c);
        assertEquals(now, c.now(), () -> what + ": new value of " + c);
        return c;
    }

    /**
     * Replays what one call published: checks that each change's old value is {@code replay}'s
     * value for its key, and applies the change to {@code replay}.
     *
     * @param replay the map as the listener knows it, changed in place
     * @param batch the changes the call published, in order
     * @param name what to call the case in a failure
     */
    @SuppressWarnings("unchecked")
    public static <K> void assertReplays(Map<K, Long> replay, Collection<Change> batch, String name) {
        for (Change c : batch) {
            assertEquals(replay.get((K) c.key()), c.old(), () -> name + ": old value in " + c);
            apply(replay, c);
        }
    }

    /**
     * Runs write {@code op} (0 to 9) of the {@link Map} API on {@code key}: put, putIfAbsent,
     * replace, replace from {@code before} (7 if absent), remove, remove of {@code before} (7 if
     * absent), compute (insert, remove or increment), computeIfAbsent, computeIfPresent (remove
     * or add) and merge (sum).
     *
     * @param map the map
     * @param op which write, 0 to 9
     * @param key the key
     * @param v the value written
     * @param before the key's value before the write, or null
     */
    public static <K> void mapWrite(Map<K, Long> map, int op, K key, long v, Long before) {
        switch (op) {
            case 0 -> map.put(key, v);
            case 1 -> map.putIfAbsent(key, v);
            case 2 -> map.replace(key, v);
            case 3 -> map.replace(key, before == null ? 7L : before, v);
            case 4 -> map.remove(key);
            case 5 -> map.remove(key, before == null ? 7L : before);
            case 6 -> map.compute(key, (kk, old) ->
                    old == null ? Long.valueOf(v) : old % 3 == 0 ? null : Long.valueOf(old + 1));
            case 7 -> map.computeIfAbsent(key, kk -> v);
            case 8 -> map.computeIfPresent(key, (kk, old) -> old % 2 == 0 ? null : Long.valueOf(old + v));
            case 9 -> map.merge(key, v, Long::sum);
            default -> throw new IllegalArgumentException("write " + op);
        }
    }

    /**
     * Checks that sequence numbers increase in the order {@code got} received them (one writer
     * thread) and that most of the {@code ops} operations changed something.
     *
     * @param got the changes received
     * @param ops the number of operations run
     */
    public static void assertIncreasingAndMost(List<Change> got, int ops) {
        long last = 0;
        for (Change c : got) {
            assertTrue(c.seq() > last, "sequence numbers increase on one thread");
            last = c.seq();
        }
        assertTrue(got.size() > ops / 3, "most operations changed something: " + got.size());
    }

    /**
     * Closes {@code sub} twice (closing is idempotent), runs {@code writes}, and checks that the
     * listener received nothing after the close.
     *
     * @param sub the subscription
     * @param got what its listener received
     * @param writes writes after the close
     */
    public static void assertNothingAfterClose(ChangeFeed.Subscription sub, List<Change> got, Runnable writes) {
        int seen = got.size();
        sub.close();
        sub.close(); // idempotent
        writes.run();
        assertEquals(seen, got.size(), "nothing after close");
    }

    /**
     * A listener that throws {@code IllegalStateException("listener failed on " + key)} at every
     * change and adds the cause it is detached with to {@code detached}.
     *
     * @param detached receives the causes
     * @return the listener
     */
    public static <K> ChangeListener<K, Long> throwingListener(List<Throwable> detached) {
        return new ChangeListener<>() {
            @Override
            public void onChange(long sequence, K key, Long oldValue, Long newValue) {
                throw new IllegalStateException("listener failed on " + key);
            }

            @Override
            public void onDetached(Throwable cause) {
                detached.add(cause);
            }
        };
    }

    /**
     * Starts {@code threads} writers together; writer {@code t} runs the step
     * {@code writers.apply(t)} returns (called on its thread) {@code each} times. Waits for all,
     * and rethrows the first failure as an {@link AssertionError} named {@code name}.
     *
     * @param threads the number of writers
     * @param each the steps per writer
     * @param writers a writer's step, by its index (a seed)
     * @param name what to call the case in a failure
     * @throws InterruptedException if interrupted while waiting
     */
    public static void runWriters(int threads, int each, IntFunction<Runnable> writers, String name)
            throws InterruptedException {
        Threads.run(name, threads, seed -> {
            Runnable step = writers.apply(seed);
            for (int i = 0; i < each; i++) {
                step.run();
            }
        });
    }

    /**
     * The hand-off {@code snapshotThenChanges} relies on, while two writers run: {@code rounds}
     * times subscribe, then scan; at the end each scan with its subscription's events applied in
     * sequence order equals the final map, so each key's final value is its last published one or
     * (if nothing was published for it) the value the scan read. A failure first prints each
     * differing key with the events that subscription got.
     *
     * @param map the map
     * @param order the keys' order
     * @param writers a writer's step, by its index (a seed), repeated until the scans are done
     * @param rounds the number of subscriptions and scans
     * @param scan fills a scan of the map, given the round
     * @param name what to call the case in a failure
     * @throws InterruptedException if interrupted while waiting
     */
    public static <K, M extends Map<K, Long> & ChangeObservable<K, Long>> void assertHandOff(
            M map, Comparator<? super K> order, IntFunction<Runnable> writers, int rounds,
            ObjIntConsumer<TreeMap<K, Long>> scan, String name)
            throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            int seed = t;
            Thread th = new Thread(() -> {
                try {
                    Runnable step = writers.apply(seed);
                    while (!stop.get()) {
                        step.run();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            ts.add(th);
            th.start();
        }
        List<ConcurrentLinkedQueue<Change>> feeds = new ArrayList<>();
        List<TreeMap<K, Long>> scans = new ArrayList<>();
        List<ChangeFeed.Subscription> subs = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            ConcurrentLinkedQueue<Change> q = new ConcurrentLinkedQueue<>();
            subs.add(map.subscribe((s, k, o, n) -> q.add(new Change(s, k, o, n))));
            feeds.add(q);
            TreeMap<K, Long> view = new TreeMap<>(order);
            scan.accept(view, i);
            scans.add(view);
        }
        stop.set(true);
        for (Thread th : ts) {
            th.join();
        }
        subs.forEach(ChangeFeed.Subscription::close);
        if (failure.get() != null) {
            throw new AssertionError(name, failure.get());
        }
        TreeMap<K, Long> last = new TreeMap<>(order);
        last.putAll(map);
        for (int i = 0; i < rounds; i++) {
            TreeMap<K, Long> view = scans.get(i);
            applyInSequence(view, feeds.get(i));
            if (!last.equals(view)) {
                // Diagnosis for a failure: each differing key with the events this subscription got.
                TreeMap<K, Long> union = new TreeMap<>(order);
                union.putAll(last);
                union.putAll(view);
                for (K k : union.keySet()) {
                    if (!Objects.equals(last.get(k), view.get(k))) {
                        System.err.println("DIFF key " + k + " final " + last.get(k) + " view " + view.get(k));
                        for (Change c : feeds.get(i)) {
                            if (c.key().equals(k)) {
                                System.err.println("  " + c);
                            }
                        }
                    }
                }
            }
            assertEquals(last, view, name + ": subscription " + i + " converges");
        }
    }

    /**
     * The writer step the PMA and Bw-tree hand-off tests share: on a random key of {@code keys},
     * rarely a {@code clear}, else a removal (30%), a {@code pollFirstEntry} (5%) or a put of the
     * writer's next value.
     *
     * @param map the map
     * @param keys the keys written
     * @return a writer's step, by its seed
     */
    public static <K> IntFunction<Runnable> clearRemovePollPut(NavigableMap<K, Long> map, List<K> keys) {
        return seed -> {
            Random r = new Random(seed);
            long[] v = {0};
            return () -> {
                K k = keys.get(r.nextInt(keys.size()));
                int op = r.nextInt(1000);
                if (op == 0) {
                    map.clear();
                } else if (op < 300) {
                    map.remove(k);
                } else if (op < 350) {
                    map.pollFirstEntry();
                } else {
                    map.put(k, ++v[0]);
                }
            };
        };
    }

    /**
     * The writer step the PMA and Bw-tree concurrent-writer tests share: on a random key of
     * {@code keys}, one of removal (twice the weight), merge, both polls, compute, {@code sixth},
     * a rare {@code clear} or else a replace, and put (three times the weight).
     *
     * @param map the map
     * @param keys the keys written
     * @param sixth the one operation in which the tests differ, given the key and the writer's random
     * @return a writer's step, by its seed
     */
    public static <K> IntFunction<Runnable> mixedWrites(NavigableMap<K, Long> map, List<K> keys,
                                                       BiConsumer<K, Random> sixth) {
        return seed -> {
            Random r = new Random(seed);
            return () -> {
                K k = keys.get(r.nextInt(keys.size()));
                switch (r.nextInt(10)) {
                    case 0, 1 -> map.remove(k);
                    case 2 -> map.merge(k, 1L, Long::sum);
                    case 3 -> map.pollFirstEntry();
                    case 4 -> map.pollLastEntry();
                    case 5 -> map.compute(k, (kk, old) ->
                            old == null ? Long.valueOf(1) : old % 5 == 0 ? null : Long.valueOf(old + 1));
                    case 6 -> sixth.accept(k, r);
                    case 7 -> {
                        if (r.nextInt(400) == 0) {
                            map.clear();
                        } else {
                            map.replace(k, (long) r.nextInt(1000));
                        }
                    }
                    default -> map.put(k, (long) r.nextInt(1_000_000));
                }
            };
        };
    }

    /**
     * A scan by round: every third through the entry iterator, the others through
     * {@link #copyAll} into arrays of {@code batch}, ascending and descending in turn.
     *
     * @param map the map
     * @param batch the most entries per {@code copyBatch} call
     * @return fills a scan, given the round
     */
    public static <K, M extends Map<K, Long> & BatchScannable<K, Long>> ObjIntConsumer<TreeMap<K, Long>>
            iteratorOrBatches(M map, int batch) {
        return (scan, i) -> {
            if (i % 3 == 0) {
                iterateAll(map, scan);
            } else {
                copyAll(map, i % 3 == 2, batch, scan);
            }
        };
    }

    /**
     * Copies the whole map into {@code into} through its entry iterator.
     *
     * @param map the map
     * @param into receives the entries
     */
    public static <K> void iterateAll(Map<K, Long> map, Map<K, Long> into) {
        for (Map.Entry<K, Long> e : map.entrySet()) {
            into.put(e.getKey(), e.getValue());
        }
    }
}
