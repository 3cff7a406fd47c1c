package dev.ternpack.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.Tensor;
import dev.ternpack.formats.gguf.GgufFile;
import dev.ternpack.formats.gguf.GgufTensorInfo;
import dev.ternpack.formats.gguf.GgufValue;
import dev.ternpack.formats.gguf.GgufValueType;
import dev.ternpack.formats.hf.ModelConfig;
import dev.ternpack.formats.hf.TokenizerJson;
import dev.ternpack.formats.hf.TokenizerModelType;
import dev.ternpack.formats.safetensors.SafetensorsCheckpoint;
import dev.ternpack.formats.safetensors.SafetensorsFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ternpack inspect PATH}: what a checkpoint directory, a safetensors file or a GGUF file holds, without
 * converting anything. It is the first thing to run on a model that will not convert, so it reads every header
 * through the same strict readers the other commands use and reports the first problem as bad input (exit 3).
 * Text for people, {@code --json} for scripts; both carry the same facts.
 */
@Command(name = "inspect",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        sortOptions = false,
        description = {
            "Show what a checkpoint directory, safetensors file or GGUF file holds.",
            "",
            "Prints the architecture, the hyper-parameters and every tensor (name, type, shape, bytes) with"
                    + " totals by type. PATH is a checkpoint directory (config.json and one or several safetensors"
                    + " files with model.safetensors.index.json), one safetensors file, an index"
                    + " file or a GGUF file. For GGUF the metadata keys are listed with"
                    + " their values (arrays as type, length and first items); for safetensors the __metadata__"
                    + " map. Every header is read by the same strict readers the other commands use, so a file"
                    + " that will not convert fails here with the same one-line error.",
            ""},
        footerHeading = "%nExamples:%n",
        footer = {
            "  ternpack inspect testdata/models/tiny-bitnet-silu",
            "  ternpack inspect testdata/models/tiny-bitnet-relu2/model.safetensors -q",
            "  # tiny-tq2_0.gguf from the first example of 'ternpack convert'",
            "  ternpack inspect tiny-tq2_0.gguf --json | jq '.tensors[0]'",
            "",
            "Exit codes: 0 ok, 3 bad input (one line: error: FILE: what is wrong),",
            "2 usage error, 1 internal error."})
public final class InspectCommand implements Callable<Integer> {
    /** Array elements shown before an array is cut short. */
    static final int ARRAY_PREVIEW = 8;
    /** Characters of a string value shown in the text table (JSON carries the whole string). */
    private static final int TEXT_STRING_CHARS = 60;

    @Parameters(index = "0", paramLabel = "PATH", description = "Checkpoint directory, .safetensors, index .json or .gguf.")
    Path path;

    @Option(names = "--json", arity = "0..1", fallbackValue = JsonFileArg.STDOUT, paramLabel = "FILE",
            preprocessor = JsonFileArg.class,
            description = "Write the report as one JSON object to FILE, or to stdout instead of the text without"
                    + " FILE." + JsonFileArg.NOTE)
    String json;

    @Mixin
    CommonOptions common = new CommonOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** One tensor row; {@code ne} and {@code offset} only for GGUF, {@code file} only for sharded checkpoints. */
    record TensorRow(String name, String type, long[] shape, long[] ne, long bytes, Long offset, String file) {
    }

    /** Totals for one dtype or ggml type. */
    record TypeTotal(String type, int tensors, long elements, long bytes) {
    }

