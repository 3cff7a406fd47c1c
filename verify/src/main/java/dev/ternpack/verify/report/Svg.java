package dev.ternpack.verify.report;

import java.util.List;
import java.util.Locale;

/**
 * Minimal inline-SVG charts for the HTML report: no scripts, no network, readable without a browser plugin. The
 * elements carry no xmlns: inside HTML the parser puts them in the SVG namespace, and the page names no URL at all.
 */
final class Svg {
    private Svg() {
    }

    /** How a series is drawn. */
    enum Style {
        /** A thin line. */
        LINE,
        /** A wide line, for a reference that a thin line drawn after it should lie on. */
        WIDE_LINE,
        /** A dot per value. */
        DOTS
    }

    /** One series of a line chart. */
    record Series(String label, double[] y, String color, Style style) {
    }

    /** Stacked horizontal bars: one row per label, segments are fractions summing to 1. */
    static String stackedBars(List<String> labels, List<double[]> fractions, String[] segmentNames, String[] colors) {
        int rowH = 16;
        int labelW = 210;
        int barW = 520;
        int h = labels.size() * rowH + 40;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" role=\"img\" class=\"chart\">",
                labelW + barW + 80, h));
        for (int i = 0; i < labels.size(); i++) {
            int y = 10 + i * rowH;
            sb.append(text(labelW - 6, y + 11, labels.get(i), "end", 11));
            double x = labelW;
            double[] f = fractions.get(i);
            for (int s = 0; s < f.length; s++) {
                double w = f[s] * barW;
                sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
                        + "<title>%s %s: %.2f%%</title></rect>", x, y, w, rowH - 3, colors[s],
                        JunitReport.esc(labels.get(i)), segmentNames[s], 100 * f[s]));
                x += w;
            }
            sb.append(text(labelW + barW + 6, y + 11, String.format(Locale.ROOT, "%.1f%% zero", 100 * f[1]), "start", 10));
        }
        int ly = 10 + labels.size() * rowH + 14;
        for (int s = 0; s < segmentNames.length; s++) {
            sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>",
                    labelW + s * 90, ly - 9, colors[s]));
            sb.append(text(labelW + s * 90 + 14, ly, segmentNames[s], "start", 11));
        }
        return sb.append("</svg>").toString();
    }

    /** Line chart over x = 1..n (or the index of each value), with axes and a legend. */
    static String lines(String xLabel, String yLabel, List<Series> series) {
        int w = 760;
        int h = 300;
        int left = 60;
        int right = 20;
        int top = 20;
        int bottom = 50;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        int n = 0;
        for (Series s : series) {
            for (double v : s.y()) {
                if (Double.isFinite(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
            n = Math.max(n, s.y().length);
        }
        if (!(max > min)) {
            max = min + 1;
            min = min - 1;
        }
        double pad = (max - min) * 0.05;
        min -= pad;
        max += pad;
        double pw = w - left - right;
        double ph = h - top - bottom;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" role=\"img\" class=\"chart\">", w, h));
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\" "
                + "stroke=\"#999\"/>", left, top, pw, ph));
        for (int i = 0; i <= 4; i++) {
            double v = min + (max - min) * i / 4;
            double y = top + ph - ph * i / 4;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>",
                    left, left + pw, y, y));
            sb.append(text(left - 4, (int) y + 4, tick(v, (max - min) / 4), "end", 10));
        }
        for (int i = 0; i <= 4; i++) {
            int idx = (int) Math.round((double) (n - 1) * i / 4);
            double x = left + (n <= 1 ? 0 : pw * idx / (n - 1));
            sb.append(text((int) x, top + (int) ph + 14, String.valueOf(idx + 1), "middle", 10));
        }
        sb.append(text(left + (int) pw / 2, h - 8, xLabel, "middle", 11));
        sb.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" font-size=\"11\" transform=\"rotate(-90 14 %d)\" "
                + "text-anchor=\"middle\">%s</text>", top + (int) ph / 2, top + (int) ph / 2, JunitReport.esc(yLabel)));
        int si = 0;
        for (Series s : series) {
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < s.y().length; i++) {
                if (!Double.isFinite(s.y()[i])) {
                    continue;
                }
                double x = left + (n <= 1 ? 0 : pw * i / (n - 1));
                double y = top + ph - ph * (s.y()[i] - min) / (max - min);
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                if (s.style() == Style.DOTS) {
                    sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" stroke=\"#fff\"/>", x, y,
                            s.color()));
                }
            }
            if (s.style() != Style.DOTS) {
                sb.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" "
                        + "stroke-width=\"%s\" stroke-linejoin=\"round\"/>", pts.toString().trim(), s.color(),
                        s.style() == Style.WIDE_LINE ? "5" : "1.5"));
            }
            if (s.style() == Style.DOTS) {
                sb.append(String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"%s\"/>",
                        left + 15 + si * 200, top + 11, s.color()));
            } else {
                sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>",
                        left + 10 + si * 200, top + 6, s.color()));
            }
            sb.append(text(left + 24 + si * 200, top + 15, s.label(), "start", 11));
            si++;
        }
        return sb.append("</svg>").toString();
    }

    /** An axis label with as many decimals as ticks {@code step} apart need to differ. */
    static String tick(double v, double step) {
        if (!(step > 0) || Math.abs(v) >= 1e5 || step < 1e-7) {
            return String.format(Locale.ROOT, "%.3g", v);
        }
        int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step)) + 1);
        return String.format(Locale.ROOT, "%." + Math.min(decimals, 8) + "f", v);
    }

    private static String text(int x, int y, String s, String anchor, int size) {
        return String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"%d\" text-anchor=\"%s\">%s</text>", x, y,
                size, anchor, JunitReport.esc(s));
    }
}
