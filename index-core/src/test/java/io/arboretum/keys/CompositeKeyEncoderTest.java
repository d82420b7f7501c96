package io.arboretum.keys;

import static io.arboretum.keys.EncodingProperties.CASES;
import static io.arboretum.keys.EncodingProperties.checkPair;
import static io.arboretum.keys.EncodingProperties.hex;
import static io.arboretum.keys.EncodingProperties.random;
import static io.arboretum.keys.EncodingProperties.where;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link KeyEncoders#tuple} and {@link KeyEncoders#composite}: components with embedded zero,
 * escape and terminator bytes, components that are prefixes of one another, fixed-width
 * components written raw, nesting.
 */
class CompositeKeyEncoderTest {

    /** A key class with two components, as users write them. */
    record Order(String tenant, long id) {
    }

    private static final KeyEncoder<Order> ORDERS = KeyEncoders.composite(Order.class,
            Order::tenant, KeyEncoders.strings(), Order::id, KeyEncoders.longs(), Order::new);

    /** Bytes from the alphabet that the escaping must survive: 00, 01, FF and a few others. */
    private static byte[] nasty(Random r) {
        byte[] b = new byte[r.nextInt(5)];
        byte[] alphabet = {0, 0, 1, (byte) 0xFF, (byte) 0xFE, 2, 'a'};
        for (int i = 0; i < b.length; i++) {
            b[i] = alphabet[r.nextInt(alphabet.length)];
        }
        return b;
    }

    private static String nastyString(Random r) {
        char[] alphabet = {'\u0000', '\u0001', 'a', '\u00FF', '\u7F00', '\uFFFF', '\uD800'};
        char[] c = new char[r.nextInt(4)];
        for (int i = 0; i < c.length; i++) {
            c[i] = alphabet[r.nextInt(alphabet.length)];
        }
        return new String(c);
    }

    @Test
    void tuplesOfVariableComponentsOrderComponentwise() {
        KeyEncoder<List<Object>> enc = KeyEncoders.tuple(KeyEncoders.byteArrays(), KeyEncoders.strings(),
                KeyEncoders.byteArrays());
        Random r = random("tuples");
        for (int i = 0; i < CASES; i++) {
            List<Object> a = List.of(nasty(r), nastyString(r), nasty(r));
            List<Object> b = r.nextBoolean() ? List.of(nasty(r), nastyString(r), nasty(r))
                    : List.of(a.get(0), r.nextBoolean() ? a.get(1) : nastyString(r), nasty(r));
            checkPair(enc, a, b, where("tuplesOfVariableComponentsOrderComponentwise", i));
        }
    }

    @Test
    void tuplesMixingFixedAndVariableComponents() {
        KeyEncoder<List<Object>> enc = KeyEncoders.tuple(KeyEncoders.integers(), KeyEncoders.strings(),
                KeyEncoders.longs(), KeyEncoders.strings());
        assertEquals(-1, enc.fixedLength());
        Random r = random("mixed");
        int[] ints = {Integer.MIN_VALUE, -1, 0, 1, 256};
        long[] longs = {Long.MIN_VALUE, -1, 0, 0xFF00, Long.MAX_VALUE};
        for (int i = 0; i < CASES; i++) {
            List<Object> a = List.of(ints[r.nextInt(ints.length)], nastyString(r), longs[r.nextInt(longs.length)],
                    nastyString(r));
            List<Object> b = List.of(ints[r.nextInt(ints.length)], nastyString(r), longs[r.nextInt(longs.length)],
                    nastyString(r));
            checkPair(enc, a, b, where("tuplesMixingFixedAndVariableComponents", i));
        }
        KeyEncoder<List<Object>> fixed = KeyEncoders.tuple(KeyEncoders.integers(), KeyEncoders.uuids());
        assertEquals(20, fixed.fixedLength());
    }