    @Override
    public Integer call() throws IOException {
        if (!Files.exists(path)) {
            throw new BadInputException(path, "no such file or directory");
        }
        JsonObject report = Files.isDirectory(path) || !isGguf(path) ? safetensorsReport() : ggufReport();
        PrintWriter out = spec.commandLine().getOut();
        if (json != null) {
            // NaN and infinities (legal GGUF float values) are written as Python's json module writes them.
            String text = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls()
                    .serializeSpecialFloatingPointValues().create().toJson(report) + "\n";
            if (json.equals(JsonFileArg.STDOUT)) {
                out.print(text);
            } else {
                VerifyCommand.write(Path.of(json), text);
            }
        }
        if (json == null || !json.equals(JsonFileArg.STDOUT)) {
            printText(out, report);
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static boolean isGguf(Path file) {
        if (file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf")) {
            return true;
        }
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(magic, 0, 4) == 4 && Arrays.equals(magic, new byte[] {'G', 'G', 'U', 'F'});
        } catch (IOException e) {
            throw new BadInputException(file, "cannot read the file: " + e.getMessage(), e);
        }
    }

    // ---- safetensors ----

    private JsonObject safetensorsReport() {
        JsonObject report = new JsonObject();
        report.addProperty("path", path.toString());
        report.addProperty("format", "safetensors");
        if (Files.isDirectory(path)) {
            // config.json first: a checkpoint whose config is broken cannot be converted whatever its tensors hold.
            Path config = path.resolve("config.json");
            report.add("config", Files.exists(config) ? configJson(ModelConfig.read(config)) : JsonNull.INSTANCE);
            Path tokenizer = path.resolve("tokenizer.json");
            report.add("tokenizer", Files.exists(tokenizer) ? tokenizerJson(TokenizerJson.read(tokenizer))
                    : JsonNull.INSTANCE);
        }
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(path)) {
            boolean sharded = checkpoint.shards().size() > 1;
            JsonArray shards = new JsonArray();
            long unclaimed = 0;
            for (SafetensorsFile shard : checkpoint.shards()) {
                shards.add(shard.location().getFileName().toString());
                unclaimed += shard.header().unclaimedBytes();
            }
            report.add("files", shards);
            JsonObject metadata = new JsonObject();
            checkpoint.metadata().forEach(metadata::addProperty);
            report.add("safetensors_metadata", metadata);
            List<TensorRow> rows = new ArrayList<>();
            for (String name : checkpoint.names()) {
                Tensor t = checkpoint.tensor(name);
                rows.add(new TensorRow(name, t.dtype().safetensorsName(), t.shape(), null, t.byteSize(), null,
                        sharded ? t.file().getFileName().toString() : null));
            }
            addTensors(report, rows);
            JsonArray notes = new JsonArray();
            for (String name : checkpoint.unlistedTensors()) {
                notes.add("tensor \"" + name + "\" is in a shard but not in the index; loaders ignore it");
            }
            if (unclaimed > 0) {
                notes.add(unclaimed + " data bytes belong to no tensor (gaps or trailing bytes)");
            }
            report.add("notes", notes);
        }
        return report;
    }

    private static JsonObject configJson(ModelConfig c) {
        JsonObject o = new JsonObject();
        o.addProperty("file", c.file().getFileName().toString());
        o.addProperty("family", c.family().displayName());
        o.add("architectures", strings(c.architectures()));
        o.addProperty("model_type", c.modelType());
        o.addProperty("vocab_size", c.vocabSize());
        o.addProperty("hidden_size", c.hiddenSize());
        o.addProperty("intermediate_size", c.intermediateSize());
        o.addProperty("num_hidden_layers", c.numHiddenLayers());
        o.addProperty("num_attention_heads", c.numAttentionHeads());
        o.addProperty("num_key_value_heads", c.numKeyValueHeads());
        o.addProperty("head_dim", c.headDim());
        o.addProperty("hidden_act", c.hiddenAct().configName());
        o.addProperty("max_position_embeddings", c.maxPositionEmbeddings());
        o.addProperty("rms_norm_eps", c.rmsNormEps());
        o.addProperty("rope_theta", c.ropeTheta());
        o.addProperty("rope_scaling", c.ropeScalingType());
        o.addProperty("tie_word_embeddings", c.tieWordEmbeddings());
        o.addProperty("bos_token_id", c.bosTokenId());
        JsonArray eos = new JsonArray();
        c.eosTokenIds().forEach(eos::add);
        o.add("eos_token_id", eos);
        o.addProperty("pad_token_id", c.padTokenId());
        o.addProperty("torch_dtype", c.torchDtype() == null ? null : c.torchDtype().safetensorsName());
        o.addProperty("weight_bits", c.weightBits());
        o.addProperty("input_bits", c.inputBits());
        if (c.quantizationConfig() != null) {
            var q = c.quantizationConfig();
            JsonObject qo = new JsonObject();
            qo.addProperty("quant_method", q.quantMethod());
            qo.addProperty("linear_class", q.linearClass() == null ? null : q.linearClass().configName());
            qo.addProperty("quantization_mode", q.mode() == null ? null : q.mode().configName());
            o.add("quantization_config", qo);
        } else {
            o.add("quantization_config", JsonNull.INSTANCE);
        }
        o.add("defaulted", strings(c.defaulted()));
        return o;
    }

