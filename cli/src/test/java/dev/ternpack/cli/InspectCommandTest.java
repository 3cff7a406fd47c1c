package dev.ternpack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ternpack.formats.gguf.GgufValue;
import dev.ternpack.formats.gguf.GgufWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@code ternpack inspect} on the fixture checkpoints (BF16 single file, F32 sharded, F16 control) and on GGUF files
 * written by gguf-py. Expected values come from outside ternpack: the safetensors headers and config.json read here
 * with plain JSON parsing, and for GGUF what gguf-py's GGUFReader reported (testdata/golden/gguf-py-files.json).
 */
class InspectCommandTest {

    private static JsonObject json(CliRun r) {
        assertEquals(ExitCodes.OK, r.exitCode(), r.toString());
        assertEquals("", r.err(), r.toString());
        return JsonParser.parseString(r.out()).getAsJsonObject();
    }

    /** tensor name -> {dtype, shape, bytes, file} straight from the files' headers. */
    private static Map<String, JsonObject> headerTensors(Path modelDir) throws IOException {
        Path index = modelDir.resolve("model.safetensors.index.json");
        List<String> files = new ArrayList<>();
        if (Files.exists(index)) {
            JsonObject weightMap = JsonParser.parseString(Files.readString(index)).getAsJsonObject()
                    .getAsJsonObject("weight_map");
            weightMap.entrySet().forEach(e -> {
                if (!files.contains(e.getValue().getAsString())) {
                    files.add(e.getValue().getAsString());
                }
            });
        } else {
            files.add("model.safetensors");
        }
        Map<String, JsonObject> out = new LinkedHashMap<>();
        for (String f : files) {
            byte[] bytes = Files.readAllBytes(modelDir.resolve(f));
            long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            JsonObject header = JsonParser.parseString(new String(bytes, 8, (int) n, StandardCharsets.UTF_8))
                    .getAsJsonObject();
            for (Map.Entry<String, JsonElement> e : header.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                JsonObject t = e.getValue().getAsJsonObject();
                JsonArray offsets = t.getAsJsonArray("data_offsets");
                JsonObject expected = new JsonObject();
                expected.add("dtype", t.get("dtype"));
                expected.add("shape", t.get("shape"));
                expected.addProperty("bytes", offsets.get(1).getAsLong() - offsets.get(0).getAsLong());
                expected.addProperty("file", files.size() > 1 ? f : null);
                out.put(e.getKey(), expected);
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-bitnet-relu2", "tiny-bitnet-silu", "tiny-fp-control-f16"})
    void fixtureCheckpointsMatchTheirHeadersAndConfig(String model) throws IOException {
        Path dir = CliRun.testdata("models/" + model);
        Map<String, JsonObject> expected = headerTensors(dir);
        JsonObject report = json(CliRun.run("inspect", dir.toString(), "--json"));
        assertEquals("safetensors", report.get("format").getAsString());
        JsonArray tensors = report.getAsJsonArray("tensors");
        assertEquals(expected.size(), tensors.size());
        Map<String, long[]> totals = new LinkedHashMap<>();
        for (JsonElement e : tensors) {
            JsonObject t = e.getAsJsonObject();
            JsonObject want = expected.get(t.get("name").getAsString());
            assertEquals(want.get("dtype"), t.get("type"), t.toString());
            assertEquals(want.get("shape"), t.get("shape"), t.toString());
            assertEquals(want.get("bytes").getAsLong(), t.get("bytes").getAsLong(), t.toString());
            if (!want.get("file").isJsonNull()) {
                assertEquals(want.get("file"), t.get("file"), t.toString());
            }
            long[] total = totals.computeIfAbsent(want.get("dtype").getAsString(), k -> new long[2]);
            total[0]++;
            total[1] += want.get("bytes").getAsLong();
        }
        JsonArray byType = report.getAsJsonArray("totals");
        assertEquals(totals.size(), byType.size());
        for (JsonElement e : byType) {
            JsonObject t = e.getAsJsonObject();
            long[] want = totals.get(t.get("type").getAsString());
            assertEquals(want[0], t.get("tensors").getAsLong());
            assertEquals(want[1], t.get("bytes").getAsLong());
        }

        JsonObject config = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
        JsonObject shown = report.getAsJsonObject("config");
        for (String key : List.of("model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                "num_attention_heads", "hidden_act", "tie_word_embeddings")) {
            assertEquals(config.get(key), shown.get(key), key);
        }
        assertEquals(config.get("rms_norm_eps").getAsDouble(), shown.get("rms_norm_eps").getAsDouble());
        assertEquals(config.get("rope_theta").getAsDouble(), shown.get("rope_theta").getAsDouble());

        // The text form shows the same rows, aligned.
        CliRun text = CliRun.run("inspect", dir.toString());
        assertEquals(ExitCodes.OK, text.exitCode(), text.toString());
        for (Map.Entry<String, JsonObject> e : expected.entrySet()) {
            String shape = e.getValue().getAsJsonArray("shape").toString().replace(",", ", ");
            Pattern row = Pattern.compile("(?m)^  " + Pattern.quote(e.getKey()) + " +"
                    + e.getValue().get("dtype").getAsString() + " +" + Pattern.quote(shape) + " +"
                    + e.getValue().get("bytes").getAsLong() + "( .*)?$");
            assertTrue(row.matcher(text.out()).find(), "row for " + e.getKey() + "\n" + text.out());
        }
        assertTrue(text.out().contains("hidden_size              " + config.get("hidden_size").getAsInt()),
                text.out());
    }

    @Test
    void singleFileAndIndexFileAreAccepted() {
        Path file = CliRun.testdata("models/tiny-bitnet-relu2/model.safetensors");
        JsonObject single = json(CliRun.run("inspect", file.toString(), "--json"));
        assertTrue(single.get("config") == null, "a lone file has no config.json");
        assertEquals("{\"format\":\"pt\"}", single.getAsJsonObject("safetensors_metadata").toString());
        Path index = CliRun.testdata("models/tiny-bitnet-silu/model.safetensors.index.json");
        JsonObject sharded = json(CliRun.run("inspect", index.toString(), "--json"));
        assertEquals(2, sharded.getAsJsonArray("files").size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"formats-md-2.4.gguf", "gguf-py-small.gguf"})
    void ggufMatchesWhatGgufPyReads(String name) throws IOException {
        JsonObject golden = JsonParser.parseString(Files.readString(CliRun.testdata("golden/gguf-py-files.json")))
                .getAsJsonObject().getAsJsonObject(name);
        JsonObject report = json(CliRun.run("inspect", CliRun.testdata("golden/" + name).toString(), "--json"));
        for (String key : List.of("version", "alignment", "data_offset", "file_size")) {
            assertEquals(golden.get(key).getAsLong(), report.get(key).getAsLong(), key);
        }
        JsonArray fields = golden.getAsJsonArray("fields");
        JsonArray metadata = report.getAsJsonArray("metadata");
        assertEquals(fields.size(), metadata.size());
        for (int i = 0; i < fields.size(); i++) {
            JsonObject want = fields.get(i).getAsJsonObject();
            JsonObject got = metadata.get(i).getAsJsonObject();
            String key = want.get("key").getAsString();
            assertEquals(key, got.get("key").getAsString());
            JsonArray types = want.getAsJsonArray("types");
            String type = types.size() == 1 ? types.get(0).getAsString()
                    : "ARRAY[" + types.get(1).getAsString() + "]";
            assertEquals(type, got.get("type").getAsString(), key);
            if (types.size() == 1) {
                assertValue(types.get(0).getAsString(), want.get("value"), got.get("value"), key);
            } else {
                JsonArray all = want.getAsJsonArray("value");
                JsonArray head = got.getAsJsonArray("value");
                assertEquals(all.size(), got.get("length").getAsInt(), key);
                assertEquals(Math.min(all.size(), InspectCommand.ARRAY_PREVIEW), head.size(), key);
                for (int j = 0; j < head.size(); j++) {
                    assertValue(types.get(1).getAsString(), all.get(j), head.get(j), key + "[" + j + "]");
                }
            }
        }
        JsonArray tensors = golden.getAsJsonArray("tensors");
        JsonArray shown = report.getAsJsonArray("tensors");
        assertEquals(tensors.size(), shown.size());
        for (int i = 0; i < tensors.size(); i++) {
            JsonObject want = tensors.get(i).getAsJsonObject();
            JsonObject got = shown.get(i).getAsJsonObject();
            assertEquals(want.get("name"), got.get("name"));
            assertEquals(want.get("type"), got.get("type"));
            assertEquals(want.get("ne"), got.get("ne"));
            assertEquals(want.get("n_bytes").getAsLong(), got.get("bytes").getAsLong());
            assertEquals(want.get("data_offset").getAsLong(), got.get("offset").getAsLong());
        }
        String arch = golden.getAsJsonArray("fields").get(0).getAsJsonObject().get("value").getAsString();
        assertEquals(arch, report.get("architecture").getAsString());
    }

    private static void assertValue(String type, JsonElement want, JsonElement got, String where) {
        switch (type) {
            // gguf-py widens a FLOAT32 to a Python float; narrowing both gives the stored float32.
            case "FLOAT32" -> assertEquals(want.getAsFloat(), got.getAsFloat(), where);
            case "FLOAT64" -> assertEquals(want.getAsDouble(), got.getAsDouble(), where);
            case "STRING", "BOOL" -> assertEquals(want, got, where);
            default -> assertEquals(want.getAsBigInteger(), got.getAsBigInteger(), where);
        }
    }

    @Test
    void ggufTextShowsMetadataAndTensorRows() {
        CliRun r = CliRun.run("inspect", CliRun.testdata("golden/gguf-py-small.gguf").toString());
        assertEquals(ExitCodes.OK, r.exitCode(), r.toString());
        String out = r.out();
        // Values as gguf-py reads them (gguf-py-files.json): the UINT64 above 2^63 unsigned, the name with its
        // newline escaped, arrays as [length] and their first items.
        assertTrue(out.contains("test.u64                                UINT64          18000000000000000000"), out);
        assertTrue(out.contains("\"tiny gguf-py file\\nsecond line\""), out);
        assertTrue(out.contains("ARRAY[STRING]   [20] \"<unk>\", \"<s>\", \"</s>\", \"tok00\""), out);
        assertTrue(out.matches("(?s).*\\n  blk\\.0\\.attn_q\\.weight +TQ2_0 +\\[256, 2\\] +132 +2816\\n.*"), out);
        assertTrue(out.contains("Architecture: llama"), out);
        assertTrue(out.matches("(?s).*\\n  attention\\.head_count_kv +2\\n.*"), out);
        CliRun quiet = CliRun.run("inspect", CliRun.testdata("golden/gguf-py-small.gguf").toString(), "-q");
        assertEquals(1, quiet.out().lines().count(), quiet.toString());
        assertTrue(quiet.out().contains("GGUF v3, 34 metadata keys, 7 tensors"), quiet.toString());
    }

    @Test
    void nonFiniteFloatsAndEmptyArraysAreShown(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("odd.gguf");
        try (GgufWriter w = GgufWriter.create(file)) {
            w.put("general.architecture", GgufValue.string("llama"));
            w.put("test.nan", GgufValue.f32(Float.NaN));
            w.put("test.neg_inf", GgufValue.f64(Double.NEGATIVE_INFINITY));
            w.put("test.floats", GgufValue.f32s(new float[] {Float.POSITIVE_INFINITY, 1.5f}));
            w.put("test.empty", GgufValue.strings(List.of()));
            w.commit();
        }
        CliRun text = CliRun.run("inspect", file.toString());
        assertEquals(ExitCodes.OK, text.exitCode(), text.toString());
        assertTrue(text.out().matches("(?s).*\\n  test\\.nan +FLOAT32 +NaN\\n.*"), text.out());
        assertTrue(text.out().matches("(?s).*\\n  test\\.neg_inf +FLOAT64 +-Infinity\\n.*"), text.out());
        assertTrue(text.out().matches("(?s).*\\n  test\\.floats +ARRAY\\[FLOAT32\\] +\\[2\\] Infinity, 1\\.5\\n.*"),
                text.out());
        assertTrue(text.out().matches("(?s).*\\n  test\\.empty +ARRAY\\[STRING\\] +\\[0\\]\\n.*"), text.out());
        CliRun json = CliRun.run("inspect", file.toString(), "--json");
        assertEquals(ExitCodes.OK, json.exitCode(), json.toString());
        assertTrue(json.out().contains("\"value\": NaN"), json.out());
        assertEquals(0, JsonParser.parseString(json.out()).getAsJsonObject().getAsJsonObject("total")
                .get("tensors").getAsInt());
    }

    @Test
    void helpAndVersionWorkOnEveryCommand() {
        CommandLine top = Ternpack.commandLine();
        List<List<String>> commands = new ArrayList<>();
        commands.add(List.of());
        top.getSubcommands().keySet().forEach(name -> commands.add(List.of(name)));
        assertTrue(commands.contains(List.of("inspect")));
        for (List<String> command : commands) {
            for (String flag : List.of("-h", "--help", "--version", "-V")) {
                List<String> args = new ArrayList<>(command);
                args.add(flag);
                CliRun r = CliRun.run(args.toArray(String[]::new));
                assertEquals(ExitCodes.OK, r.exitCode(), args + "\n" + r);
                assertTrue(flag.startsWith("-h") || flag.equals("--help")
                        ? r.out().startsWith("Usage: ternpack") : r.out().startsWith("ternpack " + Version.VERSION),
                        args + "\n" + r);
            }
        }
        assertTrue(CliRun.run("inspect", "--help").out().contains("Examples:"));
    }

    @Test
    void usageErrorsExitWith2() {
        CliRun none = CliRun.run("inspect");
        assertEquals(ExitCodes.USAGE, none.exitCode(), none.toString());
        assertTrue(none.err().startsWith("error: Missing required parameter: 'PATH'"), none.toString());
        CliRun unknown = CliRun.run("inspect", "x.gguf", "--frobnicate");
        assertEquals(ExitCodes.USAGE, unknown.exitCode(), unknown.toString());
    }
}
