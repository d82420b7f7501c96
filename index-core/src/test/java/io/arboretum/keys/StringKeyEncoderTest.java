package io.arboretum.keys;

import static io.arboretum.keys.EncodingProperties.CASES;
import static io.arboretum.keys.EncodingProperties.checkKey;
import static io.arboretum.keys.EncodingProperties.checkPair;
import static io.arboretum.keys.EncodingProperties.hex;
import static io.arboretum.keys.EncodingProperties.random;
import static io.arboretum.keys.EncodingProperties.where;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link KeyEncoders#strings()}: {@code String.compareTo} order, compact codes, adversarial units. */
class StringKeyEncoderTest {
    private static final KeyEncoder<String> ENC = KeyEncoders.strings();

    /** Units at every boundary of the code, surrogates, and U+E000 to U+FFFF. */
    private static final char[] EDGES = {
        0x0000, 0x0001, '0', 'a', 'z', 0x007E, 0x007F, 0x0080, 0x0081, 0x00FF, 0x0100, 0x07FF, 0x0800,
        0x3FFF, 0x4E00, 0x7EFE, 0x7EFF, 0x7F00, 0x7F01, 0x7FFF, 0x8000, 0xD7FF, 0xD800, 0xDBFF, 0xDC00,
        0xDFFF, 0xE000, 0xE001, 0xF8FF, 0xFEFF, 0xFF00, 0xFFFE, 0xFFFF,
    };

    private static char unit(Random r) {
        switch (r.nextInt(4)) {
            case 0:
                return EDGES[r.nextInt(EDGES.length)];
            case 1:
                return (char) ('a' + r.nextInt(4)); // few letters: long shared beginnings
            case 2:
                return (char) r.nextInt(0x80);
            default:
                return (char) r.nextInt(0x10000);
        }
    }

