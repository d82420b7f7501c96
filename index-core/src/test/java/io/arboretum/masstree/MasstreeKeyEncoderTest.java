package io.arboretum.masstree;

import io.arboretum.keys.KeyEncoder;
import io.arboretum.keys.KeyEncoders;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link MasstreeMap} on {@code io.arboretum.keys}: the built-in encoder chosen by the first key,
 * a composite encoder given to the constructor and the builder, and an encoder that breaks its
 * contract, caught by {@link KeyEncoders#verify} and by {@link MasstreeMap#checkInvariants()}.
 */
class MasstreeKeyEncoderTest {

    /** A key of two fields, ordered by tenant, then id (by its encoder, not by a compareTo). */
    static final class OrderKey {
        final String tenant;
        final long id;

        OrderKey(String tenant, long id) {
            this.tenant = tenant;
            this.id = id;
        }

        String tenant() {
            return tenant;
        }

        long id() {
            return id;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof OrderKey && ((OrderKey) o).tenant.equals(tenant) && ((OrderKey) o).id == id;
        }

        @Override
        public int hashCode() {
            return Objects.hash(tenant, id);
        }

        @Override
        public String toString() {
            return tenant + "/" + id;
        }
    }

    static KeyEncoder<OrderKey> orderKeys() {
        return KeyEncoders.composite(OrderKey.class, OrderKey::tenant, KeyEncoders.strings(),
                OrderKey::id, KeyEncoders.longs(), OrderKey::new);
    }

    @Test
    void builtInEncodersAreChosenByTheFirstKey() {
        Random rnd = new Random(17);
        List<List<?>> samples = List.of(
                List.of("b", "", "a\u0000", "\ud800\udc00", "\uffff", "abcdefghijklmnopq", "abcdefghij"),
                List.of(Long.MIN_VALUE, -1L, 0L, 1L, Long.MAX_VALUE),
                List.of(Integer.MIN_VALUE, -7, 0, 7, Integer.MAX_VALUE),
                List.of(Short.MIN_VALUE, (short) -1, (short) 0, Short.MAX_VALUE),
                List.of(Byte.MIN_VALUE, (byte) -1, (byte) 0, Byte.MAX_VALUE),
                List.of('a', '\u0000', '\uffff', 'Z'),
                List.of(new UUID(-1L, 5L), new UUID(0L, -1L), new UUID(Long.MIN_VALUE, 0L), UUID.randomUUID()),
                List.of(Instant.MIN, Instant.EPOCH, Instant.ofEpochSecond(-1, 999_999_999), Instant.MAX));
        for (List<?> keys : samples) {
            MasstreeMap<Object, Integer> m = MasstreeMap.<Object, Integer>builder().nodeWidth(3).build();
            TreeMap<Object, Integer> ref = new TreeMap<>();
            List<Object> shuffled = new ArrayList<>(keys);
            java.util.Collections.shuffle(shuffled, rnd);
            for (Object k : shuffled) {
                m.put(k, ref.size());
                ref.put(k, ref.size());
            }
            assertNull(m.comparator(), "natural order of " + keys.get(0).getClass());
            assertEquals(new ArrayList<>(ref.keySet()), new ArrayList<>(m.keySet()), keys.get(0).getClass().getName());
            assertEquals(ref, m);
            m.checkInvariants();
        }
    }

    @Test
    void aCompositeEncoderOrdersByItsComponents() {
        KeyEncoder<OrderKey> enc = orderKeys();
        MasstreeMap<OrderKey, Integer> viaConstructor = new MasstreeMap<>(enc);
        MasstreeMap<OrderKey, Integer> viaBuilder = MasstreeMap.<OrderKey, Integer>builder().nodeWidth(3)
                .keyEncoder(enc).build();
        assertSame(enc.comparator(), viaConstructor.comparator());
        assertSame(enc.comparator(), viaBuilder.comparator());
        @SuppressWarnings("unchecked")
        TreeMap<OrderKey, Integer> ref = new TreeMap<>((Comparator<OrderKey>) enc.comparator());
        Random rnd = new Random(23);
        // Tenants that share 8 and 16-byte prefixes, and one that is a prefix of another, so that
        // the escaped first component puts keys in lower layers and splits them at width 3.
        String[] tenants = {"acme", "acme-corporation", "acme-corporation-eu", "acme-corporation-us", "", "b\u0000"};
        for (int i = 0; i < 3000; i++) {
            OrderKey k = new OrderKey(tenants[rnd.nextInt(tenants.length)], rnd.nextInt(200) - 100);
            if (rnd.nextInt(4) == 0) {
                assertEquals(ref.remove(k), viaBuilder.remove(k), "remove " + k);
                viaConstructor.remove(k);
            } else {
                assertEquals(ref.put(k, i), viaBuilder.put(k, i), "put " + k);
                viaConstructor.put(k, i);
            }
        }
        assertEquals(new ArrayList<>(ref.entrySet()), new ArrayList<>(viaBuilder.entrySet()));
        assertEquals(ref, viaConstructor);
        OrderKey probe = new OrderKey("acme-corporation", 0);
        assertEquals(ref.ceilingEntry(probe), viaBuilder.ceilingEntry(probe));
        assertEquals(ref.lowerEntry(probe), viaBuilder.lowerEntry(probe));
        assertEquals(ref.headMap(probe), viaBuilder.headMap(probe));
        viaBuilder.checkInvariants();
        viaConstructor.checkInvariants();
        assertTrue(viaBuilder.nodeCounts()[2] > 1, "the shared tenant prefixes made lower layers");
        ClassCastException e = assertThrows(ClassCastException.class, () -> ((Map) viaBuilder).put("x", 1));
        assertTrue(e.getMessage().contains("java.lang.String") && e.getMessage().contains("OrderKey"), e.getMessage());
        // The composite's component functions are not serializable, so neither is the map.
        assertThrows(NotSerializableException.class,
                () -> new ObjectOutputStream(new ByteArrayOutputStream()).writeObject(viaConstructor));
    }

    @Test
    void aTupleEncoderIsSerializedWithTheMap() throws Exception {
        KeyEncoder<List<Object>> enc = KeyEncoders.tuple(KeyEncoders.strings(), KeyEncoders.integers());
        MasstreeMap<List<Object>, String> m = new MasstreeMap<>(enc);
        for (int i = 0; i < 300; i++) {
            m.put(List.of("tenant-with-a-long-name-" + (i % 7), i), "v" + i);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(m);
        }
        try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(
                new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            @SuppressWarnings("unchecked")
            MasstreeMap<List<Object>, String> copy = (MasstreeMap<List<Object>, String>) in.readObject();
            assertEquals(new ArrayList<>(m.entrySet()), new ArrayList<>(copy.entrySet()));
            copy.put(List.of("a", 1), "new");
            assertEquals(List.of("a", 1), copy.firstKey());
            copy.checkInvariants();
        }
    }

    /** Integers as plain two's-complement bytes: negative numbers sort after positive ones. */
    static final class UnflippedIntegers implements KeyEncoder<Integer> {
        @Override
        public Class<Integer> keyType() {
            return Integer.class;
        }

        @Override
        public Comparator<? super Integer> comparator() {
            return null;
        }

        @Override
        public byte[] encode(Integer x) {
            return new byte[] {(byte) (x >>> 24), (byte) (x >>> 16), (byte) (x >>> 8), (byte) (int) x};
        }

        @Override
        public Integer decode(byte[] b, int off, int len) {
            return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8)
                    | (b[off + 3] & 0xFF);
        }
    }

    @Test
    void anEncoderThatBreaksItsContractIsCaughtByVerifyAndByTheInvariantCheck() {
        UnflippedIntegers bad = new UnflippedIntegers();
        KeyEncoders.verify(bad, List.of(0, 1, 2, 1000)); // agrees where no sign is involved
        IllegalArgumentException v = assertThrows(IllegalArgumentException.class,
                () -> KeyEncoders.verify(bad, List.of(-1, 0, 1)));
        assertTrue(v.getMessage().contains("-1"), v.getMessage());
        MasstreeMap<Integer, Integer> m = new MasstreeMap<>(bad);
        m.put(1, 1);
        m.checkInvariants();
        m.put(-1, -1);
        IllegalStateException e = assertThrows(IllegalStateException.class, m::checkInvariants);
        assertTrue(e.getMessage().contains("disagrees with the map's order"), e.getMessage());
    }
}
