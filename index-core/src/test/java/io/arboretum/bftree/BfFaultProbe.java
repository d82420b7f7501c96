package io.arboretum.bftree;

import io.arboretum.sync.EpochManager;
import io.arboretum.testkit.HookedJvm;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * Runs, in a JVM started with {@code -Darboretum.testHooks=true}, one scenario per Bf-tree fault
 * that no linearizability check can see (recovery, and the pool's reuse of swept memory) and
 * prints {@code fault DETECTED <what>} or {@code fault MISSED} for each. With the argument
 * {@code control} it runs every scenario with no fault active and prints {@code fault CLEAN} or
 * {@code fault DETECTED <what>}. Both scenarios are deterministic. Started by
 * {@link BfHookedJvmTest}.
 */
final class BfFaultProbe {
    private BfFaultProbe() {
    }

    /** A scenario in its own directory: returns the violation it saw, or null. */
    interface Scenario {
        String run(Path dir) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        Path root = Files.createTempDirectory("bf-fault-probe");
        try {
            Map<String, Scenario> scenarios = new LinkedHashMap<>();
            scenarios.put(BfTree.FAULT_REPLAY_BY_DISK_ADDRESS, BfFaultProbe::replayAfterSplitsAndEvictions);
            scenarios.put(BfTree.FAULT_POOL_REUSE_WITHOUT_EPOCH, BfFaultProbe::reuseWhilePinned);
            Map<String, Callable<String>> calls = new LinkedHashMap<>();
            scenarios.forEach((fault, s) -> calls.put(fault, () -> {
                try {
                    return s.run(root.resolve(fault));
                } catch (Exception | AssertionError x) {
                    return "threw " + x; // a fault that breaks recovery or an invariant is detected too
                }
            }));
            HookedJvm.probe(calls, args.length > 0 && args[0].equals("control"));
        } finally {
            deleteTree(root);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    static byte[] key(int i) {
        return String.format("key%07d", i).getBytes(StandardCharsets.US_ASCII);
    }

    /** Small pages and a small pool (splits and evictions), no automatic checkpoint. */
    static BfTreeConfig smallConfig() {
        return BfTreeConfig.builder().pageSize(512).memoryBudget(16 * 512)
                .durability(Durability.async(java.time.Duration.ofSeconds(30)))
                .walSegmentSize(8 << 10).checkpointLogBytes(0).build();
    }

    /**
     * Writes keys (a checkpoint after the first half, so the checkpoint names leaves whose page
     * ids and slots differ), then many more writes, deletes, splits and a full sweep that evicts
     * every mini-page to new slots; flushes the log and crashes without a checkpoint. Reopening
     * replays the log: with records applied by their page ids the content is the model's and the
     * invariants hold. Recovery failing (a record outside its leaf's fences), a missing or wrong
     * entry, or a broken invariant is the violation.
     */
    static String replayAfterSplitsAndEvictions(Path dir) throws Exception {
        NavigableMap<byte[], byte[]> model = new TreeMap<>(Arrays::compareUnsigned);
        Random rnd = new Random(42);
        int n = 600;
        BfTree t = BfTree.create(dir, smallConfig());
        int leavesAtCheckpoint = 0;
        for (int i = 0; i < n; i++) {
            byte[] k = key((i * 7919) % n);
            byte[] v = new byte[4 + rnd.nextInt(12)];
            rnd.nextBytes(v);
            t.put(k, v);
            model.put(k, v);
            if (i % 5 == 4) {
                byte[] d = key(rnd.nextInt(n));
                t.delete(d);
                model.remove(d);
            }
            if (i == n / 2) {
                t.checkpoint();
                leavesAtCheckpoint = t.leafCount();
            }
        }
        t.sweepForTest(t.poolForTest().capacity); // evict every mini-page: dirty ones move to new slots
        for (int i = 0; i < n; i += 3) {
            byte[] k = key(i);
            byte[] v = new byte[] {(byte) i, 1, 2};
            t.put(k, v);
            model.put(k, v);
        }
        int leavesAtCrash = t.leafCount();
        t.flush();
        t.crashForTest();
        try (BfTree r = BfTree.open(dir, smallConfig())) {
            String what = " (" + leavesAtCheckpoint + " leaves at the checkpoint, " + leavesAtCrash + " at the crash)";
            NavigableMap<byte[], byte[]> got = new TreeMap<>(Arrays::compareUnsigned);
            try (BfCursor c = r.cursor(null, null)) {
                while (c.next()) {
                    got.put(c.key(), c.value());
                }
            }
            for (Map.Entry<byte[], byte[]> e : model.entrySet()) {
                byte[] v = got.get(e.getKey());
                if (!Arrays.equals(v, e.getValue())) {
                    return "after recovery key " + new String(e.getKey(), StandardCharsets.US_ASCII)
                            + (v == null ? " is missing" : " has a wrong value") + what;
                }
                byte[] p = r.get(e.getKey());
                if (!Arrays.equals(p, e.getValue())) {
                    return "after recovery get(" + new String(e.getKey(), StandardCharsets.US_ASCII)
                            + ") = " + (p == null ? "null" : "a wrong value") + what;
                }
            }
            if (got.size() != model.size()) {
                return "after recovery " + got.size() + " entries, expected " + model.size() + what;
            }
            r.checkInvariants();
        } catch (CorruptIndexException e) {
            return "recovery failed: " + e.getMessage();
        }
        return null;
    }

    /**
     * A reader pins the epoch and holds the address of a mini-page (as an optimistic point read
     * does between its pin and its validation); the sweep then evicts every mini-page, and writes
     * create new ones until the ring has gone round once. The swept block must keep its bytes
     * while the reader is pinned: the pool may reuse it only after the epochs reclaim it.
     */
    static String reuseWhilePinned(Path dir) throws Exception {
        try (BfTree t = BfTree.create(dir, smallConfig())) {
            MiniPagePool pool = t.poolForTest();
            int n = 400;
            for (int i = 0; i < n; i++) {
                t.put(key(i), new byte[] {(byte) i, 7, 7, 7});
            }
            // The mini-page the reader holds: the oldest in the ring, the first the writes come round to.
            Leaf held = null;
            for (int i = 0; i < n; i++) {
                Leaf l = t.leafForTest(key(i));
                long a = l.miniAcquire();
                if (a != MiniPagePool.NONE && (held == null || a < held.miniAcquire())) {
                    held = l;
                }
            }
            if (held == null) {
                return "scenario broken: no mini-page to hold";
            }
            CountDownLatch pinned = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread reader = new Thread(() -> {
                try (EpochManager.Guard g = pool.epochs().pin()) {
                    pinned.countDown();
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            reader.setDaemon(true);
            reader.start();
            pinned.await();
            try {
                long a = held.miniAcquire(); // read after the pin, as pointRead does
                int size = pool.blockSize(a);
                byte[] before = bytes(pool, a, size);
                long allocationsBefore = pool.allocations();
                t.sweepForTest(pool.capacity); // every mini-page evicted; the head passes them all
                // Writes to every leaf: each creates a mini-page if the pool hands out a block.
                for (int round = 0; round < 4; round++) {
                    for (int i = 0; i < n; i++) {
                        t.upsert(key(i), new byte[] {(byte) i, (byte) round, 9});
                    }
                }
                byte[] after = bytes(pool, a, size);
                int changed = 0;
                for (int i = 0; i < size; i++) {
                    if (before[i] != after[i]) {
                        changed++;
                    }
                }
                if (changed > 0) {
                    return changed + " of the " + size + " bytes of leaf " + held.pid + "'s swept mini-page at "
                            + a + " changed while a reader that read its address was pinned ("
                            + (pool.allocations() - allocationsBefore) + " blocks allocated since the pin)";
                }
            } finally {
                release.countDown();
                reader.join(10_000);
            }
            for (int i = 0; i < n; i++) {
                byte[] v = t.get(key(i));
                if (!Arrays.equals(v, new byte[] {(byte) i, 3, 9})) {
                    return "get(" + i + ") wrong after the writes";
                }
            }
            t.checkInvariants();
        }
        return null;
    }

    private static byte[] bytes(MiniPagePool pool, long a, int size) {
        ByteBuffer b = pool.buf(a);
        int o = pool.off(a);
        byte[] out = new byte[size];
        for (int i = 0; i < size; i++) {
            out[i] = b.get(o + i);
        }
        return out;
    }
}
