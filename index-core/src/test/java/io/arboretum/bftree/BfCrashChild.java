package io.arboretum.bftree;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HexFormat;
import java.util.Random;

/**
 * The child JVM of {@link BfTreeCrashTest}: opens a tree and writes until it is killed.
 *
 * <p>Arguments: {@code dir mode seed}. Mode {@code write}: two threads (disjoint keys, so each
 * key has one writer) put, delete and putIfAbsent in SYNC mode; before each operation a thread
 * prints its intent {@code I key state} and after it returns {@code A key state} (state: value
 * in hex, or {@code -} for absent); thread 0 takes a checkpoint every 40 operations between
 * {@code C} and {@code c}. Mode {@code write-async}: the same in {@code ASYNC(5 s)} mode, which
 * may lose acknowledged writes in a crash (the verifier's control). Mode {@code hold}: opens the tree and sleeps (the lock test).
 * {@code RECOVERING} and {@code RECOVERED} bracket the open.
 */
public final class BfCrashChild {
    static final int KEYS = 900;
    static final int THREADS = 2;

    private BfCrashChild() {
    }

    static BfTreeConfig config() {
        return BfTreeConfig.builder().pageSize(512).memoryBudget(16 * 512).durability(Durability.SYNC)
                .walSegmentSize(8 << 10).checkpointLogBytes(24 << 10).build();
    }

    private static final PrintStream OUT = new PrintStream(System.out, false, StandardCharsets.US_ASCII);
    private static final HexFormat HEX = HexFormat.of();

    static synchronized void say(String line) {
        OUT.println(line);
        OUT.flush();
    }

    public static void main(String[] args) throws Exception {
        Path dir = Paths.get(args[0]);
        String mode = args[1];
        long seed = Long.parseLong(args[2]);
        say("RECOVERING");
        BfTreeConfig cfg = config();
        if (mode.equals("write-async")) {
            cfg = BfTreeConfig.builder().pageSize(512).memoryBudget(16 * 512)
                    .durability(Durability.async(java.time.Duration.ofSeconds(5))).walSegmentSize(8 << 10)
                    .checkpointLogBytes(0).build();
        }
        BfTree t = BfTree.open(dir, cfg);
        say("RECOVERED");
        if (mode.equals("hold")) {
            Thread.sleep(120_000);
            return;
        }
        Thread[] ts = new Thread[THREADS];
        for (int i = 0; i < THREADS; i++) {
            final int id = i;
            ts[i] = new Thread(() -> work(t, id, seed));
            ts[i].start();
        }
        for (Thread th : ts) {
            th.join();
        }
    }

    private static void work(BfTree t, int id, long seed) {
        Random rnd = new Random(seed * 31 + id);
        boolean descending = rnd.nextBoolean();
        for (long op = 0; ; op++) {
            int slot = op < KEYS / THREADS / 2
                    ? (descending ? KEYS / THREADS - 1 - (int) op : (int) ((op * 7919) % (KEYS / THREADS)))
                    : rnd.nextInt(KEYS / THREADS);
            int k = slot * THREADS + id;
            byte[] key = BfTreeDifferentialTest.key(3 * k);
            String kh = HEX.formatHex(key);
            byte[] value = ("s" + seed + "t" + id + "o" + op + "x".repeat(rnd.nextInt(30)))
                    .getBytes(StandardCharsets.US_ASCII);
            String vh = HEX.formatHex(value);
            int what = rnd.nextInt(10);
            if (what < 7) {
                say("I " + kh + " " + vh);
                t.put(key, value);
                say("A " + kh + " " + vh);
            } else if (what < 9) {
                say("I " + kh + " -");
                t.delete(key);
                say("A " + kh + " -");
            } else {
                say("I " + kh + " " + vh);
                byte[] prev = t.putIfAbsent(key, value);
                say("A " + kh + " " + (prev == null ? vh : HEX.formatHex(prev)));
            }
            if (id == 0 && op % 40 == 39) {
                say("C");
                t.checkpoint();
                say("c");
            }
        }
    }
}
