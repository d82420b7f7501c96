package io.arboretum.bftree;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** The built-in {@link ValueCodec}s. */
final class ValueCodecs {
    private ValueCodecs() {
    }

    static final ValueCodec<byte[]> BYTES = new ValueCodec<>() {
        @Override
        public Class<byte[]> valueType() {
            return byte[].class;
        }

        @Override
        public byte[] encode(byte[] value) {
            return value;
        }

        @Override
        public byte[] decode(byte[] bytes) {
            return bytes;
        }

        @Override
        public String toString() {
            return "ValueCodec.byteArrays()";
        }
    };

    static final ValueCodec<String> STRINGS = new ValueCodec<>() {
        @Override
        public Class<String> valueType() {
            return String.class;
        }

        @Override
        public byte[] encode(String value) {
            try {
                // REPORT, not the default REPLACE: an unpaired surrogate would come back as '?'.
                ByteBuffer b = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(value));
                return Arrays.copyOfRange(b.array(), b.arrayOffset() + b.position(), b.arrayOffset() + b.limit());
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException("value is not well-formed UTF-16 (an unpaired surrogate), so "
                        + "ValueCodec.strings() cannot store it losslessly", e);
            }
        }

        @Override
        public String decode(byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "ValueCodec.strings()";
        }
    };

    static final ValueCodec<Long> LONGS = new ValueCodec<>() {
        @Override
        public Class<Long> valueType() {
            return Long.class;
        }

        @Override
        public byte[] encode(Long value) {
            return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
        }

        @Override
        public Long decode(byte[] bytes) {
            return ByteBuffer.wrap(bytes).getLong();
        }

        @Override
        public String toString() {
            return "ValueCodec.longs()";
        }
    };

    static final ValueCodec<Integer> INTEGERS = new ValueCodec<>() {
        @Override
        public Class<Integer> valueType() {
            return Integer.class;
        }

        @Override
        public byte[] encode(Integer value) {
            return ByteBuffer.allocate(Integer.BYTES).putInt(value).array();
        }

        @Override
        public Integer decode(byte[] bytes) {
            return ByteBuffer.wrap(bytes).getInt();
        }

        @Override
        public String toString() {
            return "ValueCodec.integers()";
        }
    };
}
