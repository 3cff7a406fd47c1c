package dev.ternpack.verify.eval;

import dev.ternpack.verify.forward.Transformer;

/** Perplexity of one model: exp of the mean NLL over every scored position of every window. */
public final class Perplexity {
    private Perplexity() {
    }

    public static PerplexityResult evaluate(Transformer model, int[] tokens, Windows windows, ProgressListener progress) {
        return evaluate(w -> model.forward(tokens, windows.start(w), windows.ctx()), model.spec().vocab(), tokens,
                windows, progress);
    }

    /** Perplexity from each window's logits, however they were obtained. */
    public static PerplexityResult evaluate(Parity.WindowLogits model, int vocab, int[] tokens, Windows windows,
            ProgressListener progress) {
        int ctx = windows.ctx();
        double total = 0;
        double[] perPosition = new double[ctx - 1];
        for (int w = 0; w < windows.count(); w++) {
            int start = windows.start(w);
            float[] logits = model.logits(w);
            for (int t = 0; t < ctx - 1; t++) {
                double nll = LogitStats.nll(logits, t * vocab, vocab, tokens[start + t + 1]);
                total += nll;
                perPosition[t] += nll;
            }
            progress.progress(w + 1, windows.count(), "windows");
        }
        for (int t = 0; t < perPosition.length; t++) {
            perPosition[t] /= windows.count();
        }
        return new PerplexityResult(windows, total / windows.predictions(), perPosition);
    }

    /** Logits of the first window's first {@code n} positions, for comparison with reference dumps. */
    public static float[] firstLogits(Transformer model, int[] tokens, int n) {
        return model.forward(tokens, 0, n);
    }
}
