package dev.ternpack.verify.report;

import dev.ternpack.verify.eval.Check;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * JUnit XML ({@code --junit}): one test suite per check group and one test case per check, the format CI
 * systems (GitHub, GitLab, Jenkins) render natively. A failed check is a {@code <failure>} whose message is
 * the check's one-line explanation.
 */
public final class JunitReport {
    private JunitReport() {
    }

    public static String render(VerificationReport r) {
        List<Check> checks = r.gate() == null ? List.of() : r.gate().checks();
        Map<String, List<Check>> groups = new LinkedHashMap<>();
        for (Check c : checks) {
            groups.computeIfAbsent(c.group(), k -> new java.util.ArrayList<>()).add(c);
        }
        long failures = checks.stream().filter(c -> !c.passed()).count();
        StringBuilder sb = new StringBuilder();
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.append("<testsuites name=\"ternpack verify\" tests=\"").append(checks.size()).append("\" failures=\"")
                .append(failures).append("\" time=\"").append(seconds(r.seconds())).append("\">\n");
        for (Map.Entry<String, List<Check>> g : groups.entrySet()) {
            long f = g.getValue().stream().filter(c -> !c.passed()).count();
            sb.append("  <testsuite name=\"ternpack.verify.").append(esc(g.getKey())).append("\" tests=\"")
                    .append(g.getValue().size()).append("\" failures=\"").append(f).append("\" errors=\"0\">\n");
            for (Check c : g.getValue()) {
                sb.append("    <testcase classname=\"ternpack.verify.").append(esc(c.group())).append("\" name=\"")
                        .append(esc(c.subject())).append("\"");
                if (c.passed()) {
                    sb.append(">\n      <system-out>").append(esc(c.message())).append("</system-out>\n    </testcase>\n");
                } else {
                    sb.append(">\n      <failure message=\"").append(esc(c.message())).append("\" type=\"")
                            .append(esc(c.group())).append("\">").append(esc(c.message()))
                            .append(" [candidate ").append(esc(r.candidate().path())).append("]")
                            .append("</failure>\n    </testcase>\n");
                }
            }
            sb.append("  </testsuite>\n");
        }
        sb.append("</testsuites>\n");
        return sb.toString();
    }

    private static String seconds(double s) {
        return String.format(Locale.ROOT, "%.3f", s);
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&apos;");
                default -> {
                    if (ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r') {
                        b.append(' '); // not allowed in XML 1.0
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.toString();
    }
}
