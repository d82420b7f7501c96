package io.arboretum.keys;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The byte layout and the order of composite keys, shared by {@link KeyEncoders#tuple} and
 * {@link KeyEncoders#composite}: a key is a sequence of components, compared component by
 * component, each in the order of its own encoder.
 *
 * <p><b>Layout.</b> The components' encodings are concatenated. A component whose encoder has a
 * {@linkplain KeyEncoder#fixedLength() fixed length} is written as it is. The last component is
 * written as it is too: the end of the key ends it. Any other component is escaped and terminated:
 * each {@code 00} byte becomes {@code 00 FF}, and {@code 00 01} ends the component.
 *
 * <p><b>Why it preserves the order.</b> Compare two keys whose first {@code i} components are
 * equal: their encodings are equal so far. A fixed-length component decides by its first
 * differing byte, inside both encodings; the last component decides as its own encoding does,
 * prefix rule included. For an escaped component: escaping keeps every byte other than
 * {@code 00}, and at a {@code 00} of one side the other side either has {@code 00} as well
 * (escaped the same way) or a larger byte, which still compares larger than the {@code 00}
 * that starts the escape; so the first difference of the raw encodings decides. If one raw
 * encoding is a proper prefix of the other, the shorter has its terminator {@code 00 01} where the
 * longer has a byte {@code >= 01} (a non-zero byte, or the escape {@code 00 FF}), so it sorts
 * first. Escaped components are never a prefix of one another, so the first difference of the
 * whole encodings falls inside the first differing component. Hence ({@code "a"}, {@code "b"})
 * ({@code 61 00 01 62}) sorts before ({@code "a\0"}, {@code ""}) ({@code 61 00 FF 00 01}).
 */
final class TupleEncoding implements Serializable {
    private static final long serialVersionUID = 1L;

    private static final int ESCAPE = 0xFF;
    private static final int TERMINATOR = 0x01;

    private final KeyEncoder<?>[] parts;
    private final int fixedLength;

    TupleEncoding(KeyEncoder<?>[] parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("a composite key needs at least one component");
        }
        this.parts = parts.clone();
        int fixed = 0;
        for (int i = 0; i < this.parts.length; i++) {
            if (this.parts[i] == null) {
                throw new NullPointerException("null encoder for component " + i);
            }
            int f = this.parts[i].fixedLength();
            fixed = fixed < 0 || f < 0 ? -1 : fixed + f;
        }
        this.fixedLength = fixed;
    }

    int size() {
        return parts.length;
    }

    int fixedLength() {
        return fixedLength;
    }

    /** The encoding of a key whose components, checked for count, are {@code values}. */
    byte[] encode(Object[] values) {
        byte[][] raw = new byte[parts.length][];
        int size = 0;
        for (int i = 0; i < parts.length; i++) {
            raw[i] = encodePart(i, values[i]);
            size += raw[i].length;
            if (escaped(i)) {
                for (byte x : raw[i]) {
                    if (x == 0) {
                        size++;
                    }
                }
                size += 2;
            }
        }
        byte[] out = new byte[size];
        int j = 0;
        for (int i = 0; i < parts.length; i++) {
            byte[] r = raw[i];
            if (!escaped(i)) {
                System.arraycopy(r, 0, out, j, r.length);
                j += r.length;
                continue;
            }
            for (byte x : r) {
                out[j++] = x;
                if (x == 0) {
                    out[j++] = (byte) ESCAPE;
                }
            }
            out[j++] = 0;
            out[j++] = (byte) TERMINATOR;
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private byte[] encodePart(int i, Object value) {
        KeyEncoder<Object> part = (KeyEncoder<Object>) parts[i];
        if (value == null) {
            throw new NullPointerException("null key component " + i);
        }
        if (!part.keyType().isInstance(value)) {
            throw new ClassCastException("key component " + i + " of " + value.getClass().getName()
                    + " is not a " + part.keyType().getName() + ", the key type of its encoder " + part);
        }
        return part.encode(value);
    }

    private boolean escaped(int i) {
        return i < parts.length - 1 && parts[i].fixedLength() < 0;
    }

    /** The components of the key encoded in {@code b[offset, offset + length)}. */
    Object[] decode(byte[] b, int offset, int length) {
        Object[] values = new Object[parts.length];
        int end = offset + length;
        int pos = offset;
        for (int i = 0; i < parts.length; i++) {
            KeyEncoder<?> part = parts[i];
            int f = part.fixedLength();
            if (i == parts.length - 1) {
                if (f >= 0 && end - pos != f) {
                    throw malformed(i, "has " + (end - pos) + " bytes for a component of " + f);
                }
                values[i] = part.decode(b, pos, end - pos);
            } else if (f >= 0) {
                if (end - pos < f) {
                    throw malformed(i, "ends inside a component of " + f + " bytes");
                }
                values[i] = part.decode(b, pos, f);
                pos += f;
            } else {
                pos = decodeEscaped(i, b, pos, end, values);
            }
        }
        return values;
    }

    /** Decodes the escaped component {@code i} starting at {@code pos}; returns the position after its terminator. */
    private int decodeEscaped(int i, byte[] b, int pos, int end, Object[] values) {
        int rawLength = 0;
        int p = pos;
        while (true) {
            if (p >= end) {
                throw malformed(i, "has no terminator");
            }
            if (b[p] != 0) {
                rawLength++;
                p++;
                continue;
            }
            if (p + 1 >= end) {
                throw malformed(i, "ends inside an escape");
            }
            int next = b[p + 1] & 0xFF;
            p += 2;
            if (next == TERMINATOR) {
                break;
            }
            if (next != ESCAPE) {
                throw malformed(i, "has 00 followed by " + Integer.toHexString(next));
            }
            rawLength++;
        }
        byte[] raw = new byte[rawLength];
        int j = 0;
        for (int q = pos; j < rawLength; q++) {
            raw[j++] = b[q];
            if (b[q] == 0) {
                q++; // skip the escape byte
            }
        }
        values[i] = parts[i].decode(raw, 0, rawLength);
        return p;
    }

    private static IllegalArgumentException malformed(int i, String what) {
        return new IllegalArgumentException("not a composite key encoding: component " + i + " " + what);
    }

    /** Compares two keys' components, each in its encoder's order. */
    @SuppressWarnings("unchecked")
    int compare(Object[] a, Object[] b) {
        for (int i = 0; i < parts.length; i++) {
            Comparator<Object> c = (Comparator<Object>) parts[i].comparator();
            int r = c != null ? c.compare(a[i], b[i]) : ((Comparable<Object>) a[i]).compareTo(b[i]);
            if (r != 0) {
                return r;
            }
        }
        return 0;
    }

    @Override
    public String toString() {
        return Arrays.toString(parts);
    }

    // ------------------------------------------------------------------ the two encoders

    /** Keys that are lists of components: {@link KeyEncoders#tuple}. */
    static final class Tuples extends AbstractKeyEncoder<List<Object>> {
        private static final long serialVersionUID = 1L;

        private final TupleEncoding layout;
        private final Comparator<List<Object>> order;

        @SuppressWarnings({"unchecked", "rawtypes"})
        Tuples(TupleEncoding layout) {
            super((Class) List.class);
            this.layout = layout;
            this.order = new ListOrder(layout);
        }

        @Override
        public Comparator<? super List<Object>> comparator() {
            return order;
        }

        @Override
        public int fixedLength() {
            return layout.fixedLength();
        }

        @Override
        byte[] encodeKey(List<Object> key) {
            return layout.encode(components(layout, key));
        }

        @Override
        List<Object> decodeKey(byte[] bytes, int offset, int length) {
            return List.of(layout.decode(bytes, offset, length));
        }

        @Override
        public String toString() {
            return "KeyEncoders.tuple" + layout;
        }
    }

    private static Object[] components(TupleEncoding layout, List<?> key) {
        if (key.size() != layout.size()) {
            throw new IllegalArgumentException("key " + key + " has " + key.size() + " components, the encoder "
                    + layout.size());
        }
        return key.toArray();
    }

    /** The order of {@link Tuples}' keys. */
    private static final class ListOrder implements Comparator<List<Object>>, Serializable {
        private static final long serialVersionUID = 1L;
        private final TupleEncoding layout;

        ListOrder(TupleEncoding layout) {
            this.layout = layout;
        }

        @Override
        public int compare(List<Object> a, List<Object> b) {
            return layout.compare(components(layout, a), components(layout, b));
        }

        @Override
        public String toString() {
            return "component order of KeyEncoders.tuple" + layout;
        }
    }

    /** Keys of a user type with two components: {@link KeyEncoders#composite}. */
    static final class Pairs<T, A, B> extends AbstractKeyEncoder<T> {
        private static final long serialVersionUID = 1L;

        private final TupleEncoding layout;
        private final Function<? super T, ? extends A> first;
        private final Function<? super T, ? extends B> second;
        private final BiFunction<? super A, ? super B, ? extends T> constructor;
        private final Comparator<T> order;

        Pairs(Class<T> type, TupleEncoding layout, Function<? super T, ? extends A> first,
              Function<? super T, ? extends B> second, BiFunction<? super A, ? super B, ? extends T> constructor) {
            super(type);
            this.layout = layout;
            this.first = first;
            this.second = second;
            this.constructor = constructor;
            this.order = new PairOrder<>(this);
        }

        Object[] components(T key) {
            return new Object[] {first.apply(key), second.apply(key)};
        }

        @Override
        public Comparator<? super T> comparator() {
            return order;
        }

        @Override
        public int fixedLength() {
            return layout.fixedLength();
        }

        @Override
        byte[] encodeKey(T key) {
            return layout.encode(components(key));
        }

        @Override
        @SuppressWarnings("unchecked")
        T decodeKey(byte[] bytes, int offset, int length) {
            Object[] v = layout.decode(bytes, offset, length);
            T key = constructor.apply((A) v[0], (B) v[1]);
            if (key == null) {
                throw new NullPointerException("the constructor of " + this + " returned null");
            }
            return key;
        }

        @Override
        public String toString() {
            return "KeyEncoders.composite<" + keyType().getSimpleName() + ">" + layout;
        }
    }

    /** The order of {@link Pairs}' keys. */
    private static final class PairOrder<T> implements Comparator<T>, Serializable {
        private static final long serialVersionUID = 1L;
        private final Pairs<T, ?, ?> encoder;

        PairOrder(Pairs<T, ?, ?> encoder) {
            this.encoder = encoder;
        }

        @Override
        public int compare(T a, T b) {
            return encoder.layout.compare(encoder.components(encoder.check(a)), encoder.components(encoder.check(b)));
        }

        @Override
        public String toString() {
            return "component order of " + encoder;
        }
    }
}
