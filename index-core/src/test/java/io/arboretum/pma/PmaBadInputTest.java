package io.arboretum.pma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.arboretum.keys.KeyEncoders;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentNavigableMap;
import org.junit.jupiter.api.Test;

/** Bad input: nulls, keys outside a view, keys of the wrong class, invalid settings; nothing lost or left latched. */
class PmaBadInputTest {

    @Test
    void nullsThrowNullPointerException() {
        PackedMemoryArrayMap<Long, Integer> m = new PackedMemoryArrayMap<>();
        m.put(1L, 1);
        assertThrows(NullPointerException.class, () -> m.put(null, 1));
        assertThrows(NullPointerException.class, () -> m.put(2L, null));
        assertThrows(NullPointerException.class, () -> m.get(null));
        assertThrows(NullPointerException.class, () -> m.remove(null));
        assertThrows(NullPointerException.class, () -> m.ceilingKey(null));
        assertThrows(NullPointerException.class, () -> m.putIfAbsent(3L, null));
        assertThrows(NullPointerException.class, () -> m.replace(1L, null, 2));
        PackedMemoryArrayMap<String, Integer> fresh = new PackedMemoryArrayMap<>();
        assertThrows(NullPointerException.class, () -> fresh.get(null));
        assertThrows(NullPointerException.class, () -> fresh.put(null, 1));
        assertEquals(1, m.size());
        m.checkInvariants();
        fresh.checkInvariants();
    }

    @Test
    void keysOutsideAViewThrowIllegalArgumentException() {
        PackedMemoryArrayMap<Long, Integer> m = PackedMemoryArrayMap.<Long, Integer>builder().segmentSize(4).build();
        for (long k = 0; k < 100; k++) {
            m.put(k, (int) k);
        }
        ConcurrentNavigableMap<Long, Integer> v = m.subMap(10L, true, 20L, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> v.put(20L, 1));
        assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
        assertThrows(IllegalArgumentException.class, () -> v.put(9L, 1));
        assertThrows(IllegalArgumentException.class, () -> v.subMap(0L, 15L));
        assertThrows(IllegalArgumentException.class, () -> m.headMap(50L).put(60L, 1));
        assertEquals(10, v.size());
        assertEquals(100, m.size());
        m.checkInvariants();
    }

    @Test
    void incomparableKeysThrowClassCastExceptionAndChangeNothing() {
        @SuppressWarnings({"unchecked", "rawtypes"})
        Map<Object, Integer> longs = (Map) PackedMemoryArrayMap.builder().segmentSize(4).build();
        for (long k = 0; k < 50; k++) {
            longs.put(k, 1);
        }
        ClassCastException e = assertThrows(ClassCastException.class, () -> longs.put("x", 1));
        assertTrue(e.getMessage().contains("java.lang.String") && e.getMessage().contains("Long"), e.getMessage());
        assertThrows(ClassCastException.class, () -> longs.get(7));
        assertThrows(ClassCastException.class, () -> longs.remove(new Object()));
        assertEquals(50, longs.size());
        ((PackedMemoryArrayMap<?, ?>) longs).checkInvariants();

        @SuppressWarnings({"unchecked", "rawtypes"})
        Map<Object, Integer> objects = (Map) new PackedMemoryArrayMap<>();
        ClassCastException n = assertThrows(ClassCastException.class, () -> objects.put(new Object(), 1));
        assertTrue(n.getMessage().contains("not Comparable"), n.getMessage());
        objects.put("a", 1);
        objects.put("b", 2);
        assertThrows(ClassCastException.class, () -> objects.put(3L, 1));
        assertThrows(ClassCastException.class, () -> objects.get(3L));
        assertEquals(2, objects.size());
        ((PackedMemoryArrayMap<?, ?>) objects).checkInvariants();
        // after the exceptions every latch was released: writes still go through
        objects.put("c", 3);
        longs.put(99L, 1);
        assertEquals(3, objects.size());
        assertEquals(51, longs.size());
    }

    @Test
    void invalidSettingsNameTheOptionAndTheValue() {
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> PackedMemoryArrayMap.builder().segmentSize(3));
        assertTrue(small.getMessage().contains("segmentSize") && small.getMessage().contains("was 3"), small.getMessage());
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> PackedMemoryArrayMap.builder().segmentSize(1 << 20));
        assertTrue(big.getMessage().contains("segmentSize") && big.getMessage().contains("was 1048576"),
                big.getMessage());
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                () -> PackedMemoryArrayMap.<Long, Long>builder().keyEncoder(KeyEncoders.longs())
                        .comparator(Comparator.reverseOrder()));
        assertTrue(both.getMessage().contains("comparator") && both.getMessage().contains("keyEncoder"),
                both.getMessage());
        assertThrows(NullPointerException.class, () -> PackedMemoryArrayMap.<Long, Long>builder().keyEncoder(null));
    }

    @Test
    void constructorsAsConcurrentSkipListMap() {
        TreeMap<String, Integer> reversed = new TreeMap<>(Comparator.reverseOrder());
        reversed.put("a", 1);
        reversed.put("b", 2);
        PackedMemoryArrayMap<String, Integer> copy = new PackedMemoryArrayMap<>(reversed);
        assertEquals(reversed.comparator(), copy.comparator());
        assertEquals("b", copy.firstKey());
        assertEquals(reversed, copy);
        PackedMemoryArrayMap<String, Integer> unsorted = new PackedMemoryArrayMap<>((Map<String, Integer>) reversed);
        assertNull(unsorted.comparator());
        assertEquals("a", unsorted.firstKey());
        PackedMemoryArrayMap<Integer, Integer> byCmp = new PackedMemoryArrayMap<>(Comparator.reverseOrder());
        byCmp.put(1, 1);
        byCmp.put(2, 2);
        assertEquals(2, byCmp.firstKey());
        copy.checkInvariants();
        unsorted.checkInvariants();
        byCmp.checkInvariants();
    }
}
