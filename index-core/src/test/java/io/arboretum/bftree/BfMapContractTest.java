package io.arboretum.bftree;

import io.arboretum.testkit.NavigableMapContractTests;
import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;
import org.junit.jupiter.api.AfterEach;

/**
 * The whole differential contract kit against TreeMap (every method, nested views, bad input,
 * throwing comparators and functions) for {@link BfMap} over on-disk trees whose leaves hold 8 to
 * 35 records (see {@link BfKitMaps}), with the tree's invariants checked after every test.
 */
class BfMapContractTest extends NavigableMapContractTests {

    @Override
    protected ConcurrentNavigableMap<Integer, Integer> newMap(Comparator<? super Integer> comparatorOrNull,
                                                              int nodeCapacity) {
        return BfKitMaps.newMap(comparatorOrNull, nodeCapacity);
    }

    @Override
    protected void checkInvariants(ConcurrentNavigableMap<?, ?> map) {
        ((BfMap<?, ?>) map).checkInvariants();
    }

    /** Runs before the kit's after-test invariant check, which reads only memory and so works on a closed tree. */
    @AfterEach
    void closeTrees() {
        BfKitMaps.closeAll();
    }
}
