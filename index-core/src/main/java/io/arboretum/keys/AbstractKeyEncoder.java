package io.arboretum.keys;

import java.io.Serializable;
import java.util.Comparator;
import java.util.Objects;

/**
 * The checks every built-in encoder shares: null keys, keys of the wrong class, byte ranges
 * outside their array. Subclasses implement the unchecked {@code encodeKey}, {@code decodeKey}
 * and, for speed, {@code prefixOf}.
 *
 * <p>The public methods are declared here, with {@code K} erased to {@code Object}, so that a key
 * of the wrong class reaches {@link #check(Object)} instead of failing in a compiler-generated
 * cast with a less helpful message.
 *
 * @param <K> the type of keys
 */
abstract class AbstractKeyEncoder<K> implements KeyEncoder<K>, Serializable {
    private static final long serialVersionUID = 1L;

    private final Class<K> type;

    AbstractKeyEncoder(Class<K> type) {
        this.type = type;
    }

    @Override
    public final Class<K> keyType() {
        return type;
    }

    /** Natural order; encoders of other orders override this. */
    @Override
    public Comparator<? super K> comparator() {
        return null;
    }

    @Override
    public final byte[] encode(K key) {
        return encodeKey(check(key));
    }

    @Override
    public final K decode(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        int fixed = fixedLength();
        if (fixed >= 0 && length != fixed) {
            throw malformed("is " + length + " bytes long, not " + fixed);
        }
        return decodeKey(bytes, offset, length);
    }

    @Override
    public final long prefix(K key) {
        return prefixOf(check(key));
    }

    /** Encodes a checked key. */
    abstract byte[] encodeKey(K key);

    /** Decodes a range already checked against the array and {@link #fixedLength()}. */
    abstract K decodeKey(byte[] bytes, int offset, int length);

    /** The prefix of a checked key; override for speed. */
    long prefixOf(K key) {
        return KeyPrefixes.ofBytes(encodeKey(key));
    }

    /** {@code key} as a {@code K}, or the exception the {@link KeyEncoder} contract names. */
    final K check(Object key) {
        if (key == null) {
            throw new NullPointerException("null key");
        }
        if (!type.isInstance(key)) {
            throw new ClassCastException("key of " + key.getClass().getName() + " is not a "
                    + type.getName() + ", the key type of " + this);
        }
        return type.cast(key);
    }

    /** The exception for bytes that are not an encoding of this encoder. */
    final IllegalArgumentException malformed(String what) {
        return new IllegalArgumentException("not an encoding of " + this + ": the byte string " + what);
    }

    /**
     * Keeps each built-in encoder one instance across serialization; other encoders (composites)
     * read back as copies.
     *
     * @return the shared instance of this built-in encoder, or this encoder
     */
    Object readResolve() {
        for (KeyEncoder<?> e : KeyEncoders.BUILT_IN) {
            if (e.getClass() == getClass()) {
                return e;
            }
        }
        return this;
    }

    @Override
    public String toString() {
        return "KeyEncoder<" + type.getSimpleName() + ">";
    }
}
