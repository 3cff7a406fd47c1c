package dev.ternpack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ternpack.formats.gguf.GgufFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConvertCommandTest {
    @TempDir
    Path tmp;

    static final String SILU = CliRun.testdata("models/tiny-bitnet-silu").toString();
    static final String RELU2 = CliRun.testdata("models/tiny-bitnet-relu2").toString();

    @Test
    void convertsWithSummaryAndWarnings() throws Exception {
        Path out = tmp.resolve("r.gguf");
        CliRun r = CliRun.run("convert", RELU2, "--format", "tq2_0", "-o", out.toString(), "--threads", "2");
        assertEquals(ExitCodes.OK, r.exitCode(), r.toString());
        assertTrue(r.out().contains("bits per ternary weight") && r.out().contains("2.0625"), r.toString());
        assertTrue(r.out().contains("wrote " + out.toRealPath()), r.toString());
        assertTrue(r.err().lines().anyMatch(l -> l.startsWith("warning: ") && l.contains("SiLU")), r.toString());
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals("relu2", g.requireString("bitnet.hidden_activation"));
        }
    }

    @Test
    void jsonSummaryToStdoutOrFile() throws Exception {
        Path out = tmp.resolve("hf");
        CliRun r = CliRun.run("convert", SILU, "-f", "hf-2bit", "-o", out.toString(), "--json");
        assertEquals(ExitCodes.OK, r.exitCode(), r.toString());
        JsonObject j = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals("hf-2bit", j.get("format").getAsString());
        assertEquals(4 * (256L * 256 * 4 + 512 * 256 * 3), j.get("ternary_weights").getAsLong());
        assertEquals(64, j.get("sha256").getAsString().length());
        Path file = tmp.resolve("s.json");
        CliRun r2 = CliRun.run("convert", SILU, "-f", "tq1_0", "-o", tmp.resolve("s.gguf").toString(), "--json",
                file.toString(), "-q");
        assertEquals(ExitCodes.OK, r2.exitCode(), r2.toString());
        JsonObject k = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        assertEquals(Files.size(tmp.resolve("s.gguf")), k.get("total_bytes").getAsLong());
        assertTrue(r2.out().startsWith("wrote "), r2.toString());
    }

    @Test
    void planWritesNothing() {
        Path out = tmp.resolve("p.gguf");
        CliRun r = CliRun.run("convert", SILU, "-f", "tq2_0", "-o", out.toString(), "--plan", "--scale-mode", "tensor");
        assertEquals(ExitCodes.OK, r.exitCode(), r.toString());
        assertTrue(r.out().contains("blk.0.attn_q.scale") && r.out().contains("TQ2_0"), r.toString());
        assertFalse(Files.exists(out));
    }

    @Test
    void badInputExitsWith3OnOneLine() throws Exception {
        Path out = tmp.resolve("e.gguf");
        Files.writeString(out, "x");
        CliRun exists = CliRun.run("convert", SILU, "-f", "tq2_0", "-o", out.toString());
        assertEquals(ExitCodes.BAD_INPUT, exists.exitCode(), exists.toString());
        assertEquals(1, exists.err().lines().count(), exists.toString());
        assertTrue(exists.err().startsWith("error: " + out + ": already exists"), exists.toString());
        CliRun missing = CliRun.run("convert", tmp.resolve("nope").toString(), "-f", "tq2_0", "-o",
                tmp.resolve("n.gguf").toString());
        assertEquals(ExitCodes.BAD_INPUT, missing.exitCode(), missing.toString());
        assertEquals(1, missing.err().lines().count(), missing.toString());
        CliRun inside = CliRun.run("convert", SILU, "-f", "tq2_0", "-o", SILU + "/x.gguf");
        assertEquals(ExitCodes.BAD_INPUT, inside.exitCode(), inside.toString());
        assertFalse(Files.exists(Path.of(SILU, "x.gguf")));
    }

    @Test
    void usageErrorsExitWith2() {
        CliRun bad = CliRun.run("convert", SILU, "-f", "q4_k", "-o", tmp.resolve("x").toString());
        assertEquals(ExitCodes.USAGE, bad.exitCode(), bad.toString());
        assertTrue(bad.err().startsWith("error: ") && bad.err().contains("tq2_0"), bad.toString());
        CliRun noFormat = CliRun.run("convert", SILU, "-o", tmp.resolve("x").toString());
        assertEquals(ExitCodes.USAGE, noFormat.exitCode(), noFormat.toString());
        CliRun threads = CliRun.run("convert", SILU, "-f", "tq2_0", "-o", tmp.resolve("x").toString(), "-t", "0");
        assertEquals(ExitCodes.USAGE, threads.exitCode(), threads.toString());
    }

    @Test
    void formatsComparesEveryFormat() {
        CliRun r = CliRun.run("formats", RELU2, "--json");
        assertEquals(ExitCodes.OK, r.exitCode(), r.toString());
        var formats = JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonArray("formats");
        assertEquals(4, formats.size());
        long tq2 = formats.get(0).getAsJsonObject().get("total_bytes").getAsLong();
        long tq1 = formats.get(1).getAsJsonObject().get("total_bytes").getAsLong();
        assertTrue(tq1 < tq2);
        CliRun text = CliRun.run("formats", SILU);
        assertEquals(ExitCodes.OK, text.exitCode(), text.toString());
        assertTrue(text.out().contains("tq1_0") && text.out().contains("bitnet.cpp"), text.toString());
    }

    @Test
    void packRoundTripsAndRefusesGgufToHf() throws Exception {
        Path tq2 = tmp.resolve("a.gguf");
        assertEquals(ExitCodes.OK, CliRun.run("convert", SILU, "-f", "tq2_0", "-o", tq2.toString(), "-q").exitCode());
        Path tq1 = tmp.resolve("b.gguf");
        CliRun p = CliRun.run("pack", tq2.toString(), "-f", "tq1_0", "-o", tq1.toString(), "--json");
        assertEquals(ExitCodes.OK, p.exitCode(), p.toString());
        assertEquals(4 * (256L * 256 * 4 + 512 * 256 * 3),
                JsonParser.parseString(p.out()).getAsJsonObject().get("ternary_weights").getAsLong());
        Path back = tmp.resolve("c.gguf");
        assertEquals(ExitCodes.OK, CliRun.run("pack", tq1.toString(), "-f", "tq2_0", "-o", back.toString()).exitCode());
        try (GgufFile a = GgufFile.open(tq2); GgufFile c = GgufFile.open(back)) {
            for (var t : a.tensors()) {
                assertEquals(a.data(t).asByteBuffer(), c.data(c.tensor(t.name())).asByteBuffer(), t.name());
            }
        }
        CliRun hf = CliRun.run("pack", tq2.toString(), "-f", "hf-2bit", "-o", tmp.resolve("hf").toString());
        assertEquals(ExitCodes.BAD_INPUT, hf.exitCode(), hf.toString());
        assertEquals(1, hf.err().lines().count(), hf.toString());
    }
}
