package dev.ternpack.verify.eval;

import dev.ternpack.verify.forward.Transformer;

/** Runs a reference and a candidate model window by window on the same tokens and compares their outputs. */
public final class Parity {
    private Parity() {
    }

    /** Logits of one window of the reference, {@code [ctx][vocab]} row-major (computed or cached). */
    @FunctionalInterface
    public interface WindowLogits {
        float[] logits(int window);
    }

    public static ParityMetrics compare(Transformer reference, Transformer candidate, int[] tokens, Windows windows,
            ProgressListener progress) {
        return compare(w -> reference.forward(tokens, windows.start(w), windows.ctx()), reference.spec().vocab(),
                candidate, tokens, windows, progress);
    }

    /** Like {@link #compare(Transformer, Transformer, int[], Windows, ProgressListener)} with the reference's logits given. */
    public static ParityMetrics compare(WindowLogits reference, int vocab, Transformer candidate, int[] tokens,
            Windows windows, ProgressListener progress) {
        if (candidate.spec().vocab() != vocab) {
            throw new IllegalArgumentException("vocabulary sizes differ: " + vocab + " vs " + candidate.spec().vocab());
        }
        int ctx = windows.ctx();
        double nllRef = 0;
        double nllCand = 0;
        double klSum = 0;
        double klMax = 0;
        long agree = 0;
        float maxDelta = 0f;
        double[] posRef = new double[ctx - 1];
        double[] posCand = new double[ctx - 1];
        for (int w = 0; w < windows.count(); w++) {
            int start = windows.start(w);
            float[] lr = reference.logits(w);
            float[] lc = candidate.forward(tokens, start, ctx);
            for (int t = 0; t < ctx - 1; t++) {
                int off = t * vocab;
                int target = tokens[start + t + 1];
                double a = LogitStats.nll(lr, off, vocab, target);
                double b = LogitStats.nll(lc, off, vocab, target);
                nllRef += a;
                nllCand += b;
                posRef[t] += a;
                posCand[t] += b;
                double kl = LogitStats.kl(lr, off, lc, off, vocab);
                klSum += kl;
                klMax = Math.max(klMax, kl);
                if (LogitStats.argmax(lr, off, vocab) == LogitStats.argmax(lc, off, vocab)) {
                    agree++;
                }
                maxDelta = Math.max(maxDelta, LogitStats.maxAbsDelta(lr, off, lc, off, vocab));
            }
            progress.progress(w + 1, windows.count(), "windows");
        }
        long n = windows.predictions();
        for (int t = 0; t < ctx - 1; t++) {
            posRef[t] /= windows.count();
            posCand[t] /= windows.count();
        }
        return new ParityMetrics(
                new PerplexityResult(windows, nllRef / n, posRef),
                new PerplexityResult(windows, nllCand / n, posCand),
                klSum / n, klMax, (double) agree / n, maxDelta);
    }
}
