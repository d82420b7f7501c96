package io.arboretum.masstree;

import java.io.ObjectStreamException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;

/**
 * How {@link MasstreeMap} turns a key into the byte string its trie is keyed by, and back: an
 * order-preserving encoding, whose unsigned lexicographic byte order equals the key order.
 *
 * <p><b>A temporary seam.</b> The shared encodings of {@code io.arboretum.keys}
 * ({@code KeyEncoder<K>}: {@code encode}, {@code decode}, {@code comparator}) are being built at
 * the same time as this map. Until they land, this one small class holds the map's own
 * encodings (String, Long, Integer and byte[]); when they do, it is to be replaced by (or made to
 * delegate to) {@code io.arboretum.keys.KeyEncoder}, and nothing else in the package needs to
 * change: the map calls only the three methods below and {@link #builtInFor(Object)}.
 *
 * <p>Contract of an encoding: {@code encode} is a pure function; for any two keys {@code a},
 * {@code b}, {@code Arrays.compareUnsigned(encode(a), encode(b))} has the sign of
 * {@code compare(a, b)} under {@link #comparator()} (natural ordering when it is {@code null});
 * {@code decode(encode(k))} equals {@code k}. {@code encode} throws {@link ClassCastException} for
 * a key of the wrong type and {@link NullPointerException} for {@code null}.
 *
 * @param <K> the type of keys
 */
