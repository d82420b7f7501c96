package io.arboretum.btree;

import io.arboretum.keys.KeyEncoders;
import io.arboretum.keys.KeyPrefixes;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.UUID;

/**
 * How a tree turns keys into order-preserving 64-bit prefixes.
 *
 * <p>A prefix {@code p(k)} is a {@code long} whose <em>signed</em> order agrees with the key order
 * wherever it differs: {@code a < b} implies {@code p(a) <= p(b)}. Search compares prefixes first
 * and, only on a tie, the full keys. The prefixes are those of {@link KeyPrefixes} (the first eight
 * bytes of the shared encodings of {@code io.arboretum.keys}); this class adds what is the tree's
 * own: which key classes get prefixes, and whether nodes store key objects. Three kinds:
 * <ul>
 *   <li>{@link #EXACT}: the prefix is the whole key ({@code Long}, {@code Integer}, {@code Short},
 *       {@code Character}, {@code Byte} in natural order); nodes store no key objects at all, and a
 *       key is rebuilt from its prefix when it is handed out;</li>
 *   <li>{@link #PREFIXED}: prefix plus full key ({@code String}, {@code UUID}, {@code Instant} in
 *       natural order, and {@code byte[]} under {@link ConcurrentBTreeMap#unsignedBytesComparator()});</li>
 *   <li>{@link #PLAIN}: no prefix; every comparison calls the comparator or {@code compareTo}.</li>
 * </ul>
 */
abstract class KeyCodec {
    static final int EXACT = 0;
    static final int PREFIXED = 1;
    static final int PLAIN = 2;

    /** One of {@link #EXACT}, {@link #PREFIXED}, {@link #PLAIN}. */
    final int kind;
    /** The class every key must have, or null when any comparable key is accepted. */
    final Class<?> keyClass;

    KeyCodec(int kind, Class<?> keyClass) {
        this.kind = kind;
        this.keyClass = keyClass;
    }

    /**
     * The prefix of {@code key}; for {@link #PLAIN} codecs, zero after checking the key can be compared.
     *
     * @throws ClassCastException if the key is not of the codec's key class
     */
    abstract long prefix(Object key);

    /** Rebuilds a key from its prefix; only for {@link #EXACT} codecs. */
    Object decode(long prefix) {
        throw new IllegalStateException("keys of " + keyClass + " cannot be rebuilt from a prefix");
    }

    /** Compares two full keys in the tree's order. */
    abstract int compare(Object a, Object b);

    final boolean storesKeys() {
        return kind != EXACT;
    }

    final boolean hasPrefixes() {
        return kind != PLAIN;
    }

    final ClassCastException wrongClass(Object key) {
        return new ClassCastException("key of " + key.getClass().getName()
                + " cannot be compared with keys of " + keyClass.getName());
    }

    // ------------------------------------------------------------------ choosing a codec

    /** Marker for a natural-order tree that has not seen a key yet. */
    static final KeyCodec UNDECIDED = new KeyCodec(PLAIN, null) {
        @Override
        long prefix(Object key) {
            return naturalPrefixCheck(key);
        }

        @Override
        int compare(Object a, Object b) {
            return naturalCompare(a, b);
        }
    };

    /** The codec for a tree ordered by {@code comparator}, or null if natural order must wait for a first key. */
    static KeyCodec forComparator(Comparator<?> comparator) {
        if (comparator == null) {
            return UNDECIDED;
        }
        if (comparator == UNSIGNED_BYTES_ORDER) {
            return UNSIGNED_BYTES;
        }
        return new ComparatorCodec(comparator);
    }

    /** The codec for natural ordering, chosen by the class of the first key stored. */
    static KeyCodec forFirstKey(Object key) {
        Class<?> c = key.getClass();
        if (c == Long.class) {
            return LONG;
        } else if (c == Integer.class) {
            return INTEGER;
        } else if (c == String.class) {
            return STRING;
        } else if (c == UUID.class) {
            return UUIDS;
        } else if (c == Instant.class) {
            return INSTANTS;
        } else if (c == Short.class) {
            return SHORT;
        } else if (c == Character.class) {
            return CHARACTER;
        } else if (c == Byte.class) {
            return BYTE;
        }
        naturalPrefixCheck(key);
        return NATURAL;
    }

    static long naturalPrefixCheck(Object key) {
        if (!(key instanceof Comparable)) {
            throw new ClassCastException("key of " + key.getClass().getName()
                    + " is not Comparable and the map has no comparator");
        }
        return 0L;
    }

    @SuppressWarnings("unchecked")
    static int naturalCompare(Object a, Object b) {
        return ((Comparable<Object>) a).compareTo(b);
    }

    // ------------------------------------------------------------------ the codecs

    static final KeyCodec NATURAL = new KeyCodec(PLAIN, null) {
        @Override
        long prefix(Object key) {
            return naturalPrefixCheck(key);
        }

        @Override
        int compare(Object a, Object b) {
            return naturalCompare(a, b);
        }
    };

