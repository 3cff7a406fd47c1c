package dev.ternpack.pack;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A packed ternary tensor as read from a file, the input of {@link TernaryLayout#unpack}.
 *
 * @param name         the tensor's name, for messages
 * @param file         the file it came from, for messages (may be null)
 * @param rows         logical rows ({@code out_features}; for HF 2-bit the unpacked row count, not the packed one)
 * @param cols         logical columns ({@code in_features})
 * @param data         exactly the tensor's bytes
 * @param scaleTensor  the value of its separate scale tensor ({@code .scale} in TQ tensor mode, HF
 *                     {@code weight_scale}, decoded to float), empty for layouts that keep the scale inside
 */
public record PackedTensor(String name, Path file, int rows, int cols, MemorySegment data, Optional<Float> scaleTensor) {

    public PackedTensor {
        if (name == null || data == null || scaleTensor == null) {
            throw new IllegalArgumentException("null name, data or scale tensor");
        }
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException(name + ": shape " + rows + "x" + cols);
        }
    }

    /** A tensor whose layout keeps its scale in its own bytes (TQ fold mode, I2_S). */
    public static PackedTensor of(String name, Path file, int rows, int cols, MemorySegment data) {
        return new PackedTensor(name, file, rows, cols, data, Optional.empty());
    }

    /** A tensor with a separate scale tensor (TQ tensor mode, HF 2-bit). */
    public static PackedTensor of(String name, Path file, int rows, int cols, MemorySegment data, float scaleTensor) {
        return new PackedTensor(name, file, rows, cols, data, Optional.of(scaleTensor));
    }
}
