package io.arboretum.masstree;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link MasstreeMap#putAllSorted}: ascending, descending and shuffled inputs of keys that share
 * 8, 16 and 24-byte prefixes (and end exactly at slice boundaries) give the same map as
 * {@code TreeMap}, into empty and non-empty maps, while another thread removes keys; and an
 * ascending load is faster than the same puts one by one.
 */
class MasstreeSortedLoadTest {

    @Test
    void sortedLoadsMatchTreeMap() {
        for (int width : MasstreeBytesTest.WIDTHS) {
            for (String order : new String[] {"ascending", "descending", "shuffled"}) {
                Random rnd = new Random(width * 31L + order.length());
                TreeMap<byte[], Integer> ref = new TreeMap<>(Arrays::compareUnsigned);
                MasstreeMap<byte[], Integer> m = MasstreeMap.<Integer>bytesBuilder().nodeWidth(width).build();
                for (byte[] k : MasstreeKeys.byteKeys(300, rnd)) {
                    ref.put(k, -1);
                    m.put(k, -1);
                }
                List<Map.Entry<byte[], Integer>> load = new ArrayList<>();
                int i = 0;
                for (byte[] k : MasstreeKeys.byteKeys(3000, rnd)) {
                    load.add(Map.entry(k, i++));
                }
                load.sort((a, b) -> Arrays.compareUnsigned(a.getKey(), b.getKey()));
                if (order.equals("descending")) {
                    Collections.reverse(load);
                } else if (order.equals("shuffled")) {
                    Collections.shuffle(load, rnd);
                }
                for (Map.Entry<byte[], Integer> e : load) {
                    ref.put(e.getKey(), e.getValue());
                }
                m.putAllSorted(load);
                m.checkInvariants();
                assertEquals(ref.size(), m.size(), order + " width " + width);
                List<byte[]> want = new ArrayList<>(ref.keySet());
                int j = 0;
                for (Map.Entry<byte[], Integer> e : m.entrySet()) {
                    assertTrue(Arrays.equals(want.get(j), e.getKey()), order + " width " + width + " key " + j);
                    assertEquals(ref.get(want.get(j)), e.getValue());
                    j++;
                }
            }
        }
    }

    @Test
    void sortedLoadWhileAnotherThreadRemoves() throws InterruptedException {
        MasstreeMap<String, Integer> m = MasstreeMap.<String, Integer>builder().nodeWidth(3).build();
        List<Map.Entry<String, Integer>> load = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            load.add(Map.entry(String.format("tenant:0001/entity:%08d%s", i, i % 5 == 0 ? "/x" : ""), i));
        }
        Collections.sort(load, Map.Entry.comparingByKey());
        Thread remover = new Thread(() -> {
            for (int r = 0; r < 20_000; r++) {
                m.remove(load.get((r * 7919) % load.size()).getKey());
            }
        });
        remover.start();
        m.putAllSorted(load);
        remover.join();
        m.checkInvariants();
        // Every key is present unless the remover took it after it was put; re-putting all
        // restores the whole set.
        m.putAllSorted(load);
        assertEquals(load.size(), m.size());
        for (Map.Entry<String, Integer> e : load) {
            assertEquals(e.getValue(), m.get(e.getKey()));
        }
        m.checkInvariants();
    }

    @Test
    void ascendingLoadBuildsTheSameMapAsIndividualPuts() {
        // Speed is measured by JMH in the benchmarks module, not asserted here: a timed test
        // fails on a loaded machine without any change in the code.
        List<Map.Entry<String, Integer>> load = new ArrayList<>();
        for (int i = 0; i < 200_000; i++) {
            load.add(Map.entry(String.format("user%019d", i * 7L), i));
        }
        MasstreeMap<String, Integer> a = new MasstreeMap<>();
        a.putAllSorted(load);
        MasstreeMap<String, Integer> b = new MasstreeMap<>();
        for (Map.Entry<String, Integer> e : load) {
            b.put(e.getKey(), e.getValue());
        }
        assertEquals(b, a);
        a.checkInvariants();
    }
}
