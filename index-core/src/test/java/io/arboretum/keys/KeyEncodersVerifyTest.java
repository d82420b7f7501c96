package io.arboretum.keys;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link KeyEncoders#verify}: it passes the built-in encoders on adversarial samples and catches
 * each kind of broken encoder, naming the offending keys.
 */
class KeyEncodersVerifyTest {

    private static final List<String> STRINGS = List.of("", "\u0000", "a", "a\u0000", "a\u0001", "ab", "\u007F",
            "\u0080", "\u7EFF", "\u7F00", "\uD83D\uDE00", "\uDBFF\uDFFF", "\uE000", "\uFFFF", "user12345678",
            "user1234567", "a");
    private static final List<Long> LONGS = List.of(Long.MIN_VALUE, -1L, 0L, 1L, Long.MAX_VALUE);

    @Test
    void builtInEncodersPass() {
        KeyEncoders.verify(KeyEncoders.strings(), STRINGS);
        KeyEncoders.verify(KeyEncoders.longs(), LONGS);
        KeyEncoders.verify(KeyEncoders.integers(), List.of(Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE));
        KeyEncoders.verify(KeyEncoders.shorts(), List.of(Short.MIN_VALUE, (short) -1, (short) 0, Short.MAX_VALUE));
        KeyEncoders.verify(KeyEncoders.bytes(), List.of(Byte.MIN_VALUE, (byte) -1, (byte) 0, Byte.MAX_VALUE));
        KeyEncoders.verify(KeyEncoders.characters(), List.of('\u0000', '\u7FFF', '\u8000', '\uFFFF'));
        KeyEncoders.verify(KeyEncoders.uuids(), List.of(new UUID(-1, -1), new UUID(0, 0), new UUID(-1, 0),
                new UUID(0, -1), new UUID(Long.MAX_VALUE, Long.MIN_VALUE)));
        KeyEncoders.verify(KeyEncoders.instants(), List.of(Instant.MIN, Instant.ofEpochMilli(-1), Instant.EPOCH,
                Instant.MAX));
        KeyEncoders.verify(KeyEncoders.byteArrays(), List.of(new byte[0], new byte[] {0}, new byte[] {-1},
                new byte[] {0, 0}, new byte[9]));
        List<List<Object>> tuples = new ArrayList<>();
        for (String a : STRINGS) {
            for (String b : List.of("", "\u0000", "z")) {
                tuples.add(List.of(a, b));
            }
        }
        KeyEncoders.verify(KeyEncoders.tuple(KeyEncoders.strings(), KeyEncoders.strings()), tuples);
    }

    /** A user encoder of longs that forgets to flip the sign bit: negative keys sort last. */
    @Test
    void catchesAnEncoderThatBreaksTheOrder() {
        KeyEncoder<Long> noSignFlip = new TestEncoder<>(Long.class) {
            @Override
            public byte[] encode(Long key) {
                long v = key;
                byte[] b = new byte[8];
                for (int i = 0; i < 8; i++) {
                    b[i] = (byte) (v >>> (56 - 8 * i));
                }
                return b;
            }

            @Override
            public Long decode(byte[] bytes, int offset, int length) {
                long v = 0;
                for (int i = 0; i < 8; i++) {
                    v = v << 8 | (bytes[offset + i] & 0xFF);
                }
                return v;
            }
        };
        String m = fails(noSignFlip, LONGS);
        assertTrue(m.contains("breaks the order") && m.contains("-1") && m.contains("0 (00 00"), m);
    }

    /** UTF-8 orders by code point: a surrogate pair against U+E000 gives it away. */
    @Test
    void catchesUtf8ForStrings() {
        KeyEncoder<String> utf8 = new TestEncoder<>(String.class) {
            @Override
            public byte[] encode(String key) {
                return key.getBytes(StandardCharsets.UTF_8);
            }

            @Override
            public String decode(byte[] bytes, int offset, int length) {
                return new String(bytes, offset, length, StandardCharsets.UTF_8);
            }
        };
        KeyEncoders.verify(utf8, List.of("", "a", "ab", "\u00E9")); // fine on easy samples
        String m = fails(utf8, STRINGS);
        assertTrue(m.contains("breaks the order") && m.contains("\\uE000") && m.contains("\\uD"), m);
    }