    private static String string(Random r) {
        int n = r.nextInt(4) == 0 ? r.nextInt(3) : r.nextInt(14);
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            if (r.nextInt(8) == 0) {
                b.appendCodePoint(0x10000 + r.nextInt(0x100000)); // a surrogate pair
            } else {
                b.append(unit(r));
            }
        }
        return b.toString();
    }

    /** A key close to {@code a}: a prefix of it, an extension, or one unit changed. */
    private static String near(String a, Random r) {
        switch (r.nextInt(4)) {
            case 0:
                return a.substring(0, r.nextInt(a.length() + 1));
            case 1:
                return a + unit(r);
            case 2:
                return a + string(r);
            default: {
                if (a.isEmpty()) {
                    return String.valueOf(unit(r));
                }
                int i = r.nextInt(a.length());
                return a.substring(0, i) + unit(r) + a.substring(i + 1);
            }
        }
    }

    @Test
    void randomAndNearbyPairsOrderAsCompareTo() {
        Random r = random("strings");
        for (int i = 0; i < CASES; i++) {
            String a = string(r);
            String b = r.nextBoolean() ? string(r) : near(a, r);
            checkPair(ENC, a, b, where("randomAndNearbyPairsOrderAsCompareTo", i));
        }
    }

    @Test
    void everyPairOfEdgeUnitsOrdersAsCompareTo() {
        int i = 0;
        for (char x : EDGES) {
            for (char y : EDGES) {
                String a = String.valueOf(x);
                String b = String.valueOf(y);
                checkPair(ENC, a, b, where("edge units", i++));
                checkPair(ENC, "k" + a + "z", "k" + b, where("edge units inside", i++));
                checkPair(ENC, a + a, a + b, where("edge units second", i++));
            }
        }
    }

    @Test
    void adversarialPairsOrderAsCompareTo() {
        String[][] pairs = {
            {"\uD83D\uDE00", "\uE000"},        // surrogate pair below U+E000 (code point order says above)
            {"\uDBFF\uDFFF", "\uFFFF"},
            {"\uD800", "\uFFFF"},
            {"a", "a\u0000"},                  // a prefix sorts first, even before U+0000
            {"", "\u0000"},
            {"", ""},
            {"a\u0000b", "a\u0001"},
            {"a\u0000", "a\u007F"},
            {"\u007F", "\u0080"},
            {"\u7EFF", "\u7F00"},
            {"\u7F00\u0000", "\u7F00"},
            {"user12345678", "user1234567"},    // share the 8-byte prefix
            {"user12345678a", "user12345678"},
            {"\u00E9t\u00E9", "\u00E9t\u00E9\u0000"},
        };
        for (int i = 0; i < pairs.length; i++) {
            checkPair(ENC, pairs[i][0], pairs[i][1], where("adversarial", i));
            checkPair(ENC, pairs[i][1], pairs[i][0], where("adversarial reversed", i));
        }
    }

    /** The trap the order guards against: UTF-8 orders by code point, and disagrees with compareTo here. */
    @Test
    void utf8WouldDisagreeWhereThisEncodingAgrees() {
        String pair = "\uD83D\uDE00";
        String bmp = "\uE000";
        assertTrue(pair.compareTo(bmp) < 0);
        assertTrue(Arrays.compareUnsigned(pair.getBytes(StandardCharsets.UTF_8), bmp.getBytes(StandardCharsets.UTF_8)) > 0);
        assertTrue(Arrays.compareUnsigned(ENC.encode(pair), ENC.encode(bmp)) < 0);
    }

    @Test
    void codesHaveTheDocumentedBytes() {
        assertArrayEquals(new byte[0], ENC.encode(""));
        assertArrayEquals(new byte[] {'u', 's', 'e', 'r', '1'}, ENC.encode("user1"));
        assertArrayEquals(new byte[] {0x00, 0x7F}, ENC.encode("\u0000\u007F"));
        assertArrayEquals(new byte[] {(byte) 0x80, (byte) 0x80}, ENC.encode("\u0080"));
        assertArrayEquals(new byte[] {(byte) 0x80, (byte) 0xE9}, ENC.encode("\u00E9"));
        assertArrayEquals(new byte[] {(byte) 0xCE, 0x00}, ENC.encode("\u4E00"));
        assertArrayEquals(new byte[] {(byte) 0xFE, (byte) 0xFF}, ENC.encode("\u7EFF"));
        assertArrayEquals(new byte[] {(byte) 0xFF, 0x7F, 0x00}, ENC.encode("\u7F00"));
        assertArrayEquals(new byte[] {(byte) 0xFF, (byte) 0xD8, 0x3D, (byte) 0xFF, (byte) 0xDE, 0x00},
                ENC.encode("\uD83D\uDE00"));
        assertEquals(0xFF, ENC.encode("\uFFFF")[0] & 0xFF);
    }

    @Test
    void asciiTakesOneBytePerCharacterAndFillsThePrefix() {
        String k = "user6284781860667377211";
        assertEquals(k.length(), ENC.encode(k).length);
        assertEquals(KeyPrefixes.ofBytes("user6284".getBytes(StandardCharsets.US_ASCII)), ENC.prefix(k));
        assertEquals(ENC.prefix("user6284"), ENC.prefix(k));
    }

    @Test
    void prefixOfCodesThatStraddleTheEighthByte() {
        Random r = random("straddle");
        for (int i = 0; i < CASES; i++) {
            StringBuilder b = new StringBuilder();
            int ascii = r.nextInt(9);
            for (int j = 0; j < ascii; j++) {
                b.append((char) ('a' + r.nextInt(26)));
            }
            b.append(EDGES[r.nextInt(EDGES.length)]).append(unit(r));
            checkKey(ENC, b.toString(), where("prefixOfCodesThatStraddleTheEighthByte", i));
        }
    }

    @Test
    void malformedBytesAreRejected() {
        byte[][] bad = {
            {(byte) 0x80},                       // truncated two-byte code
            {(byte) 0x80, 0x7F},                 // non-canonical: U+007F has a one-byte code
            {(byte) 0xFF, 0x7E, (byte) 0xFF},    // non-canonical: U+7EFF has a two-byte code
            {(byte) 0xFF, (byte) 0xE0},          // truncated three-byte code
            {'a', (byte) 0xFE},
        };
        for (byte[] b : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ENC.decode(b), hex(b));
            assertTrue(e.getMessage().contains("not an encoding"), e.getMessage());
        }
    }

    /**
     * The in-place readers of the encoding ({@code KeyPrefixes.ofString(s, from)},
     * {@code oneByteUnits}, {@code encodesAs}) agree with encoding the substring, for random and
     * adversarial strings and every start unit; {@code encodesAs} also rejects near misses (one
     * byte changed, one byte more or fewer).
     */
    @Test
    void inPlaceReadersAgreeWithTheEncoding() {
        Random r = new Random(0x51CE);
        for (int n = 0; n < 3000; n++) {
            String s = string(r);
            for (int from = 0; from <= s.length(); from++) {
                byte[] rest = ENC.encode(s.substring(from));
                assertEquals(KeyPrefixes.ofBytes(rest), KeyPrefixes.ofString(s, from), "prefix of " + s + " from " + from);
                int ascii = 0;
                while (from + ascii < s.length() && s.charAt(from + ascii) < 0x80) {
                    ascii++;
                }
                int max = r.nextInt(12);
                assertEquals(Math.min(ascii, max), KeyPrefixes.oneByteUnits(s, from, max), "one-byte units");
                assertTrue(KeyPrefixes.encodesAs(s, from, rest), "encodesAs its own encoding");
                if (rest.length > 0) {
                    byte[] changed = rest.clone();
                    changed[r.nextInt(changed.length)] ^= (byte) (1 + r.nextInt(255));
                    assertEquals(false, KeyPrefixes.encodesAs(s, from, changed), "encodesAs a changed byte");
                    assertEquals(false, KeyPrefixes.encodesAs(s, from, Arrays.copyOf(rest, rest.length - 1)), "one byte fewer");
                }
                assertEquals(false, KeyPrefixes.encodesAs(s, from, Arrays.copyOf(rest, rest.length + 1)), "one byte more");
            }
            assertEquals(KeyPrefixes.ofString(s), KeyPrefixes.ofString(s, 0));
        }
        assertThrows(IndexOutOfBoundsException.class, () -> KeyPrefixes.ofString("ab", 3));
    }
}
