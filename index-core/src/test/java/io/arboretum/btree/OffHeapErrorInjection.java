package io.arboretum.btree;

import io.arboretum.sync.TestHooks;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Run in a JVM with {@code -Darboretum.testHooks=true}: throws an {@link OutOfMemoryError} once
 * from each error-injection site of {@link OffHeapLongBTreeMap} (a split with the leaf and parent
 * latched, a merge with parent and siblings latched, the retirement of a merged-away node) and
 * checks that afterwards every operation on the same keys completes (within a timeout) with the
 * right answer and the invariants hold. Prints {@code site OK} or {@code site FAIL <why>} per
 * site. Started by {@link OffHeapHookedJvmTest}.
 */
final class OffHeapErrorInjection {
    static final long ABSENT = Long.MIN_VALUE;

    private OffHeapErrorInjection() {
    }

    public static void main(String[] args) throws Exception {
        if (!TestHooks.ENABLED) {
            throw new IllegalStateException("run with -D" + TestHooks.PROPERTY + "=true");
        }
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        });
        String[] names = {"", "split", "merge", "retire"};
        for (int site = OffHeapLongBTreeMap.SITE_SPLIT; site <= OffHeapLongBTreeMap.SITE_RETIRE; site++) {
            int s = site;
            Future<String> f = ex.submit(() -> injectAt(s));
            String result;
            try {
                result = f.get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                result = "operations after the error did not complete within 30 s";
            } catch (java.util.concurrent.ExecutionException e) {
                result = "threw " + e.getCause();
            }
            System.out.println(names[site] + (result == null ? " OK" : " FAIL " + result));
            System.out.flush();
            if (result != null && result.startsWith("operations after")) {
                System.exit(0); // a thread is stuck spinning on a stranded latch
            }
        }
        System.exit(0);
    }

    static String injectAt(int site) {
        Random rnd = new Random(site);
        OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(4).mergeThreshold(2).build();
        TreeMap<Long, Long> ref = new TreeMap<>();
        List<Long> keys = new ArrayList<>();
        for (long k = 0; k < 2000; k++) {
            keys.add(k * 2);
        }
        Collections.shuffle(keys, rnd);
        for (long k : keys) {
            m.put(k, k, ABSENT);
            ref.put(k, k);
        }
        AtomicBoolean armed = new AtomicBoolean(true);
        OffHeapLongBTreeMap.siteHook = at -> {
            if (at == site && armed.compareAndSet(true, false)) {
                throw new OutOfMemoryError("injected at site " + site);
            }
        };
        boolean thrown = false;
        try {
            Collections.shuffle(keys, rnd);
            for (long k : keys) {
                try {
                    if (site == OffHeapLongBTreeMap.SITE_SPLIT) {
                        m.put(k + 1, k + 1, ABSENT);
                        ref.put(k + 1, k + 1);
                    } else {
                        m.remove(k, ABSENT);
                        ref.remove(k);
                    }
                } catch (OutOfMemoryError e) {
                    thrown = true;
                    // A split that failed changed nothing; a removal completed before its merge.
                    if (site != OffHeapLongBTreeMap.SITE_SPLIT) {
                        ref.remove(k);
                    }
                    break;
                }
            }
        } finally {
            OffHeapLongBTreeMap.siteHook = null;
        }
        if (!thrown) {
            return "the site was never reached";
        }
        m.checkInvariants();
        for (long k = -1; k <= 4001; k++) {
            long want = ref.containsKey(k) ? ref.get(k) : ABSENT;
            if (m.get(k, ABSENT) != want) {
                return "get(" + k + ") = " + m.get(k, ABSENT) + ", expected " + want;
            }
            Long c = ref.ceilingKey(k);
            if (m.ceilingKey(k, ABSENT) != (c == null ? ABSENT : c)) {
                return "ceilingKey(" + k + ") wrong";
            }
        }
        // The same keys keep working for writers: put and remove every key again.
        for (long k = 0; k <= 4000; k++) {
            m.put(k, -k, ABSENT);
        }
        for (long k = 0; k <= 4000; k += 3) {
            m.remove(k, ABSENT);
        }
        m.checkInvariants();
        for (long k = 0; k <= 4000; k++) {
            if (m.get(k, ABSENT) != (k % 3 == 0 ? ABSENT : -k)) {
                return "after rewriting, get(" + k + ") wrong";
            }
        }
        m.close();
        return null;
    }
}
