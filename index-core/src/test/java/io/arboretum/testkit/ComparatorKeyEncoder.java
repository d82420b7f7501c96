package io.arboretum.testkit;

import io.arboretum.keys.KeyEncoder;
import java.io.Serializable;
import java.util.Comparator;

/**
 * The kit's {@code Integer} keys as four bytes ordered as a comparator orders them, for the
 * indexes that order keys by an encoding instead of a comparator (the Masstree, the Bf-tree's
 * typed view). It consults the comparator first, so a comparator that refuses a key (the kit's
 * poisoned-key comparator) refuses it here, as an encoder would; and it orders as the comparator
 * does on 0 and 1: natural order, or reversed (sign flipped, bits inverted).
 */
public final class ComparatorKeyEncoder implements KeyEncoder<Integer>, Serializable {
    private static final long serialVersionUID = 1L;
    private final Comparator<? super Integer> cmp;

    /**
     * An encoding in the order of {@code cmp}.
     *
     * @param cmp the comparator the encoding follows (natural or reversed on the integers)
     */
    public ComparatorKeyEncoder(Comparator<? super Integer> cmp) {
        this.cmp = cmp;
    }

    @Override
    public Class<Integer> keyType() {
        return Integer.class;
    }

    @Override
    public byte[] encode(Integer k) {
        cmp.compare(k, k); // a comparator that refuses the key refuses it here
        int x = k ^ Integer.MIN_VALUE;
        if (cmp.compare(0, 1) > 0) {
            x = ~x;
        }
        return new byte[] {(byte) (x >>> 24), (byte) (x >>> 16), (byte) (x >>> 8), (byte) x};
    }

    @Override
    public Integer decode(byte[] b, int off, int len) {
        int x = ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8)
                | (b[off + 3] & 0xFF);
        if (cmp.compare(0, 1) > 0) {
            x = ~x;
        }
        return x ^ Integer.MIN_VALUE;
    }

    @Override
    public Comparator<? super Integer> comparator() {
        return cmp;
    }
}
