package io.arboretum.bftree;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The directory of a Bf-tree: its header file, its lock, and the one place where files are
 * replaced durably.
 *
 * <p>Files in the directory: {@value #HEADER} (format header, written once at creation),
 * {@value #LOCK} (held with an OS file lock while the tree is open), {@value #CHECKPOINT} (the
 * last checkpoint), {@value #PAGES} (leaf pages), {@code wal-<first sequence number>.log} (log
 * segments), and transiently {@code <name>.tmp} while a file is being replaced.
 *
 * <p>Header layout (little-endian, {@value #HEADER_BYTES} bytes): magic {@code "ARBFTREE"} (8),
 * format version (4), page size (4), CRC32C of the 16 bytes before it (4).
 *
 * <p>Durable replacement ({@link #replaceDurably}): write {@code name.tmp}, force it, rename it
 * over {@code name} atomically, force the directory. Until the rename the old file is intact; after
 * the directory force the new one survives a crash; a crash in between leaves one of the two
 * whole, never a mixture, because rename is atomic on POSIX file systems.
 */
final class BfDirectory implements AutoCloseable {
    static final String HEADER = "BFTREE";
    static final String LOCK = "LOCK";
    static final String CHECKPOINT = "checkpoint";
    static final String PAGES = "pages.dat";
    static final int FORMAT_VERSION = 1;
    static final int HEADER_BYTES = 20;
    private static final long MAGIC = 0x4545525446425241L; // "ARBFTREE" little-endian

    final Path path;
    final int pageSize;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private BfDirectory(Path path, int pageSize, FileChannel lockChannel, FileLock lock) {
        this.path = path;
        this.pageSize = pageSize;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Creates a new tree directory: it must not exist or be empty. The header is written last,
     * after {@code init} has written the first page and checkpoint, so a crash during creation
     * leaves a directory that {@link #open} refuses as "not a Bf-tree" instead of a half-made tree.
     */
    static BfDirectory create(Path dir, int pageSize, IoAction init) throws IOException {
        Files.createDirectories(dir);
        requireEmpty(dir); // before the lock, so a foreign directory gets no LOCK file
        BfDirectory d = new BfDirectory(dir, pageSize, null, null).locked();
        try {
            requireEmpty(dir); // again under the lock: another creator may have raced us
            init.run(d);
            ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(MAGIC).putInt(FORMAT_VERSION).putInt(pageSize);
            b.putInt(crc(b.array(), 0, 16));
            d.replaceDurably(HEADER, b.array());
            return d;
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
    }

    private static void requireEmpty(Path dir) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                if (!p.getFileName().toString().equals(LOCK)) {
                    throw new FileAlreadyExistsException(dir.toString(), null,
                            "cannot create a Bf-tree here: the directory is not empty (it holds "
                                    + p.getFileName() + ")");
                }
            }
        }
    }

    /** Opens an existing tree directory: checks the header, then takes the lock. */
    static BfDirectory open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no Bf-tree directory here (use BfTree.create)");
        }
        Path header = dir.resolve(HEADER);
        if (!Files.isRegularFile(header)) {
            throw new IllegalArgumentException(dir + " is not a Bf-tree directory: it has no " + HEADER
                    + " header file");
        }
        readHeader(header); // refuse a foreign directory before creating a LOCK file in it
        BfDirectory d = new BfDirectory(dir, 0, null, null).locked();
        try {
            // Read again under the lock: a concurrent create may have been writing it.
            int pageSize = readHeader(header);
            return new BfDirectory(dir, pageSize, d.lockChannel, d.lock);
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
    }

    private static int readHeader(Path header) throws IOException {
        byte[] bytes = Files.readAllBytes(header);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 8 || b.getLong(0) != MAGIC) {
            throw new IllegalArgumentException(header.getParent() + " is not a Bf-tree directory: "
                    + header.getFileName() + " does not start with the Bf-tree magic number");
        }
        if (bytes.length != HEADER_BYTES) {
            throw new CorruptIndexException(header, Math.min(bytes.length, HEADER_BYTES),
                    "header is " + bytes.length + " bytes, expected " + HEADER_BYTES);
        }
        if (b.getInt(16) != crc(bytes, 0, 16)) {
            throw new CorruptIndexException(header, 16, "header checksum does not match");
        }
        int version = b.getInt(8);
        if (version != FORMAT_VERSION) {
            throw new IllegalArgumentException(header.getParent() + " holds a Bf-tree of format version "
                    + version + "; this library reads format version " + FORMAT_VERSION);
        }
        int pageSize = b.getInt(12);
        if (pageSize < BfTreeConfig.MIN_PAGE_SIZE || pageSize > BfTreeConfig.MAX_PAGE_SIZE
                || Integer.bitCount(pageSize) != 1) {
            throw new CorruptIndexException(header, 12, "page size " + pageSize + " is not valid");
        }
        return pageSize;
    }

    /**
     * Takes the OS file lock on {@value #LOCK}. A lock held by another process makes
     * {@code tryLock} return null; one held by this JVM (another channel) makes it throw
     * {@link OverlappingFileLockException}: both become the same clear error.
     */
    private BfDirectory locked() throws IOException {
        FileChannel ch = FileChannel.open(path.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        if (l == null) {
            ch.close();
            throw new IllegalStateException("Bf-tree directory " + path
                    + " is already open (its LOCK file is locked by this process or another one)");
        }
        return new BfDirectory(path, pageSize, ch, l);
    }

    Path file(String name) {
        return path.resolve(name);
    }

    /** Replaces {@code name} with {@code content}: temp file, force, atomic rename, directory force. */
    void replaceDurably(String name, byte[] content) throws IOException {
        Path tmp = path.resolve(name + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(content);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true); // the content is on disk before the name points at it
        }
        Files.move(tmp, path.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(); // the rename itself is on disk
    }

    /** Forces the directory's entries (creations, renames, deletions) to disk. */
    void forceDirectory() throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms (Windows) cannot open a directory; Linux and macOS can. Rethrow
            // there: a lost rename would break the checkpoint's promise.
            if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("win")) {
                throw e;
            }
        }
    }

    static int crc(byte[] a, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(a, off, len);
        return (int) c.getValue();
    }

    static int crc(ByteBuffer b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return (int) c.getValue();
    }

    /** Releases the lock; idempotent. */
    @Override
    public void close() throws IOException {
        if (lockChannel != null && lockChannel.isOpen()) {
            try {
                if (lock != null && lock.isValid()) {
                    lock.release();
                }
            } finally {
                lockChannel.close();
            }
        }
    }

    /** An initialization step that may fail with an {@link IOException}. */
    interface IoAction {
        void run(BfDirectory d) throws IOException;
    }
}