    private static JsonObject tokenizerJson(TokenizerJson t) {
        if (t.modelType() == TokenizerModelType.UNKNOWN) {
            // The tokenizers library refuses such a file too (its model enum has no other variant).
            throw new BadInputException(t.file(), "model.type " + quoted(t.modelTypeName(), 40)
                    + " is not a tokenizer model ternpack knows (BPE, Unigram, WordPiece, WordLevel)");
        }
        JsonObject o = new JsonObject();
        o.addProperty("file", t.file().getFileName().toString());
        o.addProperty("model_type", t.modelTypeName());
        o.addProperty("vocab_size", t.vocab().size());
        o.addProperty("merges", t.merges().size());
        o.addProperty("added_tokens", t.addedTokens().size());
        o.addProperty("ids", t.idCount());
        return o;
    }

    // ---- GGUF ----

    private JsonObject ggufReport() {
        JsonObject report = new JsonObject();
        report.addProperty("path", path.toString());
        report.addProperty("format", "gguf");
        try (GgufFile gguf = GgufFile.open(path)) {
            report.addProperty("version", gguf.version());
            report.addProperty("alignment", gguf.alignment());
            report.addProperty("data_offset", gguf.dataStart());
            report.addProperty("file_size", gguf.fileSize());
            String arch = gguf.get("general.architecture").filter(v -> v.type() == GgufValueType.STRING)
                    .map(GgufValue::asString).orElse(null);
            report.addProperty("architecture", arch);
            JsonObject hparams = new JsonObject();
            JsonArray metadata = new JsonArray();
            for (Map.Entry<String, GgufValue> kv : gguf.metadata().entrySet()) {
                JsonObject entry = new JsonObject();
                entry.addProperty("key", kv.getKey());
                entry.addProperty("type", kv.getValue().typeName());
                if (kv.getValue().isArray()) {
                    entry.addProperty("length", kv.getValue().length());
                }
                entry.add("value", valueJson(kv.getValue()));
                metadata.add(entry);
                if (arch != null && kv.getKey().startsWith(arch + ".")) {
                    hparams.add(kv.getKey().substring(arch.length() + 1), valueJson(kv.getValue()));
                }
            }
            report.add("hyperparameters", hparams);
            report.add("metadata", metadata);
            List<TensorRow> rows = new ArrayList<>();
            for (GgufTensorInfo t : gguf.tensors()) {
                rows.add(new TensorRow(t.name(), t.type().name(), t.shape(), t.ne(), t.nbytes(), t.offset(), null));
            }
            addTensors(report, rows);
            JsonArray notes = new JsonArray();
            if (!gguf.sequentialLayout()) {
                notes.add("tensor offsets are not sequential; current llama.cpp refuses such a file");
            }
            gguf.tensors().stream().filter(t -> t.type().forkOnly()).findFirst().ifPresent(t -> notes.add(
                    "type " + t.type().name() + " is read only by the BitNet fork (bitnet.cpp), not by llama.cpp"));
            report.add("notes", notes);
        }
        return report;
    }

