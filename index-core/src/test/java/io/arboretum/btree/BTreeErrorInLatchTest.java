package io.arboretum.btree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.arboretum.sync.TestHooks;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An {@link Error} thrown inside a latched region (an {@link OutOfMemoryError}, injected by a
 * test hook at each site: leaf split, inner split, merge or redistribution, and the choice of a
 * natural-order map's codec) leaves no node latched: later {@code get}, {@code put},
 * {@code remove} and {@code firstKey} on the same keys complete, the map holds what it held, and
 * {@link ConcurrentBTreeMap#checkInvariants()} passes.
 *
 * <p>The hook works only with {@code -Darboretum.testHooks=true}, which the index-core test JVM
 * does not set (its hooks stay folded away), so this test runs {@link Child} in a JVM of its own
 * and fails if that JVM reports a failure or does not finish in time (a latch left held makes the
 * later operations spin forever).
 */
class BTreeErrorInLatchTest {

    @Test
    void anErrorInsideALatchedRegionLeavesNothingLatched() throws Exception {
        String cp = location(ConcurrentBTreeMap.class) + File.pathSeparator + location(BTreeErrorInLatchTest.class);
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-Xmx256m", "-D" + TestHooks.PROPERTY + "=true", "-cp", cp,
                Child.class.getName()).redirectErrorStream(true).start();
        boolean finished = child.waitFor(180, TimeUnit.SECONDS);
        if (!finished) {
            child.destroyForcibly();
        }
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(finished, "the child JVM did not finish (a latch left held?):\n" + out);
        assertEquals(0, child.exitValue(), out);
        for (String site : Child.SITES) {
            assertTrue(out.contains("ok " + site), "no result for " + site + ":\n" + out);
        }
    }

    private static String location(Class<?> c) throws Exception {
        return Paths.get(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    /** Runs in the child JVM, with the test hooks enabled. */
    static final class Child {
        static final String[] SITES = {
            ConcurrentBTreeMap.ERROR_IN_LEAF_SPLIT, ConcurrentBTreeMap.ERROR_IN_INNER_SPLIT,
            ConcurrentBTreeMap.ERROR_IN_MERGE, ConcurrentBTreeMap.ERROR_IN_CODEC,
        };

        private Child() {
        }

        public static void main(String[] args) throws Exception {
            if (!TestHooks.ENABLED) {
                throw new AssertionError("the child needs -D" + TestHooks.PROPERTY + "=true");
            }
            for (String site : SITES) {
                Thread t = new Thread(() -> run(site), "site-" + site);
                Throwable[] failure = new Throwable[1];
                t.setUncaughtExceptionHandler((th, e) -> failure[0] = e);
                t.setDaemon(true);
                t.start();
                t.join(60_000);
                if (t.isAlive()) {
                    System.out.println("HUNG at " + site + ": an operation after the error never completed");
                    System.exit(2);
                }
                if (failure[0] != null) {
                    failure[0].printStackTrace(System.out);
                    System.exit(1);
                }
                System.out.println("ok " + site);
            }
            System.exit(0);
        }

        private static void run(String site) {
            if (site.equals(ConcurrentBTreeMap.ERROR_IN_CODEC)) {
                ConcurrentBTreeMap<String, String> map = new ConcurrentBTreeMap<>();
                ConcurrentBTreeMap.injectErrorAt = site;
                expectInjected(() -> map.put("k", "v"), site);
                check(map.get("k") == null, "nothing was added");
                check(map.put("k", "v") == null, "put after the error");
                check("v".equals(map.get("k")) && "k".equals(map.firstKey()), "get and firstKey");
                map.checkInvariants();
                return;
            }
            ConcurrentBTreeMap<Integer, Integer> map =
                    ConcurrentBTreeMap.<Integer, Integer>builder().nodeCapacity(4).mergeThreshold(2).build();
            Random rnd = new Random(site.hashCode());
            List<Integer> present = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                int k = rnd.nextInt(100_000);
                if (map.put(k, k) == null) {
                    present.add(k);
                }
            }
            ConcurrentBTreeMap.injectErrorAt = site;
            Integer hit = null;
            boolean removing = site.equals(ConcurrentBTreeMap.ERROR_IN_MERGE);
            for (int i = 0; i < 10_000 && hit == null; i++) {
                int k = removing ? present.get(rnd.nextInt(present.size())) : 100_000 + rnd.nextInt(100_000);
                try {
                    if (removing) {
                        if (map.remove(k) != null) {
                            present.remove(Integer.valueOf(k));
                        }
                    } else if (map.put(k, k) == null) {
                        present.add(k);
                    }
                } catch (OutOfMemoryError e) {
                    check(e.getMessage().contains(site), "the injected error: " + e);
                    hit = k;
                }
            }
            check(hit != null, "the error fired at " + site);
            if (removing) {
                // The key left its leaf before the merge that threw: the removal itself happened.
                present.remove(hit);
                check(map.get(hit) == null, "the removed key stays removed");
            } else {
                // The split threw before its first write: the key was not added.
                check(map.get(hit) == null, "the key whose split threw was not added");
                check(map.put(hit, hit) == null, "put of the same key after the error");
                present.add(hit);
            }
            map.checkInvariants();
            for (int k : present) {
                check(Integer.valueOf(k).equals(map.get(k)), "key " + k + " still mapped");
            }
            check(map.size() == present.size(), "size " + map.size() + " vs " + present.size());
            check(map.firstKey().equals(present.stream().min(Integer::compare).orElseThrow()), "firstKey");
            for (int k : new ArrayList<>(present)) { // removals merge and redistribute through the same nodes
                check(map.remove(k) != null, "remove " + k);
            }
            check(map.isEmpty(), "empty at the end");
            map.checkInvariants();
        }

        private static void expectInjected(Runnable r, String site) {
            try {
                r.run();
            } catch (OutOfMemoryError e) {
                check(e.getMessage().contains(site), "the injected error: " + e);
                return;
            }
            throw new AssertionError("no error injected at " + site);
        }

        private static void check(boolean ok, String what) {
            if (!ok) {
                throw new AssertionError("failed: " + what);
            }
        }
    }
}
