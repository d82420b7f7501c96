package io.arboretum.keys;

import java.util.Comparator;

/**
 * Turns keys of type {@code K} into byte strings that sort like the keys, and back.
 *
 * <p><b>The order it guarantees.</b> For any two keys {@code a} and {@code b},
 * {@code Arrays.compareUnsigned(encode(a), encode(b))} has the sign of the key comparison
 * ({@link #comparator()}, or the natural order when it is null): bytes compare as unsigned
 * values, the first differing byte decides, and a proper prefix sorts first. Equal keys encode
 * to equal byte strings, so the encoding is also an identity: {@code decode} of an encoding
 * gives back a key equal to the original in that order.
 *
 * <p><b>Who reads the bytes.</b> An index that works on bytes instead of key objects: the
 * Masstree cuts an encoding into 8-byte slices read as big-endian {@code long}s and keeps the
 * remainder as a suffix, and rebuilds key objects with {@link #decode(byte[], int, int)} when
 * iterators hand them out; an index that stores keys on disk or in a packed array stores the
 * bytes. The byte format of the built-in encoders ({@link KeyEncoders}) is documented and stable.
 *
 * <p><b>Implementing it.</b> Implement {@link #keyType()}, {@link #comparator()},
 * {@link #encode(Object)} and {@link #decode(byte[], int, int)}; override {@link #fixedLength()}
 * when every encoding has the same length, and {@link #prefix(Object)} only for speed. Check an
 * implementation with {@link KeyEncoders#verify(KeyEncoder, java.util.Collection)} over sample
 * keys (extremes, empty values, values that share a beginning) before handing it to an index: an
 * encoder that breaks the order makes an index lose keys silently. Compose encoders for keys
 * with several fields with {@link KeyEncoders#composite} or {@link KeyEncoders#tuple}.
 *
 * <p>Encoders are stateless as far as callers can tell: they are called from many threads at
 * once and must not keep per-call state in fields.
 *
 * @param <K> the type of keys
 */
public interface KeyEncoder<K> {

    /**
     * The class of the keys this encoder accepts, for checks and error messages.
     *
     * @return the key class
     */
    Class<K> keyType();

    /**
     * The order the encoding induces on keys, as a map would report it from
     * {@link java.util.SortedMap#comparator()}.
     *
     * @return the comparator of the key order, or null if it is the natural order of a
     *     {@link Comparable} key type
     */
    Comparator<? super K> comparator();

    /**
     * Encodes a key.
     *
     * @param key the key
     * @return a new array holding the encoding; the caller may keep or change it
     * @throws NullPointerException if {@code key} is null, with the message {@code "null key"}
     * @throws ClassCastException if the key is not of {@link #keyType()}; the message names both types
     */
    byte[] encode(K key);

    /**
     * Rebuilds a key from its encoding.
     *
     * @param bytes an array holding the encoding
     * @param offset where the encoding starts in {@code bytes}
     * @param length the length of the encoding
     * @return the key whose encoding is {@code bytes[offset, offset + length)}
     * @throws IndexOutOfBoundsException if the range lies outside {@code bytes}
     * @throws IllegalArgumentException if the bytes are not an encoding this encoder produces
     */
    K decode(byte[] bytes, int offset, int length);

    /**
     * Rebuilds a key from an array holding exactly its encoding.
     *
     * @param bytes the encoding
     * @return the key whose encoding is {@code bytes}
     * @throws IllegalArgumentException if the bytes are not an encoding this encoder produces
     */
    default K decode(byte[] bytes) {
        return decode(bytes, 0, bytes.length);
    }

    /**
     * The length of every encoding, if they all have the same length. Composite encoders store a
     * fixed-length part without escaping it, so an encoder that reports a fixed length must
     * never produce another.
     *
     * @return the common length of all encodings, or -1 if lengths vary (the default)
     */
    default int fixedLength() {
        return -1;
    }

    /**
     * The order-preserving 64-bit prefix of a key: the first eight bytes of {@code encode(key)}
     * as a big-endian {@code long}, padded with zero bytes if the encoding is shorter, with the
     * sign bit flipped ({@link KeyPrefixes#ofBytes(byte[])}). Signed comparison of prefixes
     * agrees with the key order wherever the prefixes differ: {@code a < b} implies
     * {@code prefix(a) <= prefix(b)}. Overrides must return the same value, only faster.
     *
     * @param key the key
     * @return the prefix
     * @throws NullPointerException if {@code key} is null
     * @throws ClassCastException if the key is not of {@link #keyType()}
     */
    default long prefix(K key) {
        return KeyPrefixes.ofBytes(encode(key));
    }
}
