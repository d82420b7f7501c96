package io.arboretum.keys;

import static io.arboretum.keys.EncodingProperties.CASES;
import static io.arboretum.keys.EncodingProperties.checkPair;
import static io.arboretum.keys.EncodingProperties.random;
import static io.arboretum.keys.EncodingProperties.where;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The fixed-width encoders and {@code byte[]}: signed extremes, UUIDs with the high bit set in
 * either half, instants before the epoch with nanoseconds, and random values, pairwise.
 */
class FixedWidthEncodersTest {

    /** Every pair of the edge values, then random pairs mixed with edge values. */
    private static <K> void checkAll(String test, KeyEncoder<K> enc, List<K> edges, Function<Random, K> gen) {
        int i = 0;
        for (K a : edges) {
            for (K b : edges) {
                checkPair(enc, a, b, where(test + " edges", i++));
            }
        }
        Random r = random(test);
        for (int c = 0; c < CASES; c++) {
            K a = r.nextInt(8) == 0 ? edges.get(r.nextInt(edges.size())) : gen.apply(r);
            K b = r.nextInt(8) == 0 ? edges.get(r.nextInt(edges.size())) : gen.apply(r);
            checkPair(enc, a, b, where(test, c));
        }
    }

    private static long edgy(Random r) {
        long[] e = {Long.MIN_VALUE, Long.MIN_VALUE + 1, -1, 0, 1, Long.MAX_VALUE, Integer.MIN_VALUE, 0x80L, 0xFFL};
        switch (r.nextInt(3)) {
            case 0:
                return e[r.nextInt(e.length)] + r.nextInt(3) - 1;
            case 1:
                return r.nextInt(2000) - 1000;
            default:
                return r.nextLong();
        }
    }

    @Test
    void longsOrderNumerically() {
        checkAll("longs", KeyEncoders.longs(),
                List.of(Long.MIN_VALUE, Long.MIN_VALUE + 1, -256L, -1L, 0L, 1L, 255L, 256L, Long.MAX_VALUE - 1, Long.MAX_VALUE),
                FixedWidthEncodersTest::edgy);
    }

    @Test
    void integersOrderNumerically() {
        checkAll("integers", KeyEncoders.integers(),
                List.of(Integer.MIN_VALUE, Integer.MIN_VALUE + 1, -1, 0, 1, 0x7F, 0x80, Integer.MAX_VALUE),
                r -> (int) edgy(r));
    }

    @Test
    void shortsBytesAndCharactersOrderNumerically() {
        checkAll("shorts", KeyEncoders.shorts(),
                List.of(Short.MIN_VALUE, (short) -1, (short) 0, (short) 1, (short) 0xFF, Short.MAX_VALUE),
                r -> (short) edgy(r));
        checkAll("bytes", KeyEncoders.bytes(),
                List.of(Byte.MIN_VALUE, (byte) -1, (byte) 0, (byte) 1, Byte.MAX_VALUE),
                r -> (byte) edgy(r));
        checkAll("characters", KeyEncoders.characters(),
                List.of('\u0000', '\u007F', '\u0080', '\u00FF', '\u7FFF', '\u8000', '\uD800', '\uFFFF'),
                r -> (char) edgy(r));
    }

    @Test
    void uuidsOrderAsCompareToWithSignedHalves() {
        List<UUID> edges = new ArrayList<>();
        long[] halves = {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE};
        for (long m : halves) {
            for (long l : halves) {
                edges.add(new UUID(m, l));
            }
        }
        edges.add(UUID.fromString("ffffffff-ffff-ffff-ffff-ffffffffffff"));
        edges.add(UUID.fromString("80000000-0000-0000-8000-000000000000"));
        checkAll("uuids", KeyEncoders.uuids(), edges, r -> {
            switch (r.nextInt(3)) {
                case 0:
                    return new UUID(r.nextLong(), r.nextLong());
                case 1:
                    return new UUID(edgy(r), edgy(r));
                default:
                    return new UUID(r.nextInt(3) - 1, r.nextLong());
            }
        });
        // UUID.compareTo is signed: ffff... (-1, -1) sorts below 0000... (0, 0).
        UUID high = UUID.fromString("ffffffff-ffff-ffff-ffff-ffffffffffff");
        assertTrue(high.compareTo(new UUID(0, 0)) < 0);
    }

