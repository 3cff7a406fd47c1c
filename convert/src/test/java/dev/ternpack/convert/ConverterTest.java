package dev.ternpack.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.FloatDecoding;
import dev.ternpack.formats.Tensor;
import dev.ternpack.formats.gguf.GgmlType;
import dev.ternpack.formats.gguf.GgufFile;
import dev.ternpack.formats.gguf.GgufTensorInfo;
import dev.ternpack.formats.gguf.GgufValueType;
import dev.ternpack.formats.hf.BpeMerge;
import dev.ternpack.formats.hf.TokenizerJson;
import dev.ternpack.formats.safetensors.SafetensorsCheckpoint;
import dev.ternpack.pack.AbsmeanQuantizer;
import dev.ternpack.pack.Hf2BitLayout;
import dev.ternpack.pack.PackedTensor;
import dev.ternpack.pack.ScaleMode;
import dev.ternpack.pack.TernaryTensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class ConverterTest {
    static final Map<String, String> GGUF_BASE = Map.of("self_attn.q_proj", "attn_q", "self_attn.k_proj", "attn_k",
            "self_attn.v_proj", "attn_v", "self_attn.o_proj", "attn_output", "mlp.gate_proj", "ffn_gate",
            "mlp.up_proj", "ffn_up", "mlp.down_proj", "ffn_down");

    @TempDir
    Path tmp;

    static Stream<Arguments> fixturesAndFormats() {
        List<Arguments> a = new ArrayList<>();
        for (String m : List.of("tiny-bitnet-relu2", "tiny-bitnet-silu", "tiny-fp-control-f16")) {
            for (OutputFormat f : OutputFormat.values()) {
                a.add(Arguments.of(m, f));
            }
        }
        return a.stream();
    }

    private Path out(OutputFormat f, String name) {
        return tmp.resolve(f.gguf() ? name + ".gguf" : name);
    }

    private ConvertResult convert(ConvertOptions o) throws Exception {
        List<String> warnings = new ArrayList<>();
        ConvertResult r = Converter.convert(o, new ConvertListener() {
            @Override
            public void progress(long done, long total, String tensor) {
                assertTrue(done <= total, done + " > " + total);
            }

            @Override
            public void warning(String message) {
                warnings.add(message);
            }
        });
        assertTrue(warnings.containsAll(r.warnings()));
        return r;
    }

    static String sha256(MemorySegment seg) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(seg.toArray(ValueLayout.JAVA_BYTE)));
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    static JsonObject json(Path p) throws IOException {
        return JsonParser.parseString(Files.readString(p)).getAsJsonObject();
    }

    static String ggufName(String hf) {
        // model.layers.N.<part>.weight
        String[] s = hf.split("\\.", 4);
        String part = s[3].substring(0, s[3].length() - ".weight".length());
        return "blk." + s[2] + "." + GGUF_BASE.get(part) + ".weight";
    }

    @ParameterizedTest
    @MethodSource("fixturesAndFormats")
    void everyFixtureConvertsToEveryFormat(String model, OutputFormat format) throws Exception {
        Path in = TinyCheckpoint.fixture(model);
        Path out = out(format, model);
        ConvertResult r = convert(ConvertOptions.of(in, format, out).withThreads(2));
        assertEquals(out.toRealPath(), r.output());
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(out.getFileName().toString()), s.map(p -> p.getFileName().toString()).toList(),
                    "no temp left");
        }
        if (format.gguf()) {
            try (GgufFile g = GgufFile.open(out)) {
                assertEquals(format == OutputFormat.I2_S ? "bitnet-b1.58" : "bitnet",
                        g.requireString("general.architecture"));
                assertEquals(2 + 4 * 11, g.tensors().size());
                assertEquals(Files.size(out), r.totalBytes());
                GgmlType packed = GgmlType.valueOf(format.name());
                assertEquals(28, g.tensors().stream().filter(t -> t.type() == packed).count());
                assertEquals(GgmlType.F16, g.tensor("token_embd.weight").type());
                assertEquals(GgmlType.F32, g.tensor("blk.3.ffn_sub_norm.weight").type());
                assertFalse(g.findTensor("output.weight").isPresent());
            }
        } else {
            try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(out)) {
                assertEquals(2 + 4 * (11 + 7), c.names().size());
            }
            assertEquals("autobitlinear", json(out.resolve("config.json")).getAsJsonObject("quantization_config")
                    .get("linear_class").getAsString());
        }
        assertTrue(r.bitsPerTernaryWeight() >= 1.6875 && r.bitsPerTernaryWeight() < 2.1, "" + r.bitsPerTernaryWeight());
        assertTrue(r.sparsity() > 0.2 && r.sparsity() < 0.5, "" + r.sparsity());
    }

    /** TQ fold output equals llama.cpp's gguf-py encoding of every projection (testdata/golden/gguf-py-tq.json). */
    @ParameterizedTest
    @MethodSource("tqGolden")
    void tqFoldMatchesGgufPy(String model, OutputFormat format) throws Exception {
        Path out = tmp.resolve("x.gguf");
        convert(ConvertOptions.of(TinyCheckpoint.fixture(model), format, out));
        JsonObject golden = json(TinyCheckpoint.ROOT.resolve("testdata/golden/gguf-py-tq.json"))
                .getAsJsonObject("models").getAsJsonObject(model);
        assertEquals(28, golden.size());
        try (GgufFile g = GgufFile.open(out)) {
            for (String hf : golden.keySet()) {
                JsonObject e = golden.getAsJsonObject(hf).getAsJsonObject(format.cliName());
                GgufTensorInfo t = g.tensor(ggufName(hf));
                assertEquals(e.get("bytes").getAsLong(), t.nbytes(), hf);
                assertEquals(e.get("sha256").getAsString(), sha256(g.data(t)), hf);
            }
        }
    }

    static Stream<Arguments> tqGolden() {
        return Stream.of(Arguments.of("tiny-bitnet-relu2", OutputFormat.TQ2_0),
                Arguments.of("tiny-bitnet-relu2", OutputFormat.TQ1_0),
                Arguments.of("tiny-bitnet-silu", OutputFormat.TQ2_0),
                Arguments.of("tiny-bitnet-silu", OutputFormat.TQ1_0));
    }

    @Test
    void ggufMetadataRoundTrips() throws Exception {
        Path in = TinyCheckpoint.fixture("tiny-bitnet-relu2");
        Path out = tmp.resolve("m.gguf");
        ConvertResult r = convert(ConvertOptions.of(in, OutputFormat.TQ2_0, out));
        assertTrue(r.warnings().stream().anyMatch(w -> w.contains("SiLU")), r.warnings().toString());
        TokenizerJson tok = TokenizerJson.read(in.resolve("tokenizer.json"));
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals(2048, g.require("bitnet.context_length", GgufValueType.UINT32).asLong());
            assertEquals(256, g.require("bitnet.embedding_length", GgufValueType.UINT32).asLong());
            assertEquals(4, g.require("bitnet.block_count", GgufValueType.UINT32).asLong());
            assertEquals(768, g.require("bitnet.feed_forward_length", GgufValueType.UINT32).asLong());
            assertEquals(4, g.require("bitnet.attention.head_count", GgufValueType.UINT32).asLong());
            assertEquals(2, g.require("bitnet.attention.head_count_kv", GgufValueType.UINT32).asLong());
            assertEquals(64, g.require("bitnet.rope.dimension_count", GgufValueType.UINT32).asLong());
            assertEquals(1000, g.require("bitnet.vocab_size", GgufValueType.UINT32).asLong());
            assertEquals(1e-5f, g.requireF32("bitnet.attention.layer_norm_rms_epsilon"));
            assertEquals(500000f, g.requireF32("bitnet.rope.freq_base"));
            assertEquals("relu2", g.requireString("bitnet.hidden_activation"));
            assertEquals(37, g.requireU32("general.file_type"));
            assertEquals(2, g.requireU32("general.quantization_version"));
            assertEquals("gpt2", g.requireString("tokenizer.ggml.model"));
            List<String> tokens = g.requireStrings("tokenizer.ggml.tokens");
            assertEquals(1000, tokens.size());
            for (int id = 0; id < tokens.size(); id++) {
                assertEquals(tok.token(id), tokens.get(id), "token " + id);
            }
            List<String> merges = g.requireStrings("tokenizer.ggml.merges");
            assertEquals(tok.merges().stream().map(m -> m.left() + " " + m.right()).toList(), merges);
            assertEquals(998, g.requireU32("tokenizer.ggml.bos_token_id"));
            assertEquals(999, g.requireU32("tokenizer.ggml.eos_token_id"));
            assertEquals(Converter.VERSION, g.requireString("ternpack.version"));
            assertEquals("format=tq2_0 scale_mode=fold embedding_type=f16 fallback=none allow_ptq=false",
                    g.requireString("ternpack.options"));
            String fixtureSha = json(in.resolve("reference.json")).getAsJsonObject("file_sha256")
                    .get("model.safetensors").getAsString();
            assertEquals(List.of(fixtureSha + "  model.safetensors",
                    sha256(Files.readAllBytes(in.resolve("config.json"))) + "  config.json",
                    sha256(Files.readAllBytes(in.resolve("tokenizer.json"))) + "  tokenizer.json",
                    sha256(Files.readAllBytes(in.resolve("tokenizer_config.json"))) + "  tokenizer_config.json"),
                    g.requireStrings("ternpack.source.sha256"));
        }
    }

    /** HF 2-bit unpacks to the fixture reference's trits (its sha256) and to AbsmeanQuantizer's; weight_scale = gamma. */
    @Test
    void hf2BitUnpacksToReferenceTrits() throws Exception {
        Path in = TinyCheckpoint.fixture("tiny-bitnet-relu2");
        Path out = tmp.resolve("hf");
        convert(ConvertOptions.of(in, OutputFormat.HF_2BIT, out));
        JsonObject ref = json(in.resolve("reference.json")).getAsJsonObject("projections");
        try (SafetensorsCheckpoint packed = SafetensorsCheckpoint.open(out);
                SafetensorsCheckpoint latent = SafetensorsCheckpoint.open(in)) {
            assertEquals("bitnet", packed.metadata().get("quant_method"));
            for (String name : ref.keySet()) {
                JsonObject e = ref.getAsJsonObject(name);
                Tensor w = packed.tensor(name);
                Tensor s = packed.tensor(name.replace(".weight", ".weight_scale"));
                assertEquals("BF16", s.dtype().safetensorsName());
                assertArrayEquals(new long[] {1}, s.shape());
                int rows = e.getAsJsonArray("shape").get(0).getAsInt();
                int cols = e.getAsJsonArray("shape").get(1).getAsInt();
                float gamma = Float.intBitsToFloat(Integer.parseUnsignedInt(
                        e.get("gamma_f32_bits").getAsString().substring(2), 16));
                float stored = FloatDecoding.get(s.data(), s.dtype(), 0);
                assertEquals(Float.intBitsToFloat(Float.floatToIntBits(gamma) + 0x7FFF
                        + ((Float.floatToIntBits(gamma) >>> 16) & 1) & 0xFFFF0000), stored, name);
                TernaryTensor t = Hf2BitLayout.AUTOBITLINEAR.unpack(
                        PackedTensor.of(name, out, rows, cols, w.data(), stored));
                assertEquals(e.get("trits_sha256_int8_rowmajor").getAsString(), sha256(t.trits()), name);
                assertArrayEquals(AbsmeanQuantizer.ternarize(latent.tensor(name)).tensor().trits(), t.trits(), name);
            }
            assertArrayEquals(latent.tensor("model.norm.weight").data().toArray(ValueLayout.JAVA_BYTE),
                    packed.tensor("model.norm.weight").data().toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void tensorModeScaleIsGamma() throws Exception {
        Path in = TinyCheckpoint.fixture("tiny-bitnet-silu");
        Path out = tmp.resolve("t.gguf");
        convert(ConvertOptions.of(in, OutputFormat.TQ1_0, out).withScaleMode(ScaleMode.TENSOR));
        JsonObject ref = json(in.resolve("reference.json")).getAsJsonObject("projections");
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals(2 + 4 * 11 + 28, g.tensors().size());
            for (String name : ref.keySet()) {
                String scale = ggufName(name).replace(".weight", ".scale");
                GgufTensorInfo t = g.tensor(scale);
                assertEquals(GgmlType.F32, t.type());
                assertArrayEquals(new long[] {1}, t.ne());
                int bits = g.data(t).get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
                assertEquals(ref.getAsJsonObject(name).get("gamma_f32_bits").getAsString(),
                        String.format("0x%08x", bits), scale);
            }
        }
    }

    /**
     * Every format, every file of the output: byte-identical for 1 and 4 threads, and for two runs more than a
     * second apart (a timestamp would differ); the host name and the user name appear nowhere in the bytes.
     */
    @ParameterizedTest
    @EnumSource(OutputFormat.class)
    void outputIsTheSameForOneAndFourThreads(OutputFormat f) throws Exception {
        Path in = TinyCheckpoint.fixture("tiny-bitnet-silu");
        ConvertResult one = convert(ConvertOptions.of(in, f, out(f, "one")).withThreads(1));
        Thread.sleep(1100);
        ConvertResult four = convert(ConvertOptions.of(in, f, out(f, "four")).withThreads(4));
        assertEquals(one.sha256(), four.sha256(), f.cliName());
        Map<String, String> a = fileHashes(one.output());
        Map<String, String> b = fileHashes(four.output());
        assertEquals(a, b, f.cliName());
        assertEquals(f.gguf() ? 1 : 4, a.size(), a.keySet().toString()); // hf: weights, config, 2 tokenizer files
        // the summary's sha256 is the written file's
        assertEquals(a.get(f.gguf() ? "" : "model.safetensors"), one.sha256(), f.cliName());
        List<String> personal = new ArrayList<>(List.of(System.getProperty("user.name")));
        String host = InetAddress.getLocalHost().getHostName();
        personal.add(host);
        for (Path p : f.gguf() ? List.of(one.output()) : Files.list(one.output()).toList()) {
            String text = new String(Files.readAllBytes(p), java.nio.charset.StandardCharsets.ISO_8859_1);
            for (String word : personal) {
                if (word.length() >= 4) {
                    assertFalse(text.contains(word), p.getFileName() + " contains " + word);
                }
            }
            assertFalse(text.contains(tmp.toString()), p.getFileName() + " contains the output path");
            assertFalse(text.contains(in.toString()), p.getFileName() + " contains the input path");
        }
    }

    /**
     * Tensors copied or re-encoded whole (the embedding, an untied head) and the same tensors streamed a window of
     * rows at a time (how a 2B model's 656 MB embedding goes through) give the same bytes, in every format, for a
     * sharded F32 checkpoint and a single-file BF16 one. The window is not a divisor of any tensor's row count.
     */
    @ParameterizedTest
    @EnumSource(OutputFormat.class)
    void streamedTensorsGiveTheSameBytes(OutputFormat f) throws Exception {
        for (String fixture : List.of("tiny-bitnet-silu", "tiny-bitnet-relu2")) {
            Path in = TinyCheckpoint.fixture(fixture);
            ConvertResult whole = convert(ConvertOptions.of(in, f, out(f, fixture + "-whole")).withThreads(2));
            long threshold = Converter.streamThreshold;
            long window = Converter.streamWindow;
            ConvertResult streamed;
            try {
                Converter.streamThreshold = 4096;
                Converter.streamWindow = 100_000;
                streamed = convert(ConvertOptions.of(in, f, out(f, fixture + "-streamed")).withThreads(2));
            } finally {
                Converter.streamThreshold = threshold;
                Converter.streamWindow = window;
            }
            assertEquals(fileHashes(whole.output()), fileHashes(streamed.output()), fixture + " " + f.cliName());
        }
    }

    private static Map<String, String> fileHashes(Path output) throws Exception {
        Map<String, String> m = new java.util.TreeMap<>();
        if (Files.isDirectory(output)) {
            try (Stream<Path> s = Files.list(output)) {
                for (Path p : s.toList()) {
                    m.put(p.getFileName().toString(), sha256(Files.readAllBytes(p)));
                }
            }
        } else {
            m.put("", sha256(Files.readAllBytes(output)));
        }
        return m;
    }

    /** Provenance in every format: the ternpack version, the sha256 of every input shard, the options. */
    @ParameterizedTest
    @EnumSource(OutputFormat.class)
    void everyOutputCarriesItsProvenance(OutputFormat f) throws Exception {
        Path in = TinyCheckpoint.fixture("tiny-bitnet-silu");
        Path out = out(f, "prov");
        convert(ConvertOptions.of(in, f, out).withThreads(2));
        List<String> shards = new ArrayList<>();
        try (Stream<Path> s = Files.list(in)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList()) {
                shards.add(sha256(Files.readAllBytes(p)) + "  " + p.getFileName());
            }
        }
        assertEquals(2, shards.size());
        for (String name : List.of("config.json", "tokenizer.json", "tokenizer_config.json")) {
            shards.add(sha256(Files.readAllBytes(in.resolve(name))) + "  " + name);
        }
        String options = ConvertOptions.of(in, f, out).provenance();
        assertTrue(options.startsWith("format=" + f.cliName() + " ") && options.contains("allow_ptq=false"), options);
        if (f.gguf()) {
            try (GgufFile g = GgufFile.open(out)) {
                assertEquals(Converter.VERSION, g.requireString("ternpack.version"));
                assertEquals(options, g.requireString("ternpack.options"));
                assertEquals(shards, g.requireStrings("ternpack.source.sha256"));
                assertEquals("tiny-bitnet-silu", g.requireString("general.name"));
            }
        } else {
            try (SafetensorsCheckpoint packed = SafetensorsCheckpoint.open(out)) {
                Map<String, String> meta = packed.metadata();
                assertEquals(Converter.VERSION, meta.get("ternpack.version"));
                assertEquals("format=hf-2bit allow_ptq=false", meta.get("ternpack.options"));
                assertEquals(String.join("\n", shards), meta.get("ternpack.source.sha256"));
                assertEquals("pt", meta.get("format"));
            }
        }
    }

    @Test
    void refusesAnExistingOutputWithoutForce() throws Exception {
        Path out = tmp.resolve("exists.gguf");
        Files.writeString(out, "keep me");
        Path in = TinyCheckpoint.fixture("tiny-bitnet-silu");
        BadInputException e = assertThrows(BadInputException.class,
                () -> Converter.convert(ConvertOptions.of(in, OutputFormat.TQ2_0, out), ConvertListener.NONE));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        assertEquals("keep me", Files.readString(out));
        convert(ConvertOptions.of(in, OutputFormat.TQ2_0, out).withForce(true));
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals("bitnet", g.requireString("general.architecture"));
        }
    }

    @Test
    void refusesAnOutputInsideTheInput() throws Exception {
        Path in = TinyCheckpoint.write(tmp.resolve("ckpt"), 256, 256, 1, false, "BitNetForCausalLM", "bitnet");
        BadInputException e = assertThrows(BadInputException.class, () -> Converter.convert(
                ConvertOptions.of(in, OutputFormat.TQ2_0, in.resolve("x.gguf")), ConvertListener.NONE));
        assertTrue(e.getMessage().contains("inside the input"), e.getMessage());
        assertFalse(Files.exists(in.resolve("x.gguf")));
    }

    @Test
    void refusesAnUntiedHeadForStockGgufButKeepsItElsewhere() throws Exception {
        Path in = TinyCheckpoint.write(tmp.resolve("untied"), 256, 256, 1, true, "BitNetForCausalLM", "bitnet");
        for (OutputFormat f : List.of(OutputFormat.TQ2_0, OutputFormat.TQ1_0)) {
            BadInputException e = assertThrows(BadInputException.class, () -> Converter.convert(
                    ConvertOptions.of(in, f, tmp.resolve("u.gguf")), ConvertListener.NONE));
            assertTrue(e.getMessage().contains("lm_head"), e.getMessage());
            assertFalse(Files.exists(tmp.resolve("u.gguf")));
        }
        convert(ConvertOptions.of(in, OutputFormat.I2_S, tmp.resolve("u.gguf")));
        try (GgufFile g = GgufFile.open(tmp.resolve("u.gguf"))) {
            assertEquals(GgmlType.F16, g.tensor("output.weight").type());
        }
    }

    @Test
    void rowsNotAMultipleOf256NeedAFallback() throws Exception {
        Path in = TinyCheckpoint.write(tmp.resolve("odd"), 256, 320, 2, false, "BitNetForCausalLM", "bitnet");
        Path out = tmp.resolve("odd.gguf");
        BadInputException e = assertThrows(BadInputException.class,
                () -> Converter.convert(ConvertOptions.of(in, OutputFormat.TQ2_0, out), ConvertListener.NONE));
        assertTrue(e.getMessage().contains("model.layers.0.mlp.down_proj.weight [256, 320]")
                && e.getMessage().contains("model.layers.1.mlp.down_proj.weight [256, 320]"), e.getMessage());
        assertFalse(Files.exists(out));
        ConvertResult r = convert(ConvertOptions.of(in, OutputFormat.TQ2_0, out)
                .withFallback(ConvertOptions.Fallback.Q8_0));
        assertEquals(2, r.fallbacks().size(), r.fallbacks().toString());
        try (GgufFile g = GgufFile.open(out); SafetensorsCheckpoint src = SafetensorsCheckpoint.open(in)) {
            assertEquals(GgmlType.Q8_0, g.tensor("blk.1.ffn_down.weight").type());
            assertEquals(GgmlType.TQ2_0, g.tensor("blk.1.ffn_up.weight").type());
            // Q8_0 of trit x gamma: every block's d is gamma/127 in fp16, every q is -127, 0 or 127
            var t = AbsmeanQuantizer.ternarize(src.tensor("model.layers.1.mlp.down_proj.weight")).tensor();
            MemorySegment d = g.data(g.tensor("blk.1.ffn_down.weight"));
            for (int b = 0; b < 256 * 320 / 32; b++) {
                for (int j = 0; j < 32; j++) {
                    assertEquals(127 * t.trits()[b * 32 + j], d.get(ValueLayout.JAVA_BYTE, b * 34L + 2 + j));
                }
            }
        }
    }

    @Test
    void refusesPostTrainingTernarizationUnlessAllowed() throws Exception {
        Path in = TinyCheckpoint.write(tmp.resolve("llama"), 256, 256, 1, false, "LlamaForCausalLM", "llama");
        Path out = tmp.resolve("ptq");
        BadInputException e = assertThrows(BadInputException.class, () -> Converter.convert(
                ConvertOptions.of(in, OutputFormat.HF_2BIT, out), ConvertListener.NONE));
        assertTrue(e.getMessage().contains("Post-training ternarization destroys"), e.getMessage());
        assertFalse(Files.exists(out));
        ConvertResult r = convert(ConvertOptions.of(in, OutputFormat.HF_2BIT, out).withAllowPtq(true));
        assertTrue(r.warnings().stream().anyMatch(w -> w.contains("post-training")));
    }

    @Test
    void shapeMismatchNamesTheTensorAndBothShapes() throws Exception {
        Path in = TinyCheckpoint.write(tmp.resolve("bad"), 256, 256, 1, false, "BitNetForCausalLM", "bitnet");
        Files.writeString(in.resolve("config.json"),
                Files.readString(in.resolve("config.json")).replace("\"intermediate_size\":256",
                        "\"intermediate_size\":512"));
        BadInputException e = assertThrows(BadInputException.class,
                () -> Converter.plan(ConvertOptions.of(in, OutputFormat.TQ2_0, tmp.resolve("b.gguf"))));
        assertTrue(e.getMessage().contains("model.layers.0.mlp.gate_proj.weight has shape [256, 256]")
                && e.getMessage().contains("[512, 256]"), e.getMessage());
    }

    @Test
    void planMatchesTheWrittenFile() throws Exception {
        Path in = TinyCheckpoint.fixture("tiny-bitnet-relu2");
        Path out = tmp.resolve("p.gguf");
        ConversionPlan plan = Converter.plan(ConvertOptions.of(in, OutputFormat.TQ2_0, out));
        assertFalse(Files.exists(out));
        assertEquals(28, plan.tensors().stream().filter(ConversionPlan.OutputTensor::ternary).count());
        ConvertResult r = convert(ConvertOptions.of(in, OutputFormat.TQ2_0, out));
        assertEquals(plan.ternaryBytes(), r.ternaryBytes());
        // 2 bits + one fp16 per 256 weights
        assertEquals(r.ternaryWeights() / 256 * 66, r.ternaryBytes());
    }

    /** An embedding type equal to the input dtype copies the bytes exactly; Q8_0 keeps every value within d/2. */
    @Test
    void embeddingTypes() throws Exception {
        record Case(String model, ConvertOptions.EmbeddingType type) {
        }
        for (Case c : List.of(new Case("tiny-bitnet-relu2", ConvertOptions.EmbeddingType.BF16),
                new Case("tiny-bitnet-silu", ConvertOptions.EmbeddingType.F32),
                new Case("tiny-fp-control-f16", ConvertOptions.EmbeddingType.F16),
                new Case("tiny-bitnet-relu2", ConvertOptions.EmbeddingType.Q8_0))) {
            Path in = TinyCheckpoint.fixture(c.model);
            Path out = tmp.resolve(c.model + "-" + c.type + ".gguf");
            convert(ConvertOptions.of(in, OutputFormat.TQ2_0, out).withEmbeddingType(c.type));
            try (GgufFile g = GgufFile.open(out); SafetensorsCheckpoint src = SafetensorsCheckpoint.open(in)) {
                GgufTensorInfo e = g.tensor("token_embd.weight");
                assertEquals(c.type.name(), e.type().name());
                Tensor latent = src.tensor("model.embed_tokens.weight");
                MemorySegment data = g.data(e);
                if (c.type != ConvertOptions.EmbeddingType.Q8_0) {
                    assertArrayEquals(latent.data().toArray(ValueLayout.JAVA_BYTE), data.toArray(ValueLayout.JAVA_BYTE));
                    continue;
                }
                float[] v = FloatDecoding.decodeAll(latent);
                var u16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
                for (int b = 0; b < v.length / 32; b++) {
                    float amax = 0;
                    for (int j = 0; j < 32; j++) {
                        amax = Math.max(amax, Math.abs(v[b * 32 + j]));
                    }
                    float d = Float.float16ToFloat(data.get(u16, b * 34L));
                    assertEquals(Float.float16ToFloat(Float.floatToFloat16(amax / 127)), d, "block " + b);
                    // q = round(v / (amax/127)) with the unrounded d, then d is stored as fp16
                    float bound = 0.5f * amax / 127 + 127 * Math.abs(d - amax / 127) + 1e-7f;
                    for (int j = 0; j < 32; j++) {
                        int q = data.get(ValueLayout.JAVA_BYTE, b * 34L + 2 + j);
                        assertTrue(Math.abs(q * d - v[b * 32 + j]) <= bound, "block " + b + " j " + j);
                    }
                }
            }
        }
    }

    /** A failure half way through (here: thrown by the listener) leaves nothing at OUT and no temp behind. */
    @Test
    void aFailureMidWayLeavesNothing() throws Exception {
        Path in = TinyCheckpoint.fixture("tiny-bitnet-silu");
        for (OutputFormat f : List.of(OutputFormat.TQ2_0, OutputFormat.HF_2BIT)) {
            Path out = out(f, "fail");
            ConvertListener failing = new ConvertListener() {
                @Override
                public void progress(long done, long total, String tensor) {
                    if (tensor.contains("layers.2") || tensor.contains("blk.2")) {
                        throw new IllegalStateException("stop");
                    }
                }

                @Override
                public void warning(String message) {
                }
            };
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Converter.convert(ConvertOptions.of(in, f, out).withThreads(3), failing));
            assertEquals("stop", e.getMessage());
            try (Stream<Path> s = Files.list(tmp)) {
                assertEquals(List.of(), s.toList(), f.cliName());
            }
        }
    }

    /** 1bitLLM naming (inner_attn_ln, ffn_layernorm, model_type llama + weight_bits) maps to the same GGUF names. */
    @Test
    void oneBitLlmNamingConverts() throws Exception {
        Path in = TinyCheckpoint.write(tmp.resolve("1bit"), 256, 512, 2, false, "BitnetForCausalLM", "llama",
                "self_attn.inner_attn_ln", "mlp.ffn_layernorm");
        Path out = tmp.resolve("1bit.gguf");
        ConvertResult r = convert(ConvertOptions.of(in, OutputFormat.TQ1_0, out));
        assertTrue(r.warnings().stream().noneMatch(w -> w.contains("ReLU")), r.warnings().toString());
        try (GgufFile g = GgufFile.open(out); SafetensorsCheckpoint src = SafetensorsCheckpoint.open(in)) {
            assertEquals("silu", g.requireString("bitnet.hidden_activation"));
            assertEquals(500000f, g.requireF32("bitnet.rope.freq_base"), "rope_theta as config.json gives it");
            GgufTensorInfo sub = g.tensor("blk.1.ffn_sub_norm.weight");
            assertArrayEquals(new long[] {512}, sub.ne());
            assertArrayEquals(src.tensor("model.layers.1.mlp.ffn_layernorm.weight").data().toArray(ValueLayout.JAVA_BYTE),
                    g.data(sub).toArray(ValueLayout.JAVA_BYTE));
            assertTrue(g.findTensor("blk.0.attn_sub_norm.weight").isPresent());
        }
    }
}
