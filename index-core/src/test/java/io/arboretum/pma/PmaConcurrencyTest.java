package io.arboretum.pma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Writers that make the array grow and shrink and windows redistribute all the time, while
 * readers check that keys present throughout (the odd keys) are always found by get, by
 * navigation and by scans, in order, and that keys never inserted (multiples of 4 plus 2 above the
 * range) are never found. Segment size 4, keys as longs and as objects.
 */
class PmaConcurrencyTest {

    private static final int SCALE = Math.max(1, Integer.getInteger("arboretum.test.scale", 1));

    @Test
    void readersSeeStableKeysWhileWritersGrowAndShrinkTheArray() throws InterruptedException {
        for (boolean objects : new boolean[] {false, true}) {
            PackedMemoryArrayMap.Builder<Long, Long> b = PackedMemoryArrayMap.<Long, Long>builder().segmentSize(4);
            if (objects) {
                b.comparator(Long::compare);
            }
            PackedMemoryArrayMap<Long, Long> m = b.build();
            int range = 2000;
            for (long k = 1; k < range; k += 2) {
                m.put(k, k);
            }
            AtomicBoolean stop = new AtomicBoolean();
            ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int id = w;
                threads.add(new Thread(() -> {
                    SplittableRandom r = new SplittableRandom(id);
                    long lo = id * range / 2;
                    while (!stop.get()) {
                        // even keys of this writer's half: a burst of inserts (the array grows), then
                        // removal of all of them (it shrinks)
                        int burst = 50 + r.nextInt(400);
                        for (int i = 0; i < burst; i++) {
                            long k = lo + 2 * r.nextInt(range / 4);
                            m.put(k, k);
                        }
                        for (long k = lo; k < lo + range / 2; k += 2) {
                            m.remove(k);
                        }
                    }
                }));
            }
            threads.add(new Thread(() -> {
                SplittableRandom r = new SplittableRandom(9);
                while (!stop.get()) {
                    long k = 1 + 2 * r.nextInt(range / 2);
                    if (m.get(k) == null) {
                        errors.add("get missed " + k);
                    }
                    Long c = m.ceilingKey(k);
                    if (c == null || c != k) {
                        errors.add("ceilingKey(" + k + ") = " + c);
                    }
                    Long h = m.higherKey(k);
                    if (k + 2 < range && (h == null || h > k + 2)) {
                        errors.add("higherKey(" + k + ") = " + h);
                    }
                    if (m.get(range + 2L + 4 * r.nextInt(100)) != null) {
                        errors.add("found a key never inserted");
                    }
                }
            }));
            threads.add(new Thread(() -> {
                while (!stop.get()) {
                    long expect = 1;
                    long prev = Long.MIN_VALUE;
                    boolean desc = (expect & 1) == 0;
                    for (Iterator<Map.Entry<Long, Long>> it = m.entrySet().iterator(); it.hasNext(); ) {
                        Map.Entry<Long, Long> e = it.next();
                        long k = e.getKey();
                        if (k <= prev) {
                            errors.add("scan out of order: " + prev + " then " + k);
                        }
                        prev = k;
                        if ((k & 1) == 1) {
                            if (k != expect) {
                                errors.add("scan skipped " + expect + " (next odd " + k + ")");
                            }
                            expect = k + 2;
                        }
                    }
                    if (expect != range + 1 && !desc) {
                        errors.add("scan ended at " + expect);
                    }
                    long down = range - 1;
                    for (long k : m.descendingKeySet()) {
                        if ((k & 1) == 1) {
                            if (k != down) {
                                errors.add("descending scan skipped " + down);
                            }
                            down = k - 2;
                        }
                    }
                }
            }));
            threads.forEach(Thread::start);
            Thread.sleep(1500L * SCALE);
            stop.set(true);
            for (Thread t : threads) {
                t.join(60_000);
                assertFalse(t.isAlive(), "a thread did not finish: a latch may be held");
            }
            assertTrue(errors.isEmpty(), (objects ? "objects: " : "longs: ") + errors.size() + " errors, first "
                    + errors.peek());
            m.checkInvariants();
            for (long k = 0; k < range; k++) {
                if ((k & 1) == 1) {
                    assertEquals(k, m.get(k));
                } else {
                    assertNull(m.get(k));
                }
            }
            assertEquals(range / 2, m.size());
        }
    }
}
