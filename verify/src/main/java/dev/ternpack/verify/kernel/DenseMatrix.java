package dev.ternpack.verify.kernel;

import dev.ternpack.formats.FloatDecoding;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A full-precision matrix {@code [rows, cols]} decoded one row at a time, so a mapped BF16 embedding or a
 * latent weight never needs an f32 copy of the whole tensor.
 */
public abstract class DenseMatrix {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Storage encodings a dense matrix can be decoded from. */
    public enum Encoding {
        F32(4, 1), F16(2, 1), BF16(2, 1),
        /** ggml Q8_0: blocks of 32 values, fp16 d then 32 int8 (34 bytes). */
        Q8_0(34, 32);

        final int blockBytes;
        final int blockValues;

        Encoding(int blockBytes, int blockValues) {
            this.blockBytes = blockBytes;
            this.blockValues = blockValues;
        }
    }

    protected final int rows;
    protected final int cols;

    protected DenseMatrix(int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
    }

    public final int rows() {
        return rows;
    }

    public final int cols() {
        return cols;
    }

    /** Writes row {@code r} as floats into {@code dst[off..off+cols)}. */
    public abstract void decodeRow(int r, float[] dst, int off);

    public static DenseMatrix of(float[] values, int rows, int cols) {
        if ((long) rows * cols != values.length) {
            throw new IllegalArgumentException(values.length + " values for " + rows + "x" + cols);
        }
        return new DenseMatrix(rows, cols) {
            @Override
            public void decodeRow(int r, float[] dst, int off) {
                System.arraycopy(values, r * cols, dst, off, cols);
            }
        };
    }

    /** A view of little-endian data in {@code encoding}; the segment must hold exactly rows x cols values. */
    public static DenseMatrix of(MemorySegment data, Encoding encoding, int rows, int cols) {
        if (cols % encoding.blockValues != 0) {
            throw new IllegalArgumentException(encoding + " rows must be a multiple of " + encoding.blockValues);
        }
        long rowBytes = (long) cols / encoding.blockValues * encoding.blockBytes;
        if (data.byteSize() != rowBytes * rows) {
            throw new IllegalArgumentException(data.byteSize() + " bytes for " + rows + "x" + cols + " " + encoding);
        }
        return new DenseMatrix(rows, cols) {
            @Override
            public void decodeRow(int r, float[] dst, int off) {
                long base = r * rowBytes;
                switch (encoding) {
                    case F32 -> MemorySegment.copy(data, F32, base, dst, off, cols);
                    case F16 -> {
                        for (int c = 0; c < cols; c++) {
                            dst[off + c] = Float.float16ToFloat(data.get(U16, base + 2L * c));
                        }
                    }
                    case BF16 -> {
                        for (int c = 0; c < cols; c++) {
                            dst[off + c] = FloatDecoding.bf16ToFloat(data.get(U16, base + 2L * c));
                        }
                    }
                    case Q8_0 -> {
                        for (int b = 0; b < cols / 32; b++) {
                            long blk = base + 34L * b;
                            float d = Float.float16ToFloat(data.get(U16, blk)); // ggml_half d
                            for (int j = 0; j < 32; j++) {
                                dst[off + b * 32 + j] = d * data.get(ValueLayout.JAVA_BYTE, blk + 2 + j); // int8 qs[32]
                            }
                        }
                    }
                }
            }
        };
    }
}
