package dev.ternpack.pack;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.DType;
import dev.ternpack.formats.FloatDecoding;
import dev.ternpack.formats.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Optional;

/**
 * Absmean ternarization with one scale per tensor, as BitNet b1.58 computes it in training
 * ({@code WeightQuant}, FORMATS.md §4.3):
 * <pre>
 *   meanAbs = float( sum_double(|W|) / n )         over the whole tensor
 *   s       = 1 / max(meanAbs, 1e-5)               in float
 *   trit    = clamp(rint(W * s), -1, 1)            W * s in float, rint = round half to even (torch.round)
 *   gamma   = max(meanAbs, 1e-5), or 0 when W is all zero, so that trit * gamma = W_q / s
 * </pre>
 * W is the stored tensor decoded exactly to float ({@link FloatDecoding}: BF16, F16, F32; F64 is narrowed to
 * float first). The sum runs in a fixed order ({@link AbsmeanKernels}), so the result does not depend on the
 * machine or on {@link Implementation}.
 *
 * <p><b>Convention and ties.</b> This is the issue's and HF's convention, {@code W * s} in float. The fixtures'
 * reference ({@code testdata/models/*}/reference.json) rounds {@code float64(W) / float64(gamma)} instead; the
 * two give the same trits unless {@code |W| / gamma} lies within about one float ulp of 0.5 or 1.5, where the
 * float product (rounded once in {@code s} and once in {@code W * s}) can land on the other side of, or exactly
 * on, the tie. A weight stored as exactly {@code 0.5 * gamma} is such a case: its product may come out as
 * 0.49999997, 0.5 (rounds to 0) or 0.50000006 (rounds to 1) depending on how {@code 1 / gamma} rounded. On the
 * fixture checkpoints all conventions agree (reference.json counts 0 mismatches); {@link TritStats#nearThreshold()}
 * counts the weights within 1/256 of a threshold, a generous bound on where such disagreements could occur.
 */
public final class AbsmeanQuantizer {
    /** Lower clamp of the scale, {@code clamp_(min=1e-5)} in BitNet's WeightQuant (as a float, like torch). */
    public static final float MIN_SCALE = 1e-5f;
    /** Distance from 0.5 or 1.5 within which {@code |W * s|} counts as near a rounding threshold. */
    public static final float NEAR_THRESHOLD = 1f / 256;
    /** Largest element count ternarized at once: the trits are one Java byte array. */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /** Latent elements quantized per chunk by the fused path (bounded buffers, cache-sized). */
    private static final int CHUNK_ELEMENTS = 1 << 15;

    private AbsmeanQuantizer() {
    }

    /** The trits of a matrix view: rows = first dimension, cols = product of the others. */
    private record Shape(int rows, int cols) {
    }

    private static Shape shapeOf(Tensor w) {
        if (!w.dtype().isFloatingPoint()) {
            throw new BadInputException(w.file(), "tensor " + w.name() + " has dtype " + w.dtype()
                    + "; ternarization needs latent floating-point weights");
        }
        if (w.rank() == 0) {
            throw new BadInputException(w.file(), "tensor " + w.name() + " is a scalar; ternarization needs a matrix");
        }
        long n;
        try {
            n = w.numel();
        } catch (ArithmeticException e) {
            n = Long.MAX_VALUE;
        }
        if (n > MAX_ELEMENTS) {
            throw new BadInputException(w.file(), "tensor " + w.name() + " " + Arrays.toString(w.shape()) + " has " + n
                    + " elements; ternpack ternarizes at most " + MAX_ELEMENTS + " (2^31 - 9) elements per tensor");
        }
        if (n == 0) {
            throw new BadInputException(w.file(), "tensor " + w.name() + " " + Arrays.toString(w.shape()) + " is empty");
        }
        if (w.data().byteSize() != n * w.dtype().byteSize()) {
            throw new BadInputException(w.file(), "tensor " + w.name() + ": " + w.data().byteSize() + " bytes of data for "
                    + n + " elements of " + w.dtype());
        }
        return new Shape((int) w.dim(0), (int) (n / w.dim(0)));
    }

    /** The mean pass: the scale of a tensor, with the default implementation. */
    public static AbsmeanScale scale(Tensor w) {
        return scale(w, Implementation.preferred());
    }

