package io.arboretum.masstree;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Key generators for the Masstree tests: keys built to share 0, 8, 16 and 24-byte prefixes (so
 * that layers form and collapse), keys that are prefixes of others, embedded zero bytes and the
 * empty key.
 */
final class MasstreeKeys {
    private MasstreeKeys() {
    }

    /** Shared prefixes of 0, 8, 16 and 24 bytes (and 7 and 9, around a slice boundary). */
    private static final byte[][] PREFIXES = {
        new byte[0],
        "tenant:7".getBytes(),
        "tenant:7/entity:".getBytes(),
        "tenant:7/entity:00000042".getBytes(),
        "tenant:".getBytes(),
        "tenant:7/".getBytes(),
    };

    /** {@code n} distinct byte-string keys of the shapes above, in random order. */
    static List<byte[]> byteKeys(int n, Random rnd) {
        java.util.TreeSet<byte[]> set = new java.util.TreeSet<>(Arrays::compareUnsigned);
        set.add(new byte[0]);
        while (set.size() < n) {
            set.add(byteKey(rnd));
        }
        List<byte[]> keys = new ArrayList<>(set);
        java.util.Collections.shuffle(keys, rnd);
        return keys;
    }

    /** One key: a shared prefix, then a short tail (possibly empty, possibly with zero bytes). */
    static byte[] byteKey(Random rnd) {
        byte[] p = PREFIXES[rnd.nextInt(PREFIXES.length)];
        int tail = rnd.nextInt(4) == 0 ? rnd.nextInt(3) : rnd.nextInt(12);
        byte[] k = Arrays.copyOf(p, p.length + tail);
        for (int i = p.length; i < k.length; i++) {
            int r = rnd.nextInt(8);
            k[i] = r == 0 ? 0 : r == 1 ? (byte) 0xFF : (byte) ('a' + rnd.nextInt(4));
        }
        return k;
    }

    /** {@code n} distinct strings of the same shapes, with U+0000, surrogates and U+E000+ units. */
    static List<String> stringKeys(int n, Random rnd) {
        java.util.TreeSet<String> set = new java.util.TreeSet<>();
        set.add("");
        while (set.size() < n) {
            set.add(stringKey(rnd));
        }
        List<String> keys = new ArrayList<>(set);
        java.util.Collections.shuffle(keys, rnd);
        return keys;
    }

    private static final String[] STRING_PREFIXES = {
        "", "tenant:7", "tenant:7/entity:", "tenant:7/entity:00000042", "tenant:", "tenant:7/", "\u00e9t\u00e9:",
    };

    static String stringKey(Random rnd) {
        StringBuilder b = new StringBuilder(STRING_PREFIXES[rnd.nextInt(STRING_PREFIXES.length)]);
        int tail = rnd.nextInt(4) == 0 ? rnd.nextInt(3) : rnd.nextInt(10);
        for (int i = 0; i < tail; i++) {
            int r = rnd.nextInt(10);
            if (r == 0) {
                b.append('\u0000');
            } else if (r == 1) {
                b.append("\ud83d\ude00"); // a surrogate pair
            } else if (r == 2) {
                b.append((char) (0xE000 + rnd.nextInt(0x2000)));
            } else if (r == 3) {
                b.append('\u007f');
            } else {
                b.append((char) ('a' + rnd.nextInt(4)));
            }
        }
        return b.toString();
    }
}
