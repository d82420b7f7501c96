package io.arboretum.masstree;

import org.junit.jupiter.api.Test;

import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentNavigableMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input: nulls, keys outside a view, key types without an encoder, bad node widths. */
class MasstreeBadInputTest {

    @Test
    void nullsThrowNullPointerException() {
        MasstreeMap<byte[], Integer> m = MasstreeMap.forBytes();
        m.put(new byte[] {1}, 1);
        assertThrows(NullPointerException.class, () -> m.put(null, 1));
        assertThrows(NullPointerException.class, () -> m.put(new byte[] {2}, null));
        assertThrows(NullPointerException.class, () -> m.get(null));
        assertThrows(NullPointerException.class, () -> m.remove(null));
        assertThrows(NullPointerException.class, () -> m.ceilingKey(null));
        assertThrows(NullPointerException.class, () -> m.putIfAbsent(new byte[] {3}, null));
        MasstreeMap<String, Integer> fresh = new MasstreeMap<>();
        assertThrows(NullPointerException.class, () -> fresh.get(null));
        assertThrows(NullPointerException.class, () -> fresh.put(null, 1));
        assertEquals(1, m.size());
        m.checkInvariants();
    }

    @Test
    void keysOutsideAViewThrowIllegalArgumentException() {
        MasstreeMap<String, Integer> m = new MasstreeMap<>();
        for (String k : new String[] {"a", "ab", "abcdefgh", "abcdefghi", "b"}) {
            m.put(k, k.length());
        }
        ConcurrentNavigableMap<String, Integer> v = m.subMap("ab", true, "abcdefgh", true);
        assertThrows(IllegalArgumentException.class, () -> v.put("abcdefghi", 1));
        assertThrows(IllegalArgumentException.class, () -> v.put("a", 1));
        assertThrows(IllegalArgumentException.class, () -> v.subMap("a", "b"));
        assertThrows(IllegalArgumentException.class, () -> m.headMap("b").put("c", 1));
        assertEquals(2, v.size());
        m.checkInvariants();
    }

    @Test
    void keyTypesWithoutAnEncodingAreRejectedWithTheirName() {
        MasstreeMap<Object, Integer> m = new MasstreeMap<>();
        ClassCastException e = assertThrows(ClassCastException.class, () -> m.put(3.5, 1));
        assertTrue(e.getMessage().contains("java.lang.Double") && e.getMessage().contains("forBytes")
                && e.getMessage().contains("KeyEncoder"), e.getMessage());
        ClassCastException b = assertThrows(ClassCastException.class, () -> m.put(new byte[] {1}, 1));
        assertTrue(b.getMessage().contains("MasstreeMap.forBytes()"), b.getMessage());
        assertTrue(m.isEmpty());
        m.put("a string decides the encoding", 1);
        assertThrows(ClassCastException.class, () -> m.put(7L, 1));
        assertThrows(ClassCastException.class, () -> m.get(7L));
        assertThrows(ClassCastException.class, () -> m.ceilingKey(7L));
        @SuppressWarnings({"unchecked", "rawtypes"})
        Map<Object, Integer> raw = (Map) MasstreeMap.forBytes();
        assertThrows(ClassCastException.class, () -> raw.put("not bytes", 1));
        m.checkInvariants();
    }

    @Test
    void nodeWidthsAndComparatorsAreValidated() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MasstreeMap.builder().nodeWidth(2));
        assertTrue(e.getMessage().contains("between 3 and 15") && e.getMessage().contains("was 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MasstreeMap.bytesBuilder().nodeWidth(16));
        TreeMap<String, Integer> reversed = new TreeMap<>(Comparator.reverseOrder());
        reversed.put("x", 1);
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class, () -> new MasstreeMap<>(reversed));
        assertTrue(c.getMessage().contains("comparator"), c.getMessage());
        TreeMap<byte[], Integer> bytes = new TreeMap<>(MasstreeMap.unsignedBytesComparator());
        bytes.put(new byte[] {5}, 5);
        assertEquals(MasstreeMap.unsignedBytesComparator(), new MasstreeMap<>(bytes).comparator());
        TreeMap<String, Integer> natural = new TreeMap<>(Map.of("k", 1, "j", 2));
        assertEquals(natural, new MasstreeMap<>(natural));
        assertEquals(natural, new MasstreeMap<>((Map<String, Integer>) natural));
    }
}
