package io.arboretum.btree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Tests that need the test hooks ({@code -Darboretum.testHooks=true}), each in a forked JVM so
 * that the flag, read once per JVM, stays off in this one: errors thrown inside latched regions,
 * and a two-thread race per seeded fault that must expose it (and must stay clean without it).
 */
class OffHeapHookedJvmTest {

    static List<String> runHooked(String mainClass, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.add("-Darboretum.testHooks=true");
        cmd.add("-Xmx512m");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out;
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("forked JVM did not finish in 120 s");
            }
        } finally {
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
        System.out.print(out);
        assertEquals(0, p.exitValue(), out);
        return List.of(out.split("\\R"));
    }

    @Test
    void errorsInsideLatchedRegionsReleaseEveryLatch() throws Exception {
        List<String> lines = runHooked(OffHeapErrorInjection.class.getName());
        assertTrue(lines.contains("split OK"), String.join("\n", lines));
        assertTrue(lines.contains("merge OK"), String.join("\n", lines));
        assertTrue(lines.contains("retire OK"), String.join("\n", lines));
    }

    @Test
    void everyRaceFaultIsExposedAndTheRacesAreCleanWithout() throws Exception {
        List<String> faults = runHooked(OffHeapFaultProbe.class.getName(), "faults", "4000");
        for (String line : faults) {
            if (line.startsWith("offheap.")) {
                assertTrue(line.contains(" DETECTED "), line);
            }
        }
        List<String> control = runHooked(OffHeapFaultProbe.class.getName(), "control", "500");
        for (String line : control) {
            if (line.startsWith("offheap.")) {
                assertTrue(line.endsWith(" CLEAN"), line);
            }
        }
    }
}
