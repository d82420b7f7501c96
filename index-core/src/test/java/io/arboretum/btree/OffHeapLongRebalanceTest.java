package io.arboretum.btree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The merge threshold, merges and redistribution on removal, checked against a TreeMap. */
class OffHeapLongRebalanceTest {
    static final int SCALE = Integer.getInteger("arboretum.test.scale", 1);

    @Test
    void mergeThresholdIsValidated() {
        IllegalArgumentException neg = assertThrows(IllegalArgumentException.class,
                () -> OffHeapLongBTreeMap.builder().mergeThreshold(-1));
        assertTrue(neg.getMessage().contains("mergeThreshold"), neg.getMessage());
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> OffHeapLongBTreeMap.builder().nodeCapacity(4).mergeThreshold(4).build());
        assertTrue(big.getMessage().contains("less than nodeCapacity 4"), big.getMessage());
        OffHeapLongBTreeMap.builder().nodeCapacity(4).mergeThreshold(3).build().close();
    }

    @ParameterizedTest(name = "cap={0} threshold={1}")
    @CsvSource({"4,0", "4,1", "4,2", "4,3", "5,2", "7,3", "16,8", "16,15"})
    void randomInsertsAndRemovesKeepInvariants(int cap, int threshold) {
        Random rnd = new Random(cap * 131L + threshold);
        try (OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(cap)
                .mergeThreshold(threshold).build()) {
            TreeMap<Long, Long> ref = new TreeMap<>();
            int n = 3000 * SCALE;
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < n; i++) {
                    long k = rnd.nextInt(2 * n);
                    assertEquals(ref.containsKey(k) ? ref.get(k) : -1L, m.put(k, i, -1L));
                    ref.put(k, (long) i);
                }
                m.checkInvariants();
                // Remove in descending blocks, then randomly: adversarial for merges.
                for (long k = 2L * n; k >= 0; k -= 3) {
                    Long old = ref.remove(k);
                    assertEquals(old == null ? -1L : old, m.remove(k, -1L));
                }
                m.checkInvariants();
                for (int i = 0; i < n; i++) {
                    long k = rnd.nextInt(2 * n);
                    Long old = ref.remove(k);
                    assertEquals(old == null ? -1L : old, m.remove(k, -1L));
                }
                m.checkInvariants();
                assertEquals(ref.size(), m.size());
                for (Map.Entry<Long, Long> e : ref.entrySet()) {
                    assertEquals(e.getValue(), m.get(e.getKey(), -1L));
                }
                long c = ref.isEmpty() ? -1 : ref.firstKey();
                assertEquals(c, m.firstKey(-1L));
            }
        }
    }
}
