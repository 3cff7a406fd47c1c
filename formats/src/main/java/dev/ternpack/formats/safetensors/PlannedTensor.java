package dev.ternpack.formats.safetensors;

import dev.ternpack.formats.DType;
import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor a {@link SafetensorsWriter} will write: name, element type and shape (outermost dimension first).
 * A shape of length 0 is a scalar (one element); a dimension of 0 makes an empty tensor.
 */
public record PlannedTensor(String name, DType dtype, long[] shape) {

    public PlannedTensor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        if (name.isEmpty()) {
            throw new IllegalArgumentException("a tensor name cannot be empty");
        }
        if (name.equals(SafetensorsHeader.METADATA_KEY)) {
            throw new IllegalArgumentException(name + " is the header's metadata key, not a tensor name");
        }
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor " + name + ": negative dimension in "
                        + Arrays.toString(shape));
            }
        }
        if (SafetensorsHeader.byteSizeOrMinusOne(dtype, shape) < 0) {
            throw new IllegalArgumentException("tensor " + name + ": " + Arrays.toString(shape) + " of " + dtype
                    + " is more than 2^63-1 bytes");
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements (1 for a scalar, 0 when a dimension is 0). */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Bytes of data: {@code numel() * dtype.byteSize()}. */
    public long byteSize() {
        return numel() * dtype.byteSize();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PlannedTensor p && name.equals(p.name) && dtype == p.dtype && Arrays.equals(shape, p.shape);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape));
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
