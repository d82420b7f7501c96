package io.arboretum.masstree;

import io.arboretum.testkit.ReversedIntComparator;
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
            b.encoding(new ComparatorEncoding(cmp));
        }
        return b.build();
    }

    /** Integers as four bytes ordered as {@code cmp} orders them (natural or reversed). */
    static final class ComparatorEncoding extends KeyEncoding<Integer> {
        private static final long serialVersionUID = 1L;
        private final Comparator<? super Integer> cmp;

        ComparatorEncoding(Comparator<? super Integer> cmp) {
            this.cmp = cmp;
        }

        @Override
        byte[] encode(Object key) {
            Integer k = (Integer) key;
            cmp.compare(k, k); // a comparator that refuses the key refuses it here
            int x = k ^ Integer.MIN_VALUE;
            if (cmp.compare(0, 1) > 0) {
                x = ~x;
            }
            return new byte[] {(byte) (x >>> 24), (byte) (x >>> 16), (byte) (x >>> 8), (byte) x};
        }

        @Override
        Integer decode(byte[] b, int off, int len) {
            int x = ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8)
                    | (b[off + 3] & 0xFF);
            if (cmp.compare(0, 1) > 0) {
                x = ~x;
            }
            return x ^ Integer.MIN_VALUE;
        }

        @Override
        Comparator<? super Integer> comparator() {
            return cmp;
        }
    }
}
