package io.arboretum.bftree;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A file of a {@link BfTree} directory holds bytes that cannot be what this library wrote: a page
 * or log record whose checksum does not match, a length or sequence number out of range, a page
 * that names another page id, or a damaged record followed by valid ones in the log.
 *
 * <p>It names the file and the byte offset where the bad data starts. It is never thrown for a
 * torn tail of the write-ahead log (the last records a crash cut short): that is normal after a
 * crash, and recovery ends the log there. Nothing is repaired or skipped silently: restore the
 * directory from a backup, or salvage it with a tool of your own.
 */
public final class CorruptIndexException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The damaged file. Not serialized: a {@link Path} is not serializable. */
    private final transient Path file;
    /** The byte offset in the file where the bad data starts. */
    private final long offset;

    /**
     * Creates the exception.
     *
     * @param file   the damaged file
     * @param offset the byte offset in {@code file} where the bad data starts
     * @param detail what is wrong there
     */
    public CorruptIndexException(Path file, long offset, String detail) {
        super(Objects.requireNonNull(file, "file") + " at offset " + offset + ": " + detail);
        this.file = file;
        this.offset = offset;
    }

    /**
     * The damaged file.
     *
     * @return its path, as the tree opened it
     */
    public Path file() {
        return file;
    }

    /**
     * Where the bad data starts.
     *
     * @return the byte offset in {@link #file()}
     */
    public long offset() {
        return offset;
    }
}
