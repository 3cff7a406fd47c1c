package dev.ternpack.pack;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * Hugging Face transformers' packed BitNet weights ({@code quant_method "bitnet"}), FORMATS.md §4.1: uint8
 * {@code [P, cols]} with {@code P = ceil(rows / 4)}; packed row {@code j} holds original rows {@code j, j+P,
 * j+2P, j+3P} in bit pairs 1:0, 3:2, 5:4, 7:6 as {@code code = trit + 1}. The scale goes in a separate
 * {@code weight_scale} tensor of shape [1] whose meaning is fixed by {@link #linearClass()}
 * ({@link LinearClass#weightScale}); the caller writes it in the model dtype ({@link EncodedScale#encode}).
 *
 * <p>When rows is not a multiple of 4 the last slab is short. Those bit pairs get code 1 (trit 0), so a reader
 * that unpacks all {@code 4P} rows sees zero weights there. transformers' own {@code pack_weights} leaves them
 * 00, which its {@code unpack_weights} reads as -1; neither matters to transformers, whose {@code BitLinear}
 * holds {@code out_features // 4} packed rows and so cannot load such a tensor at all. Unpacking ignores these
 * bit pairs, whatever they hold.
 *
 * @param linearClass what the stored {@code weight_scale} means
 */
public record Hf2BitLayout(LinearClass linearClass) implements TernaryLayout {
    public static final int TRITS_PER_BYTE = 4;

    public static final Hf2BitLayout AUTOBITLINEAR = new Hf2BitLayout(LinearClass.AUTOBITLINEAR);
    public static final Hf2BitLayout BITLINEAR = new Hf2BitLayout(LinearClass.BITLINEAR);

    public Hf2BitLayout {
        if (linearClass == null) {
            throw new IllegalArgumentException("null linear class");
        }
    }

    @Override
    public String displayName() {
        return "HF 2-bit";
    }

    /** Packed rows for {@code rows} original rows. */
    public static long packedRows(long rows) {
        return (rows + TRITS_PER_BYTE - 1) / TRITS_PER_BYTE;
    }

    @Override
    public void requireShape(String tensor, Path file, long rows, long cols) {
        if (rows <= 0 || cols <= 0) {
            throw new BadInputException(file, "tensor " + tensor + ": shape [" + rows + ", " + cols + "] is empty");
        }
    }

    @Override
    public long packedSize(long rows, long cols) {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("HF 2-bit cannot hold a " + rows + "x" + cols + " matrix");
        }
        return Math.multiplyExact(packedRows(rows), cols);
    }

    @Override
    public boolean hasScaleTensor() {
        return true;
    }

    /** The {@code weight_scale} tensor for a tensor scale, encoded in {@code dtype} (say, the model's). */
    public EncodedScale encodeWeightScale(float gamma, DType dtype) {
        return EncodedScale.encode(linearClass.weightScale(gamma), dtype);
    }

    @Override
    public Optional<Float> pack(TernaryTensor t, MemorySegment dst, Implementation impl) {
        requireShape(t.name(), t.file(), t.rows(), t.cols());
        requireDestination(t.name(), t.rows(), t.cols(), dst);
        float gamma = t.tensorScale();
        if (impl == Implementation.REFERENCE) {
            packReference(t.trits(), t.rows(), t.cols(), dst);
        } else {
            packRows(RowSource.of(t), dst);
        }
        return Optional.of(linearClass.weightScale(gamma));
    }

    /** FORMATS.md §4.1: {@code packed[j, c] |= (W[i*P + j, c] + 1) << 2i}, code 1 where row i*P + j does not exist. */
    private static void packReference(byte[] trits, int rows, int cols, MemorySegment dst) {
        int p = (int) packedRows(rows);
        byte[] packed = new byte[p * cols];
        for (int i = 0; i < TRITS_PER_BYTE; i++) {
            for (int j = 0; j < p; j++) {
                int r = i * p + j;
                for (int c = 0; c < cols; c++) {
                    int code = r < rows ? trits[r * cols + c] + 1 : 1;
                    packed[j * cols + c] |= (byte) (code << (2 * i));
                }
            }
        }
        MemorySegment.copy(packed, 0, dst, ValueLayout.JAVA_BYTE, 0, packed.length);
    }

    /** Fast path: packed rows in chunks, the four slabs loaded side by side, a whole row per kernel call. */
    void packRows(RowSource src, MemorySegment dst) {
        int rows = src.rows;
        int cols = src.cols;
        int p = (int) packedRows(rows);
        byte[] zeroRow = new byte[cols];
        byte[][] slab = new byte[TRITS_PER_BYTE][];
        int[] base = new int[TRITS_PER_BYTE];
        int[] present = new int[TRITS_PER_BYTE];
        for (int j0 = 0; j0 < p; ) {
            int count = Math.min(src.maxRows(), p - j0);
            for (int i = 0; i < TRITS_PER_BYTE; i++) {
                int first = i * p + j0;
                present[i] = Math.max(0, Math.min(count, rows - first));
                if (present[i] > 0) {
                    base[i] = src.load(i, first, present[i]);
                    slab[i] = src.buffer(i);
                }
            }
            for (int k = 0; k < count; k++) {
                byte[] a0 = k < present[0] ? slab[0] : zeroRow;
                byte[] a1 = k < present[1] ? slab[1] : zeroRow;
                byte[] a2 = k < present[2] ? slab[2] : zeroRow;
                byte[] a3 = k < present[3] ? slab[3] : zeroRow;
                TwoBitKernels.pack(a0, offset(k, present[0], base[0], cols), a1, offset(k, present[1], base[1], cols),
                        a2, offset(k, present[2], base[2], cols), a3, offset(k, present[3], base[3], cols), cols,
                        0, 2, 4, 6, dst, (long) (j0 + k) * cols);
            }
            j0 += count;
        }
    }

    private static int offset(int k, int present, int base, int cols) {
        return k < present ? base + k * cols : 0;
    }

    @Override
    public TernaryTensor unpack(PackedTensor packed, Implementation impl, IntFunction<byte[]> buffer) {
        requireSource(packed);
        int rows = packed.rows();
        int cols = packed.cols();
        int p = (int) packedRows(rows);
        MemorySegment src = packed.data();
        byte[] trits = tritBuffer(packed, buffer);
        boolean ok = true;
        if (impl == Implementation.FAST) {
            for (int j = 0; j < p && ok; j++) {
                ok = TwoBitKernels.unpack(src, (long) j * cols, cols, 0, 2, 4, 6,
                        trits, j * cols, j + p < rows ? trits : null, (j + p) * cols,
                        j + 2 * p < rows ? trits : null, (j + 2 * p) * cols,
                        j + 3 * p < rows ? trits : null, (j + 3 * p) * cols);
            }
        }
        if (impl == Implementation.REFERENCE || !ok) {
            unpackReference(src, trits, packed);
        }
        float weightScale = packed.scaleTensor().get();
        float gamma = linearClass.gamma(weightScale);
        if (!Float.isFinite(gamma)) {
            throw new BadInputException(packed.file(), "tensor " + packed.name() + ": weight_scale " + weightScale
                    + " under linear_class " + linearClass.configName() + " gives scale " + gamma);
        }
        return TernaryTensor.of(packed.name(), packed.file(), rows, cols, trits, gamma);
    }

    /** FORMATS.md §4.1 unpack: {@code W[i*P + j] = ((packed[j] >> 2i) & 3) - 1}, for the rows that exist. */
    private static void unpackReference(MemorySegment src, byte[] trits, PackedTensor packed) {
        int rows = packed.rows();
        int cols = packed.cols();
        int p = (int) packedRows(rows);
        for (int i = 0; i < TRITS_PER_BYTE; i++) {
            for (int j = 0; j < p && i * p + j < rows; j++) {
                int r = i * p + j;
                for (int c = 0; c < cols; c++) {
                    long at = (long) j * cols + c;
                    int code = (src.get(ValueLayout.JAVA_BYTE, at) >> (2 * i)) & 3;
                    if (code == 3) {
                        throw new BadInputException(packed.file(), "tensor " + packed.name() + ": HF 2-bit byte [" + j
                                + ", " + c + "] bits " + (2 * i + 1) + ":" + 2 * i + " (row " + r
                                + ") hold code 3, which is not a trit");
                    }
                    trits[r * cols + c] = (byte) (code - 1);
                }
            }
        }
    }
}
