package io.arboretum.bftree;

import io.arboretum.testkit.GuavaSuiteTests;
import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;
import org.junit.jupiter.api.AfterEach;

/**
 * Guava-testlib's ConcurrentNavigableMapTestSuiteBuilder suites, natural order and a custom
 * comparator, for {@link BfMap} over on-disk trees of eight-record leaves; each suite's cases
 * share one tree, emptied before each case (see {@link BfKitMaps#newReusedMap}).
 */
class BfMapGuavaTest extends GuavaSuiteTests {

    @Override
    protected ConcurrentNavigableMap<Integer, Integer> newMap(Comparator<? super Integer> comparatorOrNull,
                                                              int nodeCapacity) {
        return BfKitMaps.newReusedMap(comparatorOrNull, nodeCapacity);
    }

    @Override
    protected void checkInvariants(ConcurrentNavigableMap<?, ?> map) {
        ((BfMap<?, ?>) map).checkInvariants();
    }

    /**
     * Both suites run only with {@code -Pthorough} (scale above 1): each is 33,124 cases over
     * disk-backed maps, about 1 ms a case here, most of it guava-testlib's own work, which would
     * take the default build over the 30 s this increment may add. Both passed in full when this
     * was written. The contract kit (BfMapContractTest) covers natural and reversed order at every
     * size in the default build.
     */
    @Override
    protected boolean thoroughOnly(boolean customComparator) {
        return true;
    }

    @AfterEach
    void closeTrees() {
        BfKitMaps.closeAll();
    }
}
