package dev.ternpack.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The pool of reused output buffers: exact sizes, reuse instead of growth, misuse refused. */
class OutputBuffersTest {
    @Test
    void buffersAreReusedSoTheCountStaysAtTheNumberInUse() {
        try (OutputBuffers pool = new OutputBuffers(1000)) {
            for (int round = 0; round < 50; round++) {
                MemorySegment a = pool.take(1000);
                MemorySegment b = pool.take(10 + round);
                assertEquals(1000, a.byteSize());
                assertEquals(10 + round, b.byteSize());
                a.fill((byte) 1);
                b.fill((byte) 2);
                assertEquals(1, a.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 999), "buffers in use do not overlap");
                pool.giveBack(b);
                pool.giveBack(a);
            }
            assertEquals(2, pool.allocated());
            MemorySegment c = pool.take(0);
            MemorySegment d = pool.take(1);
            MemorySegment e = pool.take(2);
            assertEquals(3, pool.allocated());
            pool.giveBack(c);
            pool.giveBack(d);
            pool.giveBack(e);
        }
    }

    @Test
    void misuseIsRefused() {
        try (OutputBuffers pool = new OutputBuffers(64)) {
            assertThrows(IllegalArgumentException.class, () -> pool.take(65));
            assertThrows(IllegalArgumentException.class, () -> pool.take(-1));
            MemorySegment a = pool.take(64);
            assertThrows(IllegalArgumentException.class, () -> pool.giveBack(MemorySegment.ofArray(new byte[64])));
            pool.giveBack(a);
            assertThrows(IllegalArgumentException.class, () -> pool.giveBack(a), "given back twice");
        }
    }

    @Test
    void closingFreesTheBuffersAndAccessThenFails() {
        OutputBuffers pool = new OutputBuffers(64);
        MemorySegment a = pool.take(64);
        pool.close();
        assertThrows(IllegalStateException.class, () -> a.fill((byte) 0));
        assertThrows(IllegalStateException.class, () -> pool.take(1));
        pool.giveBack(a); // ignored once closed: a writer's finally after a failed run must not throw
        pool.close();
    }
}
