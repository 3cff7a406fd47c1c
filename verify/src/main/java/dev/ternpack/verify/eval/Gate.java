package dev.ternpack.verify.eval;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** Turns measurements into checks, a pass/fail decision and a one-line verdict naming the worst failure. */
public final class Gate {

    /** The outcome: every check, and the verdict line. */
    public record Result(List<Check> checks, boolean passed, String verdict) {
        public Result {
            checks = List.copyOf(checks);
        }

        public long failures() {
            return checks.stream().filter(c -> !c.passed()).count();
        }
    }

    private Gate() {
    }

    /**
     * A limit given as a fraction, printed as a percentage the way a user would write it: up to 6 significant
     * digits without trailing zeros, so the default 0.005 reads "0.5%", 0.98 reads "98%", 0.9999 reads "99.99%"
     * and a tiny 1e-6 reads "0.0001%" rather than rounding to zero; below 1e-4% it switches to "1e-08%" notation.
     */
    public static String percent(double fraction) {
        double v = 100 * fraction;
        if (v == 0 || !Double.isFinite(v)) {
            return (v == 0 ? "0" : String.valueOf(v)) + "%";
        }
        BigDecimal b = new BigDecimal(v).round(new MathContext(6)).stripTrailingZeros();
        if (b.abs().compareTo(new BigDecimal("0.0001")) >= 0 && b.abs().compareTo(new BigDecimal(1_000_000)) < 0) {
            return b.toPlainString() + "%";
        }
        String mantissa = b.unscaledValue().abs().toString();
        String digits = mantissa.length() > 1 ? mantissa.charAt(0) + "." + mantissa.substring(1) : mantissa;
        int exponent = b.precision() - b.scale() - 1;
        return (b.signum() < 0 ? "-" : "") + digits + String.format(Locale.ROOT, "e%+03d", exponent) + "%";
    }

    public static Result evaluate(ParityMetrics parity, List<ProjectionAudit> audits, Robustness robustness,
            Thresholds limits) {
        List<Check> checks = new ArrayList<>();
        if (robustness != null) {
            double p = robustness.penalty();
            boolean ok = p <= limits.maxQuantPenalty();
            checks.add(new Check("robustness", "latent model", ok, p, limits.maxQuantPenalty(),
                    ok ? 0 : 100 + p / Math.max(limits.maxQuantPenalty(), 1e-12),
                    ok ? String.format(Locale.ROOT, "ternarized latent perplexity %.4f vs unquantized %.4f (%+.2f%%)",
                            robustness.pplTernarized(), robustness.pplUnquantized(), 100 * p)
                       : String.format(Locale.ROOT, "the latent model itself is not ternary-robust: its ternarized "
                            + "perplexity %.2f is %.0f%% above its unquantized perplexity %.2f (limit %s); "
                            + "it was probably not trained as BitNet b1.58",
                            robustness.pplTernarized(), 100 * p, robustness.pplUnquantized(),
                            percent(limits.maxQuantPenalty()))));
        }
        for (ProjectionAudit a : audits) {
            checks.add(tritCheck(a, limits));
            if (a.mismatches() >= 0) { // a dense tensor has no scale to compare; its trit check already fails
                checks.add(scaleCheck(a, limits));
            }
        }
        if (parity != null) {
            double d = parity.relativePerplexityDelta();
            checks.add(metric("perplexity delta", Math.abs(d), limits.maxPplDelta(), true,
                    String.format(Locale.ROOT, "perplexity %.4f vs reference %.4f (%+.4f%%, limit ±%s)",
                            parity.candidate().perplexity(), parity.reference().perplexity(), 100 * d,
                            percent(limits.maxPplDelta()))));
            checks.add(metric("mean KL", parity.meanKl(), limits.maxKl(), true,
                    String.format(Locale.ROOT, "mean KL(reference || candidate) %.3g nats per token (limit %.3g)",
                            parity.meanKl(), limits.maxKl())));
            checks.add(metric("top-1 agreement", parity.top1(), limits.minTop1(), false,
                    String.format(Locale.ROOT, "top-1 agreement %.4f%% (limit %s)", 100 * parity.top1(),
                            percent(limits.minTop1()))));
        }
        boolean passed = checks.stream().allMatch(Check::passed);
        return new Result(checks, passed, verdict(checks, passed));
    }

    private static Check tritCheck(ProjectionAudit a, Thresholds limits) {
        String subject = a.tensor();
        if (a.mismatches() < 0) {
            return new Check("trits", subject, false, Double.NaN, limits.maxTritMismatches(), 1000,
                    "stored as " + a.storage() + " instead of ternary values");
        }
        boolean ok = a.mismatches() <= limits.maxTritMismatches();
        String msg = ok
                ? String.format(Locale.ROOT, "all %d trits match the latent weights", a.elements())
                : String.format(Locale.ROOT, "%d of %d trits differ from the ternarized latent weights (first in row %d)",
                        a.mismatches(), a.elements(), a.firstMismatchRow());
        return new Check("trits", subject, ok, a.mismatches(), limits.maxTritMismatches(),
                ok ? 0 : 200 + (double) a.mismatches() / a.elements(), msg);
    }

    private static Check scaleCheck(ProjectionAudit a, Thresholds limits) {
        String subject = a.tensor();
        double limit = Math.max(limits.maxScaleError(), a.scaleRounding());
        boolean ok = a.scaleRelError() <= limit;
        String msg = String.format(Locale.ROOT, "scale %.8g vs gamma %.8g (relative error %.3g, limit %.3g%s)",
                a.candidateScale(), a.referenceScale(), a.scaleRelError(), limit,
                limit > limits.maxScaleError() ? ", the rounding of the stored scale's dtype" : "");
        return new Check("scale", subject, ok, a.scaleRelError(), limit,
                ok ? 0 : 150 + Math.min(a.scaleRelError(), 1e6), msg);
    }

    private static Check metric(String name, double value, double limit, boolean upper, String msg) {
        boolean ok = upper ? value <= limit : value >= limit;
        double severity = ok ? 0 : upper ? value / Math.max(limit, 1e-12) : (1 - value) / Math.max(1 - limit, 1e-12);
        return new Check("parity", name, ok, value, limit, severity, msg);
    }

    private static String verdict(List<Check> checks, boolean passed) {
        if (passed) {
            long tensors = checks.stream().filter(c -> c.group().equals("trits")).count();
            Check ppl = checks.stream().filter(c -> c.subject().equals("perplexity delta")).findFirst().orElse(null);
            return "PASS: " + checks.size() + " checks" + (tensors > 0 ? ", " + tensors + " tensors match" : "")
                    + (ppl != null ? "; " + ppl.message() : "");
        }
        List<Check> failed = checks.stream().filter(c -> !c.passed())
                .sorted(Comparator.comparingDouble(Check::severity).reversed()).toList();
        Check worst = failed.get(0);
        String subject = worst.group().equals("parity") || worst.group().equals("robustness") ? "" : worst.subject() + ": ";
        return "FAIL: " + subject + worst.message()
                + (failed.size() > 1 ? " (" + failed.size() + " checks failed)" : "");
    }
}
