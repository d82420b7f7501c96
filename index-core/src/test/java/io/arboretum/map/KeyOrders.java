package io.arboretum.map;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * The orders in which the change-feed hook tests write a list of keys: random, descending and
 * adversarial (alternating extremes), for any key type and comparator.
 */
public final class KeyOrders {
    /** {@link #ordered} {@code which}: the sorted keys, shuffled. */
    public static final int RANDOM = 0;
    /** {@link #ordered} {@code which}: the keys from the greatest down. */
    public static final int DESCENDING = 1;
    /** {@link #ordered} {@code which}: least, greatest, second least, second greatest, ... */
    public static final int ZIGZAG = 2;

    private KeyOrders() {
    }

    /**
     * The keys in a random, descending or zigzag (alternating extremes) order.
     *
     * @param keys the keys, in any order (not changed)
     * @param order the keys' order
     * @param which {@link #RANDOM}, {@link #DESCENDING} or anything else for {@link #ZIGZAG}
     * @param rnd shuffles the sorted keys for {@link #RANDOM}; unused otherwise
     * @return a new list of the keys in that order
     */
    public static <K> List<K> ordered(List<K> keys, Comparator<? super K> order, int which, Random rnd) {
        List<K> sorted = new ArrayList<>(keys);
        sorted.sort(order);
        switch (which) {
            case RANDOM -> {
                Collections.shuffle(sorted, rnd);
                return sorted;
            }
            case DESCENDING -> {
                Collections.reverse(sorted);
                return sorted;
            }
            default -> {
                List<K> zigzag = new ArrayList<>(sorted.size());
                for (int lo = 0, hi = sorted.size() - 1; lo <= hi; ) {
                    zigzag.add(sorted.get(lo++));
                    if (lo <= hi) {
                        zigzag.add(sorted.get(hi--));
                    }
                }
                return zigzag;
            }
        }
    }
}
