package dev.ternpack.verify.report;

import dev.ternpack.verify.eval.Gate;
import dev.ternpack.verify.eval.ParityMetrics;
import dev.ternpack.verify.eval.PerplexityResult;
import dev.ternpack.verify.eval.ProjectionAudit;
import dev.ternpack.verify.eval.Robustness;
import dev.ternpack.verify.eval.Thresholds;
import java.util.List;

/**
 * Everything one {@code ternpack verify} run measured and decided; the JSON, JUnit, Markdown and HTML
 * renderings are views of this.
 *
 * @param candidatePerplexity perplexity of the model under test (also inside {@code parity} when compared)
 * @param reference the reference model, null when only perplexity was asked for
 * @param parity null without a reference
 * @param robustness null unless the reference is a latent checkpoint
 * @param gate null without a reference
 */
public record VerificationReport(String toolVersion, Settings settings, ModelSummary candidate,
        ModelSummary reference, PerplexityResult candidatePerplexity, ParityMetrics parity,
        List<ProjectionAudit> audits, Robustness robustness, Thresholds thresholds, Gate.Result gate, double seconds) {

    /** How the run was made. */
    public record Settings(String tokenSource, int tokensAvailable, int ctx, int windows, String activations,
            int threads) {
        /** "1 thread", "4 threads". */
        public String threadCount() {
            return threads + (threads == 1 ? " thread" : " threads");
        }
    }

    public VerificationReport {
        audits = audits == null ? List.of() : List.copyOf(audits);
    }

    public boolean passed() {
        return gate == null || gate.passed();
    }

    /** The one-line verdict (for a perplexity-only run, the perplexity). */
    public String verdict() {
        if (gate != null) {
            return gate.verdict();
        }
        return String.format(java.util.Locale.ROOT, "perplexity %.4f over %d predictions",
                candidatePerplexity.perplexity(), candidatePerplexity.predictions());
    }
}
