package io.arboretum.btree;

import io.arboretum.sync.EpochManager;
import io.arboretum.testkit.HookedJvm;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs, in a JVM started with {@code -Darboretum.testHooks=true}, one two-thread race per seeded
 * fault of {@link OffHeapLongBTreeMap} and prints {@code fault DETECTED <what>} or
 * {@code fault MISSED} for each. With the argument {@code control} it runs every race with no
 * fault active and prints {@code race CLEAN} or {@code race DETECTED}. Each race stops at its
 * first violation or after its time budget. Started by {@link OffHeapSeededFaultTest}.
 */
final class OffHeapFaultProbe {
    static final long ABSENT = Long.MIN_VALUE;

    private OffHeapFaultProbe() {
    }

    /** A race: two bodies that run until {@code stop}; a body returns a violation or null. */
    interface Race {
        String run(long millis) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        long millis = Long.parseLong(args.length > 1 ? args[1] : "5000");
        Map<String, Race> races = new java.util.LinkedHashMap<>();
        races.put(OffHeapLongBTreeMap.FAULT_GET_SKIP_LEAF_VALIDATION, OffHeapFaultProbe::stableKeysUnderChurn);
        races.put(OffHeapLongBTreeMap.FAULT_DESCEND_SKIP_PARENT_VALIDATION, OffHeapFaultProbe::stableKeysUnderChurn);
        races.put(OffHeapLongBTreeMap.FAULT_NAVIGATE_SKIP_VALIDATION, OffHeapFaultProbe::ceilingOfAlternatingPair);
        races.put(OffHeapLongBTreeMap.FAULT_SPLIT_PUBLISH_BEFORE_FILL, ms -> stableKeysUnderChurn(ms, 40));
        races.put(OffHeapLongBTreeMap.FAULT_PUT_VALIDATE_INSTEAD_OF_LATCH, OffHeapFaultProbe::twoInserters);
        races.put(OffHeapLongBTreeMap.FAULT_POLL_UNLATCHED, OffHeapFaultProbe::twoPollers);
        races.put(OffHeapLongBTreeMap.FAULT_MERGE_REUSE_WITHOUT_EPOCH, OffHeapFaultProbe::reuseWhilePinned);
        Map<String, java.util.concurrent.Callable<String>> scenarios = new java.util.LinkedHashMap<>();
        races.forEach((fault, race) -> scenarios.put(fault, () -> race.run(millis)));
        HookedJvm.probe(scenarios, args.length > 0 && args[0].equals("control"));
    }

