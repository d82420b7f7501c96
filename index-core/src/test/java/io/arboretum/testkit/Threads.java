package io.arboretum.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** Runs a test body on several threads started together, and reports the first failure. */
public final class Threads {
    /** How long each thread may take to finish after the others: past it, a latch was left held or a loop livelocked. */
    private static final long STUCK_MILLIS = TimeUnit.MINUTES.toMillis(2);

    private Threads() {
    }

    /** One thread's work. */
    public interface Body {
        /**
         * @param thread the thread's index, {@code 0 <= thread < threads}
         * @throws Exception anything; the first one fails the run
         */
        void run(int thread) throws Exception;
    }

    /**
     * Starts {@code threads} threads that run {@code body} after a common barrier, waits for all,
     * and rethrows the first failure.
     *
     * @param name    what to call the run in a failure
     * @param threads how many threads
     * @param body    each thread's work, by its index
     * @throws AssertionError       with the first failure as its cause, or if a thread is stuck
     * @throws InterruptedException if interrupted while waiting
     */
    public static void run(String name, int threads, Body body) throws InterruptedException {
        CyclicBarrier start = new CyclicBarrier(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    body.run(id);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, name + "-" + t);
            ts.add(th);
            th.start();
        }
        for (Thread th : ts) {
            th.join(STUCK_MILLIS);
            if (th.isAlive()) {
                throw new AssertionError(name + ": " + th.getName() + " is stuck (a latch left held, or a livelock)");
            }
        }
        if (failure.get() != null) {
            throw new AssertionError(name, failure.get());
        }
    }
}
