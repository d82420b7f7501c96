package io.arboretum.keys;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The built-in {@link KeyEncoder}s, composite keys, and a check for encoders written by users.
 *
 * <p><b>The order each guarantees.</b> Every encoder here produces byte strings whose unsigned
 * lexicographic order ({@link java.util.Arrays#compareUnsigned(byte[], byte[])}, a proper prefix
 * first) equals the key order named below, and decodes them back to equal keys. The formats:
 * <table>
 *   <caption>Built-in encodings</caption>
 *   <tr><th>key</th><th>order</th><th>bytes</th></tr>
 *   <tr><td>{@code String}</td><td>{@link String#compareTo}: UTF-16 code units, unsigned</td>
 *       <td>per unit: U+0000–U+007F one byte (the unit), U+0080–U+7EFF two bytes
 *       ({@code 0x8000 + c}), U+7F00–U+FFFF three bytes ({@code FF}, then the unit); no terminator</td></tr>
 *   <tr><td>{@code byte[]}</td><td>unsigned lexicographic</td><td>the key itself</td></tr>
 *   <tr><td>{@code Long}, {@code Integer}, {@code Short}, {@code Byte}</td><td>numeric</td>
 *       <td>8, 4, 2, 1 bytes big-endian, sign bit flipped</td></tr>
 *   <tr><td>{@code Character}</td><td>numeric (unsigned)</td><td>2 bytes big-endian</td></tr>
 *   <tr><td>{@code UUID}</td><td>{@link UUID#compareTo}: most significant half, then least,
 *       each <em>signed</em></td><td>16 bytes: each half big-endian with its sign bit flipped</td></tr>
 *   <tr><td>{@code Instant}</td><td>{@link Instant#compareTo}: epoch second (signed), then
 *       nanosecond</td><td>12 bytes: the second big-endian with its sign bit flipped, then the
 *       nanosecond as 4 bytes big-endian</td></tr>
 *   <tr><td>composite</td><td>component by component</td><td>see {@link #tuple(KeyEncoder...)}</td></tr>
 * </table>
 *
 * <p>The {@code String} code is not UTF-8 on purpose: UTF-8 bytes sort in code point order, which
 * puts supplementary characters (surrogate pairs) above U+E000–U+FFFF where
 * {@code String.compareTo} puts them below. It is compact instead of two bytes a unit because
 * ASCII keys dominate and memory per entry matters: eight ASCII characters fill one 64-bit slice.
 * Why it preserves the order: the first byte of a code tells its length, codes of one length are the
 * unit plus a constant, and the first bytes of the three lengths lie in increasing disjoint ranges
 * ({@code 00–7F}, {@code 80–FE}, {@code FF}); so the codes form a prefix code whose order is the
 * unit order, and concatenation preserves it.
 *
 * <p>All encoders here are thread-safe, serializable (a composite one when its parts and functions
 * are), and throw {@link NullPointerException} ({@code "null key"}) for a null key and
 * {@link ClassCastException} naming both classes for a key of the wrong class.
 */
public final class KeyEncoders {
    private KeyEncoders() {
    }

    /**
     * The encoder of {@code String} keys in {@link String#compareTo} order (UTF-16 code units).
     *
     * @return the shared instance
     */
    public static KeyEncoder<String> strings() {
        return StringKeyEncoder.INSTANCE;
    }

    /**
     * The encoder of {@code byte[]} keys in unsigned lexicographic order; its
     * {@link KeyEncoder#comparator()} is one shared instance, which Arboretum's maps recognise
     * (for example {@code ConcurrentBTreeMap.unsignedBytesComparator()} returns it).
     *
     * @return the shared instance
     */
    public static KeyEncoder<byte[]> byteArrays() {
        return ByteArrayKeyEncoder.INSTANCE;
    }

    /**
     * The encoder of {@code Long} keys: 8 bytes.
     *
     * @return the shared instance
     */
    public static KeyEncoder<Long> longs() {
        return FixedWidthEncoders.Longs.INSTANCE;
    }

    /**
     * The encoder of {@code Integer} keys: 4 bytes.
     *
     * @return the shared instance
     */
    public static KeyEncoder<Integer> integers() {
        return FixedWidthEncoders.Integers.INSTANCE;
    }

    /**
     * The encoder of {@code Short} keys: 2 bytes.
     *
     * @return the shared instance
     */
    public static KeyEncoder<Short> shorts() {
        return FixedWidthEncoders.Shorts.INSTANCE;
    }

    /**
     * The encoder of {@code Byte} keys (signed, as {@link Byte#compareTo}): 1 byte. For
     * {@code byte[]} keys see {@link #byteArrays()}.
     *
     * @return the shared instance
     */
    public static KeyEncoder<Byte> bytes() {
        return FixedWidthEncoders.Bytes.INSTANCE;
    }

    /**
     * The encoder of {@code Character} keys: 2 bytes.
     *
     * @return the shared instance
     */
    public static KeyEncoder<Character> characters() {
        return FixedWidthEncoders.Characters.INSTANCE;
    }

    /**
     * The encoder of {@code UUID} keys in {@link UUID#compareTo} order: 16 bytes.
     *
     * @return the shared instance
     */
    public static KeyEncoder<UUID> uuids() {
        return FixedWidthEncoders.Uuids.INSTANCE;
    }

    /**
     * The encoder of {@code Instant} keys in {@link Instant#compareTo} order: 12 bytes.
     *
     * @return the shared instance
     */
    public static KeyEncoder<Instant> instants() {
        return FixedWidthEncoders.Instants.INSTANCE;
    }

    /**
     * The built-in encoder of a key class: {@code String}, {@code byte[]}, {@code Long},
     * {@code Integer}, {@code Short}, {@code Byte}, {@code Character}, {@code UUID} or {@code Instant}.
     *
     * @param keyType the key class
     * @param <K> the type of keys
     * @return the encoder
     * @throws IllegalArgumentException if there is no built-in encoder for {@code keyType}; the
     *     message names the class and how to supply an encoder
     */
    @SuppressWarnings("unchecked")
    public static <K> KeyEncoder<K> forClass(Class<K> keyType) {
        Objects.requireNonNull(keyType, "null key type");
        for (KeyEncoder<?> e : BUILT_IN) {
            if (e.keyType() == keyType) {
                return (KeyEncoder<K>) e;
            }
        }
        throw new IllegalArgumentException("no built-in KeyEncoder for keys of " + keyType.getName()
                + "; implement io.arboretum.keys.KeyEncoder<" + keyType.getSimpleName()
                + "> (or combine built-in ones with KeyEncoders.composite or KeyEncoders.tuple), check it with"
                + " KeyEncoders.verify, and pass it to the index");
    }

    /** The built-in encoders, one of each class. */
    static final List<KeyEncoder<?>> BUILT_IN = List.of(strings(), longs(), integers(), byteArrays(),
            uuids(), instants(), shorts(), bytes(), characters());

    /**
     * An encoder of composite keys given as lists: component {@code i} of a key is encoded by
     * {@code parts[i]}, and keys compare component by component, each in its encoder's order
     * (lexicographic order of tuples). Decoded keys are unmodifiable lists.
     *
     * <p>The encoding concatenates the components' encodings. A component whose encoder has a
     * fixed length, and the last component, are written as they are; every other component is
     * escaped ({@code 00} becomes {@code 00 FF}) and terminated ({@code 00 01}), so that a
     * component that is a prefix of another, or holds zero bytes, still orders correctly:
     * ({@code "a"}, {@code "b"}) encodes to {@code 61 00 01 62}, below
     * ({@code "a\0"}, {@code ""}), {@code 61 00 FF 00 01}.
     *
     * @param parts the encoders of the components, in order of significance; at least one
     * @return an encoder of lists of {@code parts.length} components
     * @throws IllegalArgumentException if {@code parts} is empty
     * @throws NullPointerException if {@code parts} or one of them is null
     */
    public static KeyEncoder<List<Object>> tuple(KeyEncoder<?>... parts) {
        return new TupleEncoding.Tuples(new TupleEncoding(parts));
    }

    /**
     * An encoder of a key class with two components, such as a record {@code (tenant, id)}:
     * <pre>{@code
     * KeyEncoder<OrderKey> enc = KeyEncoders.composite(OrderKey.class,
     *         OrderKey::tenant, KeyEncoders.strings(), OrderKey::id, KeyEncoders.longs(), OrderKey::new);
     * }</pre>
     * Keys compare by the first component, then the second, each in its encoder's order; the
     * {@linkplain KeyEncoder#comparator() comparator} says so, whatever the class's own
     * {@code compareTo}. The layout is that of {@link #tuple(KeyEncoder...)}. For more components,
     * let a component be a composite itself.
     *
     * @param keyType the key class
     * @param first reads the first component of a key
     * @param firstEncoder encodes the first component
     * @param second reads the second component of a key
     * @param secondEncoder encodes the second component
     * @param constructor builds a key from its two components
     * @param <T> the type of keys
     * @param <A> the type of the first component
     * @param <B> the type of the second component
     * @return the encoder
     * @throws NullPointerException if an argument is null
     */
    public static <T, A, B> KeyEncoder<T> composite(Class<T> keyType,
                                                    Function<? super T, ? extends A> first, KeyEncoder<A> firstEncoder,
                                                    Function<? super T, ? extends B> second, KeyEncoder<B> secondEncoder,
                                                    BiFunction<? super A, ? super B, ? extends T> constructor) {
        Objects.requireNonNull(keyType, "null key type");
        Objects.requireNonNull(first, "null first component function");
        Objects.requireNonNull(second, "null second component function");
        Objects.requireNonNull(constructor, "null constructor");
        return new TupleEncoding.Pairs<>(keyType, new TupleEncoding(new KeyEncoder<?>[] {firstEncoder, secondEncoder}),
                first, second, constructor);
    }

    /**
     * Checks an encoder against its contract on sample keys, the documented way to test an
     * encoder before an index relies on it. The checks: the samples sorted by the encoder's
     * {@linkplain KeyEncoder#comparator() order} have strictly increasing encodings (equal for
     * equal keys), compared with {@link java.util.Arrays#compareUnsigned(byte[], byte[])}; checking
     * neighbours suffices, by transitivity; each key's encoding decodes, at an offset inside a
     * larger array too, to a key of {@link KeyEncoder#keyType()} that compares equal to it and
     * encodes to the same bytes; encoding is repeatable; {@link KeyEncoder#fixedLength()} is the
     * length of every encoding when not -1; and {@link KeyEncoder#prefix(Object)} is the first
     * eight encoded bytes as {@link KeyPrefixes#ofBytes(byte[])} reads them.
     *
     * <p>Samples should include the extremes of the type, empty or zero values, and keys that share
     * a beginning or are prefixes of one another; random keys alone rarely hit the edge cases.
     * The cost is {@code O(n log n)} comparisons and {@code O(n)} encodings for {@code n} samples.
     *
     * @param encoder the encoder to check
     * @param sampleKeys the keys to check it on; duplicates are allowed
     * @param <K> the type of keys
     * @throws IllegalArgumentException at the first violation, naming the offending key or pair of
     *     keys with their encodings in hexadecimal
     * @throws NullPointerException if the encoder, the collection or a sample is null
     * @throws ClassCastException if the comparator is null and the keys are not {@link Comparable}
     */
    public static <K> void verify(KeyEncoder<K> encoder, Collection<? extends K> sampleKeys) {
        new EncoderCheck<>(encoder).run(sampleKeys);
    }
}
