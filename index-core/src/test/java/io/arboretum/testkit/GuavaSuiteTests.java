package io.arboretum.testkit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;


import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guava-testlib's {@code ConcurrentNavigableMapTestSuiteBuilder} suites against the index under
 * test, with natural ordering and with a custom comparator, each in one JUnit 5 test. Maps are
 * made with node capacity 4 so that even the suites' five-entry maps split nodes.
 */
public abstract class GuavaSuiteTests extends IndexContractBase {

    /** The node capacity the suites use. */
    protected static final int SUITE_NODE_CAPACITY = 4;

    /**
     * Whether one of this class's two suites runs only under {@code -Pthorough} (scale above 1); a
     * subclass that says so gives the reason in its own comment. Each suite is 20 to 30 s a build
     * here, so the default build runs one of them for most indexes: the two differ only in the
     * comparator the map is built with, and the contract kit covers both orders at every size.
     *
     * @param customComparator true for the custom-comparator suite, false for natural order
     * @return false here: both suites run in every build
     */
    protected boolean thoroughOnly(boolean customComparator) {
        return false;
    }

    /** Naturally ordered maps pass the whole suite. */
    @Test
    public void guavaSuiteNaturalOrder() {
        Assumptions.assumeTrue(SCALE > 1 || !thoroughOnly(false), "natural-order guava suite: -Pthorough only");
        check(GuavaSuites.run("natural order", null, () -> newMap(null, SUITE_NODE_CAPACITY)));
    }

    /** Maps with a custom (descending) comparator pass the whole suite. */
    @Test
    public void guavaSuiteCustomComparator() {
        Assumptions.assumeTrue(SCALE > 1 || !thoroughOnly(true), "custom-comparator guava suite: -Pthorough only");
        check(GuavaSuites.run("custom comparator", ReversedIntComparator.INSTANCE,
                () -> newMap(ReversedIntComparator.INSTANCE, SUITE_NODE_CAPACITY)));
    }

    private static void check(GuavaSuites.Outcome o) {
        assertTrue(o.runCount > 10_000, "suspiciously few guava cases ran: " + o.runCount);
        assertTrue(o.failureCount == 0, o.failureCount + " of " + o.runCount + " guava cases failed:" + o.failures);
        System.out.println("guava-testlib: " + o.runCount + " cases passed");
    }
}
