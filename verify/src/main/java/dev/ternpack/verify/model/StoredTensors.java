package dev.ternpack.verify.model;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.FloatDecoding;
import dev.ternpack.formats.Tensor;
import dev.ternpack.formats.TensorSource;
import dev.ternpack.verify.kernel.DenseMatrix;
import java.util.Arrays;

/** Shape-checked access to the tensors of a safetensors checkpoint. */
final class StoredTensors {
    private StoredTensors() {
    }

    static Tensor require(TensorSource src, String name) {
        if (!src.contains(name)) {
            throw new BadInputException(src.location(), "tensor " + name + " is missing");
        }
        return src.tensor(name);
    }

    static Tensor requireShape(TensorSource src, String name, long... shape) {
        Tensor t = require(src, name);
        if (!Arrays.equals(t.shape(), shape)) {
            throw new BadInputException(t.file(), "tensor " + name + " has shape " + Arrays.toString(t.shape())
                    + ", the config implies " + Arrays.toString(shape));
        }
        return t;
    }

    static float[] vector(TensorSource src, String name, int length) {
        Tensor t = requireShape(src, name, length);
        requireFloat(t);
        return FloatDecoding.decodeAll(t);
    }

    static DenseMatrix matrix(TensorSource src, String name, int rows, int cols) {
        Tensor t = requireShape(src, name, rows, cols);
        return DenseMatrix.of(t.data(), encoding(t), rows, cols);
    }

    static DenseMatrix.Encoding encoding(Tensor t) {
        return switch (t.dtype()) {
            case F32 -> DenseMatrix.Encoding.F32;
            case F16 -> DenseMatrix.Encoding.F16;
            case BF16 -> DenseMatrix.Encoding.BF16;
            default -> throw new BadInputException(t.file(), "tensor " + t.name() + " has dtype " + t.dtype()
                    + ", expected a float type (f32, f16, bf16)");
        };
    }

    static void requireFloat(Tensor t) {
        if (!t.dtype().isFloatingPoint()) {
            throw new BadInputException(t.file(), "tensor " + t.name() + " has dtype " + t.dtype()
                    + ", expected a float type");
        }
    }
}
