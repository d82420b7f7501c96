package io.arboretum.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.arboretum.sync.TestHooks;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * Runs code that needs the test hooks ({@code -Darboretum.testHooks=true}) in a forked JVM, so
 * that the flag, read once per JVM, stays off in the test's own; and the fault-probe loop such a
 * JVM runs: each seeded fault on in turn, its scenario, one line of verdict.
 */
public final class HookedJvm {
    private HookedJvm() {
    }

    /**
     * Runs {@code mainClass} with {@code args} in a JVM with the test hooks on and this JVM's
     * class path; echoes its output, asserts that it exits with 0 within 120 s, and returns its lines.
     */
    public static List<String> run(String mainClass, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.add("-D" + TestHooks.PROPERTY + "=true");
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

    /**
     * In a hooked JVM: for each fault, activates it (with {@code control}, none), runs its
     * scenario, which returns the violation it saw or null, and prints {@code fault DETECTED
     * <violation>}, {@code fault MISSED} or (control) {@code fault CLEAN}.
     */
    public static void probe(Map<String, Callable<String>> scenarios, boolean control) throws Exception {
        if (!TestHooks.ENABLED) {
            throw new IllegalStateException("run with -D" + TestHooks.PROPERTY + "=true");
        }
        for (Map.Entry<String, Callable<String>> e : scenarios.entrySet()) {
            if (control) {
                TestHooks.clearFault();
            } else {
                TestHooks.activateFault(e.getKey());
            }
            String v;
            try {
                v = e.getValue().call();
            } finally {
                TestHooks.clearFault();
            }
            System.out.println(e.getKey() + (v == null ? (control ? " CLEAN" : " MISSED") : " DETECTED " + v));
        }
        System.out.flush();
    }
}
