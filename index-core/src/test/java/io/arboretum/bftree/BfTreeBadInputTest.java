package io.arboretum.bftree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad arguments and misuse: a clear exception, and the tree unchanged and usable afterwards. */
class BfTreeBadInputTest {
    @TempDir
    Path tmp;

    @Test
    void nullsAndOversizedArgumentsAreRefusedAndLeaveTheTreeUsable() throws IOException {
        BfTreeConfig cfg = BfTreeDifferentialTest.smallConfig();
        try (BfTree t = BfTree.create(tmp.resolve("t"), cfg)) {
            byte[] k = {1};
            byte[] v = {2};
            assertThrows(NullPointerException.class, () -> t.put(null, v));
            assertThrows(NullPointerException.class, () -> t.put(k, null));
            assertThrows(NullPointerException.class, () -> t.get(null));
            assertThrows(NullPointerException.class, () -> t.delete(null));
            assertThrows(NullPointerException.class, () -> t.putIfAbsent(k, null));
            assertThrows(NullPointerException.class, () -> t.replace(k, null, v));
            assertThrows(NullPointerException.class, () -> t.replace(k, v, null));
            byte[] longKey = new byte[cfg.maxKeySize() + 1];
            byte[] longValue = new byte[cfg.maxValueSize() + 1];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.put(longKey, v));
            assertTrue(e.getMessage().contains("maximum key size is " + cfg.maxKeySize()), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> t.put(k, longValue));
            assertTrue(e.getMessage().contains("maximum value size is " + cfg.maxValueSize()), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> t.get(longKey));
            // The largest allowed sizes work, and nothing is latched after the failures.
            byte[] maxKey = new byte[cfg.maxKeySize()];
            byte[] maxValue = new byte[cfg.maxValueSize()];
            for (int i = 0; i < 200; i++) {
                maxKey[0] = (byte) i;
                maxKey[maxKey.length - 1] = (byte) (i * 7);
                t.put(maxKey.clone(), maxValue);
            }
            t.checkInvariants();
            assertNull(t.put(k, v));
            assertArrayEquals(v, t.get(k));
            assertFalse(t.replace(k, new byte[] {9}, new byte[] {3}));
            assertTrue(t.replace(k, v, new byte[] {3}));
            assertArrayEquals(new byte[] {3}, t.putIfAbsent(k, v));
            // Returned arrays are copies: changing them changes nothing inside.
            t.get(k)[0] = 99;
            assertArrayEquals(new byte[] {3}, t.get(k));
            try (BfCursor c = t.cursor(k, null)) {
                assertThrows(IllegalStateException.class, c::key);
                assertTrue(c.next());
                c.key()[0] = 42;
                assertArrayEquals(k, c.key());
            }
            assertEquals(0, countIn(t, new byte[] {5}, new byte[] {5}));
            assertEquals(0, countIn(t, new byte[] {6}, new byte[] {5}));
        }
    }

    private static int countIn(BfTree t, byte[] from, byte[] to) {
        int n = 0;
        try (BfCursor c = t.cursor(from, to)) {
            while (c.next()) {
                n++;
            }
        }
        try (BfCursor c = t.descendingCursor(from, to)) {
            while (c.next()) {
                n++;
            }
        }
        return n;
    }

    @Test
    void misuseOfTheDirectoryFailsClearly() throws IOException {
        Path dir = tmp.resolve("t");
        BfTreeConfig cfg = BfTreeDifferentialTest.smallConfig();
        BfTree t = BfTree.create(dir, cfg);
        t.put(new byte[] {1}, new byte[] {1});
        IllegalStateException locked = assertThrows(IllegalStateException.class, () -> BfTree.open(dir, cfg));
        assertTrue(locked.getMessage().contains("already open"), locked.getMessage());
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> BfTree.create(dir, cfg));
        t.close();
        t.close(); // idempotent
        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> t.get(new byte[] {1}));
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
        assertThrows(IllegalStateException.class, () -> t.put(new byte[] {1}, new byte[] {1}));
        assertThrows(IllegalStateException.class, t::checkpoint);
        IllegalArgumentException ps = assertThrows(IllegalArgumentException.class,
                () -> BfTree.open(dir, BfTreeConfig.builder().pageSize(1024).build()));
        assertTrue(ps.getMessage().contains("pageSize 1024") && ps.getMessage().contains("512"), ps.getMessage());
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> BfTree.create(dir, cfg));
        Path foreign = tmp.resolve("foreign");
        Files.createDirectories(foreign);
        Files.write(foreign.resolve("notes.txt"), new byte[] {1});
        IllegalArgumentException nb = assertThrows(IllegalArgumentException.class, () -> BfTree.open(foreign, cfg));
        assertTrue(nb.getMessage().contains("not a Bf-tree"), nb.getMessage());
        assertThrows(java.nio.file.NoSuchFileException.class, () -> BfTree.open(tmp.resolve("absent"), cfg));
        try (BfTree again = BfTree.open(dir, cfg)) {
            assertArrayEquals(new byte[] {1}, again.get(new byte[] {1}));
        }
    }
}