    /** A metadata value: scalars as JSON values (UINT64 unsigned), arrays cut to their first items. */
    private static JsonElement valueJson(GgufValue v) {
        if (!v.isArray()) {
            return scalarJson(v.type(), v.value());
        }
        JsonArray head = new JsonArray();
        int n = (int) Math.min(v.length(), ARRAY_PREVIEW);
        for (int i = 0; i < n; i++) {
            head.add(arrayElement(v, i));
        }
        return head;
    }

    private static JsonElement scalarJson(GgufValueType type, Object value) {
        return switch (value) {
            case String s -> new JsonPrimitive(s);
            case Boolean b -> new JsonPrimitive(b);
            case Long l when type == GgufValueType.UINT64 && l < 0 ->
                    new JsonPrimitive(new java.math.BigInteger(Long.toUnsignedString(l)));
            case Number x -> new JsonPrimitive(x);
            default -> throw new IllegalStateException("unexpected GGUF value " + value.getClass());
        };
    }

    private static JsonElement arrayElement(GgufValue v, int i) {
        GgufValueType t = v.elementType();
        return switch (v.value()) {
            case byte[] a -> switch (t) {
                case UINT8 -> new JsonPrimitive(a[i] & 0xFF);
                case BOOL -> new JsonPrimitive(a[i] != 0);
                default -> new JsonPrimitive(a[i]);
            };
            case short[] a -> new JsonPrimitive(t == GgufValueType.UINT16 ? a[i] & 0xFFFF : a[i]);
            case int[] a -> new JsonPrimitive(t == GgufValueType.UINT32 ? Integer.toUnsignedLong(a[i]) : a[i]);
            case long[] a -> scalarJson(t, a[i]);
            case float[] a -> new JsonPrimitive(a[i]);
            case double[] a -> new JsonPrimitive(a[i]);
            case List<?> l -> new JsonPrimitive((String) l.get(i));
            default -> throw new IllegalStateException("unexpected GGUF array " + v.value().getClass());
        };
    }

    // ---- shared ----

    private static void addTensors(JsonObject report, List<TensorRow> rows) {
        JsonArray tensors = new JsonArray();
        Map<String, long[]> totals = new LinkedHashMap<>(); // type -> {tensors, elements, bytes}
        for (TensorRow r : rows) {
            JsonObject t = new JsonObject();
            t.addProperty("name", r.name());
            t.addProperty("type", r.type());
            t.add("shape", longs(r.shape()));
            if (r.ne() != null) {
                t.add("ne", longs(r.ne()));
            }
            t.addProperty("bytes", r.bytes());
            if (r.offset() != null) {
                t.addProperty("offset", r.offset());
            }
            if (r.file() != null) {
                t.addProperty("file", r.file());
            }
            tensors.add(t);
            long[] total = totals.computeIfAbsent(r.type(), k -> new long[3]);
            total[0]++;
            total[1] += Arrays.stream(r.shape()).reduce(1, Math::multiplyExact);
            total[2] += r.bytes();
        }
        report.add("tensors", tensors);
        JsonArray byType = new JsonArray();
        long[] all = new long[3];
        for (Map.Entry<String, long[]> e : totals.entrySet()) {
            JsonObject o = new JsonObject();
            o.addProperty("type", e.getKey());
            o.addProperty("tensors", e.getValue()[0]);
            o.addProperty("elements", e.getValue()[1]);
            o.addProperty("bytes", e.getValue()[2]);
            byType.add(o);
            for (int i = 0; i < 3; i++) {
                all[i] += e.getValue()[i];
            }
        }
        report.add("totals", byType);
        JsonObject total = new JsonObject();
        total.addProperty("tensors", all[0]);
        total.addProperty("elements", all[1]);
        total.addProperty("bytes", all[2]);
        report.add("total", total);
    }

    private static JsonArray longs(long[] values) {
        JsonArray a = new JsonArray();
        for (long v : values) {
            a.add(v);
        }
        return a;
    }

