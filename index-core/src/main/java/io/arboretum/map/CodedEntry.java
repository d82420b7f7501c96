package io.arboretum.map;

import java.io.Serializable;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongFunction;

/**
 * An immutable entry snapshot that holds its key as a 64-bit code and builds the key object on
 * first use, for the {@link BatchCursor} of an index that stores keys as codes it can rebuild
 * them from (the cursors of {@code ConcurrentBTreeMap} and {@code PackedMemoryArrayMap}, for keys
 * stored as primitive {@code long}s): an iteration that reads only values (or is compiled so that
 * the entry never leaves the loop) builds no key at all. Equal, by the {@link Map.Entry}
 * contract, to every entry with an equal key and value; serialized as a
 * {@link SimpleImmutableEntry}.
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 */
public final class CodedEntry<K, V> implements Map.Entry<K, V>, Serializable {
    private static final long serialVersionUID = 1L;

    private final transient LongFunction<? extends K> decoder;
    /** The key's code, from which {@link #getKey()} builds the key. */
    private final long code;
    /** The value. */
    private final V value;
    /** The rebuilt key, once asked for; a race rebuilds an equal key, which is harmless. */
    private transient K key;

    /**
     * Creates an entry whose key is {@code decoder.apply(code)}, built when first asked for.
     *
     * @param decoder rebuilds a key from its code; must return equal keys for equal codes
     * @param code the key's code
     * @param value the value
     * @throws NullPointerException if {@code decoder} or {@code value} is null
     */
    public CodedEntry(LongFunction<? extends K> decoder, long code, V value) {
        this.decoder = Objects.requireNonNull(decoder, "decoder");
        this.code = code;
        this.value = Objects.requireNonNull(value, "value");
    }

    /**
     * The key, built from its code on the first call.
     *
     * @return the key
     */
    @Override
    public K getKey() {
        K k = key;
        if (k == null) {
            k = decoder.apply(code);
            key = k;
        }
        return k;
    }

    /**
     * The value.
     *
     * @return the value
     */
    @Override
    public V getValue() {
        return value;
    }

    /**
     * Always throws: entries handed out by iterators are snapshots.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public V setValue(V v) {
        throw new UnsupportedOperationException("entries handed out by iterators are immutable snapshots");
    }

    /**
     * Whether {@code o} is a {@link Map.Entry} with an equal key and an equal value.
     *
     * @param o the object to compare with
     * @return whether it is an equal entry
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof Map.Entry && getKey().equals(((Map.Entry<?, ?>) o).getKey())
                && value.equals(((Map.Entry<?, ?>) o).getValue());
    }

    /**
     * The {@link Map.Entry} hash: the key's hash XOR the value's.
     *
     * @return the hash
     */
    @Override
    public int hashCode() {
        return getKey().hashCode() ^ value.hashCode();
    }

    /**
     * The key and value, as {@code key=value}.
     *
     * @return the entry as text
     */
    @Override
    public String toString() {
        return getKey() + "=" + value;
    }

    /**
     * Serialization writes a plain {@link SimpleImmutableEntry} with the built key (the decoder
     * is not serializable).
     *
     * @return the entry to serialize in this one's place
     */
    private Object writeReplace() {
        return new SimpleImmutableEntry<>(getKey(), value);
    }
}
