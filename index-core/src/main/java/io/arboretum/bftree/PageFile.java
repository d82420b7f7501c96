package io.arboretum.bftree;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;
import java.util.concurrent.atomic.LongAdder;

/**
 * The page file: fixed-size slots of {@code pageSize} bytes, slot {@code s} at offset
 * {@code s * pageSize}, and the free list.
 *
 * <p><b>Shadow slots.</b> A slot that the last durable checkpoint refers to is never written:
 * a leaf whose content changed is written to a free slot, and its old slot is released. A release
 * of a checkpointed slot goes to {@code pending}; it becomes free only when the next checkpoint
 * (which no longer refers to it) is durable. So after any crash, every slot the last checkpoint
 * names still holds the bytes it had at that checkpoint, and recovery can start from it.
 *
 * <p><b>The free list is not stored.</b> At open it is derived from the checkpoint: every slot
 * below the file's length that the checkpoint does not name is free. A separate free-list file
 * could disagree with the checkpoint after a crash; a derived one cannot.
 *
 * <p>Slot bookkeeping is guarded by this object's monitor; reads and writes use positional I/O
 * on one channel, safe from many threads.
 */
final class PageFile implements AutoCloseable {
    final Path path;
    final int pageSize;
    private final FileChannel ch;
    private int slotCount;
    private BitSet checkpointed;
    private final BitSet free = new BitSet();
    private final BitSet pending = new BitSet();
    /** Pages read since open (tests count them: a blind write reads none). */
    private final LongAdder reads = new LongAdder();

    private PageFile(Path path, int pageSize, FileChannel ch) {
        this.path = path;
        this.pageSize = pageSize;
        this.ch = ch;
    }

    /** Opens the file; {@code referenced} are the slots the checkpoint names. */
    static PageFile open(Path path, int pageSize, int checkpointSlots, BitSet referenced) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        PageFile f = new PageFile(path, pageSize, ch);
        long size = ch.size();
        long fileSlots = size / pageSize;
        if (fileSlots < checkpointSlots) {
            ch.close();
            throw new CorruptIndexException(path, size, "page file is shorter than the " + checkpointSlots
                    + " pages the checkpoint names");
        }
        f.slotCount = (int) Math.min(Integer.MAX_VALUE, fileSlots);
        f.setCheckpointed(referenced);
        return f;
    }

    /** A slot to write a page to: a free one, or a new one at the end of the file. */
    synchronized int allocate() {
        int s = free.nextSetBit(0);
        if (s >= 0) {
            free.clear(s);
            return s;
        }
        if (slotCount == Integer.MAX_VALUE) {
            throw new IllegalStateException("page file " + path + " is full (2^31 pages)");
        }
        return slotCount++;
    }

    /** Gives a slot back: free now, or after the next checkpoint if the last one names it. */
    synchronized void release(int slot) {
        if (checkpointed.get(slot)) {
            pending.set(slot);
        } else {
            free.set(slot);
        }
    }

    /** After a checkpoint naming {@code referenced} is durable: every other slot is free. */
    synchronized void setCheckpointed(BitSet referenced) {
        checkpointed = (BitSet) referenced.clone();
        free.clear();
        free.set(0, slotCount);
        free.andNot(referenced);
        pending.clear();
    }

    synchronized int slotCount() {
        return slotCount;
    }

    synchronized int freeCount() {
        return free.cardinality();
    }

    void write(int slot, ByteBuffer page) throws IOException {
        long pos = (long) slot * pageSize;
        while (page.hasRemaining()) {
            pos += ch.write(page, pos);
        }
    }

    /** Reads slot {@code slot} into a new heap buffer; a short file is corruption. */
    ByteBuffer read(int slot) throws IOException {
        reads.increment();
        ByteBuffer b = ByteBuffer.allocate(pageSize);
        long pos = (long) slot * pageSize;
        while (b.hasRemaining()) {
            int n = ch.read(b, pos + b.position());
            if (n < 0) {
                throw new CorruptIndexException(path, pos, "page file ends inside page slot " + slot);
            }
        }
        return b.flip();
    }

    /** Pages read since the file was opened. */
    long reads() {
        return reads.sum();
    }

    /** Forces every written page to disk (before a checkpoint names them). */
    void force() throws IOException {
        ch.force(false);
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