    static final KeyCodec LONG = new KeyCodec(EXACT, Long.class) {
        @Override
        long prefix(Object key) {
            if (key.getClass() != Long.class) {
                throw wrongClass(key);
            }
            return KeyPrefixes.ofLong((Long) key);
        }

        @Override
        Object decode(long p) {
            return KeyPrefixes.toLong(p);
        }

        @Override
        int compare(Object a, Object b) {
            return Long.compare((Long) a, (Long) b);
        }
    };

    static final KeyCodec INTEGER = new KeyCodec(EXACT, Integer.class) {
        @Override
        long prefix(Object key) {
            if (key.getClass() != Integer.class) {
                throw wrongClass(key);
            }
            return KeyPrefixes.ofInt((Integer) key);
        }

        @Override
        Object decode(long p) {
            return KeyPrefixes.toInt(p);
        }

        @Override
        int compare(Object a, Object b) {
            return Integer.compare((Integer) a, (Integer) b);
        }
    };

    static final KeyCodec SHORT = new KeyCodec(EXACT, Short.class) {
        @Override
        long prefix(Object key) {
            if (key.getClass() != Short.class) {
                throw wrongClass(key);
            }
            return KeyPrefixes.ofShort((Short) key);
        }

        @Override
        Object decode(long p) {
            return KeyPrefixes.toShort(p);
        }

        @Override
        int compare(Object a, Object b) {
            return Short.compare((Short) a, (Short) b);
        }
    };

    static final KeyCodec BYTE = new KeyCodec(EXACT, Byte.class) {
        @Override
        long prefix(Object key) {
            if (key.getClass() != Byte.class) {
                throw wrongClass(key);
            }
            return KeyPrefixes.ofByte((Byte) key);
        }

        @Override
        Object decode(long p) {
            return KeyPrefixes.toByte(p);
        }

        @Override
        int compare(Object a, Object b) {
            return Byte.compare((Byte) a, (Byte) b);
        }
    };

    static final KeyCodec CHARACTER = new KeyCodec(EXACT, Character.class) {
        @Override
        long prefix(Object key) {
            if (key.getClass() != Character.class) {
                throw wrongClass(key);
            }
            return KeyPrefixes.ofChar((Character) key);
        }

        @Override
        Object decode(long p) {
            return KeyPrefixes.toChar(p);
        }

        @Override
        int compare(Object a, Object b) {
            return Character.compare((Character) a, (Character) b);
        }
    };

    /** The first eight bytes of the {@code String} encoding: up to eight ASCII characters. */
    static final KeyCodec STRING = new KeyCodec(PREFIXED, String.class) {
        @Override
        long prefix(Object key) {
            if (key.getClass() != String.class) {
                throw wrongClass(key);
            }
            return KeyPrefixes.ofString((String) key);
        }

        @Override
        int compare(Object a, Object b) {
            return ((String) a).compareTo((String) b);
        }
    };

    /** {@link UUID#compareTo} orders by the signed most significant half first. */
    static final KeyCodec UUIDS = new KeyCodec(PREFIXED, UUID.class) {
        @Override
        long prefix(Object key) {
            if (key.getClass() != UUID.class) {
                throw wrongClass(key);
            }
            return KeyPrefixes.ofUuid((UUID) key);
        }

        @Override
        int compare(Object a, Object b) {
            return ((UUID) a).compareTo((UUID) b);
        }
    };

    /** {@link Instant#compareTo} orders by epoch seconds, then nanoseconds. */
    static final KeyCodec INSTANTS = new KeyCodec(PREFIXED, Instant.class) {
        @Override
        long prefix(Object key) {
            if (key.getClass() != Instant.class) {
                throw wrongClass(key);
            }
            return KeyPrefixes.ofInstant((Instant) key);
        }

        @Override
        int compare(Object a, Object b) {
            return ((Instant) a).compareTo((Instant) b);
        }
    };

    /** Any comparator: no prefixes. */
    static final class ComparatorCodec extends KeyCodec {
        private final Comparator<Object> comparator;

        @SuppressWarnings("unchecked")
        ComparatorCodec(Comparator<?> comparator) {
            super(PLAIN, null);
            this.comparator = (Comparator<Object>) comparator;
        }

        @Override
        long prefix(Object key) {
            return 0L;
        }

        @Override
        int compare(Object a, Object b) {
            return comparator.compare(a, b);
        }
    }

    /**
     * The unsigned lexicographic order of byte arrays: the comparator of the shared {@code byte[]}
     * encoding, one instance, which {@link #forComparator} recognises.
     */
    @SuppressWarnings("unchecked")
    static final Comparator<byte[]> UNSIGNED_BYTES_ORDER = (Comparator<byte[]>) KeyEncoders.byteArrays().comparator();

    /** {@code byte[]} keys in {@link #UNSIGNED_BYTES_ORDER}, with the first eight bytes as the prefix. */
    static final KeyCodec UNSIGNED_BYTES = new KeyCodec(PREFIXED, byte[].class) {
        @Override
        long prefix(Object key) {
            if (key.getClass() != byte[].class) {
                throw wrongClass(key);
            }
            return KeyPrefixes.ofBytes((byte[]) key);
        }

        @Override
        int compare(Object a, Object b) {
            return Arrays.compareUnsigned((byte[]) a, (byte[]) b);
        }
    };
}
