package io.arboretum.keys;

import java.nio.charset.StandardCharsets;

/**
 * The built-in encoder of {@code String} keys, in {@link String#compareTo} order: UTF-16 code
 * units compared as unsigned 16-bit numbers, a proper prefix first. That is neither code point
 * order nor UTF-8 byte order: a surrogate (U+D800 to U+DFFF) sorts below U+E000 to U+FFFF here,
 * above them in code point order. So this is not UTF-8, which would misplace supplementary
 * characters against U+E000 to U+FFFF.
 *
 * <p><b>The code.</b> Each UTF-16 unit {@code c} becomes one, two or three bytes, and a string is
 * the concatenation of the codes of its units, without terminator:
 * <pre>
 *   U+0000 .. U+007F   1 byte   c                                      (00 .. 7F)
 *   U+0080 .. U+7EFF   2 bytes  0x80 + (c &gt;&gt; 8), c &amp; 0xFF             (80 .. FE, any)
 *   U+7F00 .. U+FFFF   3 bytes  0xFF, c &gt;&gt; 8, c &amp; 0xFF                (FF, 7F .. FF, any)
 * </pre>
 * ASCII keys ({@code "user1234..."}) cost one byte a character instead of two, and eight of them
 * fill a Masstree slice or a 64-bit prefix.
 *
 * <p><b>Why it preserves the order.</b> (1) Each code is an increasing function of {@code c}:
 * within a length, the bytes read big-endian are {@code c} plus a constant; across lengths, the
 * first bytes lie in the disjoint, increasing ranges 00–7F, 80–FE and FF. (2) The codes form a
 * prefix code: the first byte alone tells the length, so no code is a proper prefix of another.
 * Compare two strings: if one is a proper prefix of the other, so is its encoding, and it sorts
 * first, as in {@code compareTo}. Otherwise at the first differing unit the two codes differ, and
 * since neither is a prefix of the other they differ at a byte inside both; by (1) that byte is
 * smaller in the code of the smaller unit. Decoding reads the same first byte to find the length,
 * and rejects the non-canonical forms (a two- or three-byte code of a unit that has a shorter one)
 * so that every key has exactly one encoding.
 */
final class StringKeyEncoder extends AbstractKeyEncoder<String> {
    private static final long serialVersionUID = 1L;

    /** The smallest unit with a two-byte code. */
    static final char TWO_BYTE_MIN = 0x80;
    /** The smallest unit with a three-byte code, and the first byte of every three-byte code. */
    static final char THREE_BYTE_MIN = 0x7F00;
    private static final int THREE_BYTE_LEAD = 0xFF;

    static final StringKeyEncoder INSTANCE = new StringKeyEncoder();

    private StringKeyEncoder() {
        super(String.class);
    }

    /** The two-byte code of {@code c}, {@code TWO_BYTE_MIN <= c < THREE_BYTE_MIN}, as a big-endian int. */
    static int twoByteCode(char c) {
        return c + 0x8000;
    }

    /** The three-byte code of {@code c >= THREE_BYTE_MIN}, as a big-endian int. */
    static int threeByteCode(char c) {
        return (THREE_BYTE_LEAD << 16) | c;
    }

    @Override
    byte[] encodeKey(String s) {
        int n = s.length();
        int size = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= TWO_BYTE_MIN) {
                size += c < THREE_BYTE_MIN ? 1 : 2;
            }
        }
        byte[] out = new byte[size];
        int j = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < TWO_BYTE_MIN) {
                out[j++] = (byte) c;
            } else if (c < THREE_BYTE_MIN) {
                int code = twoByteCode(c);
                out[j++] = (byte) (code >>> 8);
                out[j++] = (byte) code;
            } else {
                int code = threeByteCode(c);
                out[j++] = (byte) (code >>> 16);
                out[j++] = (byte) (code >>> 8);
                out[j++] = (byte) code;
            }
        }
        return out;
    }

    @Override
    String decodeKey(byte[] b, int offset, int length) {
        int end = offset + length;
        int ascii = offset;
        while (ascii < end && b[ascii] >= 0) {
            ascii++;
        }
        if (ascii == end) {
            // Only one-byte codes: the bytes are the units, all below U+0080, which ISO-8859-1
            // maps to themselves (a compact string is built with one copy).
            return new String(b, offset, length, StandardCharsets.ISO_8859_1);
        }
        char[] units = new char[length];
        int n = 0;
        for (int i = offset; i < end; ) {
            int lead = b[i] & 0xFF;
            char c;
            if (lead < TWO_BYTE_MIN) {
                c = (char) lead;
                i += 1;
            } else if (lead < THREE_BYTE_LEAD) {
                if (end - i < 2) {
                    throw malformed("ends inside a two-byte code at offset " + (i - offset));
                }
                c = (char) ((lead << 8 | (b[i + 1] & 0xFF)) - 0x8000);
                if (c < TWO_BYTE_MIN) {
                    throw malformed("has a non-canonical two-byte code at offset " + (i - offset));
                }
                i += 2;
            } else {
                if (end - i < 3) {
                    throw malformed("ends inside a three-byte code at offset " + (i - offset));
                }
                c = (char) ((b[i + 1] & 0xFF) << 8 | (b[i + 2] & 0xFF));
                if (c < THREE_BYTE_MIN) {
                    throw malformed("has a non-canonical three-byte code at offset " + (i - offset));
                }
                i += 3;
            }
            units[n++] = c;
        }
        return new String(units, 0, n);
    }

    @Override
    long prefixOf(String key) {
        return KeyPrefixes.ofString(key);
    }
}
