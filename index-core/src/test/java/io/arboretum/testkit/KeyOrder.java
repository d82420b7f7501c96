package io.arboretum.testkit;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Random;

/**
 * Orders in which the kit inserts keys: random, monotone and adversarial ones. Keys are
 * {@code 3 * i} for {@code 0 <= i < n}, so that random operations can also hit the gaps.
 */
public enum KeyOrder {
    /** A seeded random permutation. */
    RANDOM,
    /** Ascending. */
    ASCENDING,
    /** Descending. */
    DESCENDING,
    /** Alternating ends, converging: 0, n-1, 1, n-2, ... */
    ZIGZAG,
    /** Recursive bisection: the ends, then the middle, then the middles of each half, ... */
    BISECT,
    /** Every tenth key first, then the keys halfway between, then the rest (10, 20, 15, ...). */
    TENS_THEN_MIDDLES;

    /**
     * The keys in this order.
     *
     * @param n how many keys
     * @param rnd the source of randomness for {@link #RANDOM}
     * @return the keys {@code 3 * i}, {@code 0 <= i < n}, in this order
     */
    public List<Integer> keys(int n, Random rnd) {
        List<Integer> idx = new ArrayList<>(n);
        switch (this) {
            case RANDOM:
                for (int i = 0; i < n; i++) {
                    idx.add(i);
                }
                Collections.shuffle(idx, rnd);
                break;
            case ASCENDING:
                for (int i = 0; i < n; i++) {
                    idx.add(i);
                }
                break;
            case DESCENDING:
                for (int i = n - 1; i >= 0; i--) {
                    idx.add(i);
                }
                break;
            case ZIGZAG:
                for (int lo = 0, hi = n - 1; lo <= hi; lo++, hi--) {
                    idx.add(lo);
                    if (hi != lo) {
                        idx.add(hi);
                    }
                }
                break;
            case BISECT: {
                boolean[] used = new boolean[n];
                Deque<int[]> q = new ArrayDeque<>();
                if (n > 0) {
                    idx.add(0);
                    used[0] = true;
                    if (n > 1) {
                        idx.add(n - 1);
                        used[n - 1] = true;
                    }
                    q.add(new int[] {0, n - 1});
                }
                while (!q.isEmpty()) {
                    int[] r = q.poll();
                    if (r[1] - r[0] < 2) {
                        continue;
                    }
                    int mid = (r[0] + r[1]) >>> 1;
                    if (!used[mid]) {
                        used[mid] = true;
                        idx.add(mid);
                    }
                    q.add(new int[] {r[0], mid});
                    q.add(new int[] {mid, r[1]});
                }
                break;
            }
            default: {
                boolean[] used = new boolean[n];
                for (int step : new int[] {10, 5, 1}) {
                    for (int i = step; i < n + step; i += step) {
                        int j = Math.min(i, n) - 1;
                        if (j >= 0 && !used[j]) {
                            used[j] = true;
                            idx.add(j);
                        }
                    }
                }
                for (int i = 0; i < n; i++) {
                    if (!used[i]) {
                        idx.add(i);
                    }
                }
                break;
            }
        }
        List<Integer> keys = new ArrayList<>(n);
        for (int i : idx) {
            keys.add(3 * i);
        }
        return keys;
    }
}
