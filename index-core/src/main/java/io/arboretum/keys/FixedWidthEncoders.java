package io.arboretum.keys;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.UUID;

/**
 * The built-in encoders of fixed width: integral types, {@code Character}, {@code UUID} and
 * {@code Instant}. Each writes its fields big-endian, most significant field first; a signed
 * field has its sign bit flipped, so that unsigned byte order equals signed numeric order
 * ({@code MIN_VALUE} becomes all zero bits, {@code -1} becomes {@code 0x7F..FF}, {@code 0} becomes
 * {@code 0x80..00}). Fixed width makes every encoding prefix-free, so no terminator is needed.
 */
final class FixedWidthEncoders {
    private FixedWidthEncoders() {
    }

    private static final long SIGN64 = Long.MIN_VALUE;
    private static final int SIGN32 = Integer.MIN_VALUE;

    /** An encoder whose encodings all have {@code width} bytes. */
    abstract static class FixedWidth<K> extends AbstractKeyEncoder<K> {
        private static final long serialVersionUID = 1L;
        private final int width;

        FixedWidth(Class<K> type, int width) {
            super(type);
            this.width = width;
        }

        @Override
        public final int fixedLength() {
            return width;
        }
    }

    /** Big-endian {@code long} over a {@code byte[]} at any offset. */
    static void putLong(byte[] b, int i, long v) {
        LONGS.set(b, i, v);
    }

    static long getLong(byte[] b, int i) {
        return (long) LONGS.get(b, i);
    }

    static void putInt(byte[] b, int i, int v) {
        INTS.set(b, i, v);
    }

    static int getInt(byte[] b, int i) {
        return (int) INTS.get(b, i);
    }

    /** {@code Long}: 8 bytes, {@code v ^ Long.MIN_VALUE}. */
    static final class Longs extends FixedWidth<Long> {
        private static final long serialVersionUID = 1L;
        static final Longs INSTANCE = new Longs();

        private Longs() {
            super(Long.class, 8);
        }

        @Override
        byte[] encodeKey(Long key) {
            byte[] b = new byte[8];
            putLong(b, 0, key ^ SIGN64);
            return b;
        }

        @Override
        Long decodeKey(byte[] b, int off, int len) {
            return getLong(b, off) ^ SIGN64;
        }

        @Override
        long prefixOf(Long key) {
            return KeyPrefixes.ofLong(key);
        }
    }

    /** {@code Integer}: 4 bytes, {@code v ^ Integer.MIN_VALUE}. */
    static final class Integers extends FixedWidth<Integer> {
        private static final long serialVersionUID = 1L;
        static final Integers INSTANCE = new Integers();

        private Integers() {
            super(Integer.class, 4);
        }

        @Override
        byte[] encodeKey(Integer key) {
            byte[] b = new byte[4];
            putInt(b, 0, key ^ SIGN32);
            return b;
        }

        @Override
        Integer decodeKey(byte[] b, int off, int len) {
            return getInt(b, off) ^ SIGN32;
        }

        @Override
        long prefixOf(Integer key) {
            return KeyPrefixes.ofInt(key);
        }
    }

    /** {@code Short}: 2 bytes, {@code v ^ 0x8000}. */
    static final class Shorts extends FixedWidth<Short> {
        private static final long serialVersionUID = 1L;
        static final Shorts INSTANCE = new Shorts();

        private Shorts() {
            super(Short.class, 2);
        }

        @Override
        byte[] encodeKey(Short key) {
            int u = key ^ 0x8000;
            return new byte[] {(byte) (u >>> 8), (byte) u};
        }

        @Override
        Short decodeKey(byte[] b, int off, int len) {
            return (short) ((((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF)) ^ 0x8000);
        }

        @Override
        long prefixOf(Short key) {
            return KeyPrefixes.ofShort(key);
        }
    }

    /** {@code Byte}: 1 byte, {@code v ^ 0x80}. */
    static final class Bytes extends FixedWidth<Byte> {
        private static final long serialVersionUID = 1L;
        static final Bytes INSTANCE = new Bytes();

        private Bytes() {
            super(Byte.class, 1);
        }

        @Override
        byte[] encodeKey(Byte key) {
            return new byte[] {(byte) (key ^ 0x80)};
        }

        @Override
        Byte decodeKey(byte[] b, int off, int len) {
            return (byte) (b[off] ^ 0x80);
        }

        @Override
        long prefixOf(Byte key) {
            return KeyPrefixes.ofByte(key);
        }
    }

    /** {@code Character}: 2 bytes, unsigned, so no sign bit to flip. */
    static final class Characters extends FixedWidth<Character> {
        private static final long serialVersionUID = 1L;
        static final Characters INSTANCE = new Characters();

        private Characters() {
            super(Character.class, 2);
        }

        @Override
        byte[] encodeKey(Character key) {
            char c = key;
            return new byte[] {(byte) (c >>> 8), (byte) c};
        }

        @Override
        Character decodeKey(byte[] b, int off, int len) {
            return (char) (((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF));
        }

        @Override
        long prefixOf(Character key) {
            return KeyPrefixes.ofChar(key);
        }
    }

    /**
     * {@code UUID}: 16 bytes, the most significant half then the least, each with its sign bit
     * flipped, because {@link UUID#compareTo} compares both halves as <em>signed</em> numbers.
     */
    static final class Uuids extends FixedWidth<UUID> {
        private static final long serialVersionUID = 1L;
        static final Uuids INSTANCE = new Uuids();

        private Uuids() {
            super(UUID.class, 16);
        }

        @Override
        byte[] encodeKey(UUID key) {
            byte[] b = new byte[16];
            putLong(b, 0, key.getMostSignificantBits() ^ SIGN64);
            putLong(b, 8, key.getLeastSignificantBits() ^ SIGN64);
            return b;
        }

        @Override
        UUID decodeKey(byte[] b, int off, int len) {
            return new UUID(getLong(b, off) ^ SIGN64, getLong(b, off + 8) ^ SIGN64);
        }

        @Override
        long prefixOf(UUID key) {
            return KeyPrefixes.ofUuid(key);
        }
    }

    /**
     * {@code Instant}: 12 bytes, the epoch second (signed, sign bit flipped) then the nanosecond
     * of the second (0 to 999,999,999, so unsigned as it stands), as {@link Instant#compareTo}
     * orders them. An instant before the epoch with nanoseconds, such as -0.5 s, is second -1
     * plus 500,000,000 ns, which this order places correctly.
     */
    static final class Instants extends FixedWidth<Instant> {
        private static final long serialVersionUID = 1L;
        static final Instants INSTANCE = new Instants();
        private static final int NANOS_PER_SECOND = 1_000_000_000;

        private Instants() {
            super(Instant.class, 12);
        }

        @Override
        byte[] encodeKey(Instant key) {
            byte[] b = new byte[12];
            putLong(b, 0, key.getEpochSecond() ^ SIGN64);
            putInt(b, 8, key.getNano());
            return b;
        }

        @Override
        Instant decodeKey(byte[] b, int off, int len) {
            long seconds = getLong(b, off) ^ SIGN64;
            int nanos = getInt(b, off + 8);
            if (nanos < 0 || nanos >= NANOS_PER_SECOND) {
                throw malformed("has nanoseconds " + Integer.toUnsignedString(nanos));
            }
            try {
                return Instant.ofEpochSecond(seconds, nanos);
            } catch (DateTimeException e) {
                throw malformed("has epoch second " + seconds + ", outside Instant's range");
            }
        }

        @Override
        long prefixOf(Instant key) {
            return KeyPrefixes.ofInstant(key);
        }
    }

    // VarHandle mechanics
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
}
