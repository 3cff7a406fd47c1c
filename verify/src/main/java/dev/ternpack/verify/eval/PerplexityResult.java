package dev.ternpack.verify.eval;

/**
 * Perplexity of one model over a set of windows.
 *
 * @param positionNll mean NLL per position within the window (index 0 = predicting position 1), for plots
 */
public record PerplexityResult(Windows windows, double meanNll, double[] positionNll) {

    public double perplexity() {
        return Math.exp(meanNll);
    }

    public long predictions() {
        return windows.predictions();
    }
}
