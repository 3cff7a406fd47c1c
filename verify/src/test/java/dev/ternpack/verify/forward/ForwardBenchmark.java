package dev.ternpack.verify.forward;

import dev.ternpack.verify.kernel.ActivationMode;
import dev.ternpack.verify.kernel.DenseMatrix;
import dev.ternpack.verify.kernel.FloatKernels;
import dev.ternpack.verify.kernel.Parallel;
import dev.ternpack.verify.kernel.QuantizedActivations;
import dev.ternpack.verify.kernel.TernaryKernels;
import dev.ternpack.verify.kernel.TernaryMatrix;
import dev.ternpack.verify.model.FfnActivation;
import dev.ternpack.verify.model.LayerWeights;
import dev.ternpack.verify.model.Linear;
import dev.ternpack.verify.model.ModelSpec;
import dev.ternpack.verify.model.Projection;
import dev.ternpack.verify.model.TransformerWeights;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The pieces of one {@code ternpack verify} perplexity window (ctx 512) on BitNet-2B-4T shapes (hidden 2560,
 * ffn 6912, 20 heads, 5 kv heads, head_dim 128, vocab 128256, ReLU², tied F16 head), built in memory from
 * random trits so no model file is needed. {@code forward2} is a whole window through a 2-layer model plus
 * the head; a 30-layer window costs {@code head + 15 * (forward2 - head)} (embedding lookup and norms are
 * negligible). Run as verify/BENCHMARKS.md says; {@code threads} is the kernels' worker count, JMH's
 * {@code -t} stays 1.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ForwardBenchmark {
    static final int HIDDEN = 2560;
    static final int FFN = 6912;
    static final int VOCAB = 128256;
    static final int CTX = 512;

    @Param("2")
    public int threads;

    Parallel parallel;
    Arena arena;
    TernaryMatrix square;
    TernaryMatrix up;
    TernaryMatrix down;
    QuantizedActivations xHidden;
    QuantizedActivations xFfn;
    float[] xHead;
    DenseMatrix head;
    float[] q;
    float[] k;
    float[] v;
    ModelSpec spec;
    Transformer transformer;
    int[] tokens;
    float[] out;

    static TernaryMatrix randomTernary(SplittableRandom rnd, int rows, int cols) {
        byte[] t = new byte[rows * cols];
        for (int i = 0; i < t.length; i++) {
            t[i] = (byte) (rnd.nextInt(3) - 1);
        }
        return TernaryMatrix.fromTrits(t, rows, cols, 0.02f);
    }

    static float[] gaussian(SplittableRandom rnd, int n, double sd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (sd * (rnd.nextDouble() * 2 - 1) * 1.7);
        }
        return v;
    }

    static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(42);
        parallel = new Parallel(threads);
        arena = Arena.ofShared();
        square = randomTernary(rnd, HIDDEN, HIDDEN);
        up = randomTernary(rnd, FFN, HIDDEN);
        down = randomTernary(rnd, HIDDEN, FFN);
        xHidden = QuantizedActivations.perToken(gaussian(rnd, CTX * HIDDEN, 1), CTX, HIDDEN);
        xFfn = QuantizedActivations.perToken(gaussian(rnd, CTX * FFN, 1), CTX, FFN);
        xHead = gaussian(rnd, CTX * HIDDEN, 1);
        MemorySegment emb = arena.allocate(2L * VOCAB * HIDDEN, 64);
        var u16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < (long) VOCAB * HIDDEN; i++) {
            emb.set(u16, 2 * i, Float.floatToFloat16((float) ((rnd.nextDouble() - 0.5) * 0.1)));
        }
        head = DenseMatrix.of(emb, DenseMatrix.Encoding.F16, VOCAB, HIDDEN);
        spec = new ModelSpec(VOCAB, HIDDEN, FFN, 2, 20, 5, 128, FfnActivation.RELU2, 500000, 1e-5f, true);
        q = gaussian(rnd, CTX * spec.qDim(), 1);
        k = gaussian(rnd, CTX * spec.kvDim(), 1);
        v = gaussian(rnd, CTX * spec.kvDim(), 1);
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < spec.layers(); l++) {
            Map<Projection, Linear> p = new EnumMap<>(Projection.class);
            p.put(Projection.Q, new Linear.Ternary(randomTernary(rnd, spec.qDim(), HIDDEN)));
            p.put(Projection.K, new Linear.Ternary(randomTernary(rnd, spec.kvDim(), HIDDEN)));
            p.put(Projection.V, new Linear.Ternary(randomTernary(rnd, spec.kvDim(), HIDDEN)));
            p.put(Projection.O, new Linear.Ternary(randomTernary(rnd, HIDDEN, spec.qDim())));
            p.put(Projection.GATE, new Linear.Ternary(randomTernary(rnd, FFN, HIDDEN)));
            p.put(Projection.UP, new Linear.Ternary(randomTernary(rnd, FFN, HIDDEN)));
            p.put(Projection.DOWN, new Linear.Ternary(randomTernary(rnd, HIDDEN, FFN)));
            layers.add(new LayerWeights(ones(HIDDEN), ones(spec.qDim()), ones(HIDDEN), ones(FFN), p));
        }
        TransformerWeights w = new TransformerWeights(spec, head, layers, ones(HIDDEN), head);
        transformer = new Transformer(w, ActivationMode.PER_TOKEN, parallel);
        tokens = new int[CTX];
        for (int i = 0; i < CTX; i++) {
            tokens[i] = rnd.nextInt(VOCAB);
        }
        out = new float[CTX * FFN];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        parallel.close();
        arena.close();
    }

    @Benchmark
    public float[] ternary2560x2560() {
        TernaryKernels.matmul(xHidden, square, out, parallel);
        return out;
    }

    @Benchmark
    public float[] ternary2560to6912() {
        TernaryKernels.matmul(xHidden, up, out, parallel);
        return out;
    }

    @Benchmark
    public float[] ternary6912to2560() {
        TernaryKernels.matmul(xFfn, down, out, parallel);
        return out;
    }

    @Benchmark
    public QuantizedActivations quantizePerToken() {
        return QuantizedActivations.perToken(xHead, CTX, HIDDEN);
    }

    @Benchmark
    public float[] headF16() {
        float[] logits = new float[CTX * VOCAB];
        FloatKernels.matmul(xHead, CTX, head, logits, parallel);
        return logits;
    }

    @Benchmark
    public float[] attention() {
        return Attention.causal(q, k, v, CTX, spec, parallel);
    }

    @Benchmark
    public float[] forward2() {
        return transformer.forward(tokens, 0, CTX);
    }
}
