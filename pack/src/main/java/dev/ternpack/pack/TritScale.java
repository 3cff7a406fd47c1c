package dev.ternpack.pack;

import java.util.Arrays;

/**
 * How the scale of a ternary tensor is carried: one value for the whole tensor (what absmean ternarization,
 * I2_S and HF 2-bit give), or one fp16 {@code d} per 256-element block (what a TQ1_0/TQ2_0 file written by
 * another tool holds, kept bit for bit so TQ1_0 and TQ2_0 convert into each other without loss). The weight
 * at a position is {@code trit * scale}.
 */
public sealed interface TritScale {

    /** One scale for every weight of the tensor. */
    record PerTensor(float gamma) implements TritScale {
        public PerTensor {
            if (!Float.isFinite(gamma)) {
                throw new IllegalArgumentException("tensor scale must be finite, got " + gamma);
            }
        }
    }

    /**
     * One fp16 scale per block of {@value TernaryTensor#TQ_BLOCK} elements along a row, in row-major block
     * order (block {@code b} of row {@code r} is entry {@code r * cols / 256 + b}), as raw IEEE half bits.
     * The array is copied in and out.
     */
    record PerBlock(short[] fp16) implements TritScale {
        public PerBlock {
            fp16 = fp16.clone();
            for (int i = 0; i < fp16.length; i++) {
                if (!Float.isFinite(Float.float16ToFloat(fp16[i]))) {
                    throw new IllegalArgumentException("block scale " + i + " is not finite: 0x"
                            + Integer.toHexString(fp16[i] & 0xFFFF));
                }
            }
        }

        @Override
        public short[] fp16() {
            return fp16.clone();
        }

        public int blocks() {
            return fp16.length;
        }

        /** Raw fp16 bits of block {@code i}. */
        public short d(int i) {
            return fp16[i];
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PerBlock p && Arrays.equals(fp16, p.fp16);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(fp16);
        }

        @Override
        public String toString() {
            return "PerBlock[" + fp16.length + " fp16 scales]";
        }
    }
}
