package dev.ternpack.pack;

import dev.ternpack.formats.BadInputException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * ggml {@code TQ2_0} (type 35), FORMATS.md §1.1 and §1.3: 256-element blocks along each row, 66 bytes each,
 * {@code qs[64]} then fp16 {@code d}. Element {@code e = 128h + 32l + m} of a block goes to bits {@code 2l+1:2l}
 * of {@code qs[32h + m]} as {@code code = trit + 1} (first lane in the least-significant bits).
 *
 * @param scaleMode whether gamma is folded into the block scales or carried by a separate {@code .scale} tensor
 */
public record Tq2Layout(ScaleMode scaleMode) implements TernaryLayout {
    public static final int BLOCK_BYTES = 66;
    /** Byte offset of {@code d} in a block ({@code ggml_fp16_t d} after {@code uint8_t qs[64]}). */
    static final int D_OFFSET = 64;
    private static final int QK = TernaryTensor.TQ_BLOCK;

    public static final Tq2Layout FOLD = new Tq2Layout(ScaleMode.FOLD);
    public static final Tq2Layout TENSOR_SCALE = new Tq2Layout(ScaleMode.TENSOR);

    public Tq2Layout {
        if (scaleMode == null) {
            throw new IllegalArgumentException("null scale mode");
        }
    }

    @Override
    public String displayName() {
        return "TQ2_0";
    }

    @Override
    public void requireShape(String tensor, Path file, long rows, long cols) {
        TqScales.requireRowLength(displayName(), tensor, file, rows, cols);
    }

    @Override
    public long packedSize(long rows, long cols) {
        if (rows <= 0 || cols <= 0 || cols % QK != 0) {
            throw new IllegalArgumentException("TQ2_0 cannot hold a " + rows + "x" + cols + " matrix");
        }
        return Math.multiplyExact(rows, cols / QK * BLOCK_BYTES);
    }

    @Override
    public boolean hasScaleTensor() {
        return scaleMode == ScaleMode.TENSOR;
    }

    @Override
    public Optional<Float> pack(TernaryTensor t, MemorySegment dst, Implementation impl) {
        requireShape(t.name(), t.file(), t.rows(), t.cols());
        requireDestination(t.name(), t.rows(), t.cols(), dst);
        TqScales scales = TqScales.forPacking(scaleMode, t.scale(),
                scaleMode == ScaleMode.TENSOR ? t.tensorScale() : 0f, displayName(), t.name(), t.file());
        if (impl == Implementation.REFERENCE) {
            packReference(t.trits(), scales, dst);
        } else {
            packRows(RowSource.of(t), scales, dst);
        }
        return scales.scaleTensor();
    }

    /** FORMATS.md §1.3 element by element: one 66-byte block at a time. */
    private static void packReference(byte[] trits, TqScales scales, MemorySegment dst) {
        byte[] block = new byte[BLOCK_BYTES];
        for (int b = 0; b < trits.length / QK; b++) {
            java.util.Arrays.fill(block, (byte) 0);
            boolean nonzero = false;
            for (int e = 0; e < QK; e++) {
                int trit = trits[b * QK + e];
                nonzero |= trit != 0;
                int h = e / 128;
                int l = (e % 128) / 32;
                int m = e % 32;
                block[32 * h + m] |= (byte) ((trit + 1) << (2 * l));
            }
            short d = scales.d(b, nonzero);
            block[D_OFFSET] = (byte) d;
            block[D_OFFSET + 1] = (byte) (d >> 8);
            MemorySegment.copy(block, 0, dst, ValueLayout.JAVA_BYTE, (long) b * BLOCK_BYTES, BLOCK_BYTES);
        }
    }

    /** Fast path: 32 bytes of {@code qs} per vector step. */
    void packRows(RowSource src, TqScales scales, MemorySegment dst) {
        int blocksPerRow = src.cols / QK;
        for (int r0 = 0; r0 < src.rows; ) {
            int count = Math.min(src.maxRows(), src.rows - r0);
            int off = src.load(0, r0, count);
            byte[] a = src.buffer(0);
            int firstBlock = r0 * blocksPerRow;
            for (int i = 0; i < count * blocksPerRow; i++) {
                int o = off + i * QK;
                long at = (long) (firstBlock + i) * BLOCK_BYTES;
                TwoBitKernels.pack(a, o, a, o + 32, a, o + 64, a, o + 96, 32, 0, 2, 4, 6, dst, at);
                TwoBitKernels.pack(a, o + 128, a, o + 160, a, o + 192, a, o + 224, 32, 0, 2, 4, 6, dst, at + 32);
                dst.set(TqScales.FP16, at + D_OFFSET, scales.d(firstBlock + i, TwoBitKernels.anyNonzero(a, o, QK)));
            }
            r0 += count;
        }
    }

    @Override
    public TernaryTensor unpack(PackedTensor packed, Implementation impl, IntFunction<byte[]> buffer) {
        requireSource(packed);
        MemorySegment src = packed.data();
        int blocks = packed.rows() * (packed.cols() / QK);
        byte[] trits = tritBuffer(packed, buffer);
        short[] d = new short[blocks];
        for (int b = 0; b < blocks; b++) {
            long at = (long) b * BLOCK_BYTES;
            if (impl == Implementation.REFERENCE) {
                unpackBlockReference(src, at, trits, b, packed);
            } else {
                int o = b * QK;
                boolean ok = TwoBitKernels.unpack(src, at, 32, 0, 2, 4, 6, trits, o, trits, o + 32, trits, o + 64, trits, o + 96)
                        & TwoBitKernels.unpack(src, at + 32, 32, 0, 2, 4, 6,
                                trits, o + 128, trits, o + 160, trits, o + 192, trits, o + 224);
                if (!ok) {
                    unpackBlockReference(src, at, trits, b, packed);
                }
            }
            d[b] = TqScales.readD(src, at + D_OFFSET, b, packed.cols() / QK, displayName(), packed);
        }
        return new TernaryTensor(packed.name(), packed.file(), packed.rows(), packed.cols(), trits,
                TqScales.unpacked(d, trits, displayName(), packed));
    }

    private void unpackBlockReference(MemorySegment src, long at, byte[] trits, int b, PackedTensor packed) {
        for (int e = 0; e < QK; e++) {
            int h = e / 128;
            int l = (e % 128) / 32;
            int m = e % 32;
            int code = (src.get(ValueLayout.JAVA_BYTE, at + 32 * h + m) >> (2 * l)) & 3;
            if (code == 3) {
                throw new BadInputException(packed.file(), "tensor " + packed.name() + ": TQ2_0 block " + b + " (row "
                        + b / (packed.cols() / QK) + "), byte qs[" + (32 * h + m) + "] bits " + (2 * l + 1) + ":" + 2 * l
                        + " hold code 3, which is not a trit");
            }
            trits[b * QK + e] = (byte) (code - 1);
        }
    }
}
