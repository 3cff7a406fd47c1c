package dev.ternpack.convert;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * Native buffers of one capacity, reused from tensor to tensor for packed outputs and encoded windows while they
 * wait to be written. Fresh per-tensor heap arrays of several MB are humongous objects to G1, which grew the heap
 * around them to over 1.5 GB resident for the 2B-4T shape with about 60 MB live; a pool holds only as many buffers
 * as results are in flight (the pipeline's lookahead plus the one being written), allocated once.
 *
 * <p>A buffer's bytes are not cleared between uses: whoever takes one writes every byte it hands on (the packers
 * do, see {@code TernaryLayout#requireDestination}). Thread-safe: workers take, the writer's thread gives back.
 */
final class OutputBuffers implements AutoCloseable {
    private final long capacity;
    private final Arena arena = Arena.ofShared();
    private final Deque<MemorySegment> free = new ArrayDeque<>();
    /** Every buffer allocated, by its address, so that a slice given back finds its whole buffer. */
    private final Map<Long, MemorySegment> byAddress = new HashMap<>();
    private boolean closed;

    /** A pool of buffers of {@code capacity} bytes each (at least 1). */
    OutputBuffers(long capacity) {
        this.capacity = Math.max(1, capacity);
    }

    /** A buffer of exactly {@code bytes} bytes, at most the capacity; give it back with {@link #giveBack}. */
    synchronized MemorySegment take(long bytes) {
        if (closed) {
            throw new IllegalStateException("the output buffers are closed");
        }
        if (bytes < 0 || bytes > capacity) {
            throw new IllegalArgumentException("a buffer of " + bytes + " bytes asked of a pool of " + capacity);
        }
        MemorySegment whole = free.pollFirst();
        if (whole == null) {
            whole = arena.allocate(capacity, 64);
            byAddress.put(whole.address(), whole);
        }
        return whole.asSlice(0, bytes);
    }

    /** Returns a buffer from {@link #take} (any slice of it from offset 0) for reuse. */
    synchronized void giveBack(MemorySegment buffer) {
        if (closed) {
            return;
        }
        MemorySegment whole = byAddress.get(buffer.address());
        if (whole == null || free.contains(whole)) {
            throw new IllegalArgumentException("not a buffer of this pool, or given back twice");
        }
        free.addFirst(whole);
    }

    /** How many buffers were allocated so far (for tests: it stays at the number in flight). */
    synchronized int allocated() {
        return byAddress.size();
    }

    /** Frees every buffer; a buffer still in use elsewhere then fails on access instead of touching freed memory. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            free.clear();
            arena.close();
        }
    }
}
