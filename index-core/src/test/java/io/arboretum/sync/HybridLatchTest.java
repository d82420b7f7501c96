package io.arboretum.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class HybridLatchTest {

    @Test
    void optimisticReadValidatesUntilAWriterLatches() {
        HybridLatch latch = new HybridLatch();
        long v = latch.optimisticRead();
        assertNotEquals(HybridLatch.RESTART, v);
        assertTrue(latch.validate(v));
        assertTrue(latch.tryUpgrade(v));
        assertFalse(latch.validate(v), "an exclusive holder must invalidate optimistic readers");
        assertEquals(HybridLatch.RESTART, latch.tryOptimisticRead());
        latch.unlockExclusive();
        assertFalse(latch.validate(v), "unlock must advance the version");
        long w = latch.optimisticRead();
        assertNotEquals(v, w);
        assertTrue(latch.validate(w));
    }

    @Test
    void unchangedUnlockKeepsEarlierReadsValidAndStillExcludesReadersWhileHeld() {
        HybridLatch latch = new HybridLatch();
        long v = latch.optimisticRead();
        assertTrue(latch.tryUpgrade(v));
        assertFalse(latch.validate(v), "a reader overlapping the holder must still fail");
        assertEquals(HybridLatch.RESTART, latch.tryOptimisticRead());
        latch.unlockExclusiveUnchanged();
        assertTrue(latch.validate(v), "nothing was written: a read from before the latch stays valid");
        assertEquals(v, latch.optimisticRead());
        assertTrue(latch.tryUpgrade(v), "an upgrade from before the latch may still succeed");
        latch.unlockExclusive();
        assertFalse(latch.validate(v), "a changing unlock advances the version as before");
    }

    @Test
    void sharedHoldersDoNotInvalidateOptimisticReadsButBlockUpgrade() {
        HybridLatch latch = new HybridLatch();
        long v = latch.optimisticRead();
        assertTrue(latch.lockShared());
        assertTrue(latch.validate(v));
        assertFalse(latch.tryUpgrade(v), "upgrade must fail while a shared holder is present");
        assertFalse(latch.tryLockExclusive());
        latch.unlockShared();
        assertTrue(latch.tryUpgrade(v));
        latch.unlockExclusive();
    }

    @Test
    void tryLockSharedFailsAfterAWrite() {
        HybridLatch latch = new HybridLatch();
        long v = latch.optimisticRead();
        assertTrue(latch.lockExclusive());
        latch.unlockExclusive();
        assertFalse(latch.tryLockShared(v));
        long w = latch.optimisticRead();
        assertTrue(latch.tryLockShared(w));
        latch.unlockShared();
    }

    @Test
    void obsoleteLatchRefusesEveryMode() {
        HybridLatch latch = new HybridLatch();
        long v = latch.optimisticRead();
        assertTrue(latch.lockExclusive());
        latch.unlockExclusiveObsolete();
        assertTrue(latch.isObsolete());
        assertFalse(latch.validate(v));
        assertEquals(HybridLatch.RESTART, latch.optimisticRead());
        assertFalse(latch.lockExclusive());
        assertFalse(latch.lockShared());
        assertFalse(latch.tryLockExclusive());
    }

    @Test
    void exclusiveWaitsForSharedHoldersToDrain() throws InterruptedException {
        HybridLatch latch = new HybridLatch();
        assertTrue(latch.lockShared());
        AtomicBoolean acquired = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        Thread writer = new Thread(() -> {
            latch.lockExclusive();
            acquired.set(true);
            latch.unlockExclusive();
            done.countDown();
        });
        writer.start();
        assertFalse(done.await(50, TimeUnit.MILLISECONDS), "writer entered while a reader held the latch");
        assertFalse(acquired.get());
        latch.unlockShared();
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertTrue(acquired.get());
    }

    /** Two threads increment a pair of plain fields under the latch; readers never see them differ. */
    @Test
    void exclusiveSectionsAreMutuallyExclusiveAndOptimisticReadsSeeNoTornPair() throws InterruptedException {
        final class Guarded extends HybridLatch {
            long a;
            long b;
        }
        Guarded g = new Guarded();
        int perThread = 200_000;
        AtomicBoolean torn = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        Runnable writer = () -> {
            for (int i = 0; i < perThread; i++) {
                g.lockExclusive();
                g.a++;
                g.b++;
                g.unlockExclusive();
            }
        };
        Thread reader = new Thread(() -> {
            while (!stop.get()) {
                long v = g.optimisticRead();
                long a = g.a;
                long b = g.b;
                if (g.validate(v) && a != b) {
                    torn.set(true);
                }
            }
        });
        Thread w1 = new Thread(writer);
        Thread w2 = new Thread(writer);
        reader.start();
        w1.start();
        w2.start();
        w1.join();
        w2.join();
        stop.set(true);
        reader.join();
        assertEquals(2L * perThread, g.a);
        assertEquals(2L * perThread, g.b);
        assertFalse(torn.get(), "a validated optimistic read observed a torn pair");
    }
}
