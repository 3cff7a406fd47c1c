package dev.ternpack.verify.kernel;

import dev.ternpack.pack.TernaryTensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A ternary weight matrix {@code [rows, cols]}, the compute form every packed layout is decoded into. Two forms
 * exist: two bit planes (bit {@code c % 64} of word {@code r * words + c / 64} is set in {@link #plus} where the
 * trit is +1 and in {@link #minus} where it is -1; a dot product with int8 activations becomes masked adds and
 * subtracts), and the base-3 group codes of {@link TritGroupKernels}, which the lookup kernel reads. A matrix with
 * group codes (one scale per row, on a machine with the lookup kernel) holds only those: the planes, which only the
 * fallback kernels, the float mode and the audits read, are derived from the codes on first use. That keeps the
 * memory of a loaded model at a third of a byte per weight instead of a third plus a quarter, and its load
 * time without the planes' construction and the zeroing of their pages.
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
    /** The planes: given, or derived from {@link #groupCodes} on first use (then guarded by this). */
    private volatile long[] plus;
    private long[] minus;
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
        return fromTrits(trits, rows, cols, scale, blockScales, false);
    }

    /**
     * As {@link #fromTrits(byte[], int, int, float, float[])} for the trits of a {@link TernaryTensor}, which its
     * constructor has already checked: the second check, a full pass over up to 2 GB of trits for a 2B model,
     * is skipped. The array must not have been changed since.
     */
    public static TernaryMatrix fromTensorTrits(TernaryTensor t, float scale, float[] blockScales) {
        return fromTrits(t.trits(), t.rows(), t.cols(), scale, blockScales, true);
    }

    private static TernaryMatrix fromTrits(byte[] trits, int rows, int cols, float scale, float[] blockScales,
            boolean checked) {
        if ((long) rows * cols != trits.length) {
            throw new IllegalArgumentException(trits.length + " trits for a " + rows + "x" + cols + " matrix");
        }
        if (blockScales != null && blockScales.length != rows * blocksPerRow(cols)) {
            throw new IllegalArgumentException("expected " + rows * blocksPerRow(cols) + " block scales");
        }
        if (blockScales == null && TritGroupKernels.AVAILABLE) {
            if (!checked) {
                TritGroupKernels.requireTrits(trits, cols);
            }
            return new TernaryMatrix(rows, cols, null, null, scale, null, TritGroupKernels.buildCodes(trits, rows, cols));
        }
        long[][] planes = planesOf(trits, rows, cols);
        return new TernaryMatrix(rows, cols, planes[0], planes[1], scale, blockScales == null ? null : blockScales.clone(),
                null);
    }

    /** The plus and minus planes of row-major trits; refuses a value that is no trit. */
    static long[][] planesOf(byte[] trits, int rows, int cols) {
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
        return new long[][] {plus, minus};
    }

    /** Builds the planes from the group codes, once (a matrix made with codes has none until asked). */
    private synchronized void ensurePlanes() {
        if (plus != null) {
            return;
        }
        long[] p = new long[Math.multiplyExact(rows, words)];
        long[] m = new long[p.length];
        int groups = TritGroupKernels.groups(cols);
        for (int r = 0; r < rows; r++) {
            int base = (r / TritGroupKernels.ROWS) * groups * TritGroupKernels.ROWS + r % TritGroupKernels.ROWS;
            int dst = r * words;
            for (int g = 0; g < groups; g++) {
                int code = groupCodes[base + g * TritGroupKernels.ROWS];
                for (int k = 0, c = g * TritGroupKernels.GROUP; k < TritGroupKernels.GROUP && c < cols; k++, c++) {
                    int t = code % 3 - 1;
                    code /= 3;
                    if (t == 1) {
                        p[dst + (c >>> 6)] |= 1L << c;
                    } else if (t == -1) {
                        m[dst + (c >>> 6)] |= 1L << c;
                    }
                }
            }
        }
        minus = m;
        plus = p;
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
        long[] p = plus;
        if (p == null) {
            ensurePlanes();
            p = plus;
        }
        return p;
    }

    long[] minusPlane() {
        if (plus == null) {
            ensurePlanes();
        }
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
        long[] plus = plusPlane();
        long[] minus = minusPlane();
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
        if (groupCodes != null) {
            return TritGroupKernels.tritCounts(groupCodes, (long) rows * cols);
        }
        long[] plus = plusPlane();
        long[] minus = minusPlane();
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
        if (groupCodes != null && other.groupCodes != null) {
            return TritGroupKernels.mismatches(groupCodes, other.groupCodes);
        }
        long[] plus = plusPlane();
        long[] minus = minusPlane();
        long[] otherPlus = other.plusPlane();
        long[] otherMinus = other.minusPlane();
        long n = 0;
        for (int i = 0; i < plus.length; i++) {
            n += Long.bitCount((plus[i] ^ otherPlus[i]) | (minus[i] ^ otherMinus[i]));
        }
        return n;
    }

    /** Row index of the first mismatch with {@code other}, or -1. */
    public int firstMismatchRow(TernaryMatrix other) {
        if (groupCodes != null && other.groupCodes != null && other.rows == rows && other.cols == cols) {
            return TritGroupKernels.firstMismatchRow(groupCodes, other.groupCodes, cols);
        }
        long[] plus = plusPlane();
        long[] minus = minusPlane();
        long[] otherPlus = other.plusPlane();
        long[] otherMinus = other.minusPlane();
        for (int i = 0; i < plus.length; i++) {
            if (plus[i] != otherPlus[i] || minus[i] != otherMinus[i]) {
                return i / words;
            }
        }
        return -1;
    }

    /** Bytes held by the compute form: the group codes, or the planes. */
    public long byteSize() {
        return groupCodes != null ? groupCodes.length : 16L * (long) rows * words;
    }
}