    @Test
    void adversarialComponentBoundaries() {
        KeyEncoder<List<Object>> enc = KeyEncoders.tuple(KeyEncoders.strings(), KeyEncoders.strings());
        String[][][] pairs = {
            {{"a", "b"}, {"a\u0000", ""}},
            {{"a", "\uFFFF"}, {"a\u0000", ""}},
            {{"a", ""}, {"a", "\u0000"}},
            {{"", "z"}, {"\u0000", ""}},
            {{"a\u0000", "x"}, {"a\u0001", ""}},
            {{"a\u0000\u0000", ""}, {"a\u0000", "\uFFFF"}},
            {{"\u00FF", ""}, {"\u00FF\u0000", ""}},
            {{"ab", "c"}, {"a", "bc"}},
        };
        for (int i = 0; i < pairs.length; i++) {
            List<Object> a = List.of(pairs[i][0][0], pairs[i][0][1]);
            List<Object> b = List.of(pairs[i][1][0], pairs[i][1][1]);
            checkPair(enc, a, b, where("adversarialComponentBoundaries", i));
            checkPair(enc, b, a, where("adversarialComponentBoundaries reversed", i));
        }
        assertArrayEquals(new byte[] {0x61, 0, 1, 0x62}, enc.encode(List.of("a", "b")));
        assertArrayEquals(new byte[] {0x61, 0, (byte) 0xFF, 0, 1}, enc.encode(List.of("a\u0000", "")));
    }

    @Test
    void recordCompositesAndNesting() {
        Random r = random("records");
        String[] tenants = {"", "acme", "acme\u0000", "acm", "\uFFFF"};
        for (int i = 0; i < CASES; i++) {
            Order a = new Order(tenants[r.nextInt(tenants.length)], r.nextInt(5) - 2);
            Order b = new Order(tenants[r.nextInt(tenants.length)], r.nextBoolean() ? a.id() : r.nextLong());
            checkPair(ORDERS, a, b, where("recordCompositesAndNesting", i));
        }
        KeyEncoder<List<Object>> nested = KeyEncoders.tuple(ORDERS, KeyEncoders.strings());
        for (int i = 0; i < CASES; i++) {
            List<Object> a = List.of(new Order(tenants[r.nextInt(tenants.length)], r.nextInt(3)), nastyString(r));
            List<Object> b = List.of(new Order(tenants[r.nextInt(tenants.length)], r.nextInt(3)), nastyString(r));
            checkPair(nested, a, b, where("nested", i));
        }
        assertEquals(new Order("t", 7), ORDERS.decode(ORDERS.encode(new Order("t", 7))));
        Comparator<? super Order> c = ORDERS.comparator();
        assertTrue(c.compare(new Order("a", 5), new Order("b", 1)) < 0);
    }

    @Test
    void malformedCompositesAreRejected() {
        KeyEncoder<List<Object>> enc = KeyEncoders.tuple(KeyEncoders.strings(), KeyEncoders.longs());
        byte[][] bad = {
            {0x61},                                 // no terminator
            {0x61, 0},                              // ends inside an escape
            {0x61, 0, 2, 0, 1},                     // 00 followed by neither 01 nor FF
            {0x61, 0, 1, 0, 0, 0},                  // the fixed-width last component is short
            {0x61, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}, // and long
        };
        for (byte[] b : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> enc.decode(b), hex(b));
            assertTrue(e.getMessage().contains("composite"), e.getMessage());
        }
        KeyEncoder<List<Object>> two = KeyEncoders.tuple(KeyEncoders.longs(), KeyEncoders.strings());
        assertThrows(IllegalArgumentException.class, () -> two.decode(new byte[] {1, 2, 3}));
    }

    @Test
    void badKeysAreRejectedWithClearMessages() {
        KeyEncoder<List<Object>> enc = KeyEncoders.tuple(KeyEncoders.strings(), KeyEncoders.longs());
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () -> enc.encode(List.of("a")));
        assertTrue(size.getMessage().contains("1 components"), size.getMessage());
        NullPointerException nullPart = assertThrows(NullPointerException.class,
                () -> enc.encode(Arrays.asList("a", null)));
        assertEquals("null key component 1", nullPart.getMessage());
        ClassCastException type = assertThrows(ClassCastException.class, () -> enc.encode(List.of("a", "b")));
        assertTrue(type.getMessage().contains("java.lang.String") && type.getMessage().contains("java.lang.Long"),
                type.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KeyEncoders.tuple());
        assertThrows(NullPointerException.class, () -> KeyEncoders.tuple(KeyEncoders.strings(), null));
        assertThrows(NullPointerException.class, () -> ORDERS.encode(null));
    }
}