    @Test
    void instantsOrderAsCompareTo() {
        List<Instant> edges = List.of(Instant.MIN, Instant.ofEpochSecond(Instant.MIN.getEpochSecond(), 999_999_999),
                Instant.ofEpochSecond(-1), Instant.ofEpochSecond(-1, 1), Instant.ofEpochMilli(-1),
                Instant.ofEpochSecond(0, -1), Instant.EPOCH, Instant.ofEpochSecond(0, 1),
                Instant.ofEpochSecond(1, 999_999_999), Instant.parse("2026-12-02T10:35:10.123456789Z"),
                Instant.ofEpochSecond(Instant.MAX.getEpochSecond()), Instant.MAX);
        checkAll("instants", KeyEncoders.instants(), edges, r -> {
            long s = r.nextBoolean() ? r.nextInt(2000) - 1000
                    : Instant.MIN.getEpochSecond() + (long) (r.nextDouble() * (Instant.MAX.getEpochSecond() - Instant.MIN.getEpochSecond()));
            return Instant.ofEpochSecond(s, r.nextInt(3) == 0 ? 0 : r.nextInt(1_000_000_000));
        });
    }

    @Test
    void byteArraysOrderUnsignedWithPrefixesFirst() {
        List<byte[]> edges = List.of(new byte[0], new byte[] {0}, new byte[] {0, 0}, new byte[] {1},
                new byte[] {(byte) 0x7F}, new byte[] {(byte) 0x80}, new byte[] {(byte) 0xFF},
                new byte[] {(byte) 0xFF, 0}, new byte[8], new byte[9], new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        checkAll("byteArrays", KeyEncoders.byteArrays(), edges, r -> {
            byte[] b = new byte[r.nextInt(12)];
            for (int j = 0; j < b.length; j++) {
                b[j] = (byte) (r.nextInt(3) == 0 ? 0 : r.nextBoolean() ? 0xFF : r.nextInt(256));
            }
            return b;
        });
    }

    @Test
    void encodingsHaveTheDocumentedBytes() {
        assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, 0, 0}, KeyEncoders.longs().encode(Long.MIN_VALUE));
        assertArrayEquals(new byte[] {(byte) 0x80, 0, 0, 0, 0, 0, 0, 1}, KeyEncoders.longs().encode(1L));
        assertArrayEquals(new byte[] {0x7F, -1, -1, -1}, KeyEncoders.integers().encode(-1));
        assertArrayEquals(new byte[] {(byte) 0x80, 0}, KeyEncoders.shorts().encode((short) 0));
        assertArrayEquals(new byte[] {(byte) 0xFF}, KeyEncoders.bytes().encode(Byte.MAX_VALUE));
        assertArrayEquals(new byte[] {(byte) 0xD8, 0x3D}, KeyEncoders.characters().encode('\uD83D'));
        assertArrayEquals(new byte[] {(byte) 0x80, 0, 0, 0, 0, 0, 0, 1, (byte) 0x7F, -1, -1, -1, -1, -1, -1, -1},
                KeyEncoders.uuids().encode(new UUID(1, -1)));
        assertArrayEquals(new byte[] {0x7F, -1, -1, -1, -1, -1, -1, -1, 0x1D, (byte) 0xCD, 0x65, 0},
                KeyEncoders.instants().encode(Instant.ofEpochMilli(-500)));
        byte[] key = {1, 2};
        byte[] enc = KeyEncoders.byteArrays().encode(key);
        assertArrayEquals(key, enc);
        assertTrue(enc != key, "the encoding is a copy the caller may change");
    }

    @Test
    void wrongLengthsAndBadFieldsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> KeyEncoders.longs().decode(new byte[7]));
        assertThrows(IllegalArgumentException.class, () -> KeyEncoders.uuids().decode(new byte[17]));
        byte[] badNanos = KeyEncoders.instants().encode(Instant.EPOCH);
        badNanos[8] = 0x3C; // 0x3C000000 = 1,006,632,960 > 999,999,999
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KeyEncoders.instants().decode(badNanos));
        assertTrue(e.getMessage().contains("nanoseconds"), e.getMessage());
        byte[] tooLate = KeyEncoders.longs().encode(Long.MAX_VALUE);
        byte[] late = new byte[12];
        System.arraycopy(tooLate, 0, late, 0, 8);
        assertThrows(IllegalArgumentException.class, () -> KeyEncoders.instants().decode(late));
        assertThrows(IndexOutOfBoundsException.class, () -> KeyEncoders.longs().decode(new byte[8], 1, 8));
    }

    @Test
    void exactPrefixesRebuildTheirKeys() {
        Random r = random("exact");
        for (int i = 0; i < CASES; i++) {
            long v = edgy(r);
            assertEquals(v, KeyPrefixes.toLong(KeyPrefixes.ofLong(v)));
            assertEquals((int) v, KeyPrefixes.toInt(KeyPrefixes.ofInt((int) v)));
            assertEquals((short) v, KeyPrefixes.toShort(KeyPrefixes.ofShort((short) v)));
            assertEquals((byte) v, KeyPrefixes.toByte(KeyPrefixes.ofByte((byte) v)));
            assertEquals((char) v, KeyPrefixes.toChar(KeyPrefixes.ofChar((char) v)));
        }
    }
}
