package io.arboretum.btree;

import io.arboretum.testkit.WeakConsistencyStressTests;
import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;

/** Weak consistency of iterators and views under concurrent writers, and no lost update through the compute family: {@link ConcurrentBTreeMap}, with its structure checked after every test. */
class BTreeStressTest extends WeakConsistencyStressTests {

    @Override
    protected ConcurrentNavigableMap<Integer, Integer> newMap(Comparator<? super Integer> comparatorOrNull,
                                                              int nodeCapacity) {
        ConcurrentBTreeMap.Builder<Integer, Integer> b = ConcurrentBTreeMap.<Integer, Integer>builder()
                .comparator(comparatorOrNull);
        return (nodeCapacity > 0 ? b.nodeCapacity(nodeCapacity) : b).build();
    }

    @Override
    protected void checkInvariants(ConcurrentNavigableMap<?, ?> map) {
        ((ConcurrentBTreeMap<?, ?>) map).checkInvariants();
    }
}
