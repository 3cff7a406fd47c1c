package dev.ternpack.pack;

import dev.ternpack.formats.BadInputException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * bitnet.cpp {@code I2_S} (fork type 36), x86 layout, FORMATS.md §3.1: the whole tensor flattened row-major,
 * 128-element blocks of 32 bytes; element {@code e = 128b + 32g + p} goes to byte {@code 32b + p}, bits
 * {@code 7-2g : 6-2g} (the first group in the most significant bits, the opposite of TQ2_0), as
 * {@code code = trit + 1}. Then one f32 scale (gamma) at byte {@code n/4} and zeros up to {@code n/4 + 32}.
 *
 * <p>Rows must be a multiple of 128 long: bitnet.cpp reads row r at byte {@code r * cols / 4} and walks whole
 * 128-element blocks ({@code ggml_vec_dot_i2_i8_s}), so a block must not straddle two rows.
 */
public record I2sLayout() implements TernaryLayout {
    public static final int BLOCK = 128;
    public static final int BLOCK_BYTES = 32;
    /** f32 scale plus padding after the packed trits ({@code ggml_nbytes} = n/4 + 32 in the fork). */
    public static final int TAIL_BYTES = 32;
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public static final I2sLayout INSTANCE = new I2sLayout();

    @Override
    public String displayName() {
        return "I2_S";
    }

    @Override
    public void requireShape(String tensor, Path file, long rows, long cols) {
        if (rows <= 0 || cols <= 0) {
            throw new BadInputException(file, "tensor " + tensor + ": shape [" + rows + ", " + cols + "] is empty");
        }
        if (cols % BLOCK != 0) {
            throw new BadInputException(file, "tensor " + tensor + ": row length (in_features) " + cols
                    + " is not a multiple of " + BLOCK + "; bitnet.cpp's I2_S kernels read whole 128-element blocks"
                    + " per row. Use HF 2-bit, or keep this tensor in F16");
        }
    }

    @Override
    public long packedSize(long rows, long cols) {
        if (rows <= 0 || cols <= 0 || cols % BLOCK != 0) {
            throw new IllegalArgumentException("I2_S cannot hold a " + rows + "x" + cols + " matrix");
        }
        return Math.multiplyExact(rows, cols) / 4 + TAIL_BYTES;
    }

    @Override
    public boolean hasScaleTensor() {
        return false;
    }

    @Override
    public Optional<Float> pack(TernaryTensor t, MemorySegment dst, Implementation impl) {
        requireShape(t.name(), t.file(), t.rows(), t.cols());
        requireDestination(t.name(), t.rows(), t.cols(), dst);
        float gamma = t.tensorScale();
        if (impl == Implementation.REFERENCE) {
            packReference(t.trits(), dst);
        } else {
            packRows(RowSource.of(t), dst);
        }
        writeTail(dst, t.size(), gamma);
        return Optional.empty();
    }

    /** FORMATS.md §3.1 element by element (the loop of bitnet.cpp's quantize_i2_s, x86 branch). */
    private static void packReference(byte[] trits, MemorySegment dst) {
        byte[] packed = new byte[trits.length / 4];
        for (int e = 0; e < trits.length; e++) {
            int b = e / BLOCK;
            int g = (e % BLOCK) / 32;
            int p = e % 32;
            packed[BLOCK_BYTES * b + p] |= (byte) ((trits[e] + 1) << (6 - 2 * g));
        }
        MemorySegment.copy(packed, 0, dst, ValueLayout.JAVA_BYTE, 0, packed.length);
    }

    /** Fast path: one vector step per 128-element block. */
    void packRows(RowSource src, MemorySegment dst) {
        for (int r0 = 0; r0 < src.rows; ) {
            int count = Math.min(src.maxRows(), src.rows - r0);
            int off = src.load(0, r0, count);
            byte[] a = src.buffer(0);
            long at = (long) r0 * src.cols / 4;
            int blocks = count * src.cols / BLOCK;
            for (int i = 0; i < blocks; i++) {
                int o = off + i * BLOCK;
                TwoBitKernels.pack(a, o, a, o + 32, a, o + 64, a, o + 96, 32, 6, 4, 2, 0, dst, at + (long) i * BLOCK_BYTES);
            }
            r0 += count;
        }
    }

    /** {@code float scale} at byte n/4, then 28 zero bytes (what BitNet's Python writer puts there). */
    static void writeTail(MemorySegment dst, long n, float gamma) {
        dst.asSlice(n / 4, TAIL_BYTES).fill((byte) 0);
        dst.set(F32, n / 4, gamma);
    }

    @Override
    public TernaryTensor unpack(PackedTensor packed, Implementation impl, IntFunction<byte[]> buffer) {
        requireSource(packed);
        MemorySegment src = packed.data();
        int n = packed.rows() * packed.cols();
        byte[] trits = tritBuffer(packed, buffer);
        boolean ok = true;
        if (impl == Implementation.FAST) {
            for (int b = 0; b < n / BLOCK && ok; b++) {
                int o = b * BLOCK;
                ok = TwoBitKernels.unpack(src, (long) b * BLOCK_BYTES, 32, 6, 4, 2, 0,
                        trits, o, trits, o + 32, trits, o + 64, trits, o + 96);
            }
        }
        if (impl == Implementation.REFERENCE || !ok) {
            unpackReference(src, trits, packed);
        }
        // The 28 bytes after the scale are not read: bitnet.cpp's C quantizer leaves them uninitialized.
        float gamma = src.get(F32, n / 4);
        if (!Float.isFinite(gamma)) {
            throw new BadInputException(packed.file(), "tensor " + packed.name() + ": I2_S scale at byte " + n / 4
                    + " is " + gamma);
        }
        return TernaryTensor.of(packed.name(), packed.file(), packed.rows(), packed.cols(), trits, gamma);
    }

    private static void unpackReference(MemorySegment src, byte[] trits, PackedTensor packed) {
        for (int e = 0; e < trits.length; e++) {
            int b = e / BLOCK;
            int g = (e % BLOCK) / 32;
            int p = e % 32;
            long at = (long) BLOCK_BYTES * b + p;
            int code = (src.get(ValueLayout.JAVA_BYTE, at) >> (6 - 2 * g)) & 3;
            if (code == 3) {
                throw new BadInputException(packed.file(), "tensor " + packed.name() + ": I2_S block " + b + " (row "
                        + e / packed.cols() + "), byte " + at + " bits " + (7 - 2 * g) + ":" + (6 - 2 * g)
                        + " hold code 3, which is not a trit");
            }
            trits[e] = (byte) (code - 1);
        }
    }
}
