package io.arboretum.pma;

import io.arboretum.keys.KeyEncoder;
import io.arboretum.keys.KeyEncoders;
import io.arboretum.keys.KeyPrefixes;
import java.util.Comparator;

/**
 * How a {@link PackedMemoryArrayMap} stores and compares its keys: as primitive {@code long}s
 * (<em>exact</em> mode) when the key type's order-preserving encoding from {@code io.arboretum.keys}
 * fits in eight bytes, so that the 64-bit prefix is the whole key; as key objects otherwise.
 *
 * <p>Exact mode covers {@code Long}, {@code Integer}, {@code Short}, {@code Byte} and
 * {@code Character} in natural order (chosen at the first insert by the first key's class), and
 * any {@link KeyEncoder} whose {@link KeyEncoder#fixedLength()} is 1 to 8. The prefix is
 * {@link KeyEncoder#prefix(Object)} (signed {@code long} order equals the key order, and the prefix
 * is injective when the encoding has at most eight bytes); keys are rebuilt with the
 * {@link KeyPrefixes} {@code to...} methods or, for other encoders, by decoding the prefix's bytes.
 * Object mode compares with the map's comparator or the keys' natural ordering.
 */
final class Codec {
    static final int OBJECT = 0;
    static final int LONG = 1;
    static final int INT = 2;
    static final int SHORT = 3;
    static final int BYTE = 4;
    static final int CHAR = 5;
    static final int ENCODED = 6;

    /** One of the constants above. */
    final int kind;
    /** True for a natural-order map that has not stored a key yet (object mode until then). */
    final boolean undecided;
    /** Exact mode: the encoder whose prefix is the key. Null in object mode. */
    final KeyEncoder<Object> encoder;
    /** Object mode: the comparator, or null for natural ordering. */
    final Comparator<Object> comparator;

    private Codec(int kind, boolean undecided, KeyEncoder<Object> encoder, Comparator<Object> comparator) {
        this.kind = kind;
        this.undecided = undecided;
        this.encoder = encoder;
        this.comparator = comparator;
    }

    /** The codec of a natural-order map before its first key. */
    static final Codec UNDECIDED = new Codec(OBJECT, true, null, null);

    boolean exact() {
        return kind != OBJECT;
    }

    /** Object mode ordered by {@code c} (natural ordering when null). */
    @SuppressWarnings("unchecked")
    static Codec forComparator(Comparator<?> c) {
        return c == null ? UNDECIDED : new Codec(OBJECT, false, null, (Comparator<Object>) c);
    }

    /** Exact mode when the encoder's encodings have one length of at most eight bytes; object mode otherwise. */
    @SuppressWarnings("unchecked")
    static Codec forEncoder(KeyEncoder<?> e) {
        int len = e.fixedLength();
        if (len >= 1 && len <= 8) {
            return new Codec(kindOf(e), false, (KeyEncoder<Object>) e, null);
        }
        return new Codec(OBJECT, false, null, (Comparator<Object>) e.comparator());
    }

    /**
     * The codec of a natural-order map chosen by its first key: exact when the key's class has a
     * built-in encoder of at most eight bytes, natural-order objects otherwise.
     *
     * @throws ClassCastException if the key is not {@link Comparable}
     */
    static Codec forFirstKey(Object key) {
        if (!(key instanceof Comparable)) {
            throw notComparable(key);
        }
        Class<?> c = key.getClass();
        if (c == Long.class || c == Integer.class || c == Short.class || c == Byte.class || c == Character.class) {
            return forEncoder(KeyEncoders.forClass(c));
        }
        return new Codec(OBJECT, false, null, null);
    }

    static ClassCastException notComparable(Object key) {
        return new ClassCastException("key of " + key.getClass().getName()
                + " is not Comparable and the map has no comparator");
    }

    private static int kindOf(KeyEncoder<?> e) {
        if (e == KeyEncoders.longs()) {
            return LONG;
        } else if (e == KeyEncoders.integers()) {
            return INT;
        } else if (e == KeyEncoders.shorts()) {
            return SHORT;
        } else if (e == KeyEncoders.bytes()) {
            return BYTE;
        } else if (e == KeyEncoders.characters()) {
            return CHAR;
        }
        return ENCODED;
    }

    /**
     * The prefix of a key in exact mode.
     *
     * @throws ClassCastException if the key is not of the encoder's key type
     */
    long prefix(Object key) {
        return encoder.prefix(key);
    }

    /** The key whose prefix is {@code p}, in exact mode. */
    Object decode(long p) {
        switch (kind) {
            case LONG:
                return KeyPrefixes.toLong(p);
            case INT:
                return KeyPrefixes.toInt(p);
            case SHORT:
                return KeyPrefixes.toShort(p);
            case BYTE:
                return KeyPrefixes.toByte(p);
            case CHAR:
                return KeyPrefixes.toChar(p);
            default: {
                // The prefix is the encoding, zero-padded, big-endian, sign bit flipped.
                long u = p ^ Long.MIN_VALUE;
                byte[] b = new byte[8];
                for (int i = 0; i < 8; i++) {
                    b[i] = (byte) (u >>> (56 - 8 * i));
                }
                return encoder.decode(b, 0, encoder.fixedLength());
            }
        }
    }

    /**
     * Compares two keys in object mode.
     *
     * @throws ClassCastException if the keys cannot be compared
     */
    @SuppressWarnings("unchecked")
    int compare(Object a, Object b) {
        if (comparator != null) {
            return comparator.compare(a, b);
        }
        return ((Comparable<Object>) a).compareTo(b);
    }
}
