package dev.ternpack.pack;

import dev.ternpack.formats.BadInputException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A ternary weight matrix: {@code rows x cols} trits in {-1, 0, +1}, row-major as int8 (rows = the tensor's
 * first dimension, cols = the product of the others, i.e. {@code [out_features, in_features]}), and the scale
 * that turns them into weights.
 *
 * <p>The trit array is not copied: whoever builds a tensor hands the array over and must not change it. The
 * constructor checks every trit, so a tensor that exists holds only valid trits.
 *
 * @param name  the tensor's name in its checkpoint, for messages
 * @param file  the file it came from, for messages; null when it was not read from a file
 */
public record TernaryTensor(String name, Path file, int rows, int cols, byte[] trits, TritScale scale) {

    /** Elements per TQ1_0/TQ2_0 block ({@code QK_K}), the unit of a per-block scale. */
    public static final int TQ_BLOCK = 256;

    public TernaryTensor {
        if (name == null || trits == null || scale == null) {
            throw new IllegalArgumentException("null name, trits or scale");
        }
        if (rows <= 0 || cols <= 0 || (long) rows * cols != trits.length) {
            throw new IllegalArgumentException(name + ": " + trits.length + " trits for a " + rows + "x" + cols
                    + " matrix");
        }
        if (scale instanceof TritScale.PerBlock p) {
            if (cols % TQ_BLOCK != 0 || p.blocks() != trits.length / TQ_BLOCK) {
                throw new IllegalArgumentException(name + ": " + p.blocks() + " block scales for a " + rows + "x"
                        + cols + " matrix in blocks of " + TQ_BLOCK);
            }
        }
        int bad = TwoBitKernels.firstNonTrit(trits);
        if (bad >= 0) {
            throw new IllegalArgumentException(name + ": " + trits[bad] + " is not a trit (row " + bad / cols
                    + ", column " + bad % cols + ")");
        }
    }

    /** A tensor with one scale gamma. */
    public static TernaryTensor of(String name, Path file, int rows, int cols, byte[] trits, float gamma) {
        return new TernaryTensor(name, file, rows, cols, trits, new TritScale.PerTensor(gamma));
    }

    public long size() {
        return trits.length;
    }

    public byte trit(int row, int col) {
        return trits[row * cols + col];
    }

    /**
     * The one scale of the whole tensor. For per-block scales, every block holding a nonzero trit must carry
     * the same {@code d} (all-zero blocks do not count, their {@code d} multiplies nothing); otherwise a
     * {@link BadInputException} says which blocks differ, as no single-scale layout can hold such a tensor
     * without changing its weights. A tensor with no nonzero trit has scale 0.
     */
    public float tensorScale() {
        return switch (scale) {
            case TritScale.PerTensor p -> p.gamma();
            case TritScale.PerBlock p -> uniformBlockScale(p);
        };
    }

    private float uniformBlockScale(TritScale.PerBlock p) {
        int first = -1;
        for (int b = 0; b < p.blocks(); b++) {
            if (!blockIsZero(b)) {
                if (first < 0) {
                    first = b;
                } else if (p.d(b) != p.d(first)) {
                    throw new BadInputException(file, "tensor " + name + ": block " + blockText(first) + " has d = "
                            + Float.float16ToFloat(p.d(first)) + " but block " + blockText(b) + " has d = "
                            + Float.float16ToFloat(p.d(b)) + "; a layout with one scale per tensor (I2_S, HF 2-bit,"
                            + " TQ tensor mode) cannot hold this tensor without changing its weights");
                }
            }
        }
        return first < 0 ? 0f : Float.float16ToFloat(p.d(first));
    }

    private String blockText(int b) {
        int perRow = cols / TQ_BLOCK;
        return b + " (row " + b / perRow + ", columns " + (b % perRow) * TQ_BLOCK + ".." + ((b % perRow + 1) * TQ_BLOCK - 1)
                + ")";
    }

    /** True when block {@code b} (256 elements, row-major block order) holds only zero trits. */
    boolean blockIsZero(int b) {
        int from = b * TQ_BLOCK;
        for (int i = from; i < from + TQ_BLOCK; i++) {
            if (trits[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** The scale that multiplies the trit at flat index {@code i}. */
    public float scaleAt(int i) {
        return switch (scale) {
            case TritScale.PerTensor p -> p.gamma();
            case TritScale.PerBlock p -> Float.float16ToFloat(p.d(i / TQ_BLOCK));
        };
    }

    /** The weights {@code trit * scale}, row-major. */
    public float[] dequantize() {
        float[] out = new float[trits.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = trits[i] * scaleAt(i);
        }
        return out;
    }

    /** Trits and counts of -1/0/+1. */
    public TritStats stats() {
        return TritStats.count(trits);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TernaryTensor t && name.equals(t.name) && java.util.Objects.equals(file, t.file)
                && rows == t.rows && cols == t.cols && scale.equals(t.scale) && Arrays.equals(trits, t.trits);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * name.hashCode() + Arrays.hashCode(trits)) + scale.hashCode();
    }

    @Override
    public String toString() {
        return "TernaryTensor[" + name + " " + rows + "x" + cols + ", " + scale + "]";
    }
}
