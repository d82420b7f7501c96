package io.arboretum.bftree;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The write side of the log: sequence numbers, an append buffer, group commit, segments.
 *
 * <p><b>Segments.</b> The log is a series of files {@code wal-<first seq, 20 digits>.log}, each
 * starting with a {@value #SEGMENT_HEADER}-byte header: magic {@code "ARBFWAL1"} (8), format
 * version (4), first sequence number (8), CRC32C of those 20 bytes (4); then records
 * ({@link WalRecord}). A new segment starts when the current one has reached the segment size
 * (at a batch boundary: a batch is never split across files), and at each checkpoint. A segment is
 * forced before the next one is created, so only the last segment can end in a torn record.
 *
 * <p><b>Group commit.</b> {@link #append} assigns the next sequence number and copies the record
 * into the buffer under {@code appendLock}; it does no I/O. {@link #awaitDurable(long)} makes
 * one waiting thread the <em>leader</em> ({@code flushing}): it takes the whole buffer (every
 * record appended so far, by any thread), writes it, forces the file once, publishes
 * {@code durableSeq}, and wakes every waiter; a waiter whose record was in the batch returns, the
 * others elect the next leader. One force serves every writer that appended before the buffer was
 * taken.
 *
 * <p><b>Failure.</b> An {@link IOException} while writing or forcing leaves the file's tail
 * unknown, so the log becomes failed: the caller of that flush and every later append or wait
 * gets an {@link UncheckedIOException}. No record that was acknowledged before is affected (it is
 * on disk); the records of the failed batch were never acknowledged.
 */
final class WriteAheadLog implements AutoCloseable {
    static final int SEGMENT_HEADER = 24;
    static final long SEGMENT_MAGIC = 0x314c415746425241L; // "ARBFWAL1" little-endian
    static final int SEGMENT_VERSION = 1;
    /** An asynchronous writer forces the buffer itself beyond this many bytes. */
    static final int ASYNC_BUFFER_LIMIT = 1 << 20;

    private final BfDirectory dir;
    private final long segmentSize;
    private final Durability durability;

    // Append state: guarded by appendLock.
    private final ReentrantLock appendLock = new ReentrantLock();
    private byte[] buf = new byte[1 << 16];
    private int bufLen;
    private long bufFirstSeq;
    private long nextSeq;
    private boolean closed;

    // Flush state: guarded by flushLock, except durableSeq (see its accessors).
    private final ReentrantLock flushLock = new ReentrantLock();
    private final Condition flushed = flushLock.newCondition();
    private boolean flushing;
    /**
     * First I/O failure; once set the log accepts nothing more. Volatile (a sticky flag): the
     * leader sets it without holding a lock, and every later append and wait must see it.
     */
    private volatile IOException failure;
    /** Highest sequence number known to be on disk. Written only by the leader; see accessors. */
    private long durableSeq;

    // I/O state: touched only by the leader (flushing == true) or by open/checkpoint/close while
    // no leader runs. A leader re-locks flushLock when it is done and the next leader locks it
    // before it starts, so one leader's writes to these fields happen-before the next one's reads.
    private FileChannel channel;
    private Path segment;
    private long segmentStart;
    private long position;
    private long bytesSinceCheckpoint;
    /** Forces of batches so far (tests read it to see group commit at work). */
    private long batches;

    private final Thread flusher;
    /** Counted down by close() to stop the flusher; never interrupt it (an interrupt closes a FileChannel mid-write). */
    private final java.util.concurrent.CountDownLatch stop = new java.util.concurrent.CountDownLatch(1);

    private WriteAheadLog(BfDirectory dir, BfTreeConfig config, long nextSeq) {
        this.dir = dir;
        this.segmentSize = config.walSegmentSize();
        this.durability = config.durability();
        this.nextSeq = nextSeq;
        this.durableSeq = nextSeq - 1;
        this.bufFirstSeq = nextSeq;
        if (durability.isSync()) {
            flusher = null;
        } else {
            flusher = new Thread(this::flushPeriodically, "bftree-wal-flusher " + dir.path.getFileName());
            flusher.setDaemon(true);
        }
    }

    /**
     * Opens the log for appending at {@code nextSeq}, in a fresh segment named after it (a segment
     * of that name can only be an empty or torn one the reader found records none of; it is
     * replaced).
     */
    static WriteAheadLog open(BfDirectory dir, BfTreeConfig config, long nextSeq) throws IOException {
        WriteAheadLog w = new WriteAheadLog(dir, config, nextSeq);
        w.startSegment(nextSeq);
        if (w.flusher != null) {
            w.flusher.start();
        }
        return w;
    }

    static String segmentName(long startSeq) {
        return String.format("wal-%020d.log", startSeq);
    }

    /** Segment files in the directory, in order of their first sequence number. */
    static List<Path> segments(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "wal-*.log")) {
            for (Path p : s) {
                if (segmentStart(p) >= 0) {
                    out.add(p);
                }
            }
        }
        out.sort((a, b) -> Long.compare(segmentStart(a), segmentStart(b)));
        return out;
    }

    static long segmentStart(Path p) {
        String n = p.getFileName().toString();
        if (n.length() != 28 || !n.startsWith("wal-") || !n.endsWith(".log")) {
            return -1;
        }
        try {
            return Long.parseLong(n.substring(4, 24));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void startSegment(long startSeq) throws IOException {
        if (channel != null) {
            channel.force(false); // everything in the old segment is on disk before the new one exists
            channel.close();
        }
        segment = dir.file(segmentName(startSeq));
        channel = FileChannel.open(segment, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        ByteBuffer h = ByteBuffer.allocate(SEGMENT_HEADER).order(ByteOrder.LITTLE_ENDIAN);
        h.putLong(SEGMENT_MAGIC).putInt(SEGMENT_VERSION).putLong(startSeq);
        h.putInt(BfDirectory.crc(h.array(), 0, 20));
        h.flip();
        while (h.hasRemaining()) {
            channel.write(h);
        }
        channel.force(false);
        dir.forceDirectory(); // the new file's name is on disk
        segmentStart = startSeq;
        position = SEGMENT_HEADER;
    }

    /**
     * Buffers one record and returns its sequence number. No I/O; the caller holds the page's
     * exclusive latch, so records of one page are numbered in the order they were applied.
     */
    long append(long pid, byte op, byte[] key, byte[] value) {
        appendLock.lock();
        try {
            IOException f = failure;
            if (f != null) {
                throw new UncheckedIOException("the Bf-tree log failed earlier; no more writes", f);
            }
            if (closed) {
                throw new IllegalStateException("the Bf-tree is closed");
            }
            int size = WalRecord.encodedSize(key, value);
            if (bufLen + size > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, bufLen + size));
            }
            long seq = nextSeq++;
            WalRecord.encode(buf, bufLen, seq, pid, op, key, value);
            bufLen += size;
            return seq;
        } finally {
            appendLock.unlock();
        }
    }

    /** The last sequence number handed out. */
    long lastSeq() {
        appendLock.lock();
        try {
            return nextSeq - 1;
        } finally {
            appendLock.unlock();
        }
    }

    /** Bytes waiting in the buffer (asynchronous writers force the log themselves above a limit). */
    int bufferedBytes() {
        appendLock.lock();
        try {
            return bufLen;
        } finally {
            appendLock.unlock();
        }
    }

    /** Batches forced so far; read after the writers have finished. */
    long batchesForTest() {
        flushLock.lock();
        try {
            return batches;
        } finally {
            flushLock.unlock();
        }
    }

    boolean isSync() {
        return durability.isSync();
    }

    /** Returns once record {@code seq} is forced to disk, leading a group commit if no one is. */
    void awaitDurable(long seq) {
        if (durableSeqAcquire() >= seq) {
            return; // fast path: the acquire read pairs with the leader's release store
        }
        flushLock.lock();
        try {
            while (durableSeqAcquire() < seq) {
                IOException f = failure;
                if (f != null) {
                    throw new UncheckedIOException("the Bf-tree log could not be written", f);
                }
                if (!flushing) {
                    flushing = true;
                    flushLock.unlock();
                    try {
                        writeBatch();
                    } finally {
                        flushLock.lock();
                        flushing = false;
                        flushed.signalAll();
                    }
                } else {
                    flushed.awaitUninterruptibly();
                }
            }
        } finally {
            flushLock.unlock();
        }
    }

    /** Makes every record appended so far durable. */
    void flushAll() {
        awaitDurable(lastSeq());
    }

    /** The leader's work: take the buffer, write it, force once, publish. */
    private void writeBatch() {
        byte[] out;
        int len;
        long first;
        long last;
        appendLock.lock();
        try {
            out = buf;
            len = bufLen;
            first = bufFirstSeq;
            last = nextSeq - 1;
            buf = new byte[Math.max(1 << 16, Math.min(out.length, 1 << 22))];
            bufLen = 0;
            bufFirstSeq = nextSeq;
        } finally {
            appendLock.unlock();
        }
        if (len == 0) {
            setDurableSeqRelease(last);
            return;
        }
        try {
            writeOut(out, len, first);
        } catch (IOException e) {
            failure = e;
            throw new UncheckedIOException("the Bf-tree log could not be written", e);
        }
        // Release: a writer that reads durableSeq >= its seq with acquire may return to its
        // caller; nothing else is published by this store (the data is in the file already).
        setDurableSeqRelease(last);
    }

    /**
     * The leader's I/O: appends {@code out[0, len)}, whose first record is {@code first}, in a new
     * segment if the current one is full, and forces it. One method so that the model checker can
     * take it as one step (see the Lincheck module's {@code Indexes.bftree}).
     */
    private void writeOut(byte[] out, int len, long first) throws IOException {
        if (position >= segmentSize) {
            startSegment(first);
        }
        ByteBuffer b = ByteBuffer.wrap(out, 0, len);
        while (b.hasRemaining()) {
            channel.write(b);
        }
        // force(false): the data and the file length (needed to read it back) are forced;
        // other metadata such as modification times is not needed for recovery.
        channel.force(false);
        position += len;
        bytesSinceCheckpoint += len;
        batches++;
    }

    private void flushPeriodically() {
        long nanos = durability.interval().toNanos();
        while (true) {
            try {
                if (stop.await(nanos, TimeUnit.NANOSECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
            appendLock.lock();
            try {
                if (closed) {
                    return;
                }
            } finally {
                appendLock.unlock();
            }
            try {
                flushAll();
            } catch (UncheckedIOException e) {
                return; // recorded in failure; every later write reports it
            }
        }
    }

    /**
     * Log bytes written since the last {@link #rollForCheckpoint()}. The leader adds to the
     * counter outside {@code flushLock}, so a reader may see a slightly old value: a benign race,
     * since the value only decides when the next automatic checkpoint starts.
     */
    long bytesSinceCheckpoint() {
        flushLock.lock();
        try {
            return bytesSinceCheckpoint;
        } finally {
            flushLock.unlock();
        }
    }

    /**
     * For a checkpoint, with every writer excluded: makes all records durable and starts a new
     * segment at the next sequence number, so every older segment holds only records the
     * checkpoint will cover. Returns those older segments, to delete once the checkpoint is durable.
     */
    List<Path> rollForCheckpoint() throws IOException {
        flushAll();
        flushLock.lock();
        try {
            while (flushing) {
                flushed.awaitUninterruptibly();
            }
            long next = lastSeq() + 1;
            if (position > SEGMENT_HEADER || segmentStart != next) {
                startSegment(next);
            }
            bytesSinceCheckpoint = 0;
            List<Path> old = segments(dir.path);
            old.remove(segment);
            return old;
        } finally {
            flushLock.unlock();
        }
    }

    /** Deletes segments a durable checkpoint covers, and forces the directory. */
    void deleteSegments(List<Path> old) throws IOException {
        for (Path p : old) {
            Files.deleteIfExists(p);
        }
        dir.forceDirectory();
    }

    /** Forces what is buffered (unless the log failed) and closes the file. */
    @Override
    public void close() throws IOException {
        stop.countDown();
        try {
            if (failure == null) {
                flushAll();
            }
        } finally {
            appendLock.lock();
            try {
                closed = true;
            } finally {
                appendLock.unlock();
            }
            if (flusher != null) {
                try {
                    flusher.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            channel.close();
        }
    }

    /** Test support: closes the segment file under the log, so its next write fails as on an I/O error. */
    void breakForTest() throws IOException {
        channel.close();
    }

    /** Test support: drops the buffer and closes the file as a crash would, forcing nothing. */
    void abandon() throws IOException {
        stop.countDown();
        appendLock.lock();
        try {
            closed = true;
            bufLen = 0;
        } finally {
            appendLock.unlock();
        }
        channel.close();
    }

    // VarHandle mechanics

    private long durableSeqAcquire() {
        return (long) DURABLE_SEQ.getAcquire(this);
    }

    private void setDurableSeqRelease(long v) {
        DURABLE_SEQ.setRelease(this, v);
    }

    private static final VarHandle DURABLE_SEQ;

    static {
        try {
            DURABLE_SEQ = MethodHandles.lookup().findVarHandle(WriteAheadLog.class, "durableSeq", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
