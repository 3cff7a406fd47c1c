package dev.ternpack.verify.eval;

/** Per-position arithmetic on logit rows: log-softmax, NLL, KL divergence, argmax. */
final class LogitStats {
    private LogitStats() {
    }

    /** log(sum(exp(row))) computed stably in double. */
    static double logSumExp(float[] logits, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, logits[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(logits[off + i] - max);
        }
        return max + Math.log(sum);
    }

    /** -log softmax(row)[target]. */
    static double nll(float[] logits, int off, int n, int target) {
        return logSumExp(logits, off, n) - logits[off + target];
    }

    static int argmax(float[] logits, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (logits[off + i] > logits[off + best]) {
                best = i;
            }
        }
        return best;
    }

    /** KL(P || Q) for P = softmax(p row), Q = softmax(q row), in nats. */
    static double kl(float[] p, int pOff, float[] q, int qOff, int n) {
        double lp = logSumExp(p, pOff, n);
        double lq = logSumExp(q, qOff, n);
        double kl = 0;
        for (int i = 0; i < n; i++) {
            double logP = p[pOff + i] - lp;
            double logQ = q[qOff + i] - lq;
            kl += Math.exp(logP) * (logP - logQ);
        }
        return Math.max(0, kl);
    }

    static float maxAbsDelta(float[] a, int aOff, float[] b, int bOff, int n) {
        float m = 0f;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, Math.abs(a[aOff + i] - b[bOff + i]));
        }
        return m;
    }
}
