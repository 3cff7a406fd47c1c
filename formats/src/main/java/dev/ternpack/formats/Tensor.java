package dev.ternpack.formats;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One tensor of a safetensors checkpoint: its name, element type, shape (outermost dimension first, as
 * PyTorch writes it) and a zero-copy view of its little-endian bytes inside the mapped file.
 *
 * @param file the file the bytes live in, for error messages
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data, Path file) {

    public Tensor {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i];
    }

    /** Number of elements (1 for a scalar). */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public long byteSize() {
        return data.byteSize();
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
