package io.arboretum.bftree;

import io.arboretum.keys.KeyEncoder;
import io.arboretum.keys.KeyEncoders;
import io.arboretum.testkit.ComparatorKeyEncoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.stream.Stream;

/**
 * Makes the contract kit's {@code Integer} maps as {@link BfMap}s over trees in temporary
 * directories, and closes and deletes them after each test.
 *
 * <p>The kit's node capacities become page sizes and value padding, so that small capacities make
 * leaves of a few entries: capacities 4, 5 and 8 give 512-byte pages and values padded to 44 bytes
 * (eight records a leaf), 64 gives 512-byte pages unpadded (35 a leaf), 256 gives 4096-byte pages,
 * and the default the default config. The memory budget is the minimum, 16 pages, so the kit's
 * larger maps are evicted to disk and read back. Durability is ASYNC (the kit tests the map's
 * contract, not fsync; the crash tests test SYNC), with small log segments and checkpoints every
 * 64 KiB of log, so checkpoints run during the tests too.
 *
 * <p>Keys: natural order is {@link KeyEncoders#integers()}; any other comparator is an encoding
 * that consults the comparator first (so a comparator that refuses a key refuses it as the map's
 * encoder) and is ordered as the comparator orders 0 and 1 (the kit's comparators are natural,
 * reversed, or natural with a poisoned key).
 */
final class BfKitMaps {
    private BfKitMaps() {
    }

    /**
     * Where the trees go: {@code /dev/shm} when it is a writable directory (Linux: a tmpfs, where
     * {@code force} costs nothing, so the thousands of trees the guava suites make cost
     * milliseconds, not an fsync'd create and close each), else the default temp directory.
     */
    private static final Path SHM = Files.isDirectory(Path.of("/dev/shm")) && Files.isWritable(Path.of("/dev/shm"))
            ? Path.of("/dev/shm") : null;

    private static final List<BfTree> OPEN = new ArrayList<>();
    private static final List<Path> DIRS = new ArrayList<>();

    static synchronized BfMap<Integer, Integer> newMap(Comparator<? super Integer> cmp, int capacity) {
        int pageSize = capacity == 0 ? BfTreeConfig.defaults().pageSize() : capacity == 256 ? 4096 : 512;
        int pad = capacity > 0 && capacity <= 8 ? 40 : 0;
        BfTreeConfig.Builder b = BfTreeConfig.builder().pageSize(pageSize).memoryBudget(16L * pageSize)
                .durability(Durability.async(Duration.ofSeconds(1))).walSegmentSize(16 << 10)
                .checkpointLogBytes(64 << 10);
        try {
            Path dir = SHM != null ? Files.createTempDirectory(SHM, "bfkit") : Files.createTempDirectory("bfkit");
            DIRS.add(dir);
            BfTree t = BfTree.create(dir.resolve("t"), b.build());
            OPEN.add(t);
            KeyEncoder<Integer> keys = cmp == null ? KeyEncoders.integers() : new ComparatorKeyEncoder(cmp);
            return t.asMap(keys, new PaddedInts(pad));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final java.util.Map<List<Object>, BfTree> REUSED = new java.util.HashMap<>();

    /**
     * As {@link #newMap}, but for the guava suites, which make a fresh map for each of their
     * thousands of cases: one tree per comparator and capacity, emptied (every key deleted through
     * the tree itself) before each new view is handed out. Each case thus starts from an empty map
     * over a tree with history (its leaves, emptied but not merged, and its log), which the
     * after-test invariant check then checks.
     */
    static synchronized BfMap<Integer, Integer> newReusedMap(Comparator<? super Integer> cmp, int capacity) {
        List<Object> id = java.util.Arrays.asList(cmp, capacity);
        BfTree t = REUSED.get(id);
        if (t == null) {
            t = newMap(cmp, capacity).tree();
            REUSED.put(id, t);
        }
        try (BfCursor c = t.cursor(null, null)) {
            while (c.next()) {
                t.delete(c.key());
            }
        }
        KeyEncoder<Integer> keys = cmp == null ? KeyEncoders.integers() : new ComparatorKeyEncoder(cmp);
        return t.asMap(keys, new PaddedInts(capacity > 0 && capacity <= 8 ? 40 : 0));
    }

    /** Closes every tree made since the last call and deletes its directory. */
    static synchronized void closeAll() {
        for (BfTree t : OPEN) {
            t.close();
        }
        OPEN.clear();
        REUSED.clear();
        for (Path d : DIRS) {
            try (Stream<Path> s = Files.walk(d)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        DIRS.clear();
    }

    /** Integers as four big-endian bytes and {@code pad} zero bytes (equal values, equal bytes). */
    static final class PaddedInts implements ValueCodec<Integer> {
        private final int pad;

        PaddedInts(int pad) {
            this.pad = pad;
        }

        @Override
        public Class<Integer> valueType() {
            return Integer.class;
        }

        @Override
        public byte[] encode(Integer v) {
            return ByteBuffer.allocate(4 + pad).putInt(v).array();
        }

        @Override
        public Integer decode(byte[] b) {
            return ByteBuffer.wrap(b).getInt();
        }
    }
}
