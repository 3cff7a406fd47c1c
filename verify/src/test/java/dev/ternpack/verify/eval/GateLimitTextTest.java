package dev.ternpack.verify.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How the gate prints its limits: the default reads naturally, and a tiny limit is never shown as zero. */
class GateLimitTextTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "0.005, 0.5%", "0.98, 98%", "0.999, 99.9%", "0.9999, 99.99%", "0.001, 0.1%", "0.00001, 0.001%",
            "0.000001, 0.0001%", "1e-10, 1e-08%", "1.234567e-9, 1.23457e-07%", "0.10, 10%", "0, 0%", "1, 100%"})
    void percent(double fraction, String text) {
        assertEquals(text, Gate.percent(fraction));
    }

    private static ParityMetrics parity(double referenceNll, double candidateNll, double top1) {
        Windows w = new Windows(128, 2);
        return new ParityMetrics(new PerplexityResult(w, referenceNll, new double[127]),
                new PerplexityResult(w, candidateNll, new double[127]), 1e-5, 1e-3, top1, 0.1);
    }

    @Test
    void aTinyPerplexityLimitIsShownAsANonZeroFigure() {
        Thresholds tiny = new Thresholds(1e-6, 0.98, 0.005, 1e-3, 0, 0.10);
        Gate.Result r = Gate.evaluate(parity(4.0, 4.0 + 1e-5, 0.995), List.of(), null, tiny);
        assertFalse(r.passed(), r.verdict());
        assertTrue(r.verdict().startsWith("FAIL: perplexity "), r.verdict());
        assertTrue(r.verdict().endsWith(", limit ±0.0001%)"), r.verdict());
        assertFalse(r.verdict().contains("±0.000%"), r.verdict());
    }

    @Test
    void theDefaultLimitsReadNaturally() {
        Gate.Result pass = Gate.evaluate(parity(4.0, 4.0, 0.995), List.of(), null, Thresholds.DEFAULTS);
        assertTrue(pass.passed(), pass.verdict());
        assertTrue(pass.verdict().endsWith("(+0.0000%, limit ±0.5%)"), pass.verdict());
        Gate.Result fail = Gate.evaluate(parity(4.0, 4.0, 0.9), List.of(), null, Thresholds.DEFAULTS);
        assertEquals("FAIL: top-1 agreement 90.0000% (limit 98%)", fail.verdict());
    }
}
