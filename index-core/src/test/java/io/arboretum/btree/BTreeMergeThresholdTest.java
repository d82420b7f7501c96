package io.arboretum.btree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.arboretum.sync.TestHooks;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The builder's {@code mergeThreshold}: validation, the default, and that a small tree with a
 * high threshold really merges and redistributes leaves (leaf sizes and node counts, and the
 * {@link TestHooks} counters when the JVM runs with {@code -Darboretum.testHooks=true}).
 */
class BTreeMergeThresholdTest {
    static final int SCALE = Integer.getInteger("arboretum.test.scale", 1);

    @Test
    void builderRejectsThresholdsOutsideOneToHalfTheCapacity() {
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> ConcurrentBTreeMap.builder().mergeThreshold(0));
        assertTrue(zero.getMessage().contains("mergeThreshold must be at least 1, was 0"), zero.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ConcurrentBTreeMap.builder().mergeThreshold(-3));
        IllegalArgumentException high = assertThrows(IllegalArgumentException.class,
                () -> ConcurrentBTreeMap.builder().nodeCapacity(4).mergeThreshold(3).build());
        assertTrue(high.getMessage().contains("between 1 and nodeCapacity / 2 = 2"), high.getMessage());
        assertTrue(high.getMessage().contains("was 3 with nodeCapacity 4"), high.getMessage());
        // Checked at build, whatever order the settings came in.
        assertThrows(IllegalArgumentException.class,
                () -> ConcurrentBTreeMap.builder().mergeThreshold(32).nodeCapacity(63).build());
        assertEquals(32, ConcurrentBTreeMap.builder().mergeThreshold(32).nodeCapacity(64).build().mergeThreshold());
        assertEquals(2, ConcurrentBTreeMap.builder().nodeCapacity(4).mergeThreshold(2).build().mergeThreshold());
    }

    @ParameterizedTest
    @CsvSource({"4, 1", "5, 1", "8, 2", "64, 16", "4096, 1024"})
    void defaultIsAQuarterOfTheCapacityAtLeastOne(int cap, int expected) {
        assertEquals(expected, ConcurrentBTreeMap.builder().nodeCapacity(cap).build().mergeThreshold());
    }

    @Test
    void serializationKeepsTheThreshold() throws Exception {
        ConcurrentBTreeMap<Integer, String> map =
                ConcurrentBTreeMap.<Integer, String>builder().nodeCapacity(8).mergeThreshold(4).build();
        for (int i = 0; i < 100; i++) {
            map.put(i, "v" + i);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(map);
        }
        @SuppressWarnings("unchecked")
        ConcurrentBTreeMap<Integer, String> back = (ConcurrentBTreeMap<Integer, String>)
                new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray())).readObject();
        assertEquals(map, back);
        assertEquals(8, back.nodeCapacity());
        assertEquals(4, back.mergeThreshold());
    }

    /**
     * Capacity 8, threshold 4, two full leaves (an ascending load fills them): removals from the
     * left leaf make it share its right sibling's entries twice, then merge with it, and the root
     * collapses to the merged leaf. With the default threshold (2) the first removals change no
     * structure, which the last part checks.
     */
    @Test
    void highThresholdRedistributesThenMergesTwoLeaves() {
        long splits = TestHooks.eventCount(TestHooks.SPLIT);
        long merges = TestHooks.eventCount(TestHooks.MERGE);
        long redistributions = TestHooks.eventCount(TestHooks.REDISTRIBUTE);
        ConcurrentBTreeMap<Integer, Integer> map =
                ConcurrentBTreeMap.<Integer, Integer>builder().nodeCapacity(8).mergeThreshold(4).build();
        for (int i = 0; i < 16; i++) {
            map.put(i, i);
        }
        assertArrayEquals(new int[] {8, 8}, map.leafSizes());
        for (int i = 4; i >= 0; i--) { // descending removals from the left leaf: 8 -> 3 keys
            map.remove(i);
        }
        // 3 + 8 = 11 > 8: shared evenly instead of merged
        assertArrayEquals(new int[] {5, 6}, map.leafSizes());
        map.checkInvariants();
        map.remove(7);
        map.remove(5);
        // 3 + 6 = 9 > 8: shared again
        assertArrayEquals(new int[] {4, 5}, map.leafSizes());
        map.checkInvariants();
        map.remove(6);
        // 3 + 5 = 8: merged, and the root (one child left) collapses to the merged leaf
        assertArrayEquals(new int[] {8}, map.leafSizes());
        assertArrayEquals(new long[] {1, 0}, map.nodeCounts());
        map.checkInvariants();
        assertEquals(List.of(8, 9, 10, 11, 12, 13, 14, 15), new ArrayList<>(map.keySet()));
        if (TestHooks.ENABLED) {
            assertEquals(1, TestHooks.eventCount(TestHooks.SPLIT) - splits);
            assertEquals(1, TestHooks.eventCount(TestHooks.MERGE) - merges);
            assertEquals(2, TestHooks.eventCount(TestHooks.REDISTRIBUTE) - redistributions);
        }

        ConcurrentBTreeMap<Integer, Integer> lazy =
                ConcurrentBTreeMap.<Integer, Integer>builder().nodeCapacity(8).build();
        for (int i = 0; i < 16; i++) {
            lazy.put(i, i);
        }
        for (int i = 4; i >= 0; i--) {
            lazy.remove(i);
        }
        assertArrayEquals(new int[] {3, 8}, lazy.leafSizes(),
                "with the default threshold (2) a leaf left with 3 keys is not underfull");
    }

    /**
     * Random inserts and removals, single-threaded, against a {@link TreeMap}: with nothing
     * concurrent every merge succeeds, so every leaf but the two at the ends of the key space
     * (which an insert there splits unevenly on purpose) holds at least the threshold.
     */
    @ParameterizedTest
    @CsvSource({"4, 2", "5, 2", "8, 4", "16, 8", "16, 3"})
    void everyLeafStaysAtOrAboveTheThreshold(int cap, int threshold) {
        Random rnd = new Random(cap * 31L + threshold);
        ConcurrentBTreeMap<Integer, Integer> map = ConcurrentBTreeMap.<Integer, Integer>builder()
                .nodeCapacity(cap).mergeThreshold(threshold).build();
        TreeMap<Integer, Integer> ref = new TreeMap<>();
        int n = 2_000 * SCALE;
        List<Integer> keys = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            keys.add(rnd.nextInt(4 * n));
        }
        for (int k : keys) {
            map.put(k, k);
            ref.put(k, k);
        }
        map.checkInvariants();
        Collections.shuffle(keys, rnd);
        for (int step = 0; step < keys.size(); step++) {
            int k = keys.get(step);
            assertEquals(ref.remove(k), map.remove(k));
            if (step % 97 == 0 || step == keys.size() - 1) {
                map.checkInvariants();
                assertLeavesAtOrAbove(map, threshold);
            }
            if (rnd.nextInt(4) == 0) { // interleave some inserts
                int x = rnd.nextInt(4 * n);
                assertEquals(ref.put(x, x), map.put(x, x));
            }
        }
        assertEquals(ref, map);
        map.checkInvariants();
        assertLeavesAtOrAbove(map, threshold);
    }

    private static void assertLeavesAtOrAbove(ConcurrentBTreeMap<Integer, Integer> map, int threshold) {
        int[] sizes = map.leafSizes();
        if (sizes.length == 1) {
            return; // a root leaf may hold anything
        }
        // The edge leaves may be underfull without any removal: an insert at either end of the key
        // space splits there moving nothing (so ascending and descending loads fill nodes).
        for (int i = 1; i < sizes.length - 1; i++) {
            assertTrue(sizes[i] >= threshold, "leaf " + i + " of " + sizes.length + " holds " + sizes[i]
                    + " keys, below the threshold " + threshold);
        }
    }
}