    /**
     * The mean pass. A NaN or infinite weight is a {@link BadInputException} naming the tensor, its file and
     * the first such element.
     */
    public static AbsmeanScale scale(Tensor w, Implementation impl) {
        Shape shape = shapeOf(w);
        long n = (long) shape.rows * shape.cols;
        double[] lanes = impl == Implementation.REFERENCE
                ? AbsmeanKernels.laneSumsReference(w.data(), w.dtype(), n)
                : AbsmeanKernels.laneSumsFast(w.data(), w.dtype(), n);
        double sum = AbsmeanKernels.combine(lanes);
        if (!Double.isFinite(sum)) {
            // A sum of finite floats' magnitudes cannot overflow a double: some element is NaN or infinite.
            throw nonFinite(w, shape);
        }
        return AbsmeanScale.of((float) (sum / n));
    }

    private static BadInputException nonFinite(Tensor w, Shape shape) {
        long n = (long) shape.rows * shape.cols;
        for (long i = 0; i < n; i++) {
            float v = FloatDecoding.get(w.data(), w.dtype(), i);
            if (!Float.isFinite(v)) {
                return new BadInputException(w.file(), "tensor " + w.name() + " holds " + v + " at flat index " + i
                        + " (row " + i / shape.cols + ", column " + i % shape.cols
                        + "); a latent weight must be finite, so this checkpoint is damaged");
            }
        }
        throw new IllegalStateException("non-finite sum without a non-finite element in " + w.name());
    }

    /** Ternarizes a latent tensor with the default implementation. */
    public static Ternarization ternarize(Tensor w) {
        return ternarize(w, Implementation.preferred());
    }

    /** Ternarizes a latent tensor: trits, gamma and counts. */
    public static Ternarization ternarize(Tensor w, Implementation impl) {
        Shape shape = shapeOf(w);
        AbsmeanScale scale = scale(w, impl);
        int n = shape.rows * shape.cols;
        byte[] trits = new byte[n];
        long[] counts = new long[3];
        if (impl == Implementation.REFERENCE) {
            AbsmeanKernels.quantizeReference(w.data(), w.dtype(), 0, n, scale.inverse(), trits, 0, counts);
        } else {
            AbsmeanKernels.quantizeFast(w.data(), w.dtype(), 0, n, scale.inverse(), trits, 0, counts);
        }
        TritStats stats = stats(n, counts);
        TernaryTensor tensor = TernaryTensor.of(w.name(), w.file(), shape.rows, shape.cols, trits, scale.gamma());
        return new Ternarization(tensor, scale, stats);
    }

    private static TritStats stats(long n, long[] counts) {
        long minus = counts[AbsmeanKernels.MINUS];
        long plus = counts[AbsmeanKernels.PLUS];
        return new TritStats(minus, n - minus - plus, plus, counts[AbsmeanKernels.NEAR_COUNT]);
    }

    /** Ternarizes and packs with the default implementation. */
    public static PackedTernarization ternarizeAndPack(Tensor w, TernaryLayout layout, MemorySegment dst) {
        return ternarizeAndPack(w, layout, dst, Implementation.preferred());
    }

    /**
     * Ternarizes a latent tensor straight into {@code layout}, writing all {@link TernaryLayout#packedSize} bytes
     * of {@code dst}: one pass for the mean, then one pass that packs, so the whole trit array never exists. BF16
     * goes from the raw bits straight to the packed bytes ({@link FusedBf16}; TQ1_0 only with 32-lane vectors); otherwise a few
     * rows at a time are quantized into a small buffer and packed. The bytes equal {@code layout.pack(ternarize(w))}.
     * Checks the shape against the layout and the destination size before reading any weight.
     */
    public static PackedTernarization ternarizeAndPack(Tensor w, TernaryLayout layout, MemorySegment dst,
            Implementation impl) {
        Shape shape = shapeOf(w);
        layout.requireShape(w.name(), w.file(), shape.rows, shape.cols);
        layout.requireDestination(w.name(), shape.rows, shape.cols, dst);
        if (impl == Implementation.REFERENCE) {
            Ternarization t = ternarize(w, impl);
            Optional<Float> scaleTensor = layout.pack(t.tensor(), dst, impl);
            return new PackedTernarization(t.scale(), t.stats(), scaleTensor);
        }
        AbsmeanScale scale = scale(w, impl);
        if (w.dtype() == DType.BF16 && (FusedBf16.TQ1_FUSED || !(layout instanceof Tq1Layout))) {
            return fusedBf16(w, shape, scale, layout, dst);
        }
        QuantizingRows source = new QuantizingRows(w, shape.rows, shape.cols, scale.inverse());
        TritScale.PerTensor tritScale = new TritScale.PerTensor(scale.gamma());
        Optional<Float> scaleTensor = switch (layout) {
            case Tq2Layout tq2 -> {
                TqScales scales = TqScales.forPacking(tq2.scaleMode(), tritScale, scale.gamma(), tq2.displayName(),
                        w.name(), w.file());
                tq2.packRows(source, scales, dst);
                yield scales.scaleTensor();
            }
            case Tq1Layout tq1 -> {
                TqScales scales = TqScales.forPacking(tq1.scaleMode(), tritScale, scale.gamma(), tq1.displayName(),
                        w.name(), w.file());
                tq1.packRows(source, scales, dst);
                yield scales.scaleTensor();
            }
            case I2sLayout i2s -> {
                i2s.packRows(source, dst);
                I2sLayout.writeTail(dst, (long) shape.rows * shape.cols, scale.gamma());
                yield Optional.empty();
            }
            case Hf2BitLayout hf -> {
                hf.packRows(source, dst);
                yield Optional.of(hf.linearClass().weightScale(scale.gamma()));
            }
        };
        if (source.loadedElements != (long) shape.rows * shape.cols) {
            throw new IllegalStateException(layout.displayName() + " packer read " + source.loadedElements + " of "
                    + (long) shape.rows * shape.cols + " weights of " + w.name());
        }
        return new PackedTernarization(scale, stats((long) shape.rows * shape.cols, source.counts), scaleTensor);
    }

