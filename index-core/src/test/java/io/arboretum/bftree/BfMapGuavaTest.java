package io.arboretum.bftree;

import io.arboretum.testkit.GuavaSuiteTests;
import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;
import org.junit.jupiter.api.AfterEach;

/** Guava-testlib's ConcurrentNavigableMapTestSuiteBuilder suites, natural order and a custom comparator, for {@link BfMap} over on-disk trees of eight-record leaves. */
class BfMapGuavaTest extends GuavaSuiteTests {

    @Override
    protected ConcurrentNavigableMap<Integer, Integer> newMap(Comparator<? super Integer> comparatorOrNull,
                                                              int nodeCapacity) {
        return BfKitMaps.newMap(comparatorOrNull, nodeCapacity);
    }

    @Override
    protected void checkInvariants(ConcurrentNavigableMap<?, ?> map) {
        ((BfMap<?, ?>) map).checkInvariants();
    }

    @AfterEach
    void closeTrees() {
        BfKitMaps.closeAll();
    }
}
