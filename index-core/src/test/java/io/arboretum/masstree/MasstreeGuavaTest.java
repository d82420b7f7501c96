package io.arboretum.masstree;

import io.arboretum.testkit.GuavaSuiteTests;
import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;

/** Guava-testlib's ConcurrentNavigableMapTestSuiteBuilder suites, natural order and a custom comparator: {@link MasstreeMap} at node widths 3, 4, 7 and 15, with its structure checked after every test. */
class MasstreeGuavaTest extends GuavaSuiteTests {

    @Override
    protected ConcurrentNavigableMap<Integer, Integer> newMap(Comparator<? super Integer> comparatorOrNull,
                                                              int nodeCapacity) {
        return MasstreeKitMaps.newMap(comparatorOrNull, nodeCapacity);
    }

    @Override
    protected void checkInvariants(ConcurrentNavigableMap<?, ?> map) {
        ((MasstreeMap<?, ?>) map).checkInvariants();
    }

    /**
     * In every build only the natural-order suite runs in the default build: both orders are encodings
     * (the reversed one an encoding with the bits inverted) through the same node code, so the
     * second suite adds little that the contract kit's reversed-order runs do not already cover.
     */
    @Override
    protected boolean thoroughOnly(boolean customComparator) {
        return customComparator;
    }
}
