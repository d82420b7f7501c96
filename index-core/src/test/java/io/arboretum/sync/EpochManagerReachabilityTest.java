package io.arboretum.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.arboretum.btree.OffHeapLongBTreeMap;
import java.io.File;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A manager (and the map it guards) that nobody refers to any more must be collectable even while
 * the threads that used it live on, and an unclosed, unreachable off-heap map must give its memory
 * back (issue 14, bug 3). Everything here runs on the test's own long-lived thread.
 */
class EpochManagerReachabilityTest {
    private static final int MAPS = 2_000;
    private static final long GC_WAIT_MILLIS = 30_000;

    /**
     * Fills {@code map} with up to 160 keys and removes about 80% of them, in a random, descending
     * or zigzag order chosen by {@code random}, so that leaves merge and nodes are retired.
     *
     * @return the bytes retired and not yet reclaimed when the workload ends
     */
    static long useAndShrink(OffHeapLongBTreeMap map, Random random) {
        int n = 160;
        List<Long> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            keys.add(random.nextLong());
        }
        Collections.shuffle(keys, random);
        for (long k : keys) {
            map.put(k, ~k, 0);
        }
        List<Long> doomed = new ArrayList<>(keys.subList(0, n * 4 / 5));
        switch (random.nextInt(3)) {
            case 0 -> Collections.shuffle(doomed, random);
            case 1 -> doomed.sort(Collections.reverseOrder());
            default -> {
                Collections.sort(doomed);
                List<Long> zigzag = new ArrayList<>(doomed.size());
                for (int lo = 0, hi = doomed.size() - 1; lo <= hi; lo++, hi--) {
                    zigzag.add(doomed.get(lo));
                    if (lo < hi) {
                        zigzag.add(doomed.get(hi));
                    }
                }
                doomed = zigzag;
            }
        }
        for (long k : doomed) {
            if (map.remove(k, 0) != ~k) {
                throw new AssertionError("key " + k + " lost");
            }
        }
        if (map.size() != n - doomed.size() || map.get(keys.get(n - 1), 0) != ~keys.get(n - 1)) {
            throw new AssertionError("map contents wrong after the removals");
        }
        return map.bytesAwaitingReclamation();
    }

    @Test
    void droppedManagersAreCollectableWhileTheThreadThatPinnedThemLives() {
        List<WeakReference<Object>> managers = new ArrayList<>();
        createPinAndDropManagers(managers);
        awaitCleared(managers, "epoch managers");
    }

    /** In its own frame, so that no dead local of the caller can keep the last manager alive. */
    private static void createPinAndDropManagers(List<WeakReference<Object>> refs) {
        for (int i = 0; i < MAPS; i++) {
            EpochManager m = new EpochManager();
            try (EpochManager.Guard g = m.pin()) {
                try (EpochManager.Guard inner = m.pin()) {
                    m.retire(new long[128], 1024, a -> { });
                }
            }
            assertEquals(1, m.pendingCount(), "the retired item waits for two advances");
            refs.add(new WeakReference<>(m));
        }
    }

    @Test
    void closedAndDroppedOffHeapMapsAndTheirManagersAreCollectable() {
        List<WeakReference<Object>> maps = new ArrayList<>();
        List<WeakReference<Object>> managers = new ArrayList<>();
        int pending = createUseCloseAndDropMaps(maps, managers);
        assertTrue(pending >= MAPS / 2, "only " + pending + " maps had retired nodes pending: the check would be vacuous");
        awaitCleared(maps, "closed off-heap maps");
        awaitCleared(managers, "their epoch managers");
    }

    private static int createUseCloseAndDropMaps(List<WeakReference<Object>> maps, List<WeakReference<Object>> managers) {
        Random random = new Random(3);
        int pending = 0;
        for (int i = 0; i < MAPS; i++) {
            // A 64 KiB limit keeps each map to one chunk of 40 KiB of direct memory.
            OffHeapLongBTreeMap map = OffHeapLongBTreeMap.builder().nodeCapacity(4).maxOffHeapBytes(64 << 10).build();
            if (useAndShrink(map, random) > 0) {
                pending++;
            }
            maps.add(new WeakReference<>(map));
            managers.add(new WeakReference<>(map.epochManager()));
            map.close();
        }
        return pending;
    }

    /**
     * Maps that share one long-lived manager and are dropped unclosed while their retired nodes
     * still wait in its queue: the queue must not keep them reachable, and running the queued
     * actions later, after the maps are gone, must be harmless.
     */
    @Test
    void mapsDroppedWithNodesQueuedInASharedManagerAreCollectable() {
        EpochManager shared = new EpochManager();
        List<WeakReference<Object>> maps = new ArrayList<>();
        createUseAndDropMapsSharing(shared, maps);
        assertTrue(shared.pendingCount() > 0, "no retired node is queued: the check would be vacuous");
        awaitCleared(maps, "unclosed maps of a shared manager");
        for (int i = 0; i < 3; i++) {
            shared.collect();
        }
        assertEquals(0, shared.pendingCount());
        assertEquals(0, shared.pendingBytes());
    }

    private static void createUseAndDropMapsSharing(EpochManager shared, List<WeakReference<Object>> maps) {
        Random random = new Random(5);
        for (int i = 0; i < 200; i++) {
            OffHeapLongBTreeMap map = OffHeapLongBTreeMap.builder().nodeCapacity(4).maxOffHeapBytes(64 << 10)
                    .epochManager(shared).build();
            useAndShrink(map, random);
            maps.add(new WeakReference<>(map));
        }
    }

    /**
     * Thousands of unclosed maps, each holding 640 KiB of direct memory, created and dropped in a
     * child JVM limited to 256 MiB of direct memory: it must finish (exit 0), not run out.
     */
    @Test
    void unclosedUnreachableMapsGiveTheirOffHeapMemoryBack() throws Exception {
        Path out = Files.createTempFile("unclosed-maps", ".log");
        try {
            String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
            ProcessBuilder pb = new ProcessBuilder(java, "-XX:MaxDirectMemorySize=256m", "-Xmx256m",
                    "-cp", System.getProperty("java.class.path"),
                    EpochManagerUnclosedMapsMain.class.getName(), Integer.toString(MAPS));
            pb.redirectErrorStream(true);
            pb.redirectOutput(out.toFile());
            Process p = pb.start();
            if (!p.waitFor(240, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                fail("child JVM did not finish in 240 s; output:\n" + Files.readString(out, StandardCharsets.UTF_8));
            }
            String log = Files.readString(out, StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), "child JVM failed; output:\n" + log);
            System.out.print("child JVM: " + log);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Collects repeatedly until every reference is cleared or the wait is over. */
    private static void awaitCleared(List<WeakReference<Object>> refs, String what) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GC_WAIT_MILLIS);
        int alive;
        do {
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
            alive = 0;
            for (WeakReference<Object> r : refs) {
                if (r.get() != null) {
                    alive++;
                }
            }
        } while (alive > 0 && System.nanoTime() - deadline < 0);
        assertEquals(0, alive, alive + " of " + refs.size() + " " + what + " still reachable after "
                + GC_WAIT_MILLIS + " ms of collections");
    }
}
