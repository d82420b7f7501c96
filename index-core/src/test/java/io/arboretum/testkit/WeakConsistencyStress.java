package io.arboretum.testkit;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A weak-consistency stress for any {@code ConcurrentNavigableMap<Integer, Integer>}: writers
 * churn a key range while readers iterate the map and its views (ascending, descending, sub-maps,
 * nested and descending sub-maps, key sets and their descending iterators), and every pass is
 * checked against what weak consistency promises.
 *
 * <p>Keys are classed by {@code k mod 4}: 0 is <em>stable</em> (present for the whole run; its
 * value may be replaced), 1 is <em>absent</em> (never written), 2 and 3 are <em>churned</em>
 * (put, removed, computed, merged). Every value written for key {@code k} is
 * {@code k * 1000 + n} for some {@code 0 <= n < 1000}. Each pass asserts: keys strictly in the
 * view's order (so no duplicates), every stable key of the view's range seen, no absent key
 * seen, every value belonging to its key.
 */
public final class WeakConsistencyStress {

    private WeakConsistencyStress() {
    }

    /**
     * Runs the stress. The map must be empty; it is left with the stable keys and some churned
     * ones.
     *
     * @param map the empty map under test
     * @param keyRange keys are {@code 0 <= k < keyRange}
     * @param millis how long the writers run
     * @param writers how many writer threads
     * @param readers how many reader threads
     * @param seed the seed of every thread's random choices
     * @return how many reader passes were checked
     * @throws AssertionError describing the first violation, with the seed
     */
    public static long run(ConcurrentNavigableMap<Integer, Integer> map, int keyRange, long millis,
                           int writers, int readers, long seed) {
        if (!map.isEmpty() || keyRange < 8 || keyRange > 2_000_000) {
            throw new IllegalArgumentException("need an empty map and 8 <= keyRange <= 2000000");
        }
        for (int k = 0; k < keyRange; k += 4) {
            map.put(k, k * 1000);
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        long[] passes = new long[readers];
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            SplittableRandom rnd = new SplittableRandom(seed * 31 + w);
            threads.add(new Thread(() -> {
                try {
                    write(map, keyRange, rnd, deadline, failure);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }, "stress-writer-" + w));
        }
        for (int r = 0; r < readers; r++) {
            SplittableRandom rnd = new SplittableRandom(seed * 37 + 1000 + r);
            int slot = r;
            threads.add(new Thread(() -> {
                try {
                    while (System.nanoTime() < deadline && failure.get() == null) {
                        readPass(map, keyRange, rnd);
                        passes[slot]++;
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }, "stress-reader-" + r));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            try {
                t.join(millis + 60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
            if (t.isAlive()) {
                throw new AssertionError(t.getName() + " did not finish: a latch may be held (seed " + seed + ")");
            }
        }
        Throwable t = failure.get();
        if (t != null) {
            throw new AssertionError("weak-consistency stress failed (seed " + seed + "): " + t, t);
        }
        for (int k = 0; k < keyRange; k++) {
            Integer v = map.get(k);
            if (k % 4 == 0 && (v == null || v / 1000 != k)) {
                throw new AssertionError("stable key " + k + " has value " + v + " after the run (seed " + seed + ")");
            }
            if (k % 4 == 1 && v != null) {
                throw new AssertionError("absent key " + k + " is present after the run (seed " + seed + ")");
            }
        }
        long total = 0;
        for (long p : passes) {
            total += p;
        }
        return total;
    }

    private static void write(ConcurrentNavigableMap<Integer, Integer> map, int keyRange, SplittableRandom rnd,
                              long deadline, AtomicReference<Throwable> failure) {
        int n = 0;
        while (failure.get() == null) {
            if ((++n & 63) == 0 && System.nanoTime() >= deadline) {
                return;
            }
            int k = rnd.nextInt(keyRange / 4) * 4 + 2 + rnd.nextInt(2); // a churned key
            int v = k * 1000 + rnd.nextInt(1000);
            switch (rnd.nextInt(9)) {
                case 0:
                case 1:
                    map.put(k, v);
                    break;
                case 2:
                case 3:
                    map.remove(k);
                    break;
                case 4:
                    map.putIfAbsent(k, v);
                    break;
                case 5:
                    map.compute(k, (key, old) -> old == null ? v : null);
                    break;
                case 6:
                    map.merge(k, v, (a, b) -> a / 1000 == k ? k * 1000 + (a + 1) % 1000 : null);
                    break;
                case 7: {
                    // Replace a stable key's value: it must stay present throughout.
                    int s = rnd.nextInt(keyRange / 4) * 4;
                    map.replace(s, s * 1000 + rnd.nextInt(1000));
                    break;
                }
                default: {
                    // Remove a run of churned keys through a sub-map view.
                    int lo = rnd.nextInt(keyRange);
                    int hi = Math.min(keyRange, lo + 1 + rnd.nextInt(16));
                    int[] b = ordered(map, lo, hi);
                    ConcurrentNavigableMap<Integer, Integer> view = map.subMap(b[0], true, b[1], true);
                    for (Iterator<Integer> it = view.keySet().iterator(); it.hasNext(); ) {
                        int key = it.next();
                        if (key % 4 >= 2) {
                            it.remove();
                        }
                    }
                }
            }
        }
    }

    /** The two keys ordered by the map's comparator. */
    private static int[] ordered(ConcurrentNavigableMap<Integer, Integer> map, int a, int b) {
        return order(map.comparator()).compare(a, b) <= 0 ? new int[] {a, b} : new int[] {b, a};
    }

    @SuppressWarnings("unchecked")
    private static Comparator<Integer> order(Comparator<? super Integer> c) {
        return c == null ? Comparator.naturalOrder() : (Comparator<Integer>) c;
    }

    private static void readPass(ConcurrentNavigableMap<Integer, Integer> map, int keyRange, SplittableRandom rnd) {
        int a = rnd.nextInt(keyRange);
        int b = rnd.nextInt(keyRange);
        int[] ab = ordered(map, a, b);
        ConcurrentNavigableMap<Integer, Integer> view;
        // lo/hi: the view's range in the map's order, inclusive; null: unbounded.
        Integer lo = null;
        Integer hi = null;
        boolean keysOnly = false;
        boolean descendingKeys = false;
        int shape = rnd.nextInt(7);
        switch (shape) {
            case 0:
                view = map;
                break;
            case 1:
                view = map.descendingMap();
                break;
            case 2:
                view = map.subMap(ab[0], true, ab[1], true);
                lo = ab[0];
                hi = ab[1];
                break;
            case 3:
                view = map.tailMap(ab[0], true).descendingMap().tailMap(ab[1], true);
                lo = ab[0];
                hi = ab[1];
                break;
            case 4:
                view = map.headMap(ab[1], true).descendingMap();
                hi = ab[1];
                break;
            case 5:
                view = map;
                keysOnly = true;
                descendingKeys = true;
                break;
            default:
                view = map.subMap(ab[0], true, ab[1], true);
                lo = ab[0];
                hi = ab[1];
                keysOnly = true;
                break;
        }
        Comparator<Integer> viewOrder = order(view.comparator());
        Comparator<Integer> mapOrder = order(map.comparator());
        List<Integer> seen = new ArrayList<>();
        if (keysOnly) {
            Iterator<Integer> it = descendingKeys ? view.navigableKeySet().descendingIterator()
                    : view.navigableKeySet().iterator();
            if (descendingKeys) {
                viewOrder = viewOrder.reversed();
            }
            while (it.hasNext()) {
                seen.add(it.next());
            }
        } else {
            for (Map.Entry<Integer, Integer> e : view.entrySet()) {
                int k = e.getKey();
                int v = e.getValue();
                if (v / 1000 != k) {
                    throw new AssertionError("key " + k + " returned with value " + v + " never written for it");
                }
                seen.add(k);
            }
        }
        for (int i = 1; i < seen.size(); i++) {
            if (viewOrder.compare(seen.get(i - 1), seen.get(i)) >= 0) {
                throw new AssertionError("out of order or duplicate: " + seen.get(i - 1) + " then " + seen.get(i)
                        + " (view shape " + shape + ", range " + lo + ".." + hi + ", at position " + i + " of " + seen.size() + ")");
            }
        }
        BitSet present = new BitSet(keyRange);
        for (int k : seen) {
            if (k < 0 || k >= keyRange || k % 4 == 1) {
                throw new AssertionError("key " + k + " was never in the map but was returned");
            }
            if ((lo != null && mapOrder.compare(k, lo) < 0) || (hi != null && mapOrder.compare(k, hi) > 0)) {
                throw new AssertionError("key " + k + " outside the view's range " + lo + ".." + hi);
            }
            present.set(k);
        }
        for (int k = 0; k < keyRange; k += 4) {
            boolean inRange = (lo == null || mapOrder.compare(k, lo) >= 0) && (hi == null || mapOrder.compare(k, hi) <= 0);
            if (inRange && !present.get(k)) {
                throw new AssertionError("stable key " + k + " present throughout was not returned by "
                        + (keysOnly ? "a key iterator" : "an entry iterator") + " over " + lo + ".." + hi);
            }
        }
    }
}
