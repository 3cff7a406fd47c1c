package dev.ternpack.verify.forward;

import dev.ternpack.verify.kernel.ActivationMode;
import dev.ternpack.verify.kernel.FloatKernels;
import dev.ternpack.verify.kernel.Parallel;
import dev.ternpack.verify.kernel.QuantizedActivations;
import dev.ternpack.verify.kernel.TernaryKernels;
import dev.ternpack.verify.model.FfnActivation;
import dev.ternpack.verify.model.LayerWeights;
import dev.ternpack.verify.model.Linear;
import dev.ternpack.verify.model.ModelSpec;
import dev.ternpack.verify.model.Projection;
import dev.ternpack.verify.model.TransformerWeights;
import java.util.EnumMap;

/**
 * The BitNet b1.58 decoder in float32, over a whole window at once (batched prefill: each weight row is
 * decoded once per window, not once per token). Per layer:
 * <pre>
 * h = RMSNorm(x) ; q,k,v = BitLinear(h) ; RoPE(q,k) ; a = causal GQA attention
 * x = x + o(attn_sub_norm(a))
 * h = RMSNorm(x) ; x = x + down(ffn_sub_norm(act(gate(h)) * up(h)))
 * </pre>
 * then {@code logits = head(RMSNorm(x))}, where RMSNorm is {@code w * x / sqrt(mean(x^2) + eps)}.
 */
public final class Transformer {
    private final TransformerWeights w;
    private final ModelSpec spec;
    private final ActivationMode mode;
    private final Parallel parallel;
    private final Rope rope;
    /**
     * Tokens per task of the element-wise steps (norms, RoPE, activation, residual adds): they ran on the calling
     * thread while the workers waited, about 6 % of a 2B-4T window's samples on 2 threads (JFR).
     */
    static final int TOKEN_GRAIN = 8;

    public Transformer(TransformerWeights weights, ActivationMode mode, Parallel parallel) {
        this.w = weights;
        this.spec = weights.spec();
        this.mode = mode;
        this.parallel = parallel;
        this.rope = new Rope(spec.headDim(), spec.ropeTheta());
    }

    public ModelSpec spec() {
        return spec;
    }

