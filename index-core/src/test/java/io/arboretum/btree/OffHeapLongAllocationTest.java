package io.arboretum.btree;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Issue 16, item 1: navigation and the conditional updates allocate nothing. Measures the bytes
 * the calling thread allocates over many calls after warm-up, with
 * {@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes}.
 */
class OffHeapLongAllocationTest {
    static final long ABSENT = Long.MIN_VALUE;
    static final int CALLS = 200_000;

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    /** Bytes per call of {@code op} over {@link #CALLS} calls, after two warm-up passes. */
    private static double bytesPerCall(LongUnaryOperator op, long[] args) {
        long sink = 0;
        for (int pass = 0; pass < 3; pass++) {
            long before = allocatedBytes();
            for (int i = 0; i < CALLS; i++) {
                sink += op.applyAsLong(args[i & (args.length - 1)]);
            }
            long after = allocatedBytes();
            if (pass == 2) {
                if (sink == 42) {
                    System.out.print(""); // keeps sink alive
                }
                return (double) (after - before) / CALLS;
            }
        }
        throw new AssertionError();
    }

    @Test
    void navigationAndConditionalUpdatesAllocateNothing() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean
                && ((com.sun.management.ThreadMXBean) bean).isThreadAllocatedMemorySupported());
        ((com.sun.management.ThreadMXBean) bean).setThreadAllocatedMemoryEnabled(true);
        try (OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(16).build()) {
            SplittableRandom rnd = new SplittableRandom(3);
            int n = 50_000;
            for (int i = 0; i < n; i++) {
                m.put(rnd.nextLong(1_000_000), i, ABSENT);
            }
            long[] args = new long[1 << 12];
            for (int i = 0; i < args.length; i++) {
                args[i] = rnd.nextLong(1_100_000) - 50_000; // some beyond either end
            }
            String[] names = {"ceilingKey", "higherKey", "floorKey", "lowerKey", "firstKey", "lastKey",
                "isEmpty", "replaceIf", "removeIf+put", "get", "cursor reset+scan"};
            OffHeapLongCursor c = m.cursor(0, 0);
            LongUnaryOperator[] ops = {
                k -> m.ceilingKey(k, ABSENT), k -> m.higherKey(k, ABSENT), k -> m.floorKey(k, ABSENT),
                k -> m.lowerKey(k, ABSENT), k -> m.firstKey(ABSENT), k -> m.lastKey(ABSENT),
                k -> m.isEmpty() ? 1 : 0,
                k -> m.replaceIf(k, m.get(k, 0), 7) ? 1 : 0,
                k -> {
                    long v = m.get(k, ABSENT);
                    boolean removed = v != ABSENT && m.removeIf(k, v);
                    if (removed) {
                        m.put(k, v, ABSENT);
                    }
                    return removed ? 1 : 0;
                },
                k -> m.get(k, ABSENT),
                k -> {
                    c.reset(k, k + 200);
                    long s = 0;
                    while (c.next()) {
                        s += c.value();
                    }
                    return s;
                },
            };
            StringBuilder report = new StringBuilder();
            boolean ok = true;
            for (int i = 0; i < ops.length; i++) {
                double b = bytesPerCall(ops[i], args);
                report.append(String.format("%s %.3f B/call%n", names[i], b));
                ok &= b < 0.5; // nothing per call (a stray GC-statistics object may count once)
            }
            System.out.print(report);
            assertTrue(ok, report.toString());
        }
    }
}
