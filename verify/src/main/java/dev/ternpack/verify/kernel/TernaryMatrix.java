package dev.ternpack.verify.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A ternary weight matrix {@code [rows, cols]} held as two bit planes, the compute form every packed layout
 * is decoded into: bit {@code c % 64} of word {@code r * words + c / 64} is set in {@link #plus} where the
 * trit is +1 and in {@link #minus} where it is -1. Two bits per weight, like the packed formats, and a dot
 * product with int8 activations becomes masked adds and subtracts.
 *
 * <p>The effective weight is {@code trit * scale * blockScale(r, c / 256)}; {@code blockScales} is null when
 * every block shares the tensor scale (absmean files, folded TQ files), and holds one factor per 256-column
 * block otherwise (third-party TQ files whose blocks carry different {@code d}).
 */
public final class TernaryMatrix {
    public static final int BLOCK = 256;

    private final int rows;
    private final int cols;
    private final int words;
    private final long[] plus;
    private final long[] minus;
    private final float scale;
    private final float[] blockScales;
    /** {@link TritGroupKernels}' form of the same trits when every weight shares the tensor scale, else null. */
    private final byte[] groupCodes;

    private TernaryMatrix(int rows, int cols, long[] plus, long[] minus, float scale, float[] blockScales,
            byte[] groupCodes) {
        this.rows = rows;
        this.cols = cols;
        this.words = wordsPerRow(cols);
        this.plus = plus;
        this.minus = minus;
        this.scale = scale;
        this.blockScales = blockScales;
        this.groupCodes = groupCodes;
    }

    public static int wordsPerRow(int cols) {
        return (cols + 63) >>> 6;
    }

    /** Builds the planes from row-major int8 trits in {-1, 0, 1}. */
    public static TernaryMatrix fromTrits(byte[] trits, int rows, int cols, float scale) {
        return fromTrits(trits, rows, cols, scale, null);
    }

    /**
     * Builds the planes from row-major trits; {@code blockScales} (may be null) has
     * {@code rows * ceil(cols / 256)} entries.
     */
    public static TernaryMatrix fromTrits(byte[] trits, int rows, int cols, float scale, float[] blockScales) {
        if ((long) rows * cols != trits.length) {
            throw new IllegalArgumentException(trits.length + " trits for a " + rows + "x" + cols + " matrix");
        }
        int words = wordsPerRow(cols);
        long[] plus = new long[Math.multiplyExact(rows, words)];
        long[] minus = new long[plus.length];
        boolean vector = TernaryKernels.VECTOR && 64 % B.length() == 0;
        for (int r = 0; r < rows; r++) {
            int src = r * cols;
            int dst = r * words;
            int c = vector ? planesVector(trits, src, cols, plus, minus, dst) : 0;
            planesScalar(trits, src, c, cols, plus, minus, dst, r);
        }
        if (blockScales != null && blockScales.length != rows * blocksPerRow(cols)) {
            throw new IllegalArgumentException("expected " + rows * blocksPerRow(cols) + " block scales");
        }
        byte[] codes = blockScales == null && TritGroupKernels.AVAILABLE ? TritGroupKernels.buildCodes(trits, rows, cols) : null;
        return new TernaryMatrix(rows, cols, plus, minus, scale, blockScales == null ? null : blockScales.clone(), codes);
    }

    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_PREFERRED;

    /**
     * The reference: one trit at a time, columns {@code from..cols-1} of the row starting at {@code src}; refuses a
     * value outside {-1, 0, 1}.
     */
    static void planesScalar(byte[] trits, int src, int from, int cols, long[] plus, long[] minus, int dst, int row) {
        for (int c = from; c < cols; c++) {
            byte t = trits[src + c];
            if (t == 1) {
                plus[dst + (c >>> 6)] |= 1L << c;
            } else if (t == -1) {
                minus[dst + (c >>> 6)] |= 1L << c;
            } else if (t != 0) {
                throw new IllegalArgumentException("not a trit: " + t + " at row " + row + ", column " + c);
            }
        }
    }

    /**
     * Whole 64-column words of a row at once: a lane compare per trit gives the word's bits directly
     * ({@code VectorMask.toLong}, lane i = bit i). Returns the first column left for {@link #planesScalar}: the
     * tail of the row, or the word holding a value that is no trit (so the reference names it).
     */
    private static int planesVector(byte[] trits, int src, int cols, long[] plus, long[] minus, int dst) {
        int lanes = B.length();
        int full = cols & ~63;
        for (int c = 0; c < full; c += 64) {
            long p = 0;
            long m = 0;
            long bad = 0;
            for (int k = 0; k < 64; k += lanes) {
                ByteVector v = ByteVector.fromArray(B, trits, src + c + k);
                p |= v.eq((byte) 1).toLong() << k;
                m |= v.eq((byte) -1).toLong() << k;
                // t + 1 must be 0, 1 or 2 as an unsigned byte
                bad |= v.add((byte) 1).compare(VectorOperators.UGT, (byte) 2).toLong();
            }
            if (bad != 0) {
                return c;
            }
            plus[dst + (c >>> 6)] = p;
            minus[dst + (c >>> 6)] = m;
        }
        return full;
    }

    public static int blocksPerRow(int cols) {
        return (cols + BLOCK - 1) / BLOCK;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** 64-bit words per row in each plane. */
    public int words() {
        return words;
    }

    long[] plusPlane() {
        return plus;
    }

    long[] minusPlane() {
        return minus;
    }

    /** The tensor scale (gamma, or the product of a folded scale and a separate scale tensor). */
    public float scale() {
        return scale;
    }

    /** Per-block factors, or null when all blocks use {@link #scale()} alone. */
    public float[] blockScales() {
        return blockScales == null ? null : blockScales.clone();
    }

    /**
     * The trits as base-3 codes of three columns, 32 rows to a block ({@link TritGroupKernels}), a third of a byte
     * per weight; null with block scales (the lookup path needs one scale per row).
     */
    byte[] groupCodes() {
        return groupCodes;
    }

    boolean hasBlockScales() {
        return blockScales != null;
    }

    float blockScale(int row, int block) {
        return blockScales == null ? 1f : blockScales[row * blocksPerRow(cols) + block];
    }

    public int trit(int r, int c) {
        int w = r * words + (c >>> 6);
        long bit = 1L << c;
        return (plus[w] & bit) != 0 ? 1 : (minus[w] & bit) != 0 ? -1 : 0;
    }

    /** Row-major int8 trits (for audits and repacking). */
    public byte[] toTrits() {
        byte[] out = new byte[Math.multiplyExact(rows, cols)];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[r * cols + c] = (byte) trit(r, c);
            }
        }
        return out;
    }

    /** Counts of -1, 0, +1. */
    public long[] tritCounts() {
        long p = 0;
        long m = 0;
        for (int i = 0; i < plus.length; i++) {
            p += Long.bitCount(plus[i]);
            m += Long.bitCount(minus[i]);
        }
        return new long[] {m, (long) rows * cols - p - m, p};
    }

    /** Number of positions whose trit differs from {@code other}'s (same shape required). */
    public long countMismatches(TernaryMatrix other) {
        if (other.rows != rows || other.cols != cols) {
            throw new IllegalArgumentException("shape " + other.rows + "x" + other.cols + " vs " + rows + "x" + cols);
        }
        long n = 0;
        for (int i = 0; i < plus.length; i++) {
            n += Long.bitCount((plus[i] ^ other.plus[i]) | (minus[i] ^ other.minus[i]));
        }
        return n;
    }

    /** Row index of the first mismatch with {@code other}, or -1. */
    public int firstMismatchRow(TernaryMatrix other) {
        for (int i = 0; i < plus.length; i++) {
            if (plus[i] != other.plus[i] || minus[i] != other.minus[i]) {
                return i / words;
            }
        }
        return -1;
    }

    /** Bytes held by the planes. */
    public long byteSize() {
        return 16L * plus.length;
    }
}