    private static JsonArray strings(List<String> values) {
        JsonArray a = new JsonArray();
        values.forEach(a::add);
        return a;
    }

    // ---- text ----

    private void printText(PrintWriter out, JsonObject r) {
        JsonObject total = r.getAsJsonObject("total");
        boolean gguf = r.get("format").getAsString().equals("gguf");
        String summary = r.get("path").getAsString() + ": " + (gguf
                ? "GGUF v" + r.get("version").getAsInt() + ", " + r.getAsJsonArray("metadata").size() + " metadata keys"
                : "safetensors, " + plural(r.getAsJsonArray("files").size(), "file"))
                + ", " + plural(total.get("tensors").getAsLong(), "tensor") + ", "
                + total.get("bytes").getAsLong() + " bytes of tensor data";
        out.println(summary);
        if (common.quiet) {
            return;
        }
        if (gguf) {
            out.println("  alignment " + r.get("alignment").getAsLong() + ", data offset "
                    + r.get("data_offset").getAsLong() + ", file size " + r.get("file_size").getAsLong() + " bytes");
            out.println();
            JsonElement arch = r.get("architecture");
            out.println("Architecture: " + (arch.isJsonNull() ? "(no general.architecture)" : arch.getAsString()));
            TextTable hp = new TextTable("HYPER-PARAMETER", "VALUE");
            for (Map.Entry<String, JsonElement> e : r.getAsJsonObject("hyperparameters").entrySet()) {
                hp.row(e.getKey(), textValue(e.getValue()));
            }
            hp.print(out, "  ");
            out.println();
            out.println("Metadata (" + r.getAsJsonArray("metadata").size() + " keys)");
            TextTable md = new TextTable("KEY", "TYPE", "VALUE");
            for (JsonElement e : r.getAsJsonArray("metadata")) {
                JsonObject kv = e.getAsJsonObject();
                String value = textValue(kv.get("value"));
                if (kv.has("length")) {
                    long length = kv.get("length").getAsLong();
                    value = "[" + length + "] " + value.substring(1, value.length() - 1)
                            + (length > ARRAY_PREVIEW ? ", ..." : "");
                }
                md.row(kv.get("key").getAsString(), kv.get("type").getAsString(), value);
            }
            md.print(out, "  ");
        } else {
            JsonElement config = r.get("config");
            if (config != null && config.isJsonObject()) {
                out.println();
                out.println("Model (config.json)");
                TextTable cfg = new TextTable("FIELD", "VALUE");
                for (Map.Entry<String, JsonElement> e : config.getAsJsonObject().entrySet()) {
                    if (!e.getKey().equals("file") && !e.getValue().isJsonNull()) {
                        JsonElement v = e.getValue();
                        boolean plain = v.isJsonPrimitive() && v.getAsJsonPrimitive().isString();
                        cfg.row(e.getKey(), plain ? v.getAsString() : textValue(v));
                    }
                }
                cfg.print(out, "  ");
            } else if (config != null) {
                out.println();
                out.println("Model: no config.json in this directory");
            }
            JsonElement tokenizer = r.get("tokenizer");
            if (tokenizer != null && tokenizer.isJsonObject()) {
                JsonObject t = tokenizer.getAsJsonObject();
                out.println();
                out.println("Tokenizer (tokenizer.json): " + t.get("model_type").getAsString() + ", "
                        + t.get("vocab_size").getAsInt() + " vocabulary entries, " + t.get("merges").getAsInt()
                        + " merges, " + t.get("added_tokens").getAsInt() + " added tokens, "
                        + t.get("ids").getAsInt() + " ids");
            }
            JsonObject metadata = r.getAsJsonObject("safetensors_metadata");
            out.println();
            if (metadata.isEmpty()) {
                out.println("__metadata__: none");
            } else {
                out.println("__metadata__");
                TextTable md = new TextTable("KEY", "VALUE");
                metadata.entrySet().forEach(e -> md.row(e.getKey(), textValue(e.getValue())));
                md.print(out, "  ");
            }
        }
        out.println();
        out.println("Tensors (" + total.get("tensors").getAsLong() + ")");
        boolean hasFile = false;
        for (JsonElement e : r.getAsJsonArray("tensors")) {
            hasFile |= e.getAsJsonObject().has("file");
        }
        List<String> headers = new ArrayList<>(List.of("NAME", "TYPE", gguf ? "NE (ggml order)" : "SHAPE", ">BYTES"));
        if (gguf) {
            headers.add(">OFFSET");
        }
        if (hasFile) {
            headers.add("FILE");
        }
        TextTable tensors = new TextTable(headers.toArray(String[]::new));
        for (JsonElement e : r.getAsJsonArray("tensors")) {
            JsonObject t = e.getAsJsonObject();
            List<Object> row = new ArrayList<>(List.of(t.get("name").getAsString(), t.get("type").getAsString(),
                    dims(t.getAsJsonArray(gguf ? "ne" : "shape")), t.get("bytes").getAsLong()));
            if (gguf) {
                row.add(t.get("offset").getAsLong());
            }
            if (hasFile) {
                row.add(t.get("file").getAsString());
            }
            tensors.row(row.toArray());
        }
        tensors.print(out, "  ");
        out.println();
        out.println("Totals by type");
        TextTable totals = new TextTable("TYPE", ">TENSORS", ">ELEMENTS", ">BYTES");
        for (JsonElement e : r.getAsJsonArray("totals")) {
            JsonObject t = e.getAsJsonObject();
            totals.row(t.get("type").getAsString(), t.get("tensors").getAsLong(), t.get("elements").getAsLong(),
                    t.get("bytes").getAsLong());
        }
        totals.row("all", total.get("tensors").getAsLong(), total.get("elements").getAsLong(),
                total.get("bytes").getAsLong());
        totals.print(out, "  ");
        JsonArray notes = r.getAsJsonArray("notes");
        if (!notes.isEmpty()) {
            out.println();
            for (JsonElement n : notes) {
                out.println("note: " + n.getAsString());
            }
        }
    }

