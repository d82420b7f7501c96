package io.arboretum.bftree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The directory's header, lock and durable replacement, without a tree on top. */
class BfDirectoryTest {
    @TempDir
    Path tmp;

    private BfDirectory create(Path dir) throws IOException {
        return BfDirectory.create(dir, 1024, d -> d.replaceDurably("x", new byte[] {1, 2, 3}));
    }

    @Test
    void createThenOpenReadsThePageSize() throws IOException {
        Path dir = tmp.resolve("t");
        create(dir).close();
        assertTrue(Files.exists(dir.resolve(BfDirectory.HEADER)));
        assertFalse(Files.exists(dir.resolve("x.tmp")));
        assertEquals(3, Files.size(dir.resolve("x")));
        try (BfDirectory d = BfDirectory.open(dir)) {
            assertEquals(1024, d.pageSize);
        }
    }

    @Test
    void aSecondOpenInThisProcessFailsClearlyAndTheLockIsReleasedOnClose() throws IOException {
        Path dir = tmp.resolve("t");
        create(dir).close();
        try (BfDirectory d = BfDirectory.open(dir)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> BfDirectory.open(dir));
            assertTrue(e.getMessage().contains("already open"), e.getMessage());
        }
        BfDirectory.open(dir).close();
    }

    @Test
    void aDirectoryThatIsNotABfTreeIsRefused() throws IOException {
        Path dir = tmp.resolve("other");
        Files.createDirectories(dir);
        Files.write(dir.resolve("data.txt"), new byte[] {42});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BfDirectory.open(dir));
        assertTrue(e.getMessage().contains("not a Bf-tree directory"), e.getMessage());
        assertFalse(Files.exists(dir.resolve(BfDirectory.LOCK)), "no LOCK file left in a foreign directory");
        Files.write(dir.resolve(BfDirectory.HEADER), "hello, world, not a tree".getBytes());
        e = assertThrows(IllegalArgumentException.class, () -> BfDirectory.open(dir));
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
        assertThrows(NoSuchFileException.class, () -> BfDirectory.open(tmp.resolve("absent")));
        FileAlreadyExistsException f = assertThrows(FileAlreadyExistsException.class, () -> create(dir));
        assertTrue(f.getMessage().contains("not empty"), f.getMessage());
    }

    @Test
    void anotherFormatVersionAndADamagedHeaderAreRefused() throws IOException {
        Path dir = tmp.resolve("t");
        create(dir).close();
        Path h = dir.resolve(BfDirectory.HEADER);
        byte[] good = Files.readAllBytes(h);
        ByteBuffer b = ByteBuffer.wrap(good.clone()).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(8, 7);
        b.putInt(16, BfDirectory.crc(b.array(), 0, 16));
        Files.write(h, b.array());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BfDirectory.open(dir));
        assertTrue(e.getMessage().contains("format version 7") && e.getMessage().contains("version 1"), e.getMessage());
        byte[] flipped = good.clone();
        flipped[13] ^= 0x10;
        Files.write(h, flipped);
        CorruptIndexException c = assertThrows(CorruptIndexException.class, () -> BfDirectory.open(dir));
        assertEquals(h, c.file());
        assertEquals(16, c.offset());
    }
}
