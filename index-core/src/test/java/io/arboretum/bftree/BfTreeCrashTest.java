package io.arboretum.bftree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash trials: a child JVM ({@link BfCrashChild}) writes in SYNC mode and prints each write's
 * intent and acknowledgement; this test kills it with {@code destroyForcibly()} (SIGKILL) at a
 * random moment (a quarter of the trials within 60 ms of the start of its open, so during
 * recovery; a quarter within 4 ms of the start of a checkpoint; the others after a random number
 * of acknowledgements, during writes and evictions), and, after most trials, reopens the directory and checks:
 * every key's state is its last acknowledged one or the state of a write in flight when it was
 * killed; no value appears that no write ever carried; the structure's invariants hold. The other
 * trials go straight on to the next child, whose open recovers from the crash (and may itself be
 * killed while recovering). 10 trials, times {@code arboretum.test.scale}.
 *
 * <p>A control runs the same trials in ASYNC mode and requires the verifier to find lost
 * acknowledged writes, so the check is known to be able to fail. Also the two-process lock test.
 */
class BfTreeCrashTest {
    static final int SCALE = Math.max(1, Integer.getInteger("arboretum.test.scale", 1));
    private static final HexFormat HEX = HexFormat.of();

    @TempDir
    Path tmp;

    private static Process start(Path dir, String mode, long seed) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.add("-Xmx128m");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Xshare:auto");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(BfCrashChild.class.getName());
        cmd.add(dir.toString());
        cmd.add(mode);
        cmd.add(Long.toString(seed));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /** Reads the child's lines on a thread of its own; a line "EOF" marks the end. */
    private static LinkedBlockingQueue<String> lines(Process p) {
        LinkedBlockingQueue<String> q = new LinkedBlockingQueue<>();
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
                for (String line; (line = r.readLine()) != null; ) {
                    q.add(line);
                }
            } catch (IOException e) {
                q.add("READ ERROR " + e);
            }
            q.add("EOF");
        });
        t.setDaemon(true);
        t.start();
        return q;
    }

    @Test
    void everyAcknowledgedWriteSurvivesKillsAtRandomMoments() throws Exception {
        Path dir = tmp.resolve("t");
        BfTree.create(dir, BfCrashChild.config()).close();
        List<String> violations = runTrials(dir, "write", 10 * SCALE, new Random(20));
        assertTrue(violations.isEmpty(), String.join("\n", violations));
    }

    /**
     * The control: the same trials with the child in {@code ASYNC(5 s)} mode, where a crash may
     * lose acknowledged writes by design. The verifier must notice, or it could not catch a SYNC
     * write that was acknowledged before it was durable either.
     */
    @Test
    void theVerifierCatchesLostAcknowledgedWrites() throws Exception {
        Path dir = tmp.resolve("t");
        BfTree.create(dir, BfCrashChild.config()).close();
        List<String> violations = runTrials(dir, "write-async", 3, new Random(21));
        assertTrue(!violations.isEmpty(), "ASYNC(5 s) crashes lost no acknowledged write in 3 trials");
    }

    /** Runs crash trials; returns what the verifications found wrong (verifying after most trials). */
    private static List<String> runTrials(Path dir, String mode, int trials, Random rnd) throws Exception {
        Map<String, Set<String>> allowed = new HashMap<>();
        Set<String> everWritten = new HashSet<>();
        List<String> violations = new ArrayList<>();
        int killedInRecovery = 0;
        int killedInCheckpoint = 0;
        int verified = 0;
        long acks = 0;
        for (int trial = 0; trial < trials; trial++) {
            int when = mode.equals("write") ? rnd.nextInt(4) : 2; // 0: during open/recovery, 1: at a checkpoint, else: after some acks
            boolean early = when == 0;
            int target = 1 + rnd.nextInt(150);
            Process p = start(dir, mode, trial);
            LinkedBlockingQueue<String> q = lines(p);
            List<String> got = new ArrayList<>();
            int seen = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            boolean eof = false;
            while (!eof) {
                String line = q.poll(50, TimeUnit.MILLISECONDS);
                if (System.nanoTime() > deadline) {
                    p.toHandle().destroyForcibly();
                    fail("child made no progress in 60 s: " + got);
                }
                if (line == null) {
                    continue;
                }
                if (line.equals("EOF")) {
                    eof = true;
                    break;
                }
                got.add(line);
                if (early && line.equals("RECOVERING")) {
                    Thread.sleep(rnd.nextInt(60));
                    break;
                }
                if (when == 1 && line.equals("C")) {
                    Thread.sleep(rnd.nextInt(4));
                    break;
                }
                if (line.startsWith("A ") && ++seen >= target && when != 1) {
                    break;
                }
            }
            if (eof) {
                fail("child exited by itself (exit " + p.waitFor() + "): " + String.join("\n", got));
            }
            // SIGKILL through the process handle: Process.destroyForcibly() would also close our end
            // of its output pipe, losing acknowledgements it printed just before dying.
            p.toHandle().destroyForcibly();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "killed child did not exit");
            for (String line; !"EOF".equals(line = q.poll(30, TimeUnit.SECONDS)); ) {
                assertTrue(line != null, "child output did not end");
                got.add(line);
            }
            boolean recovered = false;
            boolean inCheckpoint = false;
            for (String line : got) {
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "RECOVERED":
                        recovered = true;
                        break;
                    case "C":
                        inCheckpoint = true;
                        break;
                    case "c":
                        inCheckpoint = false;
                        break;
                    case "I":
                        allowed.computeIfAbsent(f[1], k -> new HashSet<>(Set.of("-"))).add(f[2]);
                        everWritten.add(f[2]);
                        break;
                    case "A":
                        allowed.put(f[1], new HashSet<>(Set.of(f[2])));
                        acks++;
                        break;
                    case "RECOVERING":
                        break;
                    default:
                        fail("unexpected child output: " + line + "\n" + String.join("\n", got));
                }
            }
            killedInRecovery += recovered ? 0 : 1;
            killedInCheckpoint += inCheckpoint ? 1 : 0;
            if (trial == trials - 1 || rnd.nextInt(3) != 0) {
                violations.addAll(verify(dir, allowed, everWritten));
                verified++;
            }
        }
        System.out.printf("crash trials (%s): %d, verified after %d, killed during open/recovery %d, during a checkpoint %d, "
                + "acknowledged writes %d, violations %d%n", mode, trials, verified, killedInRecovery, killedInCheckpoint,
                acks, violations.size());
        assertTrue(acks > 0);
        return violations;
    }

    /**
     * Reopens (recovering) and compares: returns every key whose state is neither its last
     * acknowledged one nor one in flight, every value never written, every key never written;
     * then takes the state found as the new acknowledged state.
     */
    private static List<String> verify(Path dir, Map<String, Set<String>> allowed, Set<String> everWritten)
            throws IOException {
        List<String> wrong = new ArrayList<>();
        try (BfTree t = BfTree.open(dir, BfCrashChild.config())) {
            t.checkInvariants();
            Map<String, String> actual = new HashMap<>();
            try (BfCursor c = t.cursor(null, null)) {
                while (c.next()) {
                    String k = HEX.formatHex(c.key());
                    String v = HEX.formatHex(c.value());
                    if (!everWritten.contains(v)) {
                        wrong.add("value never written appears for key " + k + ": " + v);
                    }
                    actual.put(k, v);
                }
            }
            for (String k : actual.keySet()) {
                if (!allowed.containsKey(k)) {
                    wrong.add("key never written appears: " + k);
                }
            }
            for (Map.Entry<String, Set<String>> e : allowed.entrySet()) {
                String state = actual.getOrDefault(e.getKey(), "-");
                if (!e.getValue().contains(state)) {
                    wrong.add("key " + e.getKey() + " is " + state
                            + ", but its last acknowledged state (or one in flight) is one of " + e.getValue());
                }
                e.setValue(new HashSet<>(Set.of(state)));
            }
        }
        return wrong;
    }

    @Test
    void aDirectoryOpenInAnotherProcessIsRefusedUntilThatProcessDies() throws Exception {
        Path dir = tmp.resolve("t");
        try (BfTree t = BfTree.create(dir, BfCrashChild.config())) {
            t.put(new byte[] {1}, new byte[] {2});
        }
        Process p = start(dir, "hold", 0);
        LinkedBlockingQueue<String> q = lines(p);
        try {
            for (String line; !"RECOVERED".equals(line = q.poll(60, TimeUnit.SECONDS)); ) {
                assertTrue(line != null && !line.equals("EOF"), "child did not open the tree");
            }
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> BfTree.open(dir, BfCrashChild.config()));
            assertTrue(e.getMessage().contains("already open"), e.getMessage());
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        try (BfTree t = BfTree.open(dir, BfCrashChild.config())) {
            assertEquals(2, t.get(new byte[] {1})[0]);
        }
    }
}
