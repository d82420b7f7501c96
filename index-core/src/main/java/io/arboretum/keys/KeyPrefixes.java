package io.arboretum.keys;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * Order-preserving 64-bit prefixes of keys, computed without allocating.
 *
 * <p><b>The order it guarantees.</b> The prefix of a key is the first eight bytes of its
 * {@link KeyEncoders built-in encoding} read as a big-endian {@code long}, padded with zero bytes
 * when the encoding is shorter, with the sign bit flipped so that <em>signed</em> comparison
 * ({@code <} on {@code long}) equals unsigned comparison of the bytes. Hence {@code a < b}
 * implies {@code p(a) <= p(b)}: an index compares prefixes first and the keys themselves only when
 * the prefixes are equal. For keys of at most eight encoded bytes ({@code Long}, {@code Integer},
 * {@code Short}, {@code Byte}, {@code Character}) the prefix is the whole key, and the
 * {@code to...} methods rebuild the key from it.
 *
 * <p>The values, for reference: {@link #ofLong(long)} is the key itself; {@link #ofInt(int)},
 * {@link #ofShort(short)} and {@link #ofByte(byte)} shift the key to the top of the {@code long};
 * {@link #ofUuid(UUID)} is the most significant half; {@link #ofInstant(Instant)} the epoch
 * second; {@link #ofString(String)} and {@link #ofBytes(byte[])} the first eight bytes of the
 * encoding. Each equals {@code KeyPrefixes.ofBytes(encoder.encode(key))} for the built-in encoder
 * of its type.
 */
public final class KeyPrefixes {
    private KeyPrefixes() {
    }

    /**
     * The prefix of a byte string: its first eight bytes, big-endian, zero-padded, sign bit flipped.
     *
     * @param bytes the byte string
     * @return the prefix
     */
    public static long ofBytes(byte[] bytes) {
        return ofBytes(bytes, 0, bytes.length);
    }

    /**
     * The prefix of the byte string {@code bytes[offset, offset + length)}; a Masstree slice is
     * {@code ofBytes(key, 8 * layer, key.length - 8 * layer)}.
     *
     * @param bytes the array
     * @param offset where the byte string starts
     * @param length its length; only the first eight bytes are read
     * @return the prefix
     * @throws IndexOutOfBoundsException if the range lies outside {@code bytes}
     */
    public static long ofBytes(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        int n = Math.min(length, 8);
        long p = 0;
        for (int i = 0; i < n; i++) {
            p = (p << 8) | (bytes[offset + i] & 0xFF);
        }
        // Pad with zero bytes. For n == 0 the shift distance 64 is taken mod 64, and p is 0 anyway.
        return (p << (8 * (8 - n))) ^ Long.MIN_VALUE;
    }

    /**
     * The prefix of a {@code String} under {@link KeyEncoders#strings()}: up to eight ASCII
     * characters, fewer where characters take two or three bytes.
     *
     * @param s the key
     * @return the prefix
     */
    public static long ofString(String s) {
        return ofString(s, 0);
    }

    /**
     * The prefix of {@code s.substring(from)} under {@link KeyEncoders#strings()}, computed
     * without building the substring. The encoding of a string is the concatenation of the codes
     * of its units, so this is the prefix of the encoding of {@code s} from the byte where unit
     * {@code from}'s code starts: where every unit before {@code from} is ASCII ({@link
     * #oneByteUnits}), that byte is {@code from}, and a Masstree slice of {@code s} at byte
     * offset {@code from} is {@code ofString(s, from) ^ Long.MIN_VALUE}.
     *
     * @param s the key
     * @param from the first unit, from 0 to {@code s.length()}
     * @return the prefix
     * @throws IndexOutOfBoundsException if {@code from} is out of range
     */
    public static long ofString(String s, int from) {
        int n = s.length();
        Objects.checkIndex(from, n + 1);
        long p = 0;
        int filled = 0; // bytes of p in use
        for (int i = from; i < n && filled < 8; i++) {
            char c = s.charAt(i);
            int code;
            int len;
            if (c < StringKeyEncoder.TWO_BYTE_MIN) {
                code = c;
                len = 1;
            } else if (c < StringKeyEncoder.THREE_BYTE_MIN) {
                code = StringKeyEncoder.twoByteCode(c);
                len = 2;
            } else {
                code = StringKeyEncoder.threeByteCode(c);
                len = 3;
            }
            int room = 8 - filled;
            if (len <= room) {
                p = (p << (8 * len)) | code;
                filled += len;
            } else { // the code straddles the end of the prefix: keep its leading bytes
                p = (p << (8 * room)) | (code >>> (8 * (len - room)));
                filled = 8;
            }
        }
        return (p << (8 * (8 - filled))) ^ Long.MIN_VALUE; // zero-padded, as in ofBytes
    }

    /**
     * How many units of {@code s}, from unit {@code from} on and at most {@code max}, have a
     * one-byte code under {@link KeyEncoders#strings()} (the units below U+0080, whose code is
     * the unit itself), before the first that has not. When all units before {@code from + r}
     * are such, the encoding's bytes {@code 0 .. from + r} are those units: byte offsets and unit
     * indexes agree, which lets a caller read the encoding of an ASCII key straight from the
     * {@code String}.
     *
     * @param s the key
     * @param from the first unit to look at
     * @param max the most units to look at
     * @return the number of one-byte units from {@code from}, at most {@code max} and at most
     *     {@code s.length() - from}
     */
    public static int oneByteUnits(String s, int from, int max) {
        int end = (int) Math.min((long) from + Math.max(0, max), s.length());
        int i = from;
        while (i < end && s.charAt(i) < StringKeyEncoder.TWO_BYTE_MIN) {
            i++;
        }
        return Math.max(0, i - from);
    }

    /**
     * Whether the encoding of {@code s.substring(from)} under {@link KeyEncoders#strings()} is
     * exactly the bytes of {@code b}, decided without encoding: a Masstree compares a stored key
     * suffix with a probe key this way.
     *
     * @param s the key
     * @param from the first unit
     * @param b the bytes to compare with
     * @return whether they are equal
     */
    public static boolean encodesAs(String s, int from, byte[] b) {
        int n = s.length();
        int j = 0;
        int m = b.length;
        for (int i = from; i < n; i++) {
            char c = s.charAt(i);
            if (c < StringKeyEncoder.TWO_BYTE_MIN) {
                if (j >= m || b[j] != (byte) c) {
                    return false;
                }
                j++;
            } else {
                int code;
                int len;
                if (c < StringKeyEncoder.THREE_BYTE_MIN) {
                    code = StringKeyEncoder.twoByteCode(c);
                    len = 2;
                } else {
                    code = StringKeyEncoder.threeByteCode(c);
                    len = 3;
                }
                if (m - j < len) {
                    return false;
                }
                for (int k = len - 1; k >= 0; k--) {
                    if (b[j++] != (byte) (code >>> (8 * k))) {
                        return false;
                    }
                }
            }
        }
        return j == m;
    }

    /**
     * The prefix of a {@code long} key: the key itself (its encoding is the key with the sign bit
     * flipped, and the prefix flips it back).
     *
     * @param key the key
     * @return {@code key}
     */
    public static long ofLong(long key) {
        return key;
    }

    /**
     * The {@code long} key whose prefix is {@code prefix}.
     *
     * @param prefix a prefix from {@link #ofLong(long)}
     * @return the key
     */
    public static long toLong(long prefix) {
        return prefix;
    }

    /**
     * The prefix of an {@code int} key: the key in the top 32 bits.
     *
     * @param key the key
     * @return {@code (long) key << 32}
     */
    public static long ofInt(int key) {
        return (long) key << 32;
    }

    /**
     * The {@code int} key whose prefix is {@code prefix}.
     *
     * @param prefix a prefix from {@link #ofInt(int)}
     * @return the key
     */
    public static int toInt(long prefix) {
        return (int) (prefix >> 32);
    }

    /**
     * The prefix of a {@code short} key: the key in the top 16 bits.
     *
     * @param key the key
     * @return {@code (long) key << 48}
     */
    public static long ofShort(short key) {
        return (long) key << 48;
    }

    /**
     * The {@code short} key whose prefix is {@code prefix}.
     *
     * @param prefix a prefix from {@link #ofShort(short)}
     * @return the key
     */
    public static short toShort(long prefix) {
        return (short) (prefix >> 48);
    }

    /**
     * The prefix of a {@code byte} key: the key in the top 8 bits.
     *
     * @param key the key
     * @return {@code (long) key << 56}
     */
    public static long ofByte(byte key) {
        return (long) key << 56;
    }

    /**
     * The {@code byte} key whose prefix is {@code prefix}.
     *
     * @param prefix a prefix from {@link #ofByte(byte)}
     * @return the key
     */
    public static byte toByte(long prefix) {
        return (byte) (prefix >> 56);
    }

    /**
     * The prefix of a {@code char} key: the (unsigned) key in the top 16 bits, sign bit flipped.
     *
     * @param key the key
     * @return the prefix
     */
    public static long ofChar(char key) {
        return ((long) key << 48) ^ Long.MIN_VALUE;
    }

    /**
     * The {@code char} key whose prefix is {@code prefix}.
     *
     * @param prefix a prefix from {@link #ofChar(char)}
     * @return the key
     */
    public static char toChar(long prefix) {
        return (char) ((prefix ^ Long.MIN_VALUE) >>> 48);
    }

    /**
     * The prefix of a {@code UUID}: its most significant half, which {@link UUID#compareTo}
     * compares first, as a signed number.
     *
     * @param key the key
     * @return {@code key.getMostSignificantBits()}
     */
    public static long ofUuid(UUID key) {
        return key.getMostSignificantBits();
    }

    /**
     * The prefix of an {@code Instant}: its epoch second, which {@link Instant#compareTo} compares
     * first.
     *
     * @param key the key
     * @return {@code key.getEpochSecond()}
     */
    public static long ofInstant(Instant key) {
        return key.getEpochSecond();
    }
}