    /** BF16 straight from its bits into the packed bytes ({@link FusedBf16}), no trits in between. */
    private static PackedTernarization fusedBf16(Tensor w, Shape shape, AbsmeanScale scale, TernaryLayout layout,
            MemorySegment dst) {
        long n = (long) shape.rows * shape.cols;
        AbsmeanKernels.Thresholds th = AbsmeanKernels.Thresholds.of(DType.BF16, scale.inverse());
        TritScale.PerTensor tritScale = new TritScale.PerTensor(scale.gamma());
        long[] counts = new long[3];
        Optional<Float> scaleTensor = switch (layout) {
            case Tq2Layout tq2 -> {
                TqScales scales = TqScales.forPacking(tq2.scaleMode(), tritScale, scale.gamma(), tq2.displayName(),
                        w.name(), w.file());
                FusedBf16.tq2(w.data(), n / TernaryTensor.TQ_BLOCK, th, scales, dst, counts);
                yield scales.scaleTensor();
            }
            case Tq1Layout tq1 -> {
                TqScales scales = TqScales.forPacking(tq1.scaleMode(), tritScale, scale.gamma(), tq1.displayName(),
                        w.name(), w.file());
                FusedBf16.tq1(w.data(), n / TernaryTensor.TQ_BLOCK, th, scales, dst, counts);
                yield scales.scaleTensor();
            }
            case I2sLayout i2s -> {
                FusedBf16.i2s(w.data(), n, th, dst, counts);
                I2sLayout.writeTail(dst, n, scale.gamma());
                yield Optional.empty();
            }
            case Hf2BitLayout hf -> {
                FusedBf16.hf(w.data(), shape.rows, shape.cols, th, dst, counts);
                yield Optional.of(hf.linearClass().weightScale(scale.gamma()));
            }
        };
        return new PackedTernarization(scale, stats(n, counts), scaleTensor);
    }

    /** Rows quantized on demand into one small buffer per slot. */
    private static final class QuantizingRows extends RowSource {
        private final Tensor w;
        private final float inverse;
        private final int maxRows;
        private final byte[][] buffers = new byte[SLOTS][];
        final long[] counts = new long[3];
        long loadedElements;

        QuantizingRows(Tensor w, int rows, int cols, float inverse) {
            super(rows, cols);
            this.w = w;
            this.inverse = inverse;
            this.maxRows = Math.max(1, Math.min(rows, CHUNK_ELEMENTS / cols));
        }

        @Override
        int maxRows() {
            return maxRows;
        }

        @Override
        int load(int slot, int first, int count) {
            if (buffers[slot] == null) {
                buffers[slot] = new byte[maxRows * cols];
            }
            AbsmeanKernels.quantizeFast(w.data(), w.dtype(), (long) first * cols, count * cols, inverse,
                    buffers[slot], 0, counts);
            loadedElements += (long) count * cols;
            return 0;
        }

        @Override
        byte[] buffer(int slot) {
            return buffers[slot];
        }
    }
}
