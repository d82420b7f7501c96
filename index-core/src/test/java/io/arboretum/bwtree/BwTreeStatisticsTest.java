package io.arboretum.bwtree;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link BwTreeMap#statistics()}: chain lengths and consolidations follow a known write sequence
 * exactly, a range's statistics read just the range's leaves, failed CASes appear only when two
 * threads race for a page, and the snapshot's percentiles and histogram are computed right.
 */
class BwTreeStatisticsTest {

    @Test
    void eachWriteToOnePageLengthensItsChainByOneUntilTheThresholdIsPassed() {
        BwTreeMap<Long, Long> m = BwTreeMap.<Long, Long>builder().consolidateThreshold(64).build();
        BwTreeMap.Statistics empty = m.statistics();
        assertEquals(1, empty.leafPages());
        assertEquals(0, empty.maxChainLength());
        for (int w = 1; w <= 64; w++) {
            m.put(1L, (long) w);
            BwTreeMap.Statistics s = m.statistics();
            assertEquals(1, s.leafPages());
            assertEquals(w, s.maxChainLength(), "after " + w + " writes");
            int[] expected = new int[w + 1];
            expected[w] = 1;
            assertArrayEquals(expected, s.chainLengthHistogram(), "after " + w + " writes");
            assertEquals(w, s.meanChainLength());
            assertEquals(0, s.consolidations());
        }
        // The 65th delta makes the chain longer than 64: the writer consolidates it to a base.
        m.put(1L, 65L);
        BwTreeMap.Statistics s = m.statistics();
        assertEquals(0, s.maxChainLength());
        assertArrayEquals(new int[] {1}, s.chainLengthHistogram());
        assertEquals(1, s.consolidations());
        assertEquals(0, s.casFailures());
        assertEquals(65L, m.get(1L));
    }

    @Test
    void aChainIsConsolidatedOnceEveryThresholdPlusOneWrites() {
        BwTreeMap<Long, Long> m = BwTreeMap.<Long, Long>builder().consolidateThreshold(3).build();
        for (int w = 1; w <= 40; w++) {
            m.put(7L, (long) w);
            BwTreeMap.Statistics s = m.statistics();
            assertEquals(w % 4, s.maxChainLength(), "after " + w + " writes");
            assertEquals(w / 4, s.consolidations(), "after " + w + " writes");
        }
    }

    @Test
    void rangeStatisticsReadTheLeavesThatCoverTheRange() {
        BwTreeMap<Long, Long> m = BwTreeMap.<Long, Long>builder().nodeCapacity(8).consolidateThreshold(64).build();
        List<Long> keys = new ArrayList<>();
        for (long k = 0; k < 1_000; k++) {
            keys.add(k);
        }
        Collections.shuffle(keys, new Random(42));
        keys.forEach(k -> m.put(k, k));
        m.checkInvariants();

        BwTreeMap.Statistics all = m.statistics();
        assertTrue(all.leafPages() >= 1_000 / 8, "leaves: " + all.leafPages());
        assertEquals(all.leafPages(), Arrays.stream(all.chainLengthHistogram()).sum());
        BwTreeMap.Statistics covering = m.statistics(0L, 999L);
        assertEquals(all.leafPages(), covering.leafPages());
        assertArrayEquals(all.chainLengthHistogram(), covering.chainLengthHistogram());
        assertEquals(1, m.statistics(500L, 500L).leafPages());
        assertEquals(1, m.statistics(-9L, -1L).leafPages(), "keys below the least one: the leftmost leaf");
        assertEquals(1, m.statistics(5_000L, 6_000L).leafPages(), "keys above the greatest: the rightmost leaf");
        int previous = 1;
        for (long to = 0; to < 990; to += 37) {
            int leaves = m.statistics(0L, to).leafPages();
            assertTrue(leaves >= previous && leaves < all.leafPages(), "leaves up to " + to + ": " + leaves);
            previous = leaves;
        }
        assertTrue(previous > 1);

        // Five replacements in the leaf of key 500 lengthen that leaf's chain, and only it, by five.
        int before = m.statistics(500L, 500L).maxChainLength();
        assertTrue(before + 5 <= 64, "the leaf's chain must stay under the threshold: " + before);
        int[] histBefore = all.chainLengthHistogram();
        for (int i = 0; i < 5; i++) {
            m.put(500L, -1L - i);
        }
        assertEquals(before + 5, m.statistics(500L, 500L).maxChainLength());
        int[] histAfter = m.statistics().chainLengthHistogram();
        int[] expected = Arrays.copyOf(histBefore, Math.max(histBefore.length, before + 6));
        expected[before]--;
        expected[before + 5]++;
        assertArrayEquals(trim(expected), histAfter);
        assertEquals(0, m.statistics().casFailures(), "one thread never loses a CAS");
    }

