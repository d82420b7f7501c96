package io.arboretum.keys;

import java.util.Arrays;
import java.util.Comparator;

/**
 * The built-in encoder of {@code byte[]} keys in unsigned lexicographic order
 * ({@link Arrays#compareUnsigned(byte[], byte[])}, a proper prefix first): the encoding is a copy
 * of the key, and {@link #comparator()} is the one {@link Order} instance, which indexes
 * recognise.
 */
final class ByteArrayKeyEncoder extends AbstractKeyEncoder<byte[]> {
    private static final long serialVersionUID = 1L;

    static final ByteArrayKeyEncoder INSTANCE = new ByteArrayKeyEncoder();

    private ByteArrayKeyEncoder() {
        super(byte[].class);
    }

    @Override
    public Comparator<? super byte[]> comparator() {
        return Order.UNSIGNED;
    }

    @Override
    byte[] encodeKey(byte[] key) {
        return key.clone();
    }

    @Override
    byte[] decodeKey(byte[] bytes, int offset, int length) {
        return Arrays.copyOfRange(bytes, offset, offset + length);
    }

    @Override
    long prefixOf(byte[] key) {
        return KeyPrefixes.ofBytes(key);
    }

    /** Unsigned lexicographic order of byte arrays; an enum, so it stays one instance when serialized. */
    enum Order implements Comparator<byte[]> {
        UNSIGNED;

        @Override
        public int compare(byte[] a, byte[] b) {
            return Arrays.compareUnsigned(a, b);
        }

        @Override
        public String toString() {
            return "unsigned lexicographic byte[] order";
        }
    }
}
