package io.arboretum.btree;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.arboretum.testkit.HookedJvm;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tests that need the test hooks ({@code -Darboretum.testHooks=true}), each in a forked JVM so
 * that the flag, read once per JVM, stays off in this one: errors thrown inside latched regions,
 * and a two-thread race per seeded fault that must expose it (and must stay clean without it).
 */
class OffHeapHookedJvmTest {

    @Test
    void errorsInsideLatchedRegionsReleaseEveryLatch() throws Exception {
        List<String> lines = HookedJvm.run(OffHeapErrorInjection.class.getName());
        assertTrue(lines.contains("split OK"), String.join("\n", lines));
        assertTrue(lines.contains("merge OK"), String.join("\n", lines));
        assertTrue(lines.contains("retire OK"), String.join("\n", lines));
    }

    @Test
    void everyRaceFaultIsExposedAndTheRacesAreCleanWithout() throws Exception {
        List<String> faults = HookedJvm.run(OffHeapFaultProbe.class.getName(), "faults", "4000");
        for (String line : faults) {
            if (line.startsWith("offheap.")) {
                assertTrue(line.contains(" DETECTED "), line);
            }
        }
        List<String> control = HookedJvm.run(OffHeapFaultProbe.class.getName(), "control", "500");
        for (String line : control) {
            if (line.startsWith("offheap.")) {
                assertTrue(line.endsWith(" CLEAN"), line);
            }
        }
    }
}
