package dev.ternpack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The options every result-producing command shares behave alike: {@code --json [FILE]} (a bare one means stdout,
 * and takes the next argument only when it is a .json file), {@code -q} (the result line(s) only),
 * {@code -t/--threads}, {@code -o/--output}.
 */
class CommonOptionsTest {
    @TempDir
    Path tmp;

    static final String SILU = CliRun.testdata("models/tiny-bitnet-silu").toString();

    @Test
    void aBareJsonBeforeThePathDoesNotSwallowIt() {
        CliRun r = CliRun.run("inspect", "--json", SILU);
        assertEquals(0, r.exitCode(), r.toString());
        JsonObject j = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(SILU, j.get("path").getAsString());
    }

    @Test
    void inspectWritesJsonToAFileAndStillPrintsTheText() throws Exception {
        Path file = tmp.resolve("inspect.json");
        CliRun r = CliRun.run("inspect", "--json", file.toString(), SILU);
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().startsWith(SILU + ": safetensors, 2 files, 46 tensors"), r.out());
        assertEquals(46, JsonParser.parseString(Files.readString(file)).getAsJsonObject().getAsJsonArray("tensors")
                .size());
        Path other = tmp.resolve("inspect.out");
        CliRun q = CliRun.run("inspect", SILU, "--json=" + other, "-q");
        assertEquals(0, q.exitCode(), q.toString());
        assertEquals(1, q.out().lines().count(), q.out());
        assertTrue(Files.readString(other).startsWith("{"));
    }

    @Test
    void aFileNotEndingInJsonNeedsTheEqualsSign() {
        CliRun r = CliRun.run("inspect", SILU, "--json", tmp.resolve("x.txt").toString());
        assertEquals(ExitCodes.USAGE, r.exitCode(), r.toString());
        assertFalse(Files.exists(tmp.resolve("x.txt")));
    }

    @Test
    void anEmptyFileNameIsAUsageError() {
        CliRun r = CliRun.run("inspect", SILU, "--json=");
        assertEquals(ExitCodes.USAGE, r.exitCode(), r.toString());
        assertTrue(r.err().startsWith("error: --json= names no file"), r.err());
    }

    @Test
    void usageErrorsReadWell() {
        CliRun typo = CliRun.run("conver", SILU);
        assertEquals(ExitCodes.USAGE, typo.exitCode(), typo.toString());
        assertEquals(List.of("error: Unmatched arguments from index 0: 'conver', '" + SILU + "'",
                "Did you mean convert?", "Try 'ternpack --help' for more."), typo.err().lines().toList());
        CliRun noText = CliRun.run("verify", "x.gguf");
        assertEquals(ExitCodes.USAGE, noText.exitCode(), noText.toString());
        assertTrue(noText.err().startsWith("error: Missing required argument (specify one of these):"
                + " (--text=FILE | --tokens=FILE)\n"), noText.err());
    }

    @Test
    void formatsQuietPrintsOneLinePerFormat() {
        CliRun r = CliRun.run("formats", SILU, "-q");
        assertEquals(0, r.exitCode(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertEquals(4, lines.size(), r.out());
        for (int i = 0; i < 4; i++) {
            assertTrue(lines.get(i).matches(List.of("tq2_0", "tq1_0", "i2_s", "hf-2bit").get(i) + ": \\d+\\.\\d\\d MiB"),
                    lines.get(i));
        }
        CliRun full = CliRun.run("formats", SILU);
        assertTrue(full.out().lines().count() > 4, full.out());
    }

    @Test
    void convertTakesDashTAndQuietLeavesTheResultLine() throws Exception {
        Path out = tmp.resolve("t.gguf");
        Path json = tmp.resolve("c.json");
        CliRun r = CliRun.run("convert", SILU, "-f", "tq2_0", "-o", out.toString(), "-t", "1", "--json", json.toString(),
                "-q");
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals(List.of("wrote " + out + " (tq2_0, " + ConvertCommand.mib(Files.size(out)) + ")"),
                r.out().lines().toList());
        assertEquals("", r.err());
        assertEquals(Files.size(out), JsonParser.parseString(Files.readString(json)).getAsJsonObject()
                .get("total_bytes").getAsLong());
    }
}