    @Test
    void catchesADecoderThatIgnoresTheOffset() {
        KeyEncoder<String> ignoresOffset = new Delegating<>(KeyEncoders.strings()) {
            @Override
            public String decode(byte[] bytes, int offset, int length) {
                return KeyEncoders.strings().decode(Arrays.copyOf(bytes, length));
            }
        };
        String m = fails(ignoresOffset, List.of("abc"));
        assertTrue(m.contains("round-trip") && m.contains("offset"), m);
    }

    @Test
    void catchesALossyRoundTrip() {
        KeyEncoder<String> truncates = new Delegating<>(KeyEncoders.strings()) {
            @Override
            public String decode(byte[] bytes, int offset, int length) {
                return KeyEncoders.strings().decode(bytes, offset, Math.min(length, 3));
            }
        };
        String m = fails(truncates, List.of("ab", "abcd"));
        assertTrue(m.contains("does not round-trip") && m.contains("\"abcd\""), m);
    }

    @Test
    void catchesAWrongPrefixAndAWrongFixedLength() {
        KeyEncoder<Long> badPrefix = new Delegating<>(KeyEncoders.longs()) {
            @Override
            public long prefix(Long key) {
                return key ^ Long.MIN_VALUE; // the encoded bits, not the flipped-back prefix
            }
        };
        assertTrue(fails(badPrefix, LONGS).contains("prefix"));
        KeyEncoder<String> badLength = new Delegating<>(KeyEncoders.strings()) {
            @Override
            public int fixedLength() {
                return 2;
            }
        };
        assertTrue(fails(badLength, List.of("ab", "abc")).contains("fixed length 2"));
    }

    @Test
    void catchesANonDeterministicEncoder() {
        AtomicInteger calls = new AtomicInteger();
        KeyEncoder<Long> drifting = new Delegating<>(KeyEncoders.longs()) {
            @Override
            public byte[] encode(Long key) {
                byte[] b = KeyEncoders.longs().encode(key);
                if (calls.incrementAndGet() == 2) {
                    b[7] ^= 1;
                }
                return b;
            }
        };
        assertTrue(fails(drifting, List.of(5L)).contains("differently"));
    }

    @Test
    void rejectsNullArguments() {
        assertThrows(NullPointerException.class, () -> KeyEncoders.verify(null, LONGS));
        assertThrows(NullPointerException.class, () -> KeyEncoders.verify(KeyEncoders.longs(), null));
        assertThrows(NullPointerException.class,
                () -> KeyEncoders.verify(KeyEncoders.longs(), Arrays.asList(1L, null)));
    }

    private static <K> String fails(KeyEncoder<K> enc, List<K> samples) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeyEncoders.verify(enc, samples));
        return e.getMessage();
    }

    /** A user-written encoder that is correct until a test overrides one method with a broken one. */
    private static class Delegating<K> extends TestEncoder<K> {
        private final KeyEncoder<K> inner;

        Delegating(KeyEncoder<K> inner) {
            super(inner.keyType());
            this.inner = inner;
        }

        @Override
        public byte[] encode(K key) {
            return inner.encode(key);
        }

        @Override
        public K decode(byte[] bytes, int offset, int length) {
            return inner.decode(bytes, offset, length);
        }
    }

    /** A user-written encoder: only encode and decode vary between the broken ones above. */
    private abstract static class TestEncoder<K> implements KeyEncoder<K> {
        private final Class<K> type;

        TestEncoder(Class<K> type) {
            this.type = type;
        }

        @Override
        public Class<K> keyType() {
            return type;
        }

        @Override
        public Comparator<? super K> comparator() {
            return null;
        }

        @Override
        public String toString() {
            return "test encoder of " + type.getSimpleName();
        }
    }
}
