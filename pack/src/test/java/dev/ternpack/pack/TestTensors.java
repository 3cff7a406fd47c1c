package dev.ternpack.pack;

import dev.ternpack.formats.DType;
import dev.ternpack.formats.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** Builds latent tensors and random trit matrices for tests. */
final class TestTensors {
    static final Path FILE = Path.of("test.safetensors");
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TestTensors() {
    }

    /**
     * A tensor of {@code dtype} holding {@code values} (BF16 keeps the upper 16 bits of each float, so give it
     * bf16-representable values when exactness matters; F16 rounds to nearest even).
     */
    static Tensor tensor(String name, DType dtype, long[] shape, float[] values) {
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * dtype.byteSize()]);
        for (int i = 0; i < values.length; i++) {
            switch (dtype) {
                case F32 -> seg.setAtIndex(F32, i, values[i]);
                case F64 -> seg.setAtIndex(F64, i, values[i]);
                case F16 -> seg.setAtIndex(U16, i, Float.floatToFloat16(values[i]));
                case BF16 -> seg.setAtIndex(U16, i, (short) (Float.floatToRawIntBits(values[i]) >>> 16));
                default -> throw new IllegalArgumentException(dtype.toString());
            }
        }
        return new Tensor(name, dtype, shape, seg, FILE);
    }

    static Tensor matrix(DType dtype, int rows, int cols, float[] values) {
        return tensor("model.layers.0.mlp.up_proj.weight", dtype, new long[] {rows, cols}, values);
    }

    /** Latent-looking weights: mostly Gaussian, with a sprinkling of subnormals, zeros and signed zeros. */
    static float[] latent(SplittableRandom rnd, int n, float sigma) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            int kind = rnd.nextInt(100);
            if (kind == 0) {
                v[i] = Float.intBitsToFloat(rnd.nextInt(1, 0x007FFFFF)) * (rnd.nextBoolean() ? 1 : -1); // subnormal
            } else if (kind == 1) {
                v[i] = rnd.nextBoolean() ? 0f : -0f;
            } else {
                v[i] = (float) (gaussian(rnd) * sigma);
            }
        }
        return v;
    }

    static double gaussian(SplittableRandom rnd) {
        double u = rnd.nextDouble();
        double w = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * w);
    }

    /**
     * Random trits with a per-row density, and some whole 256-blocks (and rows) left all zero, so the
     * all-zero-block rules are exercised.
     */
    static byte[] trits(SplittableRandom rnd, int rows, int cols) {
        byte[] t = new byte[rows * cols];
        for (int r = 0; r < rows; r++) {
            double density = switch (rnd.nextInt(5)) {
                case 0 -> 0;
                case 1 -> 0.01;
                default -> rnd.nextDouble();
            };
            for (int c = 0; c < cols; c++) {
                if (rnd.nextDouble() < density) {
                    t[r * cols + c] = (byte) (rnd.nextBoolean() ? 1 : -1);
                }
            }
            for (int b = 0; b + 256 <= cols; b += 256) {
                if (rnd.nextInt(6) == 0) {
                    java.util.Arrays.fill(t, r * cols + b, r * cols + b + 256, (byte) 0);
                }
            }
        }
        return t;
    }
}
