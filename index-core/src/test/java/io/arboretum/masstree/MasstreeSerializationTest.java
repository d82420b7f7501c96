package io.arboretum.masstree;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Serialization round trips of byte[], String and still-empty natural-order maps. */
class MasstreeSerializationTest {

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(T o) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }

    @Test
    void byteKeysRoundTrip() throws Exception {
        MasstreeMap<byte[], Integer> m = MasstreeMap.<Integer>bytesBuilder().nodeWidth(4).build();
        TreeMap<byte[], Integer> ref = new TreeMap<>(Arrays::compareUnsigned);
        int i = 0;
        for (byte[] k : MasstreeKeys.byteKeys(2000, new Random(5))) {
            m.put(k, i);
            ref.put(k, i++);
        }
        MasstreeMap<byte[], Integer> copy = roundTrip(m);
        assertSame(MasstreeMap.unsignedBytesComparator(), copy.comparator());
        copy.checkInvariants();
        assertEquals(ref.size(), copy.size());
        List<byte[]> want = new ArrayList<>(ref.keySet());
        int j = 0;
        for (Map.Entry<byte[], Integer> e : copy.entrySet()) {
            assertArrayEquals(want.get(j), e.getKey());
            assertEquals(ref.get(want.get(j++)), e.getValue());
        }
    }

    @Test
    void stringKeysAndUndecidedMapsRoundTrip() throws Exception {
        MasstreeMap<String, Integer> m = new MasstreeMap<>();
        for (String k : MasstreeKeys.stringKeys(1000, new Random(6))) {
            m.put(k, k.length());
        }
        MasstreeMap<String, Integer> copy = roundTrip(m);
        assertEquals(m, copy);
        assertEquals(new ArrayList<>(m.keySet()), new ArrayList<>(copy.keySet()));
        assertNull(copy.comparator());
        copy.checkInvariants();
        MasstreeMap<Long, Integer> empty = roundTrip(new MasstreeMap<>());
        assertTrue(empty.isEmpty());
        empty.put(-5L, 1);
        empty.put(7L, 2);
        assertEquals(-5L, empty.firstKey());
        empty.checkInvariants();
    }
}
