package io.arboretum.btree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Memory comes back after mass deletes under contention: two threads remove 90% of the keys of a
 * map, drawn at random from the whole key space so that they meet in the same leaves, and the
 * tree ends with at most 1.5 times the nodes that a fresh tree of the remaining keys needs.
 * 200,000 keys at {@code arboretum.test.scale} 1; 200,000 times the scale, at most 1,000,000
 * (the size of the figure), from scale 2 ({@code -Pthorough}: 1,000,000), except at
 * capacity 4, whose deep tree keeps 200,000 keys (1,000,000 took 90 s of removals on a loaded
 * 2-core machine).
 */
class BTreeReclaimTest {
    static final int SCALE = Math.max(1, Integer.getInteger("arboretum.test.scale", 1));

    @ParameterizedTest(name = "cap={0}, mergeThreshold={1}")
    @CsvSource({"64, 0", "4, 0", "8, 4"})
    void massDeletesByTwoThreadsGiveNodesBack(int cap, int threshold) throws Exception {
        int n = cap == 4 ? 200_000 : 200_000 * Math.min(SCALE, 5);
        ConcurrentBTreeMap.Builder<Long, Long> b = ConcurrentBTreeMap.<Long, Long>builder().nodeCapacity(cap);
        if (threshold > 0) {
            b.mergeThreshold(threshold);
        }
        ConcurrentBTreeMap<Long, Long> map = b.build();
        Random rnd = new Random(cap * 1_000_003L + threshold);
        List<Long> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            keys.add(rnd.nextLong());
        }
        for (Long k : keys) {
            map.put(k, k);
        }
        keys = new ArrayList<>(map.keySet()); // without duplicates
        Collections.shuffle(keys, rnd);
        int removed = keys.size() / 10 * 9;
        List<Long> doomed = keys.subList(0, removed);
        List<Long> kept = new ArrayList<>(keys.subList(removed, keys.size()));
        BTreeConcurrencyTest.runThreads(2, t -> {
            for (int i = t; i < doomed.size(); i += 2) {
                Long k = doomed.get(i);
                assertEquals(k, map.remove(k));
            }
        });
        map.checkInvariants();
        assertEquals(kept.size(), map.size());

        ConcurrentBTreeMap.Builder<Long, Long> fb = ConcurrentBTreeMap.<Long, Long>builder().nodeCapacity(cap);
        if (threshold > 0) {
            fb.mergeThreshold(threshold);
        }
        ConcurrentBTreeMap<Long, Long> fresh = fb.build();
        for (Long k : kept) {
            fresh.put(k, k);
        }
        long[] after = map.nodeCounts();
        long[] need = fresh.nodeCounts();
        double ratio = (double) (after[0] + after[1]) / (need[0] + need[1]);
        String figures = String.format("cap %d, threshold %d, %d keys, %d removed by 2 threads: %d leaves + %d inner"
                        + " nodes; a fresh tree of the %d kept keys: %d + %d; ratio %.2f",
                cap, map.mergeThreshold(), keys.size(), removed, after[0], after[1], kept.size(), need[0], need[1],
                ratio);
        System.out.println("[reclaim] " + figures);
        assertTrue(ratio <= 1.5, figures);
    }
}