    private static String dims(JsonArray a) {
        List<String> parts = new ArrayList<>();
        a.forEach(e -> parts.add(e.getAsString()));
        return "[" + String.join(", ", parts) + "]";
    }

    /** A value for the text table: strings quoted and cut, arrays as their items. */
    private static String textValue(JsonElement e) {
        if (e.isJsonNull()) {
            return "null";
        }
        if (e.isJsonArray()) {
            List<String> items = new ArrayList<>();
            e.getAsJsonArray().forEach(x -> items.add(textValue(x)));
            return "[" + String.join(", ", items) + "]";
        }
        if (e.isJsonObject()) {
            // e.g. config.json's quantization_config or rope_scaling: one line, key=value
            List<String> items = new ArrayList<>();
            e.getAsJsonObject().entrySet().forEach(x -> items.add(x.getKey() + "=" + textValue(x.getValue())));
            return "{" + String.join(", ", items) + "}";
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        return p.isString() ? quoted(p.getAsString(), TEXT_STRING_CHARS) : p.getAsString();
    }

    /** A string in double quotes, control characters escaped so a table row stays one line, cut to a length. */
    static String quoted(String s, int maxChars) {
        StringBuilder b = new StringBuilder("\"");
        int shown = 0;
        for (int i = 0; i < s.length() && shown < maxChars; i++, shown++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> b.append(c < 0x20 || c == 0x7F ? String.format("\\x%02x", (int) c) : String.valueOf(c));
            }
        }
        b.append('"');
        if (s.length() > maxChars) {
            b.append("... (").append(s.length()).append(" chars)");
        }
        return b.toString();
    }

    private static String plural(long n, String word) {
        return n + " " + word + (n == 1 ? "" : "s");
    }
}
