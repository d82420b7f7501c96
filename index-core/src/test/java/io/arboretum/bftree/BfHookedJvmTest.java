package io.arboretum.bftree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.arboretum.testkit.HookedJvm;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Bf-tree's seeded faults that only recovery and the pool can show (listed as not observable
 * by Lincheck in {@code BfTreeSeededFaultTest}), each exposed by a deterministic scenario of
 * {@link BfFaultProbe} in a forked JVM with the test hooks on, so that the flag, read once per
 * JVM, stays off in this one. Every scenario must be clean with no fault active.
 */
class BfHookedJvmTest {

    private static List<String> faultLines(List<String> lines) {
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith("bftree.")) {
                out.add(line);
            }
        }
        return out;
    }

    @Test
    void recoveryAndPoolFaultsAreExposedAndTheScenariosAreCleanWithout() throws Exception {
        List<String> expected = List.of(BfTree.FAULT_REPLAY_BY_DISK_ADDRESS, BfTree.FAULT_POOL_REUSE_WITHOUT_EPOCH);
        List<String> faults = faultLines(HookedJvm.run(BfFaultProbe.class.getName(), "faults"));
        assertEquals(expected.size(), faults.size(), String.join("\n", faults));
        for (int i = 0; i < expected.size(); i++) {
            assertTrue(faults.get(i).startsWith(expected.get(i) + " DETECTED "), faults.get(i));
        }
        List<String> control = faultLines(HookedJvm.run(BfFaultProbe.class.getName(), "control"));
        assertEquals(expected.size(), control.size(), String.join("\n", control));
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i) + " CLEAN", control.get(i));
        }
    }
}
