package io.arboretum.testkit;

import org.junit.jupiter.api.AfterEach;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentNavigableMap;

/**
 * What every contract test class of the kit needs from an index: a factory and an invariant
 * check. Subclass one of {@link NavigableMapContractTests}, {@link GuavaSuiteTests} or
 * {@link WeakConsistencyStressTests} and implement {@link #newMap}.
 *
 * <p>Every map made through {@link #create} is checked with {@link #checkInvariants} after each
 * test (JUnit makes a new instance per test, so the list is per test).
 */
public abstract class IndexContractBase {

    /** Test sizes are multiplied by the system property {@code arboretum.test.scale} (default 1). */
    protected static final int SCALE = Math.max(1, Integer.getInteger("arboretum.test.scale", 1));

    /**
     * Node capacities every structural test runs with; 0 means the index's default. 256 makes
     * leaves hold more entries than one iterator batch, so iterators go on inside a leaf.
     */
    protected static final int[] CAPACITIES = {4, 5, 8, 64, 256, 0};

    private final List<ConcurrentNavigableMap<?, ?>> created = new ArrayList<>();

    /**
     * Makes an empty index under test.
     *
     * @param comparatorOrNull the key order, or {@code null} for natural ordering
     * @param nodeCapacity the node capacity to use, or {@code 0} for the index's default (an index
     *     without nodes ignores it)
     * @return a new empty map
     */
    protected abstract ConcurrentNavigableMap<Integer, Integer> newMap(Comparator<? super Integer> comparatorOrNull,
                                                                       int nodeCapacity);

    /**
     * Checks the structural invariants of a map made by {@link #newMap}; called after every test
     * and periodically inside randomized loops. The default checks nothing.
     *
     * @param map a map made by {@link #newMap}, quiescent (no operation in flight)
     * @throws AssertionError or {@link IllegalStateException} describing a violation
     */
    protected void checkInvariants(ConcurrentNavigableMap<?, ?> map) {
    }

    /**
     * Makes a map with {@link #newMap} and remembers it for the after-test invariant check.
     *
     * @param comparatorOrNull the key order, or {@code null}
     * @param nodeCapacity the node capacity, or {@code 0} for the default
     * @return the new map
     */
    protected final ConcurrentNavigableMap<Integer, Integer> create(Comparator<? super Integer> comparatorOrNull,
                                                                    int nodeCapacity) {
        ConcurrentNavigableMap<Integer, Integer> m = newMap(comparatorOrNull, nodeCapacity);
        created.add(m);
        return m;
    }

    /** Runs {@link #checkInvariants} on every map this test made. */
    @AfterEach
    public final void checkInvariantsOfEveryMap() {
        for (ConcurrentNavigableMap<?, ?> m : created) {
            checkInvariants(m);
        }
    }
}
