package io.arboretum.masstree;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Memory comes back: after 200,000 keys sharing long prefixes (many layers, thousands of nodes)
 * are removed, in order, in reverse or at random, the trie is back to one empty border node in one
 * layer. With half of them removed in key order the node count falls with the key count; at
 * random it need not, since (as in the paper) a node is freed when it is empty, not merged when it
 * is underfull.
 */
class MasstreeMemoryTest {

    private static final int N = 200_000;

    private static final byte[][] KEYS = new byte[N][];

    static {
        for (int i = 0; i < N; i++) {
            KEYS[i] = makeKey(i);
        }
    }

    private static byte[] key(int i) {
        return KEYS[i];
    }

    private static byte[] makeKey(int i) {
        // 24 shared bytes, then an 8-byte slice of its own, then a suffix for every third key:
        // layers form at depths 1, 2 and 3.
        String s = String.format("tenant:0042/entity:00000/%08d%s", i, i % 3 == 0 ? "/child" : "");
        return s.getBytes();
    }

    @Test
    void nodesAndLayersComeBackAfterRemovingEverything() {
        for (String order : new String[] {"ascending", "descending", "random"}) {
            MasstreeMap<byte[], Integer> m = MasstreeMap.<Integer>bytesBuilder().nodeWidth(7).build();
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                ids.add(i);
            }
            Collections.shuffle(ids, new Random(42));
            for (int i : ids) {
                m.put(key(i), i);
            }
            long[] full = m.nodeCounts();
            assertTrue(full[0] > N / 7 && full[2] > 1, "expected many nodes and layers, got "
                    + full[0] + " border, " + full[1] + " interior, " + full[2] + " layers");
            if (order.equals("ascending")) {
                Collections.sort(ids);
            } else if (order.equals("descending")) {
                ids.sort(Collections.reverseOrder());
            } else {
                Collections.shuffle(ids, new Random(7));
            }
            for (int j = 0; j < N / 2; j++) {
                assertEquals(ids.get(j), m.remove(key(ids.get(j))));
            }
            long[] half = m.nodeCounts();
            if (!order.equals("random")) {
                assertTrue(half[0] + half[1] < (full[0] + full[1]) * 3 / 4, order + ": half the keys gone but nodes "
                        + (half[0] + half[1]) + " of " + (full[0] + full[1]));
            }
            m.checkInvariants();
            for (int j = N / 2; j < N; j++) {
                assertEquals(ids.get(j), m.remove(key(ids.get(j))));
            }
            long[] empty = m.nodeCounts();
            assertEquals(1, empty[0], order + ": border nodes left");
            assertEquals(0, empty[1], order + ": interior nodes left");
            assertEquals(1, empty[2], order + ": layers left");
            assertTrue(m.isEmpty());
            m.checkInvariants();
        }
    }
}
