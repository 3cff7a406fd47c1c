package dev.ternpack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** {@code ternpack verify}: exit codes, output for CI logs, report files. Few windows keep it fast. */
class VerifyCommandTest {
    static final String RELU2 = CliRun.testdata("models/tiny-bitnet-relu2").toString();
    static final String CONTROL = CliRun.testdata("models/tiny-fp-control-f16").toString();
    static final String TOKENS = CliRun.testdata("text/eval_tokens.txt").toString();
    static final String TEXT = CliRun.testdata("text/eval.txt").toString();

    @TempDir
    Path tmp;

    private static String lastLine(String s) {
        List<String> lines = s.lines().toList();
        return lines.get(lines.size() - 1);
    }

    @Test
    void passingRunExitsZeroAndWritesWellFormedReports() throws Exception {
        Path json = tmp.resolve("r.json");
        Path junit = tmp.resolve("r.xml");
        Path md = tmp.resolve("r.md");
        Path html = tmp.resolve("r.html");
        CliRun r = CliRun.run("verify", RELU2, "--reference", RELU2, "--text", TEXT, "--max-tokens", "256",
                "--threads", "2", "--json", json.toString(), "--junit", junit.toString(), "--markdown", md.toString(),
                "--html", html.toString());
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(lastLine(r.out()).startsWith("PASS: "), r.toString());
        assertTrue(r.out().contains("perplexity: model "), r.out());
        assertTrue(r.out().contains("2 windows of 128 (254 predictions)"), r.out());
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertTrue(o.get("passed").getAsBoolean());
        assertEquals(lastLine(r.out()), o.get("verdict").getAsString());
        Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(junit.toFile());
        Element suite = d.getDocumentElement();
        assertEquals(0, Integer.parseInt(suite.getAttribute("failures")));
        assertEquals(d.getElementsByTagName("testcase").getLength(), Integer.parseInt(suite.getAttribute("tests")));
        assertTrue(d.getElementsByTagName("testcase").getLength() > 28);
        assertTrue(Files.readString(md).contains("PASS"));
        assertTrue(Files.readString(html).startsWith("<!DOCTYPE html>") || Files.readString(html).contains("<html"));
        try (var s = Files.list(tmp)) {
            assertEquals(4, s.count(), "no temp files left behind");
        }
    }

    @Test
    void nonRobustLatentModelFailsWithExitFour() throws Exception {
        Path junit = tmp.resolve("r.xml");
        CliRun r = CliRun.run("verify", CONTROL, "--reference", CONTROL, "--tokens", TOKENS, "--max-tokens", "256",
                "--threads", "2", "--junit", junit.toString());
        assertEquals(4, r.exitCode(), r.toString());
        assertTrue(lastLine(r.out()).startsWith("FAIL: the latent model itself is not ternary-robust"), r.toString());
        Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(junit.toFile());
        Element suite = d.getDocumentElement();
        assertTrue(Integer.parseInt(suite.getAttribute("failures")) >= 1);
    }

    @Test
    void jsonWithoutFileGoesToStdout() {
        CliRun r = CliRun.run("verify", RELU2, "--tokens", TOKENS, "--max-tokens", "128", "--threads", "2", "--json");
        assertEquals(0, r.exitCode(), r.toString());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertTrue(o.get("verdict").getAsString().startsWith("perplexity "));
    }

    @Test
    void quietPrintsOnlyTheVerdict() {
        CliRun r = CliRun.run("verify", RELU2, "--tokens", TOKENS, "--max-tokens", "128", "--threads", "2", "-q");
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals(1, r.out().lines().count(), r.out());
        assertTrue(r.out().startsWith("perplexity "), r.out());
        assertEquals("", r.err());
    }

    @Test
    void oneThreadIsSingularAndAPerplexityOnlyReportHasNoParitySection() throws IOException {
        Path html = tmp.resolve("ppl.html");
        CliRun r = CliRun.run("verify", RELU2, "--tokens", TOKENS, "--max-tokens", "128", "-t", "1", "--html",
                html.toString());
        assertEquals(0, r.exitCode(), r.toString());
        String page = Files.readString(html);
        assertTrue(page.contains("<h2>Perplexity</h2>") && !page.contains("<h2>Parity</h2>"), "no parity without"
                + " a reference");
        assertTrue(page.contains("activations per-token, 1 thread, "), "1 thread in the HTML report");
        assertTrue(r.out().contains(", activations per-token, 1 thread\n"), r.out());
        CliRun two = CliRun.run("verify", RELU2, "--tokens", TOKENS, "--max-tokens", "128", "-t", "2");
        assertTrue(two.out().contains(", activations per-token, 2 threads\n"), two.out());
        assertEquals("", r.err() + two.err(), "stderr holds nothing when not at a terminal");
    }

    @Test
    void badInputIsOneLineAndExitThree() throws IOException {
        CliRun r = CliRun.run("verify", tmp.resolve("nope").toString(), "--tokens", TOKENS);
        assertEquals(3, r.exitCode(), r.toString());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("error: " + tmp.resolve("nope")), r.err());

        Path ids = Files.writeString(tmp.resolve("ids.txt"), "1 2 x");
        r = CliRun.run("verify", RELU2, "--tokens", ids.toString());
        assertEquals(3, r.exitCode(), r.toString());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains(ids.toString()) && r.err().contains("\"x\""), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void stacktraceOnRequest() throws IOException {
        Path ids = Files.writeString(tmp.resolve("ids.txt"), "1 2 x");
        CliRun r = CliRun.run("verify", RELU2, "--tokens", ids.toString(), "--stacktrace");
        assertEquals(3, r.exitCode(), r.toString());
        assertTrue(r.err().contains("\tat "), r.err());
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(2, CliRun.run("verify", RELU2).exitCode());
        assertEquals(2, CliRun.run("verify", RELU2, "--text", TEXT, "--tokens", TOKENS).exitCode());
        assertEquals(2, CliRun.run("verify", RELU2, "--tokens", TOKENS, "--activations", "int4").exitCode());
        assertEquals(2, CliRun.run("verify", RELU2, "--tokens", TOKENS, "--ctx", "1").exitCode());
        assertEquals(2, CliRun.run("verify", RELU2, "--tokens", TOKENS, "--min-top1", "1.5").exitCode());
        assertEquals(2, CliRun.run("verify", RELU2, "--tokens", TOKENS, "--threads", "0").exitCode());
    }

    @Test
    void helpExplainsWindowsAndExitCodes() {
        String help = CliRun.run("verify", "--help").out();
        assertTrue(help.contains("positions 1..ctx-1"), help);
        assertTrue(help.contains("4 the gate failed"), help);
        assertTrue(help.contains("Examples:"), help);
    }
}
