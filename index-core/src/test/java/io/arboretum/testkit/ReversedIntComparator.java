package io.arboretum.testkit;

import java.io.Serializable;
import java.util.Comparator;

/**
 * A custom, serializable comparator for the kit: integers in descending order. It is a class of
 * its own (not {@code Collections.reverseOrder()}) so that an index cannot recognize it.
 */
public final class ReversedIntComparator implements Comparator<Integer>, Serializable {

    private static final long serialVersionUID = 1L;

    /** A shared instance; all instances are equal. */
    public static final ReversedIntComparator INSTANCE = new ReversedIntComparator();

    @Override
    public int compare(Integer a, Integer b) {
        return Integer.compare(b, a);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReversedIntComparator;
    }

    @Override
    public int hashCode() {
        return 0x5eed;
    }

    @Override
    public String toString() {
        return "ReversedIntComparator";
    }
}
