package dev.ternpack.verify.report;

import dev.ternpack.verify.eval.Check;
import dev.ternpack.verify.eval.Gate;
import dev.ternpack.verify.eval.ParityMetrics;
import java.util.List;
import java.util.Locale;

/**
 * The summary printed on stdout: plain Markdown that reads well in a terminal and in a CI job summary
 * ({@code >> $GITHUB_STEP_SUMMARY}).
 */
public final class MarkdownReport {
    private static final int MAX_FAILED_ROWS = 20;

    private MarkdownReport() {
    }

    public static String render(VerificationReport r) {
        StringBuilder sb = new StringBuilder();
        VerificationReport.Settings s = r.settings();
        sb.append("## ternpack verify: ").append(r.gate() == null ? "perplexity" : r.passed() ? "PASS" : "FAIL").append("\n\n");
        sb.append("- candidate: `").append(r.candidate().path()).append("` (").append(r.candidate().format()).append(")\n");
        if (r.reference() != null) {
            sb.append("- reference: `").append(r.reference().path()).append("` (").append(r.reference().format()).append(")\n");
        }
        sb.append(String.format(Locale.ROOT, "- tokens: %s, %d windows of %d (%d predictions), activations %s, %s%n",
                s.tokenSource(), s.windows(), s.ctx(), (long) s.windows() * (s.ctx() - 1), s.activations(),
                s.threadCount()));
        for (String note : r.candidate().notes()) {
            sb.append("- note: ").append(note).append('\n');
        }
        sb.append('\n');
        ParityMetrics p = r.parity();
        if (p == null) {
            sb.append(String.format(Locale.ROOT, "| metric | value |%n|---|---|%n| perplexity | %.4f |%n| mean NLL | %.6f |%n",
                    r.candidatePerplexity().perplexity(), r.candidatePerplexity().meanNll()));
        } else {
            sb.append("| metric | value | limit | |\n|---|---|---|---|\n");
            row(sb, "perplexity (reference)", fmt("%.4f", p.reference().perplexity()), "", "");
            row(sb, "perplexity (candidate)", fmt("%.4f", p.candidate().perplexity()), "", "");
            Check delta = find(r, "perplexity delta");
            row(sb, "relative perplexity delta", fmt("%+.4f%%", 100 * p.relativePerplexityDelta()),
                    "±" + Gate.percent(r.thresholds().maxPplDelta()), mark(delta));
            row(sb, "mean KL (nats/token)", fmt("%.3g", p.meanKl()), fmt("%.3g", r.thresholds().maxKl()), mark(find(r, "mean KL")));
            row(sb, "max KL", fmt("%.3g", p.maxKl()), "", "");
            row(sb, "top-1 agreement", fmt("%.3f%%", 100 * p.top1()), "≥ " + Gate.percent(r.thresholds().minTop1()),
                    mark(find(r, "top-1 agreement")));
            row(sb, "max abs logit delta", fmt("%.4g", p.maxLogitDelta()), "", "");
            if (r.robustness() != null) {
                row(sb, "latent: ternarized vs unquantized ppl", fmt("%.4f vs %.4f (%+.1f%%)",
                        r.robustness().pplTernarized(), r.robustness().pplUnquantized(), 100 * r.robustness().penalty()),
                        "≤ +" + Gate.percent(r.thresholds().maxQuantPenalty()), mark(find(r, "latent model")));
            }
            if (!r.audits().isEmpty()) {
                long tritFails = r.gate().checks().stream().filter(c -> c.group().equals("trits") && !c.passed()).count();
                long scaleFails = r.gate().checks().stream().filter(c -> c.group().equals("scale") && !c.passed()).count();
                double worstScale = r.audits().stream().mapToDouble(a -> a.scaleRelError()).max().orElse(0);
                row(sb, "tensors with trit mismatches", tritFails + " of " + r.audits().size(),
                        String.valueOf(r.thresholds().maxTritMismatches()) + " per tensor", tritFails == 0 ? "ok" : "FAIL");
                row(sb, "worst scale relative error", fmt("%.3g", worstScale), fmt("%.3g", r.thresholds().maxScaleError()),
                        scaleFails == 0 ? "ok" : "FAIL");
            }
            List<Check> failed = r.gate().checks().stream().filter(c -> !c.passed()).toList();
            if (!failed.isEmpty()) {
                sb.append("\nFailed checks:\n\n");
                failed.stream().limit(MAX_FAILED_ROWS).forEach(c -> sb.append("- ").append(c.subject()).append(": ")
                        .append(c.message()).append('\n'));
                if (failed.size() > MAX_FAILED_ROWS) {
                    sb.append("- ... and ").append(failed.size() - MAX_FAILED_ROWS).append(" more (see --json)\n");
                }
            }
        }
        sb.append("\n**").append(r.verdict()).append("**\n");
        return sb.toString();
    }

    private static Check find(VerificationReport r, String subject) {
        return r.gate().checks().stream().filter(c -> c.subject().equals(subject)).findFirst().orElse(null);
    }

    private static String mark(Check c) {
        return c == null ? "" : c.passed() ? "ok" : "FAIL";
    }

    private static void row(StringBuilder sb, String a, String b, String c, String d) {
        sb.append("| ").append(a).append(" | ").append(b).append(" | ").append(c).append(" | ").append(d).append(" |\n");
    }

    private static String fmt(String f, Object... args) {
        return String.format(Locale.ROOT, f, args);
    }
}
