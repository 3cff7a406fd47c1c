package dev.ternpack.formats.gguf;

import java.util.Locale;

/**
 * ggml tensor types as stored in a GGUF tensor info ({@code enum ggml_type}, ggml.h), with block size and
 * bytes per block from ggml's type traits. The ids are on-disk values and never derived from declaration
 * order.
 *
 * <p>Id 36 means different things upstream and in the BitNet fork: upstream it is a removed type, in
 * microsoft/BitNet (bitnet.cpp) it is {@link #I2_S}. ternpack reads 36 as I2_S and marks it fork-only:
 * stock llama.cpp refuses such files.
 */
public enum GgmlType {
    F32(0, 1, 4, false),
    F16(1, 1, 2, false),
    Q4_0(2, 32, 18, false),
    Q4_1(3, 32, 20, false),
    Q5_0(6, 32, 22, false),
    Q5_1(7, 32, 24, false),
    Q8_0(8, 32, 34, false),
    Q8_1(9, 32, 36, false),
    Q2_K(10, 256, 84, false),
    Q3_K(11, 256, 110, false),
    Q4_K(12, 256, 144, false),
    Q5_K(13, 256, 176, false),
    Q6_K(14, 256, 210, false),
    Q8_K(15, 256, 292, false),
    IQ2_XXS(16, 256, 66, false),
    IQ2_XS(17, 256, 74, false),
    IQ3_XXS(18, 256, 98, false),
    IQ1_S(19, 256, 50, false),
    IQ4_NL(20, 32, 18, false),
    IQ3_S(21, 256, 110, false),
    IQ2_S(22, 256, 82, false),
    IQ4_XS(23, 256, 136, false),
    I8(24, 1, 1, false),
    I16(25, 1, 2, false),
    I32(26, 1, 4, false),
    I64(27, 1, 8, false),
    F64(28, 1, 8, false),
    IQ1_M(29, 256, 56, false),
    BF16(30, 1, 2, false),
    TQ1_0(34, 256, 54, false),
    TQ2_0(35, 256, 66, false),
    /**
     * bitnet.cpp's 2-bit type: 4 trits per byte over the whole tensor, then one f32 scale and padding to
     * 32 bytes ({@code ggml_nbytes} = n/4 + 32 in the fork). Not an upstream type.
     */
    I2_S(36, 1, 1, true),
    MXFP4(39, 32, 17, false);

    private final int id;
    private final int blockSize;
    private final int typeSize;
    private final boolean forkOnly;

    GgmlType(int id, int blockSize, int typeSize, boolean forkOnly) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
        this.forkOnly = forkOnly;
    }

    public int id() {
        return id;
    }

    /** Elements per block; a row length ({@code ne0}) must be a multiple of it. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int typeSize() {
        return typeSize;
    }

    /** True for types only the BitNet fork (bitnet.cpp) reads. */
    public boolean forkOnly() {
        return forkOnly;
    }

    /** Size in bytes of a tensor of this type with {@code numel} elements whose rows are {@code ne0} long. */
    public long nbytes(long ne0, long numel) {
        if (this == I2_S) {
            // fork ggml_nbytes: packed 2-bit trits, then a 32-byte tail holding the f32 scale.
            return numel / 4 + 32;
        }
        if (ne0 % blockSize != 0) {
            throw new IllegalArgumentException(this + " needs rows that are a multiple of " + blockSize
                    + ", got " + ne0);
        }
        return Math.multiplyExact(numel / blockSize, (long) typeSize);
    }

    /** The type with this id, or null when ternpack does not know it. */
    public static GgmlType fromId(long id) {
        for (GgmlType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }

    /** Lower-case name as llama.cpp prints it ({@code tq2_0}, {@code i2_s}). */
    public String displayName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
