package dev.ternpack.verify.model;

import dev.ternpack.verify.kernel.DenseMatrix;
import dev.ternpack.verify.kernel.TernaryMatrix;

/** The weights of one projection: ternary (the normal case) or full precision (fallback tensors, latent baseline). */
public sealed interface Linear {
    int rows();

    int cols();

    /** Ternary weights with their scale. */
    record Ternary(TernaryMatrix matrix) implements Linear {
        @Override
        public int rows() {
            return matrix.rows();
        }

        @Override
        public int cols() {
            return matrix.cols();
        }
    }

    /** Full-precision weights. */
    record Dense(DenseMatrix matrix) implements Linear {
        @Override
        public int rows() {
            return matrix.rows();
        }

        @Override
        public int cols() {
            return matrix.cols();
        }
    }
}
