package dev.ternpack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ternpack.verify.report.HtmlReport;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ternpack verify --html} on a converted fixture, opened in headless Chromium as a person would open it:
 * the page needs nothing from outside itself, and the screenshot shows every plot in its colours, in the order of
 * the report, with the trit bars in the proportions the JSON report gives.
 *
 * <p>Set {@code -Dternpack.screenshot=FILE} to keep the screenshot for a look. Without Chromium the rendering
 * part is skipped, unless {@code TERNPACK_REQUIRE_CHROMIUM=1} (set by {@code .ci/run}) makes that a failure.
 */
class HtmlReportChromiumTest {
    private static final int WIDTH = 1100;
    private static final int HEIGHT = 3800;

    @TempDir
    Path tmp;

    @Test
    void theReportIsSelfContainedAndShowsEveryPlot() throws Exception {
        Path model = tmp.resolve("relu2-tq2_0.gguf");
        String relu2 = CliRun.testdata("models/tiny-bitnet-relu2").toString();
        CliRun c = CliRun.run("convert", relu2, "-f", "tq2_0", "-o", model.toString(), "-t", "2", "-q");
        assertEquals(0, c.exitCode(), c.toString());
        Path html = tmp.resolve("report.html");
        Path json = tmp.resolve("report.json");
        CliRun v = CliRun.run("verify", model.toString(), "--reference", relu2, "--text",
                CliRun.testdata("text/eval.txt").toString(), "--max-tokens", "512", "-t", "2", "--html",
                html.toString(), "--json", json.toString(), "-q");
        assertEquals(0, v.exitCode(), v.toString());

        String page = Files.readString(html);
        for (String outside : List.of("http://", "https://", "src=", "href=", "url(", "@import", "<script", "<link",
                "<iframe", "<object")) {
            assertFalse(page.toLowerCase(Locale.ROOT).contains(outside), "the report refers outside itself: " + outside);
        }
        for (String id : List.of("verdict", "parity", "loss-plot", "trits-per-layer", "trit-histograms", "scale-plot",
                "tensors")) {
            assertTrue(page.contains("id=\"" + id + "\""), "no #" + id);
        }
        Matcher rows = Pattern.compile("<table id=\"parity\">(.*?)</table>", Pattern.DOTALL).matcher(page);
        assertTrue(rows.find());
        for (String check : List.of("latent model", "perplexity delta", "mean KL", "top-1 agreement")) {
            assertTrue(rows.group(1).contains("<td>" + check + "</td>"), "parity table lacks " + check);
        }

        var chromium = HeadlessChromium.find();
        // .ci/run installs Chromium and sets this, so that in CI a Chromium that cannot be found fails the test.
        if ("1".equals(System.getenv("TERNPACK_REQUIRE_CHROMIUM"))) {
            assertTrue(chromium.isPresent(), "TERNPACK_REQUIRE_CHROMIUM=1 but no headless Chromium was found");
        }
        Assumptions.assumeTrue(chromium.isPresent(), "no headless Chromium (/usr/bin/chromium, chromium-browser or"
                + " google-chrome): the HTML report was checked as text only, not rendered");
        Path png = tmp.resolve("report.png");
        HeadlessChromium.screenshot(chromium.get(), html, png, WIDTH, HEIGHT);
        String keep = System.getProperty("ternpack.screenshot");
        if (keep != null && !keep.isBlank()) {
            Files.copy(png, Path.of(keep), StandardCopyOption.REPLACE_EXISTING);
        }
        Screenshot shot = new Screenshot(ImageIO.read(png.toFile()));

        // The verdict heading in the pass colour, at the top.
        assertTrue(shot.count("#1e8449", 0, 120) > 50, "no green PASS heading at the top");
        // Loss per position: the candidate's curve, and the reference's wider one visible around it.
        Band loss = shot.band(HtmlReport.CANDIDATE_COLOR);
        assertTrue(loss.height() > 150, "loss plot: candidate curve spans " + loss);
        assertTrue(shot.count(HtmlReport.CANDIDATE_COLOR, loss.top, loss.bottom) > 500, "candidate curve too thin");
        assertTrue(shot.count(HtmlReport.REFERENCE_COLOR, loss.top, loss.bottom) > 500,
                "the reference curve is not visible in the loss plot " + loss);
        // Trits per layer and per tensor: red, grey and blue bars; the grey share is the sparsity.
        String[] trit = HtmlReport.TRIT_COLORS;
        Band bars = shot.band(trit[0]);
        assertTrue(bars.top > loss.bottom, "trit bars below the loss plot: " + bars + " vs " + loss);
        long minus = shot.count(trit[0], bars.top, bars.bottom);
        long zero = shot.count(trit[1], bars.top, bars.bottom);
        long plus = shot.count(trit[2], bars.top, bars.bottom);
        assertTrue(minus > 20_000 && zero > 20_000 && plus > 20_000, minus + " / " + zero + " / " + plus);
        double sparsity = sparsity(JsonParser.parseString(Files.readString(json)).getAsJsonObject());
        assertEquals(sparsity, (double) zero / (minus + zero + plus), 0.02, "grey share of the trit bars");
        // Scale per tensor: gamma as a line, the candidate's scales as dots on it.
        Band scale = shot.band(HtmlReport.GAMMA_COLOR);
        assertTrue(scale.top > bars.bottom, "scale plot below the trit bars: " + scale + " vs " + bars);
        assertTrue(scale.height() > 100, "gamma line spans " + scale);
        assertTrue(shot.count(HtmlReport.SCALE_COLOR, scale.top, scale.bottom) > 28 * 20,
                "too few candidate scale dots in " + scale);
    }

