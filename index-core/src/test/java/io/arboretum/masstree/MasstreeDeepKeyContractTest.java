package io.arboretum.masstree;

import io.arboretum.testkit.NavigableMapContractTests;
import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;

/**
 * The whole differential contract kit again, with every key encoded as a long byte string
 * ({@link MasstreeKitMaps.DeepEncoding}: a shared 24-byte prefix, one digit per 8-byte slice,
 * trailing zero digits dropped), so that every operation of the kit runs across chains of layers
 * that form and collapse, on keys that are prefixes of others: {@link MasstreeMap} at node widths
 * 3, 4, 7 and 15, with its structure checked after every test.
 */
class MasstreeDeepKeyContractTest extends NavigableMapContractTests {

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
