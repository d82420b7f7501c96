package io.arboretum.bftree;

/**
 * Turns the values of a typed {@link BfMap} into the bytes a {@link BfTree} stores, and back.
 *
 * <p>A codec must be lossless and agree with {@code equals}: {@code decode(encode(v)).equals(v)},
 * and two values are {@code equals} exactly when their encodings are equal byte by byte. The
 * map's conditional writes ({@code replace(k, old, new)}, {@code remove(k, old)} and the compute
 * family built on them) compare encodings, so a codec that breaks this makes them compare
 * something else than {@code equals} would. (The {@link #byteArrays()} codec is the one
 * deliberate exception: arrays compare by content, not by identity.)
 *
 * <pre>{@code
 * BfMap<Long, String> m = tree.asMap(KeyEncoders.longs(), ValueCodec.strings());
 * }</pre>
 *
 * @param <V> the type of values
 */
public interface ValueCodec<V> {

    /**
     * The class of the values, used to reject a value of another type with a
     * {@link ClassCastException} (or a {@code false}/{@code null} result where
     * {@link java.util.Map} asks for one).
     *
     * @return the value class
     */
    Class<V> valueType();

    /**
     * Encodes a value.
     *
     * @param value the value, not null
     * @return its bytes; the caller does not keep a reference it could change later
     * @throws IllegalArgumentException if the value cannot be encoded (the message says why)
     */
    byte[] encode(V value);

    /**
     * Decodes the bytes {@link #encode} made.
     *
     * @param bytes the bytes, owned by the codec from now on
     * @return the value
     */
    V decode(byte[] bytes);

    /**
     * Byte arrays as they are (no copy: the map copies on the way in and out).
     *
     * @return the codec
     */
    static ValueCodec<byte[]> byteArrays() {
        return ValueCodecs.BYTES;
    }

    /**
     * Strings as UTF-8. A string with an unpaired surrogate has no UTF-8 form and is rejected
     * with {@link IllegalArgumentException}, rather than stored as something else.
     *
     * @return the codec
     */
    static ValueCodec<String> strings() {
        return ValueCodecs.STRINGS;
    }

    /**
     * Longs as eight bytes, big-endian.
     *
     * @return the codec
     */
    static ValueCodec<Long> longs() {
        return ValueCodecs.LONGS;
    }

    /**
     * Integers as four bytes, big-endian.
     *
     * @return the codec
     */
    static ValueCodec<Integer> integers() {
        return ValueCodecs.INTEGERS;
    }
}
