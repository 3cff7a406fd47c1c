package dev.ternpack.pack;

import dev.ternpack.formats.BadInputException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The per-block fp16 {@code d} of TQ1_0 and TQ2_0, shared by both: which {@code d} a block gets when packing,
 * and what scale a file's {@code d}s stand for when unpacking. One rule covers both {@link ScaleMode}s: a block
 * holding a nonzero trit gets {@code fp16(g)}, an all-zero block gets {@code 0x0000}, with {@code g = gamma}
 * when folding and {@code g = 1.0} in tensor mode. That is what ggml's {@code quantize_row_tq*_0_ref} writes
 * for the matrix {@code trit * g} (block absmax = g, or 0), so tensor mode is ggml's own encoding of the bare
 * trits, and unpack -> pack gives back the same bytes in both modes.
 */
final class TqScales {
    static final ValueLayout.OfShort FP16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final short FP16_ONE = 0x3C00;

    /** Set when packing from per-block scales in fold mode: each block keeps its own {@code d}. */
    private final short[] perBlock;
    private final short nonzeroD;
    private final Optional<Float> scaleTensor;

    private TqScales(short[] perBlock, short nonzeroD, Optional<Float> scaleTensor) {
        this.perBlock = perBlock;
        this.nonzeroD = nonzeroD;
        this.scaleTensor = scaleTensor;
    }

    /**
     * Block scales for packing. {@code tensorScale} is the tensor's single scale, needed in tensor mode only
     * (for per-block input it comes from {@link TernaryTensor#tensorScale()}, which refuses blocks that differ).
     */
    static TqScales forPacking(ScaleMode mode, TritScale scale, float tensorScale, String layout, String tensor,
            Path file) {
        if (mode == ScaleMode.TENSOR) {
            return new TqScales(null, FP16_ONE, Optional.of(tensorScale));
        }
        return switch (scale) {
            case TritScale.PerBlock p -> new TqScales(p.fp16(), (short) 0, Optional.empty());
            case TritScale.PerTensor p -> {
                short d = Float.floatToFloat16(p.gamma());
                if (!Float.isFinite(Float.float16ToFloat(d))) {
                    throw new BadInputException(file, "tensor " + tensor + ": scale " + p.gamma()
                            + " is beyond the fp16 range of a " + layout + " block scale; use tensor scale mode");
                }
                if (d == 0 && p.gamma() != 0) {
                    // every nonzero trit would dequantize to 0
                    throw new BadInputException(file, "tensor " + tensor + ": scale " + p.gamma()
                            + " rounds to 0 as the fp16 block scale of " + layout + "; use tensor scale mode");
                }
                yield new TqScales(null, d, Optional.empty());
            }
        };
    }

    short d(int block, boolean nonzero) {
        if (perBlock != null) {
            return perBlock[block];
        }
        return nonzero ? nonzeroD : 0;
    }

    Optional<Float> scaleTensor() {
        return scaleTensor;
    }

    /** Reads block {@code b}'s {@code d} at {@code offset}, refusing a non-finite one (it would turn zeros into NaN). */
    static short readD(MemorySegment src, long offset, int block, int blocksPerRow, String layout, PackedTensor packed) {
        short d = src.get(FP16, offset);
        if (!Float.isFinite(Float.float16ToFloat(d))) {
            throw new BadInputException(packed.file(), "tensor " + packed.name() + ": " + layout + " block " + block
                    + " (row " + block / blocksPerRow + ") has a non-finite scale d = 0x"
                    + Integer.toHexString(d & 0xFFFF));
        }
        return d;
    }

    /**
     * The scale of an unpacked TQ tensor: its {@code d}s kept bit for bit, or, when the caller passes the
     * {@code .scale} tensor (tensor mode), that value, after checking that every block with a nonzero trit has
     * {@code d = 1.0}.
     */
    static TritScale unpacked(short[] d, byte[] trits, String layout, PackedTensor packed) {
        if (packed.scaleTensor().isEmpty()) {
            return new TritScale.PerBlock(d);
        }
        float scale = packed.scaleTensor().get();
        if (!Float.isFinite(scale)) {
            throw new BadInputException(packed.file(), "tensor " + packed.name() + ": scale tensor value " + scale
                    + " is not finite");
        }
        int blocksPerRow = packed.cols() / TernaryTensor.TQ_BLOCK;
        for (int b = 0; b < d.length; b++) {
            if (d[b] != FP16_ONE && !allZero(trits, b * TernaryTensor.TQ_BLOCK)) {
                throw new BadInputException(packed.file(), "tensor " + packed.name() + ": " + layout + " block " + b
                        + " (row " + b / blocksPerRow + ") has d = " + Float.float16ToFloat(d[b])
                        + " beside a separate scale tensor; tensor scale mode needs d = 1.0 in every block with a"
                        + " nonzero trit");
            }
        }
        return new TritScale.PerTensor(scale);
    }

    private static boolean allZero(byte[] trits, int from) {
        for (int i = from; i < from + TernaryTensor.TQ_BLOCK; i++) {
            if (trits[i] != 0) {
                return false;
            }
        }
        return true;
    }

    static void requireRowLength(String layout, String tensor, Path file, long rows, long cols) {
        if (rows <= 0 || cols <= 0) {
            throw new BadInputException(file, "tensor " + tensor + ": shape [" + rows + ", " + cols + "] is empty");
        }
        if (cols % TernaryTensor.TQ_BLOCK != 0) {
            throw new BadInputException(file, "tensor " + tensor + ": row length (in_features) " + cols
                    + " is not a multiple of " + TernaryTensor.TQ_BLOCK + "; " + layout
                    + " packs whole 256-element blocks along a row. Use I2_S or HF 2-bit, or keep this tensor in F16");
        }
    }
}
