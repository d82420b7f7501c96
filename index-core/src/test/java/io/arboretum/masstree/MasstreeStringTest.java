package io.arboretum.masstree;

import io.arboretum.keys.KeyEncoder;
import io.arboretum.keys.KeyEncoders;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link MasstreeMap} with {@code String} keys through its natural-order constructor: the built-in
 * encoding keeps {@link String#compareTo} order (UTF-16 code units: surrogates sort below
 * U+E000..U+FFFF, U+0000 below every other unit, a prefix before its extensions), and the map
 * matches {@code TreeMap} on keys sharing 8, 16 and 24-byte prefixes.
 */
class MasstreeStringTest {

    private static final long SEED = Long.getLong("arboretum.test.seed", 0x57A1L);

    @Test
    void encodingOrderEqualsCompareTo() {
        Random rnd = new Random(SEED);
        List<String> keys = MasstreeKeys.stringKeys(400, rnd);
        keys.addAll(List.of("", "\u0000", "\u0000\u0000", "a", "a\u0000", "a\u0001", "\ud800", "\udbff\udfff",
                "\ue000", "\uffff", "\u007f", "\u0080", "\u07ff", "\u0800", "abcdefgh", "abcdefgh\u0000"));
        KeyEncoder<String> strings = KeyEncoders.strings();
        for (String a : keys) {
            byte[] ea = strings.encode(a);
            assertEquals(a, strings.decode(ea, 0, ea.length), "round trip");
            for (String b : keys) {
                byte[] eb = strings.encode(b);
                assertEquals(Integer.signum(a.compareTo(b)), Integer.signum(Arrays.compareUnsigned(ea, eb)),
                        "order of '" + a + "' and '" + b + "'");
            }
        }
        for (long x : new long[] {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE}) {
            for (long y : new long[] {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE}) {
                assertEquals(Long.signum(Long.compare(x, y)), Integer.signum(Arrays.compareUnsigned(
                        KeyEncoders.longs().encode(x), KeyEncoders.longs().encode(y))));
            }
        }
    }

    @Test
    void randomOperationsMatchTreeMap() {
        for (int width : MasstreeBytesTest.WIDTHS) {
            long seed = SEED + width;
            Random rnd = new Random(seed);
            MasstreeMap<String, Integer> m = MasstreeMap.<String, Integer>builder().nodeWidth(width).build();
            TreeMap<String, Integer> ref = new TreeMap<>();
            List<String> pool = MasstreeKeys.stringKeys(500, rnd);
            for (int i = 0; i < 15_000; i++) {
                String k = pool.get(rnd.nextInt(pool.size()));
                String what = "seed " + seed + " width " + width + " op " + i + " key '" + k + "'";
                switch (rnd.nextInt(9)) {
                    case 0: case 1: case 2:
                        assertEquals(ref.put(k, i), m.put(k, i), what);
                        break;
                    case 3: case 4:
                        assertEquals(ref.remove(k), m.remove(k), what);
                        break;
                    case 5:
                        assertEquals(ref.get(k), m.get(k), what);
                        break;
                    case 6:
                        assertEquals(ref.ceilingEntry(k), m.ceilingEntry(k), what);
                        assertEquals(ref.lowerEntry(k), m.lowerEntry(k), what);
                        break;
                    case 7:
                        assertEquals(ref.higherKey(k), m.higherKey(k), what);
                        assertEquals(ref.floorKey(k), m.floorKey(k), what);
                        break;
                    default:
                        String k2 = pool.get(rnd.nextInt(pool.size()));
                        String lo = k.compareTo(k2) <= 0 ? k : k2;
                        String hi = lo.equals(k) ? k2 : k;
                        assertEquals(new ArrayList<>(ref.subMap(lo, false, hi, true).descendingMap().entrySet()),
                                new ArrayList<>(m.subMap(lo, false, hi, true).descendingMap().entrySet()), what);
                        break;
                }
            }
            assertEquals(ref, m);
            assertEquals(new ArrayList<>(ref.keySet()), new ArrayList<>(m.keySet()));
            m.checkInvariants();
            while (!ref.isEmpty()) {
                assertEquals(ref.pollLastEntry(), m.pollLastEntry());
                if (!ref.isEmpty()) {
                    assertEquals(ref.pollFirstEntry(), m.pollFirstEntry());
                }
            }
            assertTrue(m.isEmpty());
            assertNull(m.comparator(), "String keys are in natural ordering");
            m.checkInvariants();
            assertEquals(1, m.nodeCounts()[0] + m.nodeCounts()[1], "nodes left after polling everything");
        }
    }

    /**
     * {@code get} reads ASCII keys straight from the {@code String} and encodes the others: probes
     * that are ASCII for some layers and then not (a non-ASCII unit at offsets 0 to 30, so the
     * fallback starts in every layer), that differ from a stored key only in the suffix, or only
     * beyond it, or end inside a stored key's slice, all agree with {@code TreeMap}, stored or not,
     * with new probe objects. Node width 3, keys inserted in random and descending order, so lower
     * layers grow from one slot and split.
     */
    @Test
    void getOfAsciiAndOtherKeysMatchesTreeMap() {
        Random rnd = new Random(SEED + 1);
        for (boolean descending : new boolean[] {false, true}) {
            MasstreeMap<String, Integer> map = MasstreeMap.<String, Integer>builder().nodeWidth(3).build();
            TreeMap<String, Integer> ref = new TreeMap<>();
            List<String> keys = new ArrayList<>();
            String[] stems = {"https://host-07.example.com/tenants/", "user", "tenant:7/entity:00000042", ""};
            for (int i = 0; i < 1500; i++) {
                StringBuilder b = new StringBuilder(stems[rnd.nextInt(stems.length)]);
                int tail = rnd.nextInt(20);
                for (int j = 0; j < tail; j++) {
                    b.append(rnd.nextInt(25) == 0 ? (char) (0x80 + rnd.nextInt(0xFF00)) : (char) ('a' + rnd.nextInt(3)));
                }
                keys.add(b.toString());
            }
            if (descending) {
                keys.sort((a, b) -> b.compareTo(a));
            }
            for (int i = 0; i < keys.size(); i++) {
                if (i % 2 == 0) {
                    map.put(keys.get(i), i);
                    ref.put(keys.get(i), i);
                }
            }
            List<String> probes = new ArrayList<>(keys);
            for (String k : keys) {
                probes.add(k + "a");
                if (!k.isEmpty()) {
                    probes.add(k.substring(0, k.length() - 1));
                    int at = rnd.nextInt(k.length());
                    probes.add(k.substring(0, at) + '\u00e9' + k.substring(at + 1));
                }
            }
            for (String p : probes) {
                String probe = new String(p.toCharArray()); // another object, as a request key is
                assertEquals(ref.get(p), map.get(probe), "get(\"" + p + "\")");
                assertEquals(ref.containsKey(p), map.containsKey(probe), "containsKey(\"" + p + "\")");
            }
            map.checkInvariants();
        }
    }
}