    @Test
    void oneThreadLosesNoCasThroughSplitsMergesAndConsolidations() {
        BwTreeMap<Integer, Integer> m = BwTreeMap.<Integer, Integer>builder().nodeCapacity(4).consolidateThreshold(2)
                .build();
        Random r = new Random(7);
        for (int i = 0; i < 20_000; i++) {
            int k = r.nextInt(5_000);
            if (r.nextInt(3) == 0) {
                m.remove(k);
            } else {
                m.put(k, i);
            }
        }
        for (int k = 0; k < 4_990; k++) {
            m.remove(k);
        }
        m.pollFirstEntry();
        m.checkInvariants();
        BwTreeMap.Statistics s = m.statistics();
        assertEquals(0, s.casFailures(), s.toString());
        assertTrue(s.consolidations() > 1_000, s.toString());
    }

    @Test
    void twoThreadsWritingOneKeyMakeSlotCasesFail() throws InterruptedException {
        BwTreeMap<Long, Long> m = new BwTreeMap<>();
        m.put(1L, 0L);
        assertEquals(0, m.statistics().casFailures());
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch start = new CountDownLatch(1);
        long deadline = System.nanoTime() + 60_000_000_000L;
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            long lane = t;
            threads.add(new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                // Both threads read the same page head and CAS its slot: whenever one installs
                // its delta between the other's read and CAS, the other's CAS fails.
                for (long i = 0; !stop.get(); i++) {
                    m.put(1L, lane * 1_000_000_000L + i);
                    if ((i & 4095) == 0 && (m.statistics().casFailures() > 0 || System.nanoTime() > deadline)) {
                        stop.set(true);
                    }
                }
            }));
        }
        threads.forEach(Thread::start);
        start.countDown();
        for (Thread t : threads) {
            t.join(120_000);
            assertFalse(t.isAlive(), "a writer did not stop");
        }
        m.checkInvariants();
        BwTreeMap.Statistics s = m.statistics();
        assertTrue(s.casFailures() > 0, "two threads writing one key for up to a minute lost no CAS: " + s);
        assertTrue(s.consolidations() > 0, s.toString());
    }

    @Test
    void percentilesMeanAndHistogramOfAKnownDistribution() {
        // 3 leaves of length 0, 5 of length 2, 2 of length 3; buckets past the longest are trimmed.
        BwTreeMap.Statistics s = new BwTreeMap.Statistics(4, 9, new int[] {3, 0, 5, 2, 0, 0}, 10, 2 * 5 + 3 * 2);
        assertEquals(4, s.casFailures());
        assertEquals(9, s.consolidations());
        assertEquals(10, s.leafPages());
        assertEquals(3, s.maxChainLength());
        assertEquals(1.6, s.meanChainLength(), 1e-12);
        int[] h = s.chainLengthHistogram();
        assertArrayEquals(new int[] {3, 0, 5, 2}, h);
        h[0] = 99;
        assertArrayEquals(new int[] {3, 0, 5, 2}, s.chainLengthHistogram(), "the snapshot is immutable");
        assertEquals(0, s.chainLengthPercentile(0));
        assertEquals(0, s.chainLengthPercentile(30));
        assertEquals(2, s.chainLengthPercentile(31));
        assertEquals(2, s.chainLengthPercentile(50));
        assertEquals(2, s.chainLengthPercentile(80));
        assertEquals(3, s.chainLengthPercentile(81));
        assertEquals(3, s.chainLengthPercentile(100));
        assertThrows(IllegalArgumentException.class, () -> s.chainLengthPercentile(-1));
        assertThrows(IllegalArgumentException.class, () -> s.chainLengthPercentile(100.5));
        assertThrows(IllegalArgumentException.class, () -> s.chainLengthPercentile(Double.NaN));
        assertEquals("BwTreeMap.Statistics{casFailures=4, consolidations=9, leafPages=10, chainLength p50=2 p90=3"
                + " max=3 mean=1.60, histogram=[0:3, 2:5, 3:2]}", s.toString());
    }

    @Test
    void rangeArgumentsAreChecked() {
        BwTreeMap<Long, Long> m = new BwTreeMap<>();
        m.put(1L, 1L);
        assertThrows(NullPointerException.class, () -> m.statistics(null, 2L));
        assertThrows(NullPointerException.class, () -> m.statistics(1L, null));
        assertThrows(IllegalArgumentException.class, () -> m.statistics(3L, 2L));
        @SuppressWarnings({"unchecked", "rawtypes"})
        BwTreeMap<Object, Object> raw = (BwTreeMap) m;
        assertThrows(ClassCastException.class, () -> raw.statistics("a", "b"));
    }

    private static int[] trim(int[] hist) {
        int n = hist.length;
        while (n > 1 && hist[n - 1] == 0) {
            n--;
        }
        return Arrays.copyOf(hist, n);
    }
}