    /** Share of zero trits over every projection, from the JSON report. */
    private static double sparsity(JsonObject report) {
        long zero = 0;
        long all = 0;
        for (JsonElement e : report.getAsJsonArray("tensors")) {
            JsonObject counts = e.getAsJsonObject().getAsJsonObject("trit_counts");
            zero += counts.get("zero").getAsLong();
            all += counts.get("minus_one").getAsLong() + counts.get("zero").getAsLong()
                    + counts.get("plus_one").getAsLong();
        }
        return (double) zero / all;
    }

    /** Rows {@code top..bottom} of the screenshot. */
    record Band(int top, int bottom) {
        int height() {
            return bottom - top + 1;
        }
    }

    /** Pixels of a screenshot counted by colour, allowing for a little rounding by the renderer. */
    static final class Screenshot {
        private static final int TOLERANCE = 6;
        private final BufferedImage image;

        Screenshot(BufferedImage image) {
            this.image = image;
        }

        private static boolean near(int rgb, int want) {
            for (int shift = 0; shift <= 16; shift += 8) {
                if (Math.abs(((rgb >> shift) & 0xFF) - ((want >> shift) & 0xFF)) > TOLERANCE) {
                    return false;
                }
            }
            return true;
        }

        private static int rgb(String hex) {
            return Integer.parseInt(hex.substring(1), 16);
        }

        long count(String hex, int top, int bottom) {
            int want = rgb(hex);
            long n = 0;
            for (int y = Math.max(0, top); y <= Math.min(image.getHeight() - 1, bottom); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    if (near(image.getRGB(x, y), want)) {
                        n++;
                    }
                }
            }
            return n;
        }

        /** The first and last row holding at least a few pixels of the colour; fails when there are none. */
        Band band(String hex) {
            int want = rgb(hex);
            int top = -1;
            int bottom = -1;
            for (int y = 0; y < image.getHeight(); y++) {
                int n = 0;
                for (int x = 0; x < image.getWidth(); x++) {
                    if (near(image.getRGB(x, y), want)) {
                        n++;
                    }
                }
                if (n >= 3) {
                    top = top < 0 ? y : top;
                    bottom = y;
                }
            }
            assertTrue(top >= 0, "no " + hex + " anywhere on the rendered page");
            return new Band(top, bottom);
        }
    }
}
