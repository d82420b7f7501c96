package io.arboretum.masstree;

import io.arboretum.keys.KeyEncoder;
import io.arboretum.testkit.ComparatorKeyEncoder;
import io.arboretum.testkit.ReversedIntComparator;
import java.io.Serializable;
import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;

/**
 * Makes the kit's {@code Integer} maps as Masstrees. The kit asks for natural ordering, for its
 * {@link ReversedIntComparator}, or for a comparator of its own (one that throws on a poisoned
 * key); a Masstree orders keys by their encoding, so each becomes an encoding: natural ordering is
 * the map's built-in Integer encoding chosen at the first insert, the reversed order an encoding
 * with the sign flipped and the bits inverted, and any other comparator an encoding that consults
 * the comparator first (so its exceptions reach the caller, as an encoder's would) and orders as
 * the comparator does on 0 and 1.
 *
 * <p>The kit's node capacities 4, 5, 8, 64, 256 and the default map to node widths 3, 4, 7, 15, 15
 * and the default (15).
 */
final class MasstreeKitMaps {
    private MasstreeKitMaps() {
    }

    static int width(int kitCapacity) {
        switch (kitCapacity) {
            case 4:
                return 3;
            case 5:
                return 4;
            case 8:
                return 7;
            default:
                return MasstreeMap.DEFAULT_NODE_WIDTH;
        }
    }

    static ConcurrentNavigableMap<Integer, Integer> newMap(Comparator<? super Integer> cmp, int capacity) {
        MasstreeMap.Builder<Integer, Integer> b = MasstreeMap.<Integer, Integer>builder().nodeWidth(width(capacity));
        if (cmp != null) {
            b.keyEncoder(new ComparatorKeyEncoder(cmp));
        }
        return b.build();
    }

    /** As {@link #newMap}, but every key becomes a long byte string: see {@link DeepEncoding}. */
    static ConcurrentNavigableMap<Integer, Integer> newDeepMap(Comparator<? super Integer> cmp, int capacity) {
        return MasstreeMap.<Integer, Integer>builder().nodeWidth(width(capacity)).keyEncoder(new DeepEncoding(cmp))
                .build();
    }

    /**
     * Integers as long byte strings that make the trie deep: a 24-byte prefix shared by every key,
     * then the ten decimal digits of {@code x + 2^31}, each followed by seven filler bytes so that
     * each digit starts an 8-byte slice, with trailing groups of digit '0' dropped. The kit's keys
     * (small integers) share their first six or seven digits, so every key lies nine or more layers
     * down, under chains of one-entry layers that form and collapse as keys come and go; and a key
     * ending in 0 is a prefix of others ("...6" + filler is a prefix of "...6" + filler + "1"...).
     * Dropping trailing minimum digits keeps the order (the shorter string is a prefix of the
     * longer, so it sorts first, as the smaller number should). For a reversed comparator each
     * digit d becomes 9 - d, which reverses the order.
     */
    static final class DeepEncoding implements KeyEncoder<Integer>, Serializable {
        private static final long serialVersionUID = 1L;
        private static final byte[] PREFIX = "shared08shared16shared24".getBytes();
        private static final int GROUP = 8;
        private final Comparator<? super Integer> cmp;

        DeepEncoding(Comparator<? super Integer> cmp) {
            this.cmp = cmp;
        }

        private boolean reversed() {
            return cmp != null && cmp.compare(0, 1) > 0;
        }

        @Override
        public Class<Integer> keyType() {
            return Integer.class;
        }

        @Override
        public byte[] encode(Integer k) {
            if (cmp != null) {
                cmp.compare(k, k); // a comparator that refuses the key refuses it here
            }
            long u = (long) k + (1L << 31);
            char[] digits = String.format("%010d", u).toCharArray();
            boolean rev = reversed();
            int groups = digits.length;
            while (groups > 0 && (rev ? '9' - digits[groups - 1] : digits[groups - 1] - '0') == 0) {
                groups--;
            }
            byte[] b = java.util.Arrays.copyOf(PREFIX, PREFIX.length + GROUP * groups);
            for (int g = 0; g < groups; g++) {
                int d = digits[g] - '0';
                b[PREFIX.length + GROUP * g] = (byte) ('0' + (rev ? 9 - d : d));
                for (int f = 1; f < GROUP; f++) {
                    b[PREFIX.length + GROUP * g + f] = '_';
                }
            }
            return b;
        }

        @Override
        public Integer decode(byte[] b, int off, int len) {
            boolean rev = reversed();
            long u = 0;
            for (int g = 0; g < 10; g++) {
                int at = off + PREFIX.length + GROUP * g;
                int d = at < off + len ? b[at] - '0' : 0;
                u = u * 10 + (rev ? 9 - d : d);
            }
            return (int) (u - (1L << 31));
        }

        @Override
        public Comparator<? super Integer> comparator() {
            return cmp;
        }
    }
}
