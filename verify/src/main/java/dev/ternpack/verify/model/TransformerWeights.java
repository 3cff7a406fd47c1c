package dev.ternpack.verify.model;

import dev.ternpack.verify.kernel.DenseMatrix;
import java.util.List;

/**
 * Everything the forward pass needs, checked for consistent shapes.
 *
 * @param head the output projection {@code [vocab, hidden]}; the embedding itself when tied
 */
public record TransformerWeights(ModelSpec spec, DenseMatrix embedding, List<LayerWeights> layers,
        float[] finalNorm, DenseMatrix head) {

    public TransformerWeights {
        layers = List.copyOf(layers);
        if (layers.size() != spec.layers()) {
            throw new IllegalArgumentException(layers.size() + " layers, spec says " + spec.layers());
        }
        requireShape("embedding", embedding.rows(), embedding.cols(), spec.vocab(), spec.hidden());
        requireShape("output head", head.rows(), head.cols(), spec.vocab(), spec.hidden());
        requireLength("final norm", finalNorm, spec.hidden());
        for (int i = 0; i < layers.size(); i++) {
            LayerWeights l = layers.get(i);
            String at = "layer " + i + " ";
            requireLength(at + "attention norm", l.attnNorm(), spec.hidden());
            requireLength(at + "attention sub-norm", l.attnSubNorm(), spec.qDim());
            requireLength(at + "ffn norm", l.ffnNorm(), spec.hidden());
            requireLength(at + "ffn sub-norm", l.ffnSubNorm(), spec.ffn());
            requireShape(at + "q", l.projection(Projection.Q), spec.qDim(), spec.hidden());
            requireShape(at + "k", l.projection(Projection.K), spec.kvDim(), spec.hidden());
            requireShape(at + "v", l.projection(Projection.V), spec.kvDim(), spec.hidden());
            requireShape(at + "o", l.projection(Projection.O), spec.hidden(), spec.qDim());
            requireShape(at + "gate", l.projection(Projection.GATE), spec.ffn(), spec.hidden());
            requireShape(at + "up", l.projection(Projection.UP), spec.ffn(), spec.hidden());
            requireShape(at + "down", l.projection(Projection.DOWN), spec.hidden(), spec.ffn());
        }
    }

    private static void requireShape(String what, Linear l, int rows, int cols) {
        requireShape(what, l.rows(), l.cols(), rows, cols);
    }

    private static void requireShape(String what, int rows, int cols, int wantRows, int wantCols) {
        if (rows != wantRows || cols != wantCols) {
            throw new IllegalArgumentException(what + " is " + rows + "x" + cols + ", expected " + wantRows + "x" + wantCols);
        }
    }

    private static void requireLength(String what, float[] v, int n) {
        if (v.length != n) {
            throw new IllegalArgumentException(what + " has " + v.length + " values, expected " + n);
        }
    }
}
