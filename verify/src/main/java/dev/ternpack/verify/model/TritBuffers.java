package dev.ternpack.verify.model;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.IntFunction;

/**
 * Scratch arrays for the trits of projections being turned into the compute form, one per shape, shared by the
 * chunks of a parallel load: a chunk takes a set when it starts and gives it back when it ends, so a load on
 * {@code t} threads allocates at most {@code t} sets, however many chunks it is split into. (A set per chunk made a
 * 2B-4T load allocate up to eight of 17 MB per shape; fresh pages cost their zeroing, and on a VM their first touch.)
 */
final class TritBuffers {
    private final ConcurrentLinkedDeque<Map<Integer, byte[]>> free = new ConcurrentLinkedDeque<>();

    /** A buffer set: a function from a trit count to an array of exactly that length, reused per count. */
    final class Lease implements AutoCloseable, IntFunction<byte[]> {
        private final Map<Integer, byte[]> arrays;

        private Lease(Map<Integer, byte[]> arrays) {
            this.arrays = arrays;
        }

        @Override
        public byte[] apply(int n) {
            return arrays.computeIfAbsent(n, byte[]::new);
        }

        @Override
        public void close() {
            free.addFirst(arrays);
        }
    }

    Lease take() {
        Map<Integer, byte[]> m = free.pollFirst();
        return new Lease(m != null ? m : new HashMap<>());
    }
}
