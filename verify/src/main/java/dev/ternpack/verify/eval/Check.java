package dev.ternpack.verify.eval;

/**
 * One pass/fail check of the gate, reported as one JUnit test case.
 *
 * @param group what kind of check ({@code parity}, {@code trits}, {@code scale}, {@code robustness})
 * @param subject the metric or tensor checked
 * @param value the measured value
 * @param limit the threshold it was held to
 * @param severity how far past the limit a failure is (value/limit style, larger is worse); 0 when passed
 * @param message one line for people: what was measured and what it means
 */
public record Check(String group, String subject, boolean passed, double value, double limit, double severity,
        String message) {
}
