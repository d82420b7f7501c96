package io.arboretum.btree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Memory per entry (the node arena's own accounting plus heap growth) and heap allocation of the
 * hot paths: structural properties, asserted here. Speed is not asserted in tests; the JMH suite
 * in {@code benchmarks} measures it beside {@code ConcurrentSkipListMap}.
 * Sizes: 1M entries at scale 1, 10M under {@code -Pthorough}.
 */
class OffHeapLongBTreeMapFootprintTest {
    static final int SCALE = Integer.getInteger("arboretum.test.scale", 1);
    static final long ABSENT = Long.MIN_VALUE;

    @Test
    void totalMemoryPerEntryStaysWithin24Bytes() {
        int n = 1_000_000 * SCALE;
        for (String order : new String[] {"random", "ascending", "descending"}) {
            long heapBefore = usedHeap();
            OffHeapLongBTreeMap m = new OffHeapLongBTreeMap();
            SplittableRandom rnd = new SplittableRandom(42);
            for (int i = 0; i < n; i++) {
                long k = order.equals("random") ? rnd.nextLong() : order.equals("ascending") ? i : -(long) i;
                m.put(k, i, ABSENT);
            }
            long heap = Math.max(0, usedHeap() - heapBefore);
            long size = m.size();
            double offHeapPerEntry = (double) m.bytesReserved() / size;
            double totalPerEntry = (double) (m.bytesReserved() + heap) / size;
            System.out.printf("footprint %s %d entries: off-heap reserved %.2f B/entry, in use %.2f B/entry, "
                            + "heap %d bytes, total %.2f B/entry%n", order, size, offHeapPerEntry,
                    (double) m.bytesInUse() / size, heap, totalPerEntry);
            assertTrue(totalPerEntry <= 24.0, order + ": " + totalPerEntry + " bytes per entry");
            m.close();
        }
    }

    private static long usedHeap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    @Test
    void getPutAndCursorScansAllocateNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        try (OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(32).build()) {
            SplittableRandom rnd = new SplittableRandom(5);
            long[] keys = new long[50_000];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = rnd.nextLong();
            }
            OffHeapLongCursor c = m.cursor(0, 0);
            long sink = 0;
            for (int round = 0; round < 3; round++) { // the last round is measured, after JIT warm-up
                long before = mx.getThreadAllocatedBytes(tid);
                for (long k : keys) {
                    m.put(k, k, ABSENT); // overwrites after the first round: no node allocation
                }
                for (long k : keys) {
                    sink += m.get(k, ABSENT);
                }
                c.reset(Long.MIN_VALUE, Long.MAX_VALUE);
                while (c.next()) {
                    sink += c.value();
                }
                long allocated = mx.getThreadAllocatedBytes(tid) - before;
                if (round == 2) {
                    assertTrue(allocated < 4096, "allocated " + allocated + " bytes for "
                            + 3 * keys.length + " operations");
                }
            }
            assertEquals(keys.length, m.size());
            assertTrue(sink != 1);
        }
    }
}
