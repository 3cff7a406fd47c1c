package dev.ternpack.pack;

import dev.ternpack.formats.BadInputException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * A packed byte layout of a ternary matrix. Each layout packs trits plus scale into a caller-provided segment
 * whose size is known from the shape up front ({@link #packedSize}), and unpacks them back; every layout has a
 * {@link Implementation#REFERENCE} written straight from FORMATS.md and an {@link Implementation#FAST} path that
 * must produce the same bytes.
 *
 * <p>Conversion between two layouts goes through {@link TernaryTensor} ({@link #convert}): trits are always
 * kept exactly. The scale is kept exactly wherever the destination can hold it: TQ fold mode rounds a tensor
 * scale to fp16 (and keeps per-block fp16 scales bit for bit), HF under {@link LinearClass#BITLINEAR} stores
 * 1/gamma, which can come back one float ulp off; every other path keeps the f32 scale bit for bit.
 */
public sealed interface TernaryLayout permits Tq2Layout, Tq1Layout, I2sLayout, Hf2BitLayout {

    /** The layout's name as users see it: {@code TQ2_0}, {@code TQ1_0}, {@code I2_S}, {@code HF 2-bit}. */
    String displayName();

    /** Throws a {@link BadInputException} naming the tensor when a {@code rows x cols} matrix cannot take this layout. */
    void requireShape(String tensor, Path file, long rows, long cols);

    /** Bytes of the packed form; the shape must satisfy {@link #requireShape} (else IllegalArgumentException). */
    long packedSize(long rows, long cols);

    /** True when the scale travels in a separate tensor the caller writes (and passes back to unpack). */
    boolean hasScaleTensor();

    /**
     * Packs {@code tensor} into {@code dst}, which must be exactly {@link #packedSize} bytes; every byte is
     * written. Returns the value for the separate scale tensor when {@link #hasScaleTensor()}, else empty.
     */
    Optional<Float> pack(TernaryTensor tensor, MemorySegment dst, Implementation impl);

    default Optional<Float> pack(TernaryTensor tensor, MemorySegment dst) {
        return pack(tensor, dst, Implementation.preferred());
    }

    /**
     * Unpacks trits and scale. A byte pattern the layout never produces for a trit (2-bit code 3) or a
     * non-finite scale is a {@link BadInputException} naming the tensor, its block and byte.
     */
    default TernaryTensor unpack(PackedTensor packed, Implementation impl) {
        return unpack(packed, impl, byte[]::new);
    }

    default TernaryTensor unpack(PackedTensor packed) {
        return unpack(packed, Implementation.preferred());
    }

    /**
     * As {@link #unpack(PackedTensor, Implementation)}, writing every one of the {@code rows * cols} trits into the
     * array {@code buffer} returns for that count (exactly that long), which the returned tensor then holds. The
     * buffer is asked for only after the source is checked, so a tensor too large for one array is named first. For
     * callers that turn the trits into another form at once and reuse one buffer for many tensors.
     */
    TernaryTensor unpack(PackedTensor packed, Implementation impl, IntFunction<byte[]> buffer);

    /**
     * The buffer for {@code packed}'s trits from {@code buffer}; IllegalArgumentException unless it has exactly
     * {@code rows * cols} elements. Call after {@link #requireSource}.
     */
    default byte[] tritBuffer(PackedTensor packed, IntFunction<byte[]> buffer) {
        byte[] trits = buffer.apply(packed.rows() * packed.cols());
        if (trits.length != (long) packed.rows() * packed.cols()) {
            throw new IllegalArgumentException("tensor " + packed.name() + ": a trit buffer of " + trits.length
                    + " for " + packed.rows() + "x" + packed.cols());
        }
        return trits;
    }

    /** Converts one packed tensor to another layout through its trits; returns the destination's scale tensor value. */
    static Optional<Float> convert(TernaryLayout from, PackedTensor packed, TernaryLayout to, MemorySegment dst,
            Implementation impl) {
        return to.pack(from.unpack(packed, impl), dst, impl);
    }

    /** Checks the destination size before anything is written. */
    default void requireDestination(String tensor, long rows, long cols, MemorySegment dst) {
        long need = packedSize(rows, cols);
        if (dst.byteSize() != need) {
            throw new IllegalArgumentException(tensor + ": " + displayName() + " of " + rows + "x" + cols + " needs "
                    + need + " bytes, the destination has " + dst.byteSize());
        }
    }

    /** Checks the size of packed input against the shape. */
    default void requireSource(PackedTensor packed) {
        requireShape(packed.name(), packed.file(), packed.rows(), packed.cols());
        long elements = (long) packed.rows() * packed.cols();
        if (elements > AbsmeanQuantizer.MAX_ELEMENTS) {
            // the trits are unpacked into one byte array
            throw new BadInputException(packed.file(), "tensor " + packed.name() + " [" + packed.rows() + ", "
                    + packed.cols() + "] has " + elements + " elements; ternpack unpacks at most "
                    + AbsmeanQuantizer.MAX_ELEMENTS + " (2^31 - 9) elements per tensor");
        }
        long need = packedSize(packed.rows(), packed.cols());
        if (packed.data().byteSize() != need) {
            throw new BadInputException(packed.file(), "tensor " + packed.name() + ": " + packed.data().byteSize()
                    + " bytes, but " + displayName() + " of shape [" + packed.rows() + ", " + packed.cols() + "] takes "
                    + need);
        }
        if (packed.scaleTensor().isPresent() != hasScaleTensor()) {
            throw new IllegalArgumentException(packed.name() + ": " + displayName()
                    + (hasScaleTensor() ? " needs its scale tensor" : " keeps its scale inside; no scale tensor expected"));
        }
    }
}
