package dev.ternpack.convert.engine;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs producer tasks on worker threads and hands their results to a consumer strictly in task order,
 * with at most {@code lookahead} results in flight. The output is therefore the same for any thread count,
 * and memory stays bounded by a few tensors however large the model.
 */
public final class OrderedPipeline {

    /** Receives results in task order on the calling thread. */
    @FunctionalInterface
    public interface Consumer<T> {
        void accept(int index, T result) throws Exception;
    }

    private OrderedPipeline() {
    }

    public static <T> void run(List<? extends Callable<T>> tasks, int threads, int lookahead, Consumer<T> consumer)
            throws Exception {
        if (threads <= 1) {
            for (int i = 0; i < tasks.size(); i++) {
                consumer.accept(i, tasks.get(i).call());
            }
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "ternpack-convert");
            t.setDaemon(true);
            return t;
        });
        Deque<Future<T>> inFlight = new ArrayDeque<>();
        int next = 0;
        try {
            for (int i = 0; i < tasks.size(); i++) {
                while (next < tasks.size() && inFlight.size() < Math.max(1, lookahead)) {
                    inFlight.addLast(pool.submit(tasks.get(next++)));
                }
                T result;
                try {
                    result = inFlight.removeFirst().get();
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof Exception ex) {
                        throw ex;
                    }
                    throw (Error) c;
                }
                consumer.accept(i, result);
            }
        } finally {
            inFlight.forEach(f -> f.cancel(true));
            pool.shutdownNow();
        }
    }
}
