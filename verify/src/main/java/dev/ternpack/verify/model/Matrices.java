package dev.ternpack.verify.model;

import dev.ternpack.pack.TernaryTensor;
import dev.ternpack.pack.TritScale;
import dev.ternpack.verify.kernel.DenseMatrix;
import dev.ternpack.verify.kernel.TernaryMatrix;

/** Conversions from pack's unpacked tensors and from dense storage into the verifier's compute form. */
final class Matrices {
    private Matrices() {
    }

    /**
     * The compute form of an unpacked tensor, times {@code extraScale} (a separate scale tensor; 1 when none).
     * Per-block scales that agree on every block holding a nonzero trit become one tensor scale.
     */
    static TernaryMatrix of(TernaryTensor t, float extraScale) {
        return switch (t.scale()) {
            case TritScale.PerTensor p -> TernaryMatrix.fromTensorTrits(t, p.gamma() * extraScale, null);
            case TritScale.PerBlock p -> perBlock(t, p, extraScale);
        };
    }

    private static TernaryMatrix perBlock(TernaryTensor t, TritScale.PerBlock p, float extraScale) {
        byte[] trits = t.trits();
        float[] d = new float[p.blocks()];
        float uniform = Float.NaN;
        boolean same = true;
        for (int b = 0; b < d.length; b++) {
            d[b] = Float.float16ToFloat(p.d(b));
            if (!allZero(trits, b * TernaryTensor.TQ_BLOCK)) {
                if (Float.isNaN(uniform)) {
                    uniform = d[b];
                } else if (d[b] != uniform) {
                    same = false;
                }
            }
        }
        if (same) {
            return TernaryMatrix.fromTensorTrits(t, Float.isNaN(uniform) ? 0f : uniform * extraScale, null);
        }
        return TernaryMatrix.fromTensorTrits(t, extraScale, d);
    }

    private static boolean allZero(byte[] trits, int from) {
        for (int i = from; i < from + TernaryTensor.TQ_BLOCK; i++) {
            if (trits[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * A dense matrix whose values are all in {-s, 0, +s} for one s, as ternary trits with scale s (times
     * {@code extraScale}); null when the values are not ternary.
     */
    static TernaryMatrix ternaryValued(DenseMatrix m, float extraScale) {
        int rows = m.rows();
        int cols = m.cols();
        float[] row = new float[cols];
        byte[] trits = new byte[Math.multiplyExact(rows, cols)];
        float s = 0f;
        for (int r = 0; r < rows; r++) {
            m.decodeRow(r, row, 0);
            for (int c = 0; c < cols; c++) {
                float v = row[c];
                if (v == 0f) {
                    continue;
                }
                float a = Math.abs(v);
                if (s == 0f) {
                    s = a;
                } else if (a != s) {
                    return null;
                }
                trits[r * cols + c] = (byte) (v > 0 ? 1 : -1);
            }
        }
        return TernaryMatrix.fromTrits(trits, rows, cols, s * extraScale);
    }
}
