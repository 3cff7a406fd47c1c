package dev.ternpack.formats.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor info of a GGUF file: name, dimensions in ggml order ({@code ne[0]} is the row length, the
 * innermost, contiguous dimension), ggml type and the offset of its data relative to the data section.
 *
 * <p>A PyTorch weight {@code [out, in]} has {@code ne = [in, out]}; {@link #shape()} gives the PyTorch order.
 * An empty {@code ne} is a scalar (ggml reads the missing dimensions as 1).
 *
 * @param offset byte offset of the data from the start of the data section ({@code u64 offset})
 */
public record GgufTensorInfo(String name, long[] ne, GgmlType type, long offset) {

    public GgufTensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        ne = ne.clone();
        if (ne.length > GgufFormat.MAX_DIMS) {
            throw new IllegalArgumentException("tensor " + name + ": " + ne.length + " dimensions, ggml allows at most "
                    + GgufFormat.MAX_DIMS);
        }
        for (long d : ne) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor " + name + ": negative dimension in " + Arrays.toString(ne));
            }
        }
        if (numelOrMinusOne(ne) < 0) {
            throw new IllegalArgumentException("tensor " + name + ": " + Arrays.toString(ne)
                    + " has more than 2^63-1 elements");
        }
        long ne0 = ne.length == 0 ? 1 : ne[0];
        if (ne0 % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor " + name + ": " + type + " needs a row length (ne0) that is a"
                    + " multiple of " + type.blockSize() + ", got " + ne0);
        }
        if (nbytesOrMinusOne(type, ne) < 0) {
            throw new IllegalArgumentException("tensor " + name + ": " + type + Arrays.toString(ne)
                    + " is more than 2^63-1 bytes");
        }
        if (offset < 0) {
            throw new IllegalArgumentException("tensor " + name + ": negative offset " + offset);
        }
    }

    /** The dimensions, {@code ne0} first. */
    @Override
    public long[] ne() {
        return ne.clone();
    }

    /** {@code u32 n_dims} as stored. */
    public int nDims() {
        return ne.length;
    }

    /** The dimensions in PyTorch order (outermost first): {@link #ne()} reversed. */
    public long[] shape() {
        long[] shape = new long[ne.length];
        for (int i = 0; i < ne.length; i++) {
            shape[i] = ne[ne.length - 1 - i];
        }
        return shape;
    }

    /** Number of elements: the product of the dimensions (1 for a scalar, 0 when a dimension is 0). */
    public long numel() {
        return numelOrMinusOne(ne);
    }

    /** Size of the data in bytes, as ggml's {@code ggml_nbytes} computes it (unpadded). */
    public long nbytes() {
        return nbytesOrMinusOne(type, ne);
    }

    /** {@code numel * type size / block size} (I2_S: {@code numel / 4 + 32}); 0 without elements; -1 on overflow. */
    static long nbytesOrMinusOne(GgmlType type, long[] ne) {
        long numel = numelOrMinusOne(ne);
        if (numel < 0) {
            return -1;
        }
        if (numel == 0) {
            // ggml_nbytes returns 0 for any empty tensor, before the fork's I2_S formula adds its 32-byte tail.
            return 0;
        }
        try {
            return type.nbytes(ne.length == 0 ? 1 : ne[0], numel);
        } catch (ArithmeticException e) {
            return -1;
        }
    }

    /** Product of {@code ne}, or -1 when it exceeds a long or a dimension is negative. */
    static long numelOrMinusOne(long[] ne) {
        for (long d : ne) {
            if (d == 0) {
                return 0;
            }
        }
        long n = 1;
        for (long d : ne) {
            if (d < 0) {
                return -1;
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                return -1;
            }
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && Arrays.equals(ne, t.ne) && type == t.type
                && offset == t.offset;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(ne), type, offset);
    }

    @Override
    public String toString() {
        return name + " " + type.displayName() + Arrays.toString(ne) + " @" + offset;
    }
}