abstract class KeyEncoding<K> implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * Encodes a key. The map may keep the returned array only for the duration of one call
     * (it copies what it stores), so an encoding may return a shared array (the byte[] encoding
     * returns the key itself).
     *
     * @param key the key
     * @return its order-preserving byte string
     * @throws ClassCastException if the key has the wrong type
     * @throws NullPointerException if the key is null
     */
    abstract byte[] encode(Object key);

    /**
     * Decodes a byte string made by {@link #encode}.
     *
     * @param b the array
     * @param off where the encoding starts
     * @param len its length
     * @return the key
     */
    abstract K decode(byte[] b, int off, int len);

    /**
     * The order this encoding agrees with.
     *
     * @return the comparator, or {@code null} for the keys' natural ordering
     */
    abstract Comparator<? super K> comparator();

    /**
     * The built-in encoding for the natural ordering of {@code key}'s class.
     *
     * @param key a key
     * @return the encoding
     * @throws ClassCastException naming the class, if it has no built-in encoding
     */
    static KeyEncoding<?> builtInFor(Object key) {
        if (key instanceof String) {
            return Utf16.INSTANCE;
        } else if (key instanceof Long) {
            return Int64.INSTANCE;
        } else if (key instanceof Integer) {
            return Int32.INSTANCE;
        }
        String type = key.getClass().getName();
        if (key instanceof byte[]) {
            throw new ClassCastException("MasstreeMap() orders keys by their natural ordering and byte[] has none:"
                    + " use MasstreeMap.forBytes() for byte[] keys in unsigned lexicographic order");
        }
        throw new ClassCastException("MasstreeMap has no built-in key encoding for " + type
                + ": built-in key types are String, Long and Integer (and byte[] through MasstreeMap.forBytes());"
                + " for other types, encode the key to an order-preserving byte[] and use MasstreeMap.forBytes()");
    }

    // ------------------------------------------------------------------ built-in encodings

    /**
     * byte[] keys in unsigned lexicographic order: the identity. {@code encode} returns the key
     * itself (the map copies the parts it stores), {@code decode} a fresh copy.
     */
    static final class Bytes extends KeyEncoding<byte[]> {
        private static final long serialVersionUID = 1L;
        static final Bytes INSTANCE = new Bytes();

        @Override
        byte[] encode(Object key) {
            if (key == null) {
                throw new NullPointerException("null key");
            }
            return (byte[]) key;
        }

        @Override
        byte[] decode(byte[] b, int off, int len) {
            return Arrays.copyOfRange(b, off, off + len);
        }

        @Override
        Comparator<? super byte[]> comparator() {
            return UnsignedOrder.INSTANCE;
        }

        private Object readResolve() throws ObjectStreamException {
            return INSTANCE;
        }
    }

    /** Unsigned lexicographic order of byte arrays: {@link Arrays#compareUnsigned(byte[], byte[])}. */
    static final class UnsignedOrder implements Comparator<byte[]>, Serializable {
        private static final long serialVersionUID = 1L;
        static final UnsignedOrder INSTANCE = new UnsignedOrder();

        @Override
        public int compare(byte[] a, byte[] b) {
            return Arrays.compareUnsigned(a, b);
        }

        @Override
        public String toString() {
            return "MasstreeMap.unsignedBytesComparator()";
        }

        private Object readResolve() throws ObjectStreamException {
            return INSTANCE;
        }
    }

    /**
     * Strings in {@link String#compareTo} order, which compares UTF-16 code units (not code
     * points). Each code unit {@code u} becomes one byte if {@code u < 0x80} (so U+0000 is the
     * byte 0, below every other unit) and otherwise three bytes {@code 0x80 | u >>> 12},
     * {@code (u >>> 6) & 0x3F}, {@code u & 0x3F}. The codes are prefix-free (the first byte tells
     * the length) and each is ordered as its unit, so byte order equals code-unit order; a string
     * that is a prefix of another encodes to a prefix of the other's encoding, so it sorts first.
     * ASCII text keeps one byte per character, eight characters per Masstree slice.
     */
    static final class Utf16 extends KeyEncoding<String> {
        private static final long serialVersionUID = 1L;
        static final Utf16 INSTANCE = new Utf16();

        @Override
        byte[] encode(Object key) {
            String s = (String) key;
            int n = s.length();
            int len = n;
            for (int i = 0; i < n; i++) {
                if (s.charAt(i) >= 0x80) {
                    len += 2;
                }
            }
            byte[] b = new byte[len];
            for (int i = 0, j = 0; i < n; i++) {
                char u = s.charAt(i);
                if (u < 0x80) {
                    b[j++] = (byte) u;
                } else {
                    b[j++] = (byte) (0x80 | (u >>> 12));
                    b[j++] = (byte) ((u >>> 6) & 0x3F);
                    b[j++] = (byte) (u & 0x3F);
                }
            }
            return b;
        }

        @Override
        String decode(byte[] b, int off, int len) {
            int end = off + len;
            int i = off;
            while (i < end && b[i] >= 0) {
                i++;
            }
            if (i == end) {
                // All single-byte codes (ASCII, U+0000 included): one copy into a Latin-1 string.
                return new String(b, off, len, StandardCharsets.ISO_8859_1);
            }
            char[] c = new char[len];
            int n = 0;
            for (i = off; i < end; ) {
                int x = b[i] & 0xFF;
                if (x < 0x80) {
                    c[n++] = (char) x;
                    i++;
                } else {
                    c[n++] = (char) (((x & 0x0F) << 12) | ((b[i + 1] & 0x3F) << 6) | (b[i + 2] & 0x3F));
                    i += 3;
                }
            }
            return new String(c, 0, n);
        }

        @Override
        Comparator<? super String> comparator() {
            return null;
        }

        private Object readResolve() throws ObjectStreamException {
            return INSTANCE;
        }
    }

    /** Longs: eight bytes, big-endian, sign bit flipped so that unsigned order is signed order. */
    static final class Int64 extends KeyEncoding<Long> {
        private static final long serialVersionUID = 1L;
        static final Int64 INSTANCE = new Int64();

        @Override
        byte[] encode(Object key) {
            long x = (Long) key ^ Long.MIN_VALUE;
            byte[] b = new byte[8];
            for (int i = 7; i >= 0; i--) {
                b[i] = (byte) x;
                x >>>= 8;
            }
            return b;
        }

        @Override
        Long decode(byte[] b, int off, int len) {
            long x = 0;
            for (int i = 0; i < 8; i++) {
                x = (x << 8) | (b[off + i] & 0xFF);
            }
            return x ^ Long.MIN_VALUE;
        }

        @Override
        Comparator<? super Long> comparator() {
            return null;
        }

        private Object readResolve() throws ObjectStreamException {
            return INSTANCE;
        }
    }

    /** Integers: four bytes, big-endian, sign bit flipped. */
    static final class Int32 extends KeyEncoding<Integer> {
        private static final long serialVersionUID = 1L;
        static final Int32 INSTANCE = new Int32();

        @Override
        byte[] encode(Object key) {
            int x = (Integer) key ^ Integer.MIN_VALUE;
            return new byte[] {(byte) (x >>> 24), (byte) (x >>> 16), (byte) (x >>> 8), (byte) x};
        }

        @Override
        Integer decode(byte[] b, int off, int len) {
            int x = ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8)
                    | (b[off + 3] & 0xFF);
            return x ^ Integer.MIN_VALUE;
        }

        @Override
        Comparator<? super Integer> comparator() {
            return null;
        }

        private Object readResolve() throws ObjectStreamException {
            return INSTANCE;
        }
    }
}