    /** Logits {@code [n][vocab]} for {@code tokens[from..from+n)} at positions 0..n-1. */
    public float[] forward(int[] tokens, int from, int n) {
        int hidden = spec.hidden();
        float[] x = new float[n * hidden];
        for (int t = 0; t < n; t++) {
            int id = tokens[from + t];
            if (id < 0 || id >= spec.vocab()) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + spec.vocab());
            }
            w.embedding().decodeRow(id, x, t * hidden);
        }
        float[] h = new float[n * hidden];
        Scratch scratch = new Scratch();
        for (LayerWeights layer : w.layers()) {
            attentionBlock(layer, x, h, n, scratch);
            ffnBlock(layer, x, h, n, scratch);
        }
        rmsNorm(x, n, hidden, w.finalNorm(), h);
        float[] logits = new float[Math.multiplyExact(n, spec.vocab())];
        FloatKernels.matmul(h, n, w.head(), logits, parallel);
        return logits;
    }

    private void attentionBlock(LayerWeights layer, float[] x, float[] h, int n, Scratch scratch) {
        rmsNorm(x, n, spec.hidden(), layer.attnNorm(), h);
        Input in = new Input(h, n, spec.hidden(), scratch);
        float[] q = apply(layer, Projection.Q, in, scratch);
        float[] k = apply(layer, Projection.K, in, scratch);
        float[] v = apply(layer, Projection.V, in, scratch);
        rope.apply(q, n, spec.heads(), parallel);
        rope.apply(k, n, spec.kvHeads(), parallel);
        float[] a = Attention.causal(q, k, v, n, spec, parallel);
        rmsNorm(a, n, spec.qDim(), layer.attnSubNorm(), a);
        float[] o = apply(layer, Projection.O, new Input(a, n, spec.qDim(), scratch), scratch);
        addInPlace(x, o, n);
    }

    private void ffnBlock(LayerWeights layer, float[] x, float[] h, int n, Scratch scratch) {
        rmsNorm(x, n, spec.hidden(), layer.ffnNorm(), h);
        Input in = new Input(h, n, spec.hidden(), scratch);
        float[] g = apply(layer, Projection.GATE, in, scratch);
        float[] u = apply(layer, Projection.UP, in, scratch);
        FfnActivation act = spec.activation();
        int ffn = spec.ffn();
        parallel.forRange(n, TOKEN_GRAIN, (from, to) -> {
            for (int i = from * ffn; i < to * ffn; i++) {
                g[i] = act.apply(g[i]) * u[i];
            }
        });
        rmsNorm(g, n, spec.ffn(), layer.ffnSubNorm(), g);
        float[] d = apply(layer, Projection.DOWN, new Input(g, n, spec.ffn(), scratch), scratch);
        addInPlace(x, d, n);
    }

    /**
     * The arrays one forward pass reuses from layer to layer: each projection's output and the lookup tables of
     * the input being multiplied. A layer's outputs are dead once the layer is done, and inputs are quantized one
     * after another, so one set serves all 30 layers of 2B-4T instead of about 6.5 GB of fresh arrays per
     * 512-token window, which G1 answered by doubling the heap (and on this VM every new page costs).
     */
    private static final class Scratch {
        final QuantizedActivations.TableBuffer tables = new QuantizedActivations.TableBuffer();
        private final EnumMap<Projection, float[]> outputs = new EnumMap<>(Projection.class);

        /** The output array of {@code p}, of exactly {@code length} floats; its old contents are overwritten. */
        float[] output(Projection p, int length) {
            float[] a = outputs.get(p);
            if (a == null || a.length != length) {
                a = new float[length];
                outputs.put(p, a);
            }
            return a;
        }
    }

    /** A layer input, quantized at most once however many projections read it. */
    private final class Input {
        final float[] x;
        final int n;
        final int cols;
        private final Scratch scratch;
        private QuantizedActivations quantized;
        private float[] dequantized;

        Input(float[] x, int n, int cols, Scratch scratch) {
            this.x = x;
            this.n = n;
            this.cols = cols;
            this.scratch = scratch;
        }

        QuantizedActivations quantized() {
            if (quantized == null) {
                quantized = mode == ActivationMode.RUNTIME
                        ? QuantizedActivations.q8k(x, n, cols)
                        : QuantizedActivations.perToken(x, n, cols, parallel, scratch.tables);
            }
            return quantized;
        }

        /** x_q / s as floats, for full-precision weights under per-token quantization. */
        float[] dequantized() {
            if (dequantized == null) {
                QuantizedActivations qa = quantized();
                dequantized = new float[n * cols];
                for (int t = 0; t < n; t++) {
                    float s = qa.tokenScale(t);
                    for (int c = 0; c < cols; c++) {
                        dequantized[t * cols + c] = qa.q(t, c) / s;
                    }
                }
            }
            return dequantized;
        }
    }

    /** Projection {@code p} of {@code layer} applied to {@code in}, into {@code scratch}'s array for {@code p}. */
    private float[] apply(LayerWeights layer, Projection p, Input in, Scratch scratch) {
        Linear linear = layer.projection(p);
        float[] y = scratch.output(p, in.n * linear.rows());
        switch (linear) {
            case Linear.Ternary t -> {
                if (mode == ActivationMode.NONE) {
                    FloatKernels.ternaryMatmul(in.x, in.n, t.matrix(), y, parallel);
                } else {
                    TernaryKernels.matmul(in.quantized(), t.matrix(), y, parallel);
                }
            }
            case Linear.Dense d -> {
                // Full-precision weights: llama.cpp multiplies them with float activations; the BitNet
                // reference still quantizes activations per token.
                float[] x = mode == ActivationMode.PER_TOKEN ? in.dequantized() : in.x;
                FloatKernels.matmul(x, in.n, d.matrix(), y, parallel);
            }
        }
        return y;
    }

    /** {@code x += d}, both {@code [n][x.length / n]}. */
    private void addInPlace(float[] x, float[] d, int n) {
        int width = x.length / n;
        parallel.forRange(n, TOKEN_GRAIN, (from, to) -> {
            for (int i = from * width; i < to * width; i++) {
                x[i] += d[i];
            }
        });
    }

    /**
     * {@code out = weight * x * rsqrt(mean(x^2) + eps)} per row, in float32; {@code out} may be {@code x}. Rows are
     * independent, so splitting them over threads changes no bit of the result.
     */
    private void rmsNorm(float[] x, int n, int cols, float[] weight, float[] out) {
        parallel.forRange(n, TOKEN_GRAIN, (from, to) -> rmsNormRows(x, from, to, cols, weight, out));
    }

    private void rmsNormRows(float[] x, int from, int to, int cols, float[] weight, float[] out) {
        for (int t = from; t < to; t++) {
            int off = t * cols;
            double ss = 0;
            for (int c = 0; c < cols; c++) {
                float v = x[off + c];
                ss += v * v;
            }
            float mean = (float) (ss / cols);
            float inv = (float) (1.0 / Math.sqrt(mean + spec.rmsEps()));
            for (int c = 0; c < cols; c++) {
                out[off + c] = weight[c] * (x[off + c] * inv);
            }
        }
    }
}