    /** Runs {@code a} and {@code b} on two threads for at most {@code millis}; first violation wins. */
    static String race(long millis, java.util.function.Function<AtomicBoolean, String> a,
                       java.util.function.Function<AtomicBoolean, String> b) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> found = new AtomicReference<>();
        List<Thread> ts = new ArrayList<>();
        java.util.concurrent.CyclicBarrier go = new java.util.concurrent.CyclicBarrier(2);
        for (java.util.function.Function<AtomicBoolean, String> body : List.of(a, b)) {
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    String v = body.apply(stop);
                    if (v != null && found.compareAndSet(null, v)) {
                        stop.set(true);
                    }
                } catch (Throwable x) {
                    if (found.compareAndSet(null, x.toString())) {
                        stop.set(true);
                    }
                }
            });
            t.setDaemon(true);
            ts.add(t);
            t.start();
        }
        long end = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < end && !stop.get() && (ts.get(0).isAlive() || ts.get(1).isAlive())) {
            Thread.sleep(1);
        }
        stop.set(true);
        for (Thread t : ts) {
            t.join(10_000);
        }
        return found.get();
    }

    /** Even keys are present throughout; a writer churns odd keys (splits, merges, shifts). */
    static String stableKeysUnderChurn(long millis) throws Exception {
        return stableKeysUnderChurn(millis, 400);
    }

    static String stableKeysUnderChurn(long millis, int n) throws Exception {
        OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(4).mergeThreshold(2).build();
        for (long k = 0; k < n; k += 2) {
            m.put(k, k * 7, ABSENT);
        }
        return race(millis, stop -> {
            java.util.SplittableRandom r = new java.util.SplittableRandom(1);
            while (!stop.get()) {
                for (long k = 1; k < n; k += 2) {
                    m.put(k, k * 7, ABSENT);
                }
                for (int i = 0; i < n / 2; i++) {
                    m.remove(1 + 2L * r.nextInt(n / 2), ABSENT);
                }
                for (long k = n - 1; k > 0; k -= 2) {
                    m.remove(k, ABSENT);
                }
            }
            return null;
        }, stop -> {
            while (!stop.get()) {
                for (long k = 0; k < n; k += 2) {
                    long v = m.get(k, ABSENT);
                    if (v != k * 7) {
                        return "get(" + k + ") = " + v + " while present throughout";
                    }
                }
            }
            return null;
        });
    }

    /**
     * At every instant A or B is present (put one, then remove the other), with fillers around
     * them; so {@code ceilingKey(0)} must return A or B.
     */
    static String ceilingOfAlternatingPair(long millis) throws Exception {
        OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(8).build();
        long a = 10;
        long b = 5000;
        for (long k = -1000; k < 0; k++) {
            m.put(k, k, ABSENT);
        }
        for (long k = b; k < b + 1000; k++) { // b first: the separator between the pair's leaves
            m.put(k, k, ABSENT);
        }
        m.remove(-1, ABSENT);
        m.remove(-2, ABSENT);
        m.put(a, a, ABSENT);
        return race(millis, stop -> {
            while (!stop.get()) {
                m.put(b, b, ABSENT);
                m.remove(a, ABSENT);
                m.put(a, a, ABSENT);
                m.remove(b, ABSENT);
            }
            return null;
        }, stop -> {
            while (!stop.get()) {
                long c = m.ceilingKey(0, ABSENT);
                if (c != a && c != b) {
                    return "ceilingKey(0) = " + c + " while " + a + " or " + b + " was present at every instant";
                }
            }
            return null;
        });
    }

    /** Two threads insert disjoint interleaved keys into the same leaves; none may be lost. */
    static String twoInserters(long millis) throws Exception {
        long end = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < end) {
            OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(64).build();
            int n = 20_000;
            String v = race(millis, stop -> {
                for (long k = 0; k < n && !stop.get(); k += 2) {
                    m.put(k, k, ABSENT);
                }
                return null;
            }, stop -> {
                for (long k = 1; k < n && !stop.get(); k += 2) {
                    m.put(k, k, ABSENT);
                }
                return null;
            });
            if (v != null) {
                return v;
            }
            for (long k = 0; k < n; k++) {
                if (m.get(k, ABSENT) != k) {
                    return "key " + k + " lost: put returned but get misses it";
                }
            }
        }
        return null;
    }

    /** Two threads poll the first entry; no entry may be returned twice. */
    static String twoPollers(long millis) throws Exception {
        long end = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < end) {
            OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(16).build();
            int n = 2000;
            for (long k = 0; k < n; k++) {
                m.put(k, k, ABSENT);
            }
            ConcurrentNavigableMap<Long, Long> view = m.asMap();
            java.util.BitSet[] got = {new java.util.BitSet(), new java.util.BitSet()};
            java.util.concurrent.atomic.AtomicInteger ids = new java.util.concurrent.atomic.AtomicInteger();
            String v = race(millis, stop -> poller(view, got[0]), stop -> poller(view, got[1]));
            if (v != null) {
                return v;
            }
            if (got[0].intersects(got[1])) {
                java.util.BitSet both = (java.util.BitSet) got[0].clone();
                both.and(got[1]);
                return "both polls returned key " + both.nextSetBit(0);
            }
        }
        return null;
    }

    private static String poller(ConcurrentNavigableMap<Long, Long> view, java.util.BitSet got) {
        Map.Entry<Long, Long> e;
        while ((e = view.pollFirstEntry()) != null) {
            got.set((int) (long) e.getKey());
        }
        return null;
    }

    /**
     * A reader stays pinned (as every operation is for its whole duration) while this thread
     * merges nodes away and splits new ones: no node retired meanwhile may be handed out again
     * before the reader unpins. Deterministic, so it needs no lucky interleaving; Lincheck cannot
     * see this fault, because outside the poison mode a reused node's version keeps counting and
     * a stale reader's validation fails anyway (see the class essay and docs/lincheck-coverage.md).
     */
    static String reuseWhilePinned(long millis) {
        try (OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(4).mergeThreshold(2).build()) {
            for (long k = 0; k < 400; k++) {
                m.put((k * 37) % 400, k, ABSENT);
            }
            try (EpochManager.Guard reader = m.epochManager().pin()) {
                long before = m.reusedNodeCount();
                for (long k = 399; k >= 0; k -= 2) {
                    m.remove(k, ABSENT);
                }
                for (long k = 1; k < 400; k += 2) {
                    m.put(k, k, ABSENT);
                }
                long reused = m.reusedNodeCount() - before;
                return reused == 0 ? null : reused + " retired nodes were reused while a reader was pinned";
            }
        }
    }
}
