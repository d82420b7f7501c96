package io.arboretum.testkit;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentNavigableMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Concurrency checks of the contract that any index must pass: the weak consistency of its
 * iterators and views under churn ({@link WeakConsistencyStress}), and the compute family's
 * retry loops losing no update under contention. A few seconds at scale 1.
 */
public abstract class WeakConsistencyStressTests extends IndexContractBase {

    private static final long SEED = Long.getLong("arboretum.test.seed", 0x5eedL);

    /** Iterators of the map and its views stay weakly consistent while writers churn. */
    @Test
    public void iteratorsAreWeaklyConsistentUnderChurn() {
        int i = 0;
        for (boolean reversed : new boolean[] {false, true}) {
            for (int capacity : new int[] {4, 256, 0}) {
                ConcurrentNavigableMap<Integer, Integer> m = create(reversed ? ReversedIntComparator.INSTANCE : null,
                        capacity);
                long seed = SEED + i++;
                long passes = WeakConsistencyStress.run(m, 512 * SCALE, 600L * SCALE, 2, 2, seed);
                assertTrue(passes > 0, "no reader pass completed (seed " + seed + ")");
                checkInvariants(m);
            }
        }
    }

    /** Concurrent merge, compute and computeIfPresent increments are all counted. */
    @Test
    public void computeFamilyLosesNoUpdateUnderContention() throws InterruptedException {
        for (int capacity : new int[] {4, 256, 0}) {
            ConcurrentNavigableMap<Integer, Integer> m = create(null, capacity);
            int keys = 8;
            int perThread = 3000 * SCALE;
            for (int k = 0; k < keys; k++) {
                m.put(k * 2, 0);
            }
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int kind = t;
                threads.add(new Thread(() -> {
                    for (int i = 0; i < perThread; i++) {
                        int k = (i % keys) * 2;
                        switch (kind) {
                            case 0:
                                m.merge(k, 1, Integer::sum);
                                break;
                            case 1:
                                m.compute(k, (key, v) -> v == null ? 1 : v + 1);
                                break;
                            default:
                                m.computeIfPresent(k, (key, v) -> v + 1);
                                break;
                        }
                        // Churn a neighbour so that nodes split and merge under the hot keys.
                        if ((i & 7) == 0) {
                            m.put(k + 1, i);
                        } else if ((i & 7) == 4) {
                            m.remove(k + 1);
                        }
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join(120_000);
                assertFalse(t.isAlive(), "a compute thread did not finish: a latch may be held");
            }
            long total = 0;
            for (int k = 0; k < keys; k++) {
                total += m.get(k * 2);
            }
            assertEquals(3L * perThread, total, "increments lost by the compute family (capacity " + capacity + ")");
            checkInvariants(m);
        }
    }
}
