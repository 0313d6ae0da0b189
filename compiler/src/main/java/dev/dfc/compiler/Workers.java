package dev.dfc.compiler;

import dev.dfc.compiler.parse.LargeStackThread;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Runs independent pieces of work (one per input file) on a few threads, the caller's included,
 * and returns their results in input order, so that callers can report them exactly as a
 * sequential loop would.
 */
public final class Workers {
    /** At most this many threads; more would mostly wait for the parts that run on one. */
    private static final int MAX_THREADS = 4;

    private Workers() {}

    /**
     * Element {@code i} of the result is {@code work.apply(i)}, or the {@link Throwable} it threw.
     * Uses a thread per {@code perThread} items, up to the number of processors and at most 4;
     * the extra threads are {@link LargeStackThread}s of {@code stackBytes} (0: the default size).
     */
    public static Object[] map(int count, int perThread, long stackBytes, IntFunction<?> work) {
        Object[] results = new Object[count];
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                try {
                    results[i] = work.apply(i);
                } catch (Throwable t) {
                    results[i] = t;
                }
            }
        };
        int threads = Math.min(Math.min(MAX_THREADS, Runtime.getRuntime().availableProcessors()), count / perThread);
        List<Thread> helpers = new ArrayList<>();
        for (int t = 1; t < threads; t++) {
            Thread helper = new LargeStackThread(worker, "dfc-worker-".concat(Integer.toString(t)), stackBytes);
            helper.setDaemon(true);
            try {
                helper.start();
            } catch (OutOfMemoryError e) {
                break; // no more threads: the others do the work
            }
            helpers.add(helper);
        }
        worker.run();
        boolean interrupted = false;
        for (Thread helper : helpers) {
            while (true) {
                try {
                    helper.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        return results;
    }
}
