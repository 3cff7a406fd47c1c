package dev.ternpack.verify.kernel;

/**
 * int8 activations of {@code tokens} rows of {@code cols} values, widened to 16 bits for the kernels and
 * padded with zeros to a whole number of 64-column words. One scale per token ({@link ActivationMode#PER_TOKEN}:
 * the value of {@code s}, so {@code x ~ q / s}) or one per 256-column block ({@link ActivationMode#RUNTIME}:
 * the Q8_K {@code d}, so {@code x ~ q * d}).
 */
public final class QuantizedActivations {
    private static final int BLOCK = TernaryMatrix.BLOCK;

    final int tokens;
    final int cols;
    final int stride;
    final short[] q;
    final float[] tokenScale;
    final float[] blockD;
    /** {@link TritGroupKernels}' lookup tables, built on first use and shared by every projection of this input. */
    private short[] groupTables;
    /** Where to build them instead, when the caller reuses one buffer for its inputs; null otherwise. */
    private final TableBuffer tableBuffer;

    /**
     * One array for the lookup tables of a sequence of inputs (the layers of one forward pass), instead of a fresh
     * one per input: 28-75 MB per projection input on 2B-4T's shapes at 512 tokens, about 5 GB of garbage per
     * window, which made the heap, and with it the resident set, grow to twice the live data. An input built with
     * a buffer owns the tables until the next input built with the same buffer builds its own; used after that,
     * it builds them again. So one buffer serves one thread's inputs, one input at a time.
     */
    public static final class TableBuffer {
        private short[] tables = new short[0];
        private QuantizedActivations owner;
    }

    private QuantizedActivations(int tokens, int cols, short[] q, float[] tokenScale, float[] blockD,
            TableBuffer tableBuffer) {
        this.tokens = tokens;
        this.cols = cols;
        this.stride = TernaryMatrix.wordsPerRow(cols) * 64;
        this.q = q;
        this.tokenScale = tokenScale;
        this.blockD = blockD;
        this.tableBuffer = tableBuffer;
    }

    public int tokens() {
        return tokens;
    }

    public int cols() {
        return cols;
    }

    public int q(int token, int col) {
        return q[token * stride + col];
    }

    /** Per-token BitNet quantization of {@code x[tokens][cols]} (row-major). */
    public static QuantizedActivations perToken(float[] x, int tokens, int cols) {
        try (Parallel callingThread = new Parallel(1)) {
            return perToken(x, tokens, cols, callingThread);
        }
    }

    /** As {@link #perToken(float[], int, int)}, tokens split over {@code parallel}'s threads (same bits). */
    public static QuantizedActivations perToken(float[] x, int tokens, int cols, Parallel parallel) {
        return perToken(x, tokens, cols, parallel, null);
    }

    /** As {@link #perToken(float[], int, int, Parallel)}, the lookup tables built in {@code tables} if not null. */
    public static QuantizedActivations perToken(float[] x, int tokens, int cols, Parallel parallel,
            TableBuffer tables) {
        int stride = TernaryMatrix.wordsPerRow(cols) * 64;
        short[] q = new short[Math.multiplyExact(tokens, stride)];
        float[] scales = new float[tokens];
        parallel.forRange(tokens, 8, (from, to) -> perTokenRows(x, from, to, cols, stride, q, scales));
        return new QuantizedActivations(tokens, cols, q, scales, null, tables);
    }

    private static void perTokenRows(float[] x, int from, int to, int cols, int stride, short[] q, float[] scales) {
        for (int t = from; t < to; t++) {
            int off = t * cols;
            float amax = 0f;
            for (int c = 0; c < cols; c++) {
                amax = Math.max(amax, Math.abs(x[off + c]));
            }
            // s = 127 / clamp(max|x|, min=1e-5), all in float32 as torch computes it.
            float s = 127f / Math.max(amax, 1e-5f);
            scales[t] = s;
            int dst = t * stride;
            for (int c = 0; c < cols; c++) {
                float v = (float) Math.rint(x[off + c] * s);
                q[dst + c] = (short) Math.max(-128f, Math.min(127f, v));
            }
        }
    }

    /**
     * llama.cpp's Q8_K quantization ({@code quantize_row_q8_K_ref}): per 256-value block, the value of
     * largest magnitude {@code max} gives {@code iscale = -127 / max}, {@code q = min(127, nearest_int(iscale
     * x))}, {@code d = 1 / iscale}. {@code nearest_int} rounds half to even (it adds 1.5 * 2^23).
     * {@code cols} must be a multiple of 256, as the TQ types require.
     */
    public static QuantizedActivations q8k(float[] x, int tokens, int cols) {
        if (cols % BLOCK != 0) {
            throw new IllegalArgumentException("Q8_K needs rows that are a multiple of 256, got " + cols);
        }
        int stride = TernaryMatrix.wordsPerRow(cols) * 64;
        int blocks = cols / BLOCK;
        short[] q = new short[Math.multiplyExact(tokens, stride)];
        float[] d = new float[tokens * blocks];
        for (int t = 0; t < tokens; t++) {
            for (int b = 0; b < blocks; b++) {
                int off = t * cols + b * BLOCK;
                float max = 0f;
                float amax = 0f;
                for (int j = 0; j < BLOCK; j++) {
                    float ax = Math.abs(x[off + j]);
                    if (ax > amax) {
                        amax = ax;
                        max = x[off + j];
                    }
                }
                if (amax == 0f) {
                    continue; // d = 0 and q = 0
                }
                float iscale = -127f / max;
                int dst = t * stride + b * BLOCK;
                for (int j = 0; j < BLOCK; j++) {
                    int v = (int) Math.rint(iscale * x[off + j]);
                    q[dst + j] = (short) Math.min(127, v);
                }
                d[t * blocks + b] = 1f / iscale;
            }
        }
        return new QuantizedActivations(tokens, cols, q, null, d, null);
    }

    /** The per-token factor s ({@code x ~ q / s}); only for per-token quantization. */
    public float tokenScale(int token) {
        return tokenScale[token];
    }

    /** The lookup tables of {@link TritGroupKernels}, built over {@code parallel} on first use. */
    synchronized short[] groupTables(Parallel parallel) {
        int length = Math.multiplyExact(tokens, TritGroupKernels.groups(cols) * TritGroupKernels.ROWS);
        if (tableBuffer == null) {
            if (groupTables == null) {
                groupTables = buildTables(new short[length], parallel);
            }
            return groupTables;
        }
        synchronized (tableBuffer) {
            if (tableBuffer.owner != this) {
                if (tableBuffer.tables.length < length) {
                    tableBuffer.tables = new short[length];
                }
                buildTables(tableBuffer.tables, parallel);
                tableBuffer.owner = this;
            }
            return tableBuffer.tables;
        }
    }

    /** This input's tables into {@code tables} (at least as long as they need), tokens split over {@code parallel}. */
    private short[] buildTables(short[] tables, Parallel parallel) {
        parallel.forRange(tokens, 8, (from, to) -> TritGroupKernels.buildTables(this, tables, from, to));
        return tables;
    }

    boolean perTokenScaled() {
        return tokenScale != null;
    }
}
