package io.arboretum.bftree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Leaf pages on disk: round trip, every flipped byte detected, the shadow-slot free list. */
class LeafPageTest {
    @TempDir
    Path tmp;

    static final int PS = 512;
    static final byte[] LOW = {10};
    static final byte[] HIGH = {20, 1};

    private static byte[][][] records(int n) {
        byte[][] k = new byte[n][];
        byte[][] v = new byte[n][];
        for (int i = 0; i < n; i++) {
            k[i] = new byte[] {(byte) (10 + i), (byte) i, 7};
            v[i] = new byte[i * 3];
            java.util.Arrays.fill(v[i], (byte) i);
        }
        return new byte[][][] {k, v};
    }

    @Test
    void pagesRoundTripAndEveryFlippedByteIsCaughtWithItsOffset() throws IOException {
        byte[][][] r = records(9);
        try (PageFile f = PageFile.open(tmp.resolve("p"), PS, 0, new BitSet())) {
            int s0 = f.allocate();
            int s1 = f.allocate();
            assertEquals(1, s1);
            ByteBuffer page = ByteBuffer.allocate(PS);
            LeafPage.encode(page, PS, 42, LOW, HIGH, r[0], r[1], 9);
            f.write(s1, page);
            LeafPage.Records got = LeafPage.decode(f.read(s1), PS, 42, LOW, HIGH, f.path, (long) s1 * PS);
            for (int i = 0; i < 9; i++) {
                assertArrayEquals(r[0][i], got.keys[i]);
                assertArrayEquals(r[1][i], got.values[i]);
            }
            assertEquals(0, s0);
            byte[] good = f.read(s1).array();
            for (int pos = 0; pos < PS; pos++) {
                byte[] bad = good.clone();
                bad[pos] ^= (byte) (1 << (pos % 8));
                CorruptIndexException e = assertThrows(CorruptIndexException.class,
                        () -> LeafPage.decode(ByteBuffer.wrap(bad), PS, 42, LOW, HIGH, f.path, PS), "byte " + pos);
                assertEquals(f.path, e.file());
                assertTrue(e.offset() >= PS && e.offset() < 2 * PS, e.getMessage());
            }
            // A well-formed page of another logical page, or with other fences, is refused too.
            assertTrue(assertThrows(CorruptIndexException.class,
                    () -> LeafPage.decode(f.read(s1), PS, 43, LOW, HIGH, f.path, PS)).getMessage()
                    .contains("logical page 42"));
            assertThrows(CorruptIndexException.class,
                    () -> LeafPage.decode(f.read(s1), PS, 42, LOW, null, f.path, PS));
            // A slot never written is zeros: not a page.
            assertTrue(assertThrows(CorruptIndexException.class,
                    () -> LeafPage.decode(f.read(s0), PS, 0, new byte[0], null, f.path, 0)).getMessage()
                    .contains("magic"));
            assertThrows(CorruptIndexException.class, () -> f.read(5));
        }
    }

    @Test
    void checkpointedSlotsAreReusedOnlyAfterTheNextCheckpoint() throws IOException {
        try (PageFile f = PageFile.open(tmp.resolve("p"), PS, 0, new BitSet())) {
            for (int i = 0; i < 4; i++) {
                f.allocate();
            }
            BitSet ck = new BitSet();
            ck.set(0);
            ck.set(2);
            f.setCheckpointed(ck);
            assertEquals(2, f.freeCount());
            int a = f.allocate();
            int b = f.allocate();
            assertEquals(4, a + b); // slots 1 and 3
            f.release(0); // checkpointed: pending, not free
            f.release(a); // not checkpointed: free at once
            assertEquals(a, f.allocate());
            assertEquals(4, f.allocate()); // slot 0 is still held back
            BitSet ck2 = new BitSet();
            ck2.set(2);
            ck2.set(a);
            ck2.set(4);
            f.setCheckpointed(ck2);
            assertEquals(0, f.allocate());
            assertNotEquals(2, f.allocate());
        }
    }

    @Test
    void randomContentRoundTrips() throws IOException {
        Random rnd = new Random(7);
        ByteBuffer page = ByteBuffer.allocate(PS);
        for (int t = 0; t < 200; t++) {
            java.util.TreeMap<byte[], byte[]> m = new java.util.TreeMap<>(java.util.Arrays::compareUnsigned);
            int bytes = 0;
            while (true) {
                byte[] k = new byte[1 + rnd.nextInt(8)];
                rnd.nextBytes(k);
                k[0] = (byte) (10 + rnd.nextInt(10));
                byte[] v = new byte[rnd.nextInt(40)];
                rnd.nextBytes(v);
                if (LeafPage.encodedSize(LOW, HIGH, bytes + Limits.recordBytes(k, v)) > PS) {
                    break;
                }
                if (!m.containsKey(k)) {
                    m.put(k, v);
                    bytes += Limits.recordBytes(k, v);
                }
            }
            byte[][] ks = m.keySet().toArray(new byte[0][]);
            byte[][] vs = m.values().toArray(new byte[0][]);
            LeafPage.encode(page, PS, t, LOW, HIGH, ks, vs, ks.length);
            LeafPage.Records got = LeafPage.decode(ByteBuffer.wrap(page.array().clone()), PS, t, LOW, HIGH, tmp, 0);
            assertEquals(ks.length, got.keys.length);
            for (int i = 0; i < ks.length; i++) {
                assertArrayEquals(ks[i], got.keys[i]);
                assertArrayEquals(vs[i], got.values[i]);
            }
        }
    }
}
