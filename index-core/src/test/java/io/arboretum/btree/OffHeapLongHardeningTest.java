package io.arboretum.btree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.arboretum.map.BatchCursor;
import io.arboretum.map.BatchScannable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Issue 14: isEmpty, size, remove(k, null), close, bounded retries, memory after mass deletes. */
class OffHeapLongHardeningTest {
    static final int SCALE = Integer.getInteger("arboretum.test.scale", 1);
    static final long ABSENT = Long.MIN_VALUE;

    /** Runs {@code body} on a second thread until {@code rounds} checks are done on this one. */
    static void withBackground(Consumer<AtomicBoolean> body, Executable checks) throws Throwable {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                body.accept(stop);
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        try {
            checks.execute();
        } finally {
            stop.set(true);
            t.join(30_000);
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    @Test
    void isEmptyIsFalseWhileAKeyIsAlwaysPresent() throws Throwable {
        for (int cap : new int[] {4, 255}) {
            try (OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(cap).build()) {
                ConcurrentNavigableMap<Long, Long> view = m.asMap();
                view.put(1L, 1L);
                AtomicLong rounds = new AtomicLong();
                AtomicBoolean stopChurn = new AtomicBoolean();
                // A second writer churns other keys, so a size counter would see contention.
                Thread churn = new Thread(() -> {
                    for (long k = 100; !stopChurn.get(); k = k == 200 ? 100 : k + 1) {
                        m.put(k, k, ABSENT);
                        m.remove(k, ABSENT);
                    }
                });
                churn.start();
                try {
                    withBackground(stop -> {
                        // Key 1 or key 2 is present at every instant.
                        while (!stop.get()) {
                            view.put(2L, 2L);
                            view.remove(1L);
                            view.put(1L, 1L);
                            view.remove(2L);
                            rounds.incrementAndGet();
                        }
                    }, () -> {
                    while (rounds.get() == 0) {
                        Thread.onSpinWait(); // check only while the writer runs
                    }
                    long deadline = System.nanoTime() + 30_000_000_000L;
                    // At least 200k checks overlapping at least 100k writer rounds (time-bounded).
                    for (int i = 0; (i < 200_000 * SCALE || rounds.get() < 100_000L * SCALE)
                            && System.nanoTime() < deadline; i++) {
                        assertFalse(view.isEmpty(), "isEmpty() true while key 1 or 2 was present");
                        assertFalse(m.isEmpty());
                        assertTrue(view.size() >= 0);
                    }
                    });
                } finally {
                    stopChurn.set(true);
                    churn.join();
                }
            }
        }
    }

    @Test
    void sizeIsNeverNegativeUnderPutRemoveRaces() throws Throwable {
        try (OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(4).build()) {
            withBackground(stop -> {
                SplittableRandom r = new SplittableRandom(7);
                while (!stop.get()) {
                    long k = r.nextInt(8);
                    m.put(k, k, ABSENT);
                    m.remove(k, ABSENT);
                }
            }, () -> {
                for (int i = 0; i < 300_000 * SCALE; i++) {
                    long k = i & 7;
                    m.put(k, k, ABSENT);
                    m.remove(k, ABSENT);
                    assertTrue(m.size() >= 0, "size() negative");
                    assertTrue(m.asMap().size() >= 0, "view size() negative");
                }
            });
        }
    }

    @Test
    void removeWithNullValueMatchesConcurrentSkipListMap() {
        try (OffHeapLongBTreeMap m = new OffHeapLongBTreeMap()) {
            @SuppressWarnings({"rawtypes", "unchecked"})
            Map<Object, Object> view = (Map) m.asMap();
            @SuppressWarnings({"rawtypes", "unchecked"})
            Map<Object, Object> cslm = (Map) new ConcurrentSkipListMap<Long, Long>();
            for (int filled = 0; filled < 2; filled++) {
                assertEquals(cslm.remove("s", null), view.remove("s", null));
                assertFalse(view.remove("s", null));
                assertEquals(cslm.remove(1L, null), view.remove(1L, null));
                assertEquals(cslm.remove(1L, "s"), view.remove(1L, "s"));
                assertThrows(NullPointerException.class, () -> cslm.remove(null, null));
                assertThrows(NullPointerException.class, () -> view.remove(null, null));
                cslm.put(1L, 1L);
                view.put(1L, 1L);
            }
            // With an entry to compare with, both reject a key of the wrong type.
            assertThrows(ClassCastException.class, () -> cslm.remove("s", 1L));
            assertThrows(ClassCastException.class, () -> view.remove("s", 1L));
            assertTrue(view.remove(1L, 1L));
        }
    }

    @Test
    void everyCallAfterCloseThrows() {
        OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(4).build();
        for (long k = 0; k < 100; k++) {
            m.put(k, k, ABSENT);
        }
        ConcurrentNavigableMap<Long, Long> view = m.asMap();
        OffHeapLongCursor c = m.cursor(0, 99);
        assertTrue(c.next()); // a leaf copy is buffered
        BatchCursor<Long, Long> batches = ((BatchScannable<Long, Long>) view)
                .openCursor(null, true, null, true, false, 4);
        assertTrue(batches.advance() > 0);
        BatchCursor<Long, Long> emptyRange = ((BatchScannable<Long, Long>) view)
                .openCursor(50L, false, 50L, false, false, 4);
        m.close();
        m.close(); // idempotent
        assertTrue(m.isClosed());
        List<Executable> calls = new ArrayList<>(List.of(
                () -> m.get(1, ABSENT), () -> m.containsKey(1), () -> m.put(1, 1, ABSENT),
                () -> m.remove(1, ABSENT), () -> m.replaceIf(1, 1, 2), () -> m.removeIf(1, 1),
                () -> m.ceilingKey(1, ABSENT), () -> m.higherKey(1, ABSENT), () -> m.floorKey(1, ABSENT),
                () -> m.lowerKey(1, ABSENT), () -> m.firstKey(ABSENT), () -> m.lastKey(ABSENT),
                m::size, m::isEmpty, m::asMap, () -> m.cursor(0, 1), () -> m.descendingCursor(1, 0),
                m::checkInvariants, c::next, () -> c.reset(0, 1), batches::advance, emptyRange::advance,
                view::size, view::isEmpty, () -> view.get(1L), () -> view.put(1L, 1L),
                () -> view.remove(1L), () -> view.remove(1L, 2L), () -> view.firstKey(),
                () -> view.ceilingEntry(1L), () -> view.pollFirstEntry(), view::clear,
                () -> view.tailMap(1L).firstKey(), () -> view.entrySet().iterator().hasNext(),
                view::comparator));
        for (Executable call : calls) {
            IllegalStateException e = assertThrows(IllegalStateException.class, call);
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
        assertEquals(0, m.bytesReserved());
    }

    @Test
    void readersFinishWhileWritersNeverPause() throws Throwable {
        try (OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(4).mergeThreshold(2).build()) {
            int n = 256;
            for (long k = 0; k < n; k += 2) {
                m.put(k, k, ABSENT);
            }
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> withBackground(stop -> {
                // A writer that never pauses: splits and merges in the readers' range.
                while (!stop.get()) {
                    for (long k = 1; k < n; k += 2) {
                        m.put(k, k, ABSENT);
                    }
                    for (long k = n - 1; k > 0; k -= 2) {
                        m.remove(k, ABSENT);
                    }
                }
            }, () -> {
                OffHeapLongCursor c = m.cursor(0, n);
                ConcurrentNavigableMap<Long, Long> view = m.asMap();
                for (int i = 0; i < 20_000 * SCALE; i++) {
                    long k = 2L * (i % (n / 2));
                    assertEquals(k, m.get(k, ABSENT));
                    assertEquals(k, m.ceilingKey(k, ABSENT));
                    assertEquals(k, m.floorKey(k, ABSENT));
                    assertEquals(0, m.firstKey(ABSENT));
                    if (i % 64 == 0) {
                        c.reset(0, n);
                        long seen = 0;
                        while (c.next()) {
                            if (c.key() % 2 == 0) {
                                seen++;
                            }
                        }
                        assertEquals(n / 2, seen);
                        Object[] ks = new Object[8];
                        Object[] vs = new Object[8];
                        assertTrue(((BatchScannable<Long, Long>) view)
                                .copyBatch(k, true, null, true, false, ks, vs) > 0);
                    }
                }
            }));
            m.checkInvariants();
        }
    }

    @Test
    void polledKeysAreUniqueWhileWritersNeverPause() throws Throwable {
        try (OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(4).build()) {
            int n = 20_000 * SCALE;
            for (long k = 0; k < n; k++) {
                m.put(2 * k, k, ABSENT);
            }
            ConcurrentNavigableMap<Long, Long> view = m.asMap();
            java.util.BitSet polled = new java.util.BitSet();
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> withBackground(stop -> {
                long k = 1;
                while (!stop.get()) {
                    m.put(k, k, ABSENT);
                    m.remove(k, ABSENT);
                    k = (k + 2) % (2L * n);
                }
            }, () -> {
                Map.Entry<Long, Long> e;
                while ((e = view.pollFirstEntry()) != null) {
                    if (e.getKey() % 2 == 0) {
                        assertFalse(polled.get((int) (e.getKey() / 2)), "polled twice: " + e);
                        polled.set((int) (e.getKey() / 2));
                    }
                    if (polled.cardinality() == n) {
                        break;
                    }
                }
            }));
            assertEquals(n, polled.cardinality());
        }
    }

    /**
     * Removes 90% of random keys with two threads and compares the node count with a fresh tree
     * of the remaining keys. {@code -Darboretum.test.scale=5} runs the 1M-key figure of issue 14.
     */
    @Test
    void nodesComeBackAfterMassDeletesUnderContention() throws Exception {
        int total = 200_000 * SCALE;
        SplittableRandom rnd = new SplittableRandom(42);
        long[] keys = new long[total];
        for (int i = 0; i < total; i++) {
            keys[i] = rnd.nextLong();
        }
        try (OffHeapLongBTreeMap m = new OffHeapLongBTreeMap();
             OffHeapLongBTreeMap fresh = new OffHeapLongBTreeMap()) {
            for (long k : keys) {
                m.put(k, k, ABSENT);
            }
            Thread[] ts = new Thread[2];
            for (int t = 0; t < 2; t++) {
                int id = t;
                ts[t] = new Thread(() -> {
                    for (int i = id; i < total; i += 2) {
                        if (i % 10 != 0) {
                            m.remove(keys[i], ABSENT);
                        }
                    }
                });
                ts[t].start();
            }
            for (Thread t : ts) {
                t.join();
            }
            for (int i = 0; i < total; i += 10) {
                fresh.put(keys[i], keys[i], ABSENT);
            }
            m.checkInvariants();
            assertEquals(fresh.size(), m.size());
            long after = m.bytesInUse() / m.nodeSizeBytes();
            long needed = fresh.bytesInUse() / fresh.nodeSizeBytes();
            System.out.printf("mass delete %d keys, 90%% removed by 2 threads: %d nodes, fresh tree %d nodes,"
                    + " ratio %.2f%n", total, after, needed, (double) after / needed);
            assertTrue(after <= 1.5 * needed, after + " nodes after deletes vs " + needed + " fresh");
        }
    }
}
