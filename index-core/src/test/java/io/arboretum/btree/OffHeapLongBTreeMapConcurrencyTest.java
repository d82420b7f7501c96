package io.arboretum.btree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.arboretum.sync.EpochManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Multi-threaded stress with freed nodes poisoned: writers churn keys so that nodes split, merge,
 * are retired and reused, while readers check every answer. A reader that acted on a freed or
 * reused node would return a poisoned or foreign value, miss a key that is present throughout,
 * or trip the map's own poison assertion.
 */
class OffHeapLongBTreeMapConcurrencyTest {
    static final int SCALE = Integer.getInteger("arboretum.test.scale", 1);
    static final long ABSENT = Long.MIN_VALUE;
    static final int KEYS = 3000;

    /** The only value ever stored for a key. */
    static long valueOf(long k) {
        return k * 0x9E3779B97F4A7C15L ^ 0x1234_5678L;
    }

    /** Every tenth key is inserted first and never touched by writers. */
    static boolean stable(long k) {
        return k % 10 == 0;
    }

    @Test
    void readersNeverActOnFreedNodesUnderChurn() throws Exception {
        for (int cap : new int[] {4, 6}) {
            run(cap);
        }
    }

    private void run(int cap) throws Exception {
        EpochManager epochs = new EpochManager(1 << 16, Duration.ofSeconds(30));
        OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(cap).epochManager(epochs)
                .debugPoisonFreedNodes(true).build();
        for (long k = 0; k < KEYS; k += 10) {
            m.put(k, valueOf(k), ABSENT);
        }
        int writerOps = 150_000 * SCALE;
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong reads = new AtomicLong();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            long seed = 100 + w;
            threads.add(new Thread(() -> {
                SplittableRandom rnd = new SplittableRandom(seed);
                await(start);
                try {
                    for (int i = 0; i < writerOps && failure.get() == null; i++) {
                        long k = rnd.nextInt(KEYS);
                        if (stable(k)) {
                            continue;
                        }
                        // Bursts: delete whole runs so that leaves empty out and merge.
                        if (rnd.nextInt(2) == 0) {
                            long prev = m.put(k, valueOf(k), ABSENT);
                            check(prev == ABSENT || prev == valueOf(k), "put returned foreign value " + prev);
                        } else {
                            for (long j = k; j < Math.min(KEYS, k + 1 + rnd.nextInt(12)); j++) {
                                if (!stable(j)) {
                                    long prev = m.remove(j, ABSENT);
                                    check(prev == ABSENT || prev == valueOf(j), "remove returned foreign value " + prev);
                                }
                            }
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (int r = 0; r < 2; r++) {
            long seed = 200 + r;
            threads.add(new Thread(() -> {
                SplittableRandom rnd = new SplittableRandom(seed);
                OffHeapLongCursor c = m.cursor(0, 0);
                await(start);
                try {
                    while (!stop.get() && failure.get() == null) {
                        long k = rnd.nextInt(KEYS);
                        long v = m.get(k, ABSENT);
                        check(v == ABSENT ? !stable(k) : v == valueOf(k), "get(" + k + ") = " + v);
                        long ce = m.ceilingKey(k, ABSENT);
                        check(ce == ABSENT ? k > KEYS - 10 : ce >= k && ce <= (k + 9) / 10 * 10, "ceiling(" + k + ") = " + ce);
                        long fl = m.floorKey(k, ABSENT);
                        check(fl != ABSENT && fl <= k && fl >= k / 10 * 10, "floor(" + k + ") = " + fl);
                        if (rnd.nextInt(16) == 0) {
                            long lo = rnd.nextInt(KEYS);
                            long hi = lo + rnd.nextInt(400);
                            c.reset(lo, hi);
                            long expectStable = (lo + 9) / 10 * 10;
                            long last = Long.MIN_VALUE;
                            while (c.next()) {
                                long ck = c.key();
                                check(ck > last && ck >= lo && ck <= hi, "scan order/range " + last + " -> " + ck);
                                check(c.value() == valueOf(ck), "scan value of " + ck);
                                check(ck <= expectStable || expectStable >= KEYS, "scan skipped stable key " + expectStable);
                                if (ck == expectStable) {
                                    expectStable += 10;
                                }
                                last = ck;
                            }
                            check(expectStable > Math.min(hi, KEYS - 1), "scan missed stable key " + expectStable);
                        }
                        reads.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        threads.forEach(Thread::start);
        start.countDown();
        for (int i = 0; i < 2; i++) {
            threads.get(i).join();
        }
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw new AssertionError("cap " + cap, failure.get());
        }
        m.checkInvariants();
        for (long k = 0; k < KEYS; k++) {
            long v = m.get(k, ABSENT);
            assertTrue(v == ABSENT || v == valueOf(k));
        }
        assertTrue(m.reusedNodeCount() > 100, "nodes were freed, poisoned and reused: " + m.reusedNodeCount());
        assertTrue(reads.get() > 1000, "readers ran: " + reads.get());
        epochs.collect();
        epochs.collect();
        assertEquals(0, m.bytesAwaitingReclamation());
        System.out.printf("off-heap stress cap %d: %d writer ops, %d reads, %d nodes reused%n",
                cap, 2L * writerOps, reads.get(), m.reusedNodeCount());
        m.close();
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new AssertionError(message);
        }
    }

    private static void await(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
