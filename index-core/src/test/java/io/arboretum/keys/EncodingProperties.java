package io.arboretum.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.function.Supplier;

/**
 * The properties every encoding must have, checked on one key or one pair, with failure messages
 * that carry the seed and case number. Random cases are drawn from {@link #SEED} (system property
 * {@code arboretum.keys.seed}) and their number scales with {@code arboretum.test.scale}.
 */
final class EncodingProperties {
    private EncodingProperties() {
    }

    /** The seed of every random case; rerun a failure with {@code -Darboretum.keys.seed=...}. */
    static final long SEED = Long.getLong("arboretum.keys.seed", 20_261_202L);
    private static final int SCALE = Math.max(1, Integer.getInteger("arboretum.test.scale", 1));
    /** Random pairs per type. */
    static final int CASES = 5_000 * SCALE;

    static Random random(String test) {
        return new Random(SEED ^ test.hashCode());
    }

    /** The context of a failure: seed, test and case. */
    static Supplier<String> where(String test, int i) {
        return () -> "seed " + SEED + " (-Darboretum.keys.seed), " + test + ", case " + i;
    }

    /** The order of an encoder's keys. */
    @SuppressWarnings("unchecked")
    static <K> Comparator<K> orderOf(KeyEncoder<K> enc) {
        Comparator<? super K> c = enc.comparator();
        return c != null ? (Comparator<K>) c : (a, b) -> ((Comparable<Object>) a).compareTo(b);
    }

    /**
     * Encoded order equals key order for {@code a} and {@code b}, both round-trip, and their
     * prefixes are the first eight encoded bytes and agree with the order.
     */
    static <K> void checkPair(KeyEncoder<K> enc, K a, K b, Supplier<String> where) {
        byte[] ea = checkKey(enc, a, where);
        byte[] eb = checkKey(enc, b, where);
        int byKey = Integer.signum(orderOf(enc).compare(a, b));
        int byBytes = Integer.signum(Arrays.compareUnsigned(ea, eb));
        assertEquals(byKey, byBytes, () -> where.get() + ": order of " + show(a) + " and " + show(b)
                + ", encoded " + hex(ea) + " and " + hex(eb));
        long pa = enc.prefix(a);
        long pb = enc.prefix(b);
        if (byKey < 0) {
            assertTrue(pa <= pb, () -> where.get() + ": prefixes out of order for " + show(a) + " < " + show(b));
        } else if (byKey > 0) {
            assertTrue(pa >= pb, () -> where.get() + ": prefixes out of order for " + show(a) + " > " + show(b));
        } else {
            assertEquals(pa, pb, () -> where.get() + ": equal keys with different prefixes");
        }
    }

    /** {@code k} round-trips (also from inside a larger array) and its prefix is its first eight bytes; returns its encoding. */
    static <K> byte[] checkKey(KeyEncoder<K> enc, K k, Supplier<String> where) {
        byte[] e = enc.encode(k);
        K back = enc.decode(e);
        assertEquals(0, orderOf(enc).compare(back, k), () -> where.get() + ": round trip of " + show(k)
                + " gave " + show(back));
        assertTrue(enc.keyType().isInstance(back), where);
        assertArrayEquals(e, enc.encode(back), where);
        byte[] padded = new byte[e.length + 4];
        Arrays.fill(padded, (byte) 0xFF);
        System.arraycopy(e, 0, padded, 2, e.length);
        assertEquals(0, orderOf(enc).compare(enc.decode(padded, 2, e.length), k), where);
        assertEquals(KeyPrefixes.ofBytes(e), enc.prefix(k), () -> where.get() + ": prefix of " + show(k));
        if (enc.fixedLength() >= 0) {
            assertEquals(enc.fixedLength(), e.length, where);
        }
        return e;
    }

    static String show(Object k) {
        if (k instanceof byte[]) {
            return "byte[] " + hex((byte[]) k);
        }
        if (k instanceof String) {
            StringBuilder b = new StringBuilder("\"");
            for (char c : ((String) k).toCharArray()) {
                b.append(c >= 0x20 && c < 0x7F ? String.valueOf(c) : String.format("\\u%04X", (int) c));
            }
            return b.append('"').toString();
        }
        return String.valueOf(k);
    }

    static String hex(byte[] e) {
        StringBuilder b = new StringBuilder("[");
        for (byte x : e) {
            b.append(b.length() == 1 ? "" : " ").append(String.format("%02X", x & 0xFF));
        }
        return b.append(']').toString();
    }
}
