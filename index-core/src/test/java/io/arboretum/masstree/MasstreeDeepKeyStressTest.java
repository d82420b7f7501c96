package io.arboretum.masstree;

import io.arboretum.testkit.WeakConsistencyStressTests;
import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;

/**
 * The weak-consistency stress kit (iterators under churn, compute family under contention) again,
 * with every key encoded as a long byte string ({@link MasstreeKitMaps.DeepEncoding}), so that
 * writers create and collapse chains of layers under concurrent readers and compute loops:
 * {@link MasstreeMap}, with its structure checked after every test.
 */
class MasstreeDeepKeyStressTest extends WeakConsistencyStressTests {

    @Override
    protected ConcurrentNavigableMap<Integer, Integer> newMap(Comparator<? super Integer> comparatorOrNull,
                                                              int nodeCapacity) {
        return MasstreeKitMaps.newDeepMap(comparatorOrNull, nodeCapacity);
    }

    @Override
    protected void checkInvariants(ConcurrentNavigableMap<?, ?> map) {
        ((MasstreeMap<?, ?>) map).checkInvariants();
    }
}
