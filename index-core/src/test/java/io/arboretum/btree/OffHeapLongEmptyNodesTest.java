package io.arboretum.btree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 14, bug 1: long runs of empty nodes. Keys 0..39,999 inserted in shuffled order, then
 * [10,000, 30,000) removed as alternate blocks of 64 (even blocks first, then odd ones, each block
 * from its top key down). Before the fix a search stopped after 64 empty nodes and restarted, and
 * the removals left empty leaves under chains of inner nodes with no keys, so the searches below
 * spun forever on an idle, valid tree.
 */
class OffHeapLongEmptyNodesTest {
    static final long ABSENT = Long.MIN_VALUE;

    @ParameterizedTest(name = "cap={0}")
    @ValueSource(ints = {4, 5})
    void searchesCrossTheEmptiedRange(int cap) {
        try (OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(cap).build()) {
            List<Long> keys = new ArrayList<>();
            for (long k = 0; k < 40_000; k++) {
                keys.add(k);
            }
            Collections.shuffle(keys, new Random(cap));
            for (long k : keys) {
                m.put(k, k, ABSENT);
            }
            for (int parity = 0; parity < 2; parity++) {
                for (long block = 10_000; block < 30_000; block += 64) {
                    if ((((block - 10_000) / 64) & 1) != parity) {
                        continue;
                    }
                    long top = Math.min(block + 63, 29_999);
                    for (long k = top; k >= block; k--) {
                        assertEquals(k, m.remove(k, ABSENT));
                    }
                }
            }
            m.checkInvariants();
            assertEquals(30_000, m.get(30_000, ABSENT));
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                assertEquals(30_000, m.ceilingKey(10_000, ABSENT));
                assertEquals(30_000, m.higherKey(9_999, ABSENT));
                assertEquals(9_999, m.floorKey(29_999, ABSENT));
                assertEquals(9_999, m.lowerKey(30_000, ABSENT));
                OffHeapLongCursor c = m.cursor(Long.MIN_VALUE, Long.MAX_VALUE);
                long n = 0;
                long expected = 0;
                while (c.next()) {
                    assertEquals(expected, c.key());
                    n++;
                    expected = expected == 9_999 ? 30_000 : expected + 1;
                }
                assertEquals(20_000, n);
                OffHeapLongCursor d = m.descendingCursor(29_999, 0);
                assertTrue(d.next());
                assertEquals(9_999, d.key());
                assertEquals(30_000L, m.asMap().tailMap(10_000L).firstKey());
                assertEquals(9_999L, m.asMap().headMap(30_000L).lastKey());
            });
            m.checkInvariants();
            // No empty node survives: no leaf is empty in a tree that holds 20,000 keys, and
            // the node count is close to what the entries need.
            assertEquals(20_000, m.size());
            long nodes = m.bytesInUse() / m.nodeSizeBytes();
            assertTrue(nodes <= 2L * 20_000 / (cap / 2) + 64, "nodes in use: " + nodes);
        }
    }
}
