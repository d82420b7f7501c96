package io.arboretum.bwtree;

import org.junit.jupiter.api.Test;

import java.util.TreeMap;
import java.util.concurrent.ConcurrentNavigableMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input: nulls, keys outside a view, keys of another class, invalid builder options; the map is unchanged after each. */
class BwTreeBadInputTest {

    private static BwTreeMap<Long, String> filled() {
        BwTreeMap<Long, String> m = BwTreeMap.<Long, String>builder().nodeCapacity(4).build();
        for (long k = 40; k > 0; k -= 3) { // descending, so that splits happen at the left end
            m.put(k, "v" + k);
        }
        return m;
    }

    @Test
    void nullsThrowNullPointerExceptionAndChangeNothing() {
        BwTreeMap<Long, String> m = filled();
        TreeMap<Long, String> before = new TreeMap<>(m);
        NullPointerException e = assertThrows(NullPointerException.class, () -> m.put(null, "x"));
        assertTrue(e.getMessage().contains("null key"), e.getMessage());
        assertThrows(NullPointerException.class, () -> m.put(7L, null));
        assertThrows(NullPointerException.class, () -> m.get(null));
        assertThrows(NullPointerException.class, () -> m.remove(null));
        assertThrows(NullPointerException.class, () -> m.putIfAbsent(5L, null));
        assertThrows(NullPointerException.class, () -> m.replace(1L, null));
        assertThrows(NullPointerException.class, () -> m.replace(1L, "v1", null));
        assertThrows(NullPointerException.class, () -> m.ceilingKey(null));
        assertThrows(NullPointerException.class, () -> m.subMap(null, 3L));
        assertEquals(before, m);
        m.checkInvariants();
    }

    @Test
    void keysOutsideAViewThrowIllegalArgumentException() {
        BwTreeMap<Long, String> m = filled();
        ConcurrentNavigableMap<Long, String> v = m.subMap(10L, true, 20L, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> v.put(20L, "x"));
        assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
        assertThrows(IllegalArgumentException.class, () -> v.put(9L, "x"));
        assertThrows(IllegalArgumentException.class, () -> v.subMap(5L, 15L));
        assertThrows(IllegalArgumentException.class, () -> m.headMap(10L).put(11L, "x"));
        assertEquals(filled(), m);
        m.checkInvariants();
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void keysOfAnotherClassThrowClassCastExceptionNamingBoth() {
        BwTreeMap<Long, String> m = filled();
        java.util.Map raw = m;
        ClassCastException e = assertThrows(ClassCastException.class, () -> raw.put(3, "int"));
        assertTrue(e.getMessage().contains("java.lang.Integer") && e.getMessage().contains("java.lang.Long"),
                e.getMessage());
        assertThrows(ClassCastException.class, () -> raw.get("a string"));
        assertThrows(ClassCastException.class, () -> raw.remove(2.5));
        assertThrows(ClassCastException.class, () -> ((ConcurrentNavigableMap) m).ceilingKey(3));
        BwTreeMap<Object, String> objects = new BwTreeMap<>();
        ClassCastException n = assertThrows(ClassCastException.class, () -> objects.put(new Object(), "x"));
        assertTrue(n.getMessage().contains("not Comparable"), n.getMessage());
        assertTrue(objects.isEmpty());
        assertEquals(filled(), m);
        m.checkInvariants();
        objects.checkInvariants();
    }

    @Test
    void invalidOptionsNameTheOptionAndTheValue() {
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class,
                () -> BwTreeMap.builder().nodeCapacity(3));
        assertTrue(c.getMessage().contains("nodeCapacity") && c.getMessage().contains("was 3"), c.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BwTreeMap.builder().nodeCapacity(BwTreeMap.MAX_NODE_CAPACITY + 1));
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class,
                () -> BwTreeMap.builder().consolidateThreshold(0));
        assertTrue(t.getMessage().contains("consolidateThreshold") && t.getMessage().contains("was 0"), t.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BwTreeMap.builder().consolidateThreshold(65));
        assertThrows(NullPointerException.class, () -> BwTreeMap.builder().epochManager(null));
        // The smallest legal settings work.
        BwTreeMap<Integer, Integer> tiny = BwTreeMap.<Integer, Integer>builder().nodeCapacity(4).consolidateThreshold(1)
                .build();
        for (int i = 0; i < 200; i++) {
            tiny.put((i * 37) % 200, i);
        }
        assertEquals(200, tiny.size());
        tiny.checkInvariants();
    }
}
