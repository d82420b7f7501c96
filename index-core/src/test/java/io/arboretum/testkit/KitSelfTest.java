package io.arboretum.testkit;

import org.junit.jupiter.api.Test;

import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentNavigableMap;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kit can fail: its differential check reports a deliberately wrong index whose strict
 * successor search ({@code findNear(GT)}) answers like {@code findNear(GE)}.
 */
class KitSelfTest {

    /** A LockedTreeIndex with one off-by-one bug in a primitive. */
    static final class WrongHigherIndex<K, V> extends LockedTreeIndex<K, V> {
        private static final long serialVersionUID = 1L;

        WrongHigherIndex(Comparator<? super K> comparator) {
            super(comparator);
        }

        @Override
        protected Map.Entry<K, V> findNear(K key, int relation) {
            return super.findNear(key, relation == GT ? GE : relation);
        }
    }

    @Test
    void differentialCheckReportsAWrongIndex() {
        NavigableMapContractTests kit = new NavigableMapContractTests() {
            @Override
            protected ConcurrentNavigableMap<Integer, Integer> newMap(Comparator<? super Integer> comparatorOrNull,
                                                                      int nodeCapacity) {
                return new WrongHigherIndex<>(comparatorOrNull);
            }
        };
        AssertionError e = assertThrows(AssertionError.class, kit::randomOperationsMatchTreeMap);
        assertTrue(e.getMessage().contains("seed="), "the report must carry the seed: " + e.getMessage());
        System.out.println("kit self-test, expected report: " + e.getMessage());
    }
}
