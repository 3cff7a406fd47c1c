package dev.ternpack.pack.bench;

import dev.ternpack.formats.DType;
import dev.ternpack.formats.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Shared inputs: one latent BF16 projection of a real shape, off-heap like a mapped checkpoint. */
public final class BenchData {
    /** bitnet-b1.58-2B-4T's down_proj: [hidden 2560, intermediate 6912], 17.7 M weights, 35.4 MB of BF16. */
    static final int ROWS = 2560;
    static final int COLS = 6912;
    static final long ELEMENTS = (long) ROWS * COLS;
    static final long BF16_BYTES = ELEMENTS * 2;

    private BenchData() {
    }

    /** Gaussian latent weights (sigma 0.02, like a trained BitNet projection), as BF16 in native memory. */
    static Tensor latentBf16(Arena arena, long seed) {
        MemorySegment seg = arena.allocate(BF16_BYTES, 64);
        SplittableRandom rnd = new SplittableRandom(seed);
        ValueLayout.OfShort u16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < ELEMENTS; i++) {
            double g = Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
            seg.setAtIndex(u16, i, (short) (Float.floatToRawIntBits((float) (0.02 * g)) >>> 16));
        }
        return new Tensor("model.layers.0.mlp.down_proj.weight", DType.BF16, new long[] {ROWS, COLS}, seg, null);
    }

    /**
     * Counts BF16 input bytes per benchmark operation; JMH reports it as a rate, so {@code bf16Bytes} reads as
     * bytes per second (divide by 1e9 for GB/s). Reset every iteration.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bf16Bytes {
        public long bf16Bytes;

        @Setup(Level.Iteration)
        public void reset() {
            bf16Bytes = 0;
        }

        void add() {
            bf16Bytes += BF16_BYTES;
        }
    }
}
