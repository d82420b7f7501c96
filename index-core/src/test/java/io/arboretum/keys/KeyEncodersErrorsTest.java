package io.arboretum.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Null keys, keys of the wrong class, {@link KeyEncoders#forClass}, serialization. */
class KeyEncodersErrorsTest {

    private static final Map<Class<?>, Object> SAMPLES = Map.of(String.class, "k", byte[].class, new byte[] {1},
            Long.class, 1L, Integer.class, 1, Short.class, (short) 1, Byte.class, (byte) 1, Character.class, 'c',
            UUID.class, new UUID(1, 2), Instant.class, Instant.EPOCH);

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void nullAndWrongClassKeys() {
        for (Map.Entry<Class<?>, Object> s : SAMPLES.entrySet()) {
            KeyEncoder raw = KeyEncoders.forClass(s.getKey());
            assertEquals("null key", assertThrows(NullPointerException.class, () -> raw.encode(null)).getMessage());
            assertEquals("null key", assertThrows(NullPointerException.class, () -> raw.prefix(null)).getMessage());
            Object wrong = s.getKey() == Long.class ? "not a long" : 42L;
            ClassCastException e = assertThrows(ClassCastException.class, () -> raw.encode(wrong));
            assertTrue(e.getMessage().contains(wrong.getClass().getName())
                    && e.getMessage().contains(s.getKey().getName()), e.getMessage());
            assertThrows(ClassCastException.class, () -> raw.prefix(wrong));
        }
    }

    @Test
    void forClassFindsEveryBuiltInEncoder() {
        for (Map.Entry<Class<?>, Object> s : SAMPLES.entrySet()) {
            KeyEncoder<?> enc = KeyEncoders.forClass(s.getKey());
            assertSame(s.getKey(), enc.keyType());
        }
        assertSame(KeyEncoders.strings(), KeyEncoders.forClass(String.class));
        assertSame(KeyEncoders.byteArrays(), KeyEncoders.forClass(byte[].class));
        assertSame(KeyEncoders.bytes(), KeyEncoders.forClass(Byte.class));
    }

    @Test
    void forClassNamesTheTypeAndHowToSupplyAnEncoder() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KeyEncoders.forClass(BigInteger.class));
        assertTrue(e.getMessage().contains("java.math.BigInteger") && e.getMessage().contains("KeyEncoder<BigInteger>")
                && e.getMessage().contains("KeyEncoders.verify"), e.getMessage());
        assertThrows(NullPointerException.class, () -> KeyEncoders.forClass(null));
    }

    @Test
    void comparatorsSayWhatTheOrderIs() {
        assertEquals(null, KeyEncoders.strings().comparator());
        assertEquals(null, KeyEncoders.uuids().comparator());
        assertTrue(KeyEncoders.byteArrays().comparator().compare(new byte[] {(byte) 0x80}, new byte[] {1}) > 0);
        assertTrue(KeyEncoders.byteArrays().comparator().compare(new byte[] {1}, new byte[] {1, 0}) < 0);
        assertEquals(-1, KeyEncoders.strings().fixedLength());
        assertEquals(12, KeyEncoders.instants().fixedLength());
    }

    @Test
    void builtInEncodersStaySingletonsThroughSerialization() throws Exception {
        for (Class<?> c : SAMPLES.keySet()) {
            KeyEncoder<?> enc = KeyEncoders.forClass(c);
            assertSame(enc, roundTrip(enc), c.getName());
        }
        assertSame(KeyEncoders.byteArrays().comparator(), roundTrip(KeyEncoders.byteArrays().comparator()));
        KeyEncoder<List<Object>> tuple = KeyEncoders.tuple(KeyEncoders.strings(), KeyEncoders.longs());
        @SuppressWarnings("unchecked")
        KeyEncoder<List<Object>> copy = (KeyEncoder<List<Object>>) roundTrip(tuple);
        assertEquals(List.of("a", 1L), copy.decode(tuple.encode(List.of("a", 1L))));
        assertTrue(copy.comparator().compare(List.of("a", 2L), List.of("b", 1L)) < 0);
    }

    private static Object roundTrip(Object o) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return in.readObject();
        }
    }
}
