package dev.ternpack.verify.eval;

/**
 * How a token stream is cut for perplexity: non-overlapping windows of {@code ctx} tokens from token 0, each
 * scored on positions 1..ctx-1 from its own prefix ({@code ctx - 1} predictions per window, no BOS added).
 * This is the fixtures' reference convention; llama-perplexity instead scores only the second half of each
 * window, so its figures are not comparable one to one.
 */
public record Windows(int ctx, int count) {

    public Windows {
        if (ctx < 2) {
            throw new IllegalArgumentException("a window needs at least 2 tokens, got ctx " + ctx);
        }
        if (count < 1) {
            throw new IllegalArgumentException("no complete window");
        }
    }

    /** As many whole windows as fit in {@code tokens}, and in {@code maxTokens} when positive. */
    public static Windows plan(int tokens, int ctx, int maxTokens) {
        int usable = maxTokens > 0 ? Math.min(tokens, maxTokens) : tokens;
        return new Windows(ctx, usable / ctx);
    }

    public int start(int window) {
        return window * ctx;
    }

    public long predictions() {
        return (long) count * (ctx - 1);
    }

    public int tokensUsed() {
        return count * ctx;
    }
}
