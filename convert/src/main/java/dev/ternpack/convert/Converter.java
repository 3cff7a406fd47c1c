package dev.ternpack.convert;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.ternpack.convert.ConversionPlan.OutputTensor;
import dev.ternpack.convert.engine.OrderedPipeline;
import dev.ternpack.convert.gguf.GgufVocabulary;
import dev.ternpack.convert.model.BitnetModel;
import dev.ternpack.convert.model.BitnetModel.Entry;
import dev.ternpack.convert.model.CheckpointFamily;
import dev.ternpack.convert.model.TensorRole;
import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.DType;
import dev.ternpack.formats.OutputFiles;
import dev.ternpack.formats.Tensor;
import dev.ternpack.formats.gguf.GgmlType;
import dev.ternpack.formats.gguf.GgufFile;
import dev.ternpack.formats.gguf.GgufTensorInfo;
import dev.ternpack.formats.gguf.GgufValue;
import dev.ternpack.formats.gguf.GgufWriter;
import dev.ternpack.formats.hf.HiddenAct;
import dev.ternpack.formats.hf.ModelConfig;
import dev.ternpack.formats.hf.TokenizerConfig;
import dev.ternpack.formats.hf.TokenizerJson;
import dev.ternpack.formats.safetensors.PlannedTensor;
import dev.ternpack.formats.safetensors.SafetensorsCheckpoint;
import dev.ternpack.formats.safetensors.SafetensorsFile;
import dev.ternpack.formats.safetensors.SafetensorsWriter;
import dev.ternpack.pack.AbsmeanQuantizer;
import dev.ternpack.pack.EncodedScale;
import dev.ternpack.pack.Hf2BitLayout;
import dev.ternpack.pack.I2sLayout;
import dev.ternpack.pack.PackedTernarization;
import dev.ternpack.pack.ScaleMode;
import dev.ternpack.pack.TernaryLayout;
import dev.ternpack.pack.Tq1Layout;
import dev.ternpack.pack.Tq2Layout;
import dev.ternpack.pack.TritStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Converts a trained BitNet checkpoint (latent BF16/F16/F32 weights) into a packed artifact, tensor by tensor from
 * the memory-mapped input so memory stays at a few tensors whatever the model size.
 *
 * <p>Order of work: check the output path, read config.json and map the tensors ({@link BitnetModel}), plan every
 * output tensor ({@link #plan}), then ternarize and pack on worker threads through an {@link OrderedPipeline}
 * (results written strictly in plan order, so the bytes do not depend on the thread count), write into a temp
 * file or directory beside the output, audit what was written by re-reading it against the plan, and only then
 * rename it onto the output. On any error nothing is left at the output and the temp is removed.
 */
public final class Converter {
    /** The ternpack version recorded in every artifact. */
    public static final String VERSION = "0.1.0";
    /** Temp files of an earlier run on the same output older than this are debris of a killed run. */
    static final long STALE_TEMP_MILLIS = 10 * 60 * 1000;

    static final String ARCH_BITNET = "bitnet";
    static final String ARCH_BITNET_B158 = "bitnet-b1.58";
    static final String HF_WEIGHTS = "model.safetensors";

    private Converter() {
    }

    private enum Kind { PACK, FALLBACK, ENCODE, COPY }

    /** One unit of work: an input tensor and the output tensors it becomes (a projection and its scale). */
    private record Job(Entry entry, Kind kind, List<OutputTensor> outputs) {
    }

    private record Planned(ConversionPlan plan, BitnetModel model, List<Job> jobs, TernaryLayout layout) {
    }

    /** Where a streamed piece writes its chunks, in order. */
    @FunctionalInterface
    private interface ChunkWriter {
        void write(MemorySegment chunk) throws IOException;
    }

    /** The bytes of a piece made chunk by chunk while it is written (a large embedding or copied tensor). */
    @FunctionalInterface
    private interface Chunks {
        void writeTo(ChunkWriter out) throws IOException;
    }

    /** An output tensor's bytes: whole in {@code bytes}, or {@code size} bytes streamed by {@code chunks}. */
    private record Piece(String name, long size, MemorySegment bytes, Chunks chunks) {
        Piece(String name, MemorySegment bytes) {
            this(name, bytes.byteSize(), bytes, null);
        }

        void writeTo(ChunkWriter out) throws IOException {
            if (chunks == null) {
                out.write(bytes);
            } else {
                chunks.writeTo(out);
            }
        }
    }

    /**
     * Copied or re-encoded tensors larger than this are streamed in windows of about {@link #streamWindow} bytes of
     * input. Not final only so that a test can make the tiny fixtures take the streamed path.
     */
    static volatile long streamThreshold = 64L << 20;
    static volatile long streamWindow = 16L << 20;

    /**
     * A task's result. Its pieces may point into the input mapped in {@code arena} (closed after writing) or into
     * {@code buffer}, taken from the run's {@link OutputBuffers} and given back after writing.
     */
    private record Done(List<Piece> pieces, TritStats stats, long ternaryWeights, Arena arena, MemorySegment buffer) {
        Done(List<Piece> pieces, TritStats stats, long ternaryWeights) {
            this(pieces, stats, ternaryWeights, null, null);
        }

        /** This result, whose pieces may point into the input mapped in {@code a}: closed after writing. */
        Done mappedIn(Arena a) {
            return new Done(pieces, stats, ternaryWeights, a, buffer);
        }
    }

    // ---- planning ----

    /** Plans the conversion without writing anything (what {@code convert --plan} shows). */
    public static ConversionPlan plan(ConvertOptions options) {
        ModelConfig config = readConfig(options.input());
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(options.input())) {
            return plan(options, config, ckpt).plan;
        }
    }

    private static ModelConfig readConfig(Path input) {
        if (!Files.isDirectory(input)) {
            throw new BadInputException(input, Files.exists(input) ? "is not a checkpoint directory"
                    : "no such directory");
        }
        Path cfg = input.resolve("config.json");
        if (!Files.isRegularFile(cfg)) {
            throw new BadInputException(input, "has no config.json; a checkpoint directory holds config.json,"
                    + " *.safetensors and tokenizer.json");
        }
        return ModelConfig.read(cfg);
    }

    private static Planned plan(ConvertOptions o, ModelConfig config, SafetensorsCheckpoint ckpt) {
        if (!config.family().trainedTernary() && !o.allowPtq()) {
            throw new BadInputException(config.file(), config.family().displayName() + " is not known to be trained"
                    + " ternary (no BitNet architecture or bitnet quantization_config). Post-training ternarization"
                    + " destroys such models; pass --allow-ptq (allowPtq) to convert it anyway and measure the"
                    + " damage with 'ternpack verify'");
        }
        BitnetModel model = BitnetModel.describe(config, ckpt);
        List<String> warnings = new ArrayList<>();
        List<String> fallbacks = new ArrayList<>();
        if (!config.family().trainedTernary()) {
            warnings.add("post-training ternarization of " + config.family().displayName()
                    + " (--allow-ptq): expect a large quality loss; check it with 'ternpack verify'");
        }
        String arch = config.family().displayName();
        TernaryLayout layout = layout(o);
        List<Job> jobs = new ArrayList<>();
        if (o.format().gguf()) {
            planGguf(o, model, layout, jobs, warnings, fallbacks);
        } else {
            planHf(model, layout, jobs);
        }
        List<OutputTensor> tensors = new ArrayList<>();
        jobs.forEach(j -> tensors.addAll(j.outputs));
        return new Planned(new ConversionPlan(o, config, arch, tensors, warnings, fallbacks), model, jobs, layout);
    }

    private static TernaryLayout layout(ConvertOptions o) {
        return layout(o.format(), o.scaleMode());
    }

    static TernaryLayout layout(OutputFormat format, ScaleMode mode) {
        boolean fold = mode == ScaleMode.FOLD;
        return switch (format) {
            case TQ2_0 -> fold ? Tq2Layout.FOLD : Tq2Layout.TENSOR_SCALE;
            case TQ1_0 -> fold ? Tq1Layout.FOLD : Tq1Layout.TENSOR_SCALE;
            case I2_S -> I2sLayout.INSTANCE;
            case HF_2BIT -> Hf2BitLayout.AUTOBITLINEAR;
        };
    }

    static GgmlType packedType(OutputFormat f) {
        return switch (f) {
            case TQ2_0 -> GgmlType.TQ2_0;
            case TQ1_0 -> GgmlType.TQ1_0;
            case I2_S -> GgmlType.I2_S;
            case HF_2BIT -> throw new IllegalArgumentException("not GGUF");
        };
    }

    private static void planGguf(ConvertOptions o, BitnetModel model, TernaryLayout layout, List<Job> jobs,
            List<String> warnings, List<String> fallbacks) {
        ModelConfig c = model.config();
        boolean stock = o.format() != OutputFormat.I2_S;
        if (model.family() == CheckpointFamily.LLAMA) {
            throw new BadInputException(c.file(), "the model has no sub-norms (attn_sub_norm/ffn_sub_norm), which"
                    + " the GGUF BitNet graphs require; convert it to hf-2bit instead");
        }
        if (c.numAttentionHeads() * c.headDim() != c.hiddenSize()) {
            throw new BadInputException(c.file(), "num_attention_heads x head_dim = " + c.numAttentionHeads() * c.headDim()
                    + " differs from hidden_size " + c.hiddenSize() + "; llama.cpp's BitNet graph needs them equal");
        }
        if (stock && model.untiedHead()) {
            throw new BadInputException(c.file(), "the model has its own lm_head.weight (tie_word_embeddings false);"
                    + " llama.cpp's stock bitnet architecture uses token_embd as the output layer and loads no"
                    + " output.weight, so an untied head cannot go to " + o.format().cliName()
                    + ". Use i2_s or hf-2bit, which keep the head");
        }
        if (!model.untiedHead() && model.tensors().stream().anyMatch(e -> e.role() == TensorRole.OUTPUT)) {
            warnings.add("lm_head.weight is present but tie_word_embeddings is true, so transformers uses the"
                    + " embedding as the head; lm_head.weight is not written");
        }
        if (stock && c.hiddenAct() == HiddenAct.RELU2) {
            warnings.add("the model uses ReLU² (hidden_act relu2) but stock llama.cpp's bitnet graph computes SiLU:"
                    + " the file loads and runs but computes a different function. It carries"
                    + " bitnet.hidden_activation = \"relu2\" for runtimes that read it");
        }
        if (!stock) {
            warnings.add("I2_S (ggml type 36) is a bitnet.cpp fork type: stock llama.cpp cannot load this file;"
                    + " run it with bitnet.cpp");
            if (c.hiddenAct() != HiddenAct.RELU2) {
                warnings.add("the model uses " + c.hiddenAct().configName() + " but bitnet.cpp's bitnet-b1.58 graph"
                        + " computes ReLU²: the file loads but computes a different function");
            }
        }
        if (c.ropeScalingType() != null) {
            warnings.add("rope scaling \"" + c.ropeScalingType() + "\" is not written to the GGUF; llama.cpp will use"
                    + " plain RoPE");
        }
        GgmlType embType = GgmlType.valueOf(o.embeddingType().name());
        if (embType == GgmlType.Q8_0 && c.hiddenSize() % 32 != 0) {
            throw new BadInputException(c.file(), "hidden_size " + c.hiddenSize() + " is not a multiple of 32, so the"
                    + " embedding cannot be Q8_0; use --embedding-type f16");
        }
        GgmlType packed = packedType(o.format());
        int multiple = o.format().rowMultiple();
        List<String> misfits = new ArrayList<>();
        for (Entry e : model.tensors()) {
            TensorRole role = e.role();
            long[] s = e.shape();
            if (role == TensorRole.OUTPUT && !model.untiedHead()) {
                continue; // tied: a copy of the embedding, llama.cpp reuses token_embd
            }
            if (role == TensorRole.TOKEN_EMBD || role == TensorRole.OUTPUT) {
                jobs.add(new Job(e, Kind.ENCODE, List.of(out(e.ggufName(), embType, s, false, e, null))));
            } else if (!role.ternary()) {
                jobs.add(new Job(e, Kind.ENCODE, List.of(out(e.ggufName(), GgmlType.F32, s, false, e, null))));
            } else if (s[1] % multiple != 0) {
                misfits.add(e.hfName() + " [" + s[0] + ", " + s[1] + "]");
                if (o.fallback() != ConvertOptions.Fallback.NONE) {
                    GgmlType fb = o.fallback() == ConvertOptions.Fallback.Q8_0 && s[1] % 32 == 0 ? GgmlType.Q8_0
                            : GgmlType.F16;
                    String reason = "in_features " + s[1] + " is not a multiple of " + multiple + " ("
                            + packed.displayName() + ")";
                    fallbacks.add(e.ggufName() + ": " + reason + "; written as " + fb.displayName()
                            + " (ternarized values trit x gamma)");
                    jobs.add(new Job(e, Kind.FALLBACK, List.of(out(e.ggufName(), fb, s, false, e, reason))));
                }
            } else {
                List<OutputTensor> outs = new ArrayList<>();
                outs.add(new OutputTensor(e.ggufName(), packed.name(), s, layout.packedSize(s[0], s[1]), true,
                        e.hfName(), null));
                if (layout.hasScaleTensor()) {
                    outs.add(new OutputTensor(e.role().ggufScaleName(e.layer()), GgmlType.F32.name(), new long[] {1},
                            4, true, e.hfName(), null));
                }
                jobs.add(new Job(e, Kind.PACK, outs));
            }
        }
        if (!misfits.isEmpty() && o.fallback() == ConvertOptions.Fallback.NONE) {
            throw new BadInputException(c.file(), misfits.size() + " projection(s) have a row length (in_features)"
                    + " that is not a multiple of " + multiple + ", which " + packed.displayName() + " needs: "
                    + String.join(", ", misfits) + ". Pass --fallback f16 or --fallback q8_0 to keep those in high"
                    + " precision, or use hf-2bit");
        }
    }

    private static OutputTensor out(String name, GgmlType type, long[] shape, boolean ternary, Entry e,
            String fallbackReason) {
        long numel = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        return new OutputTensor(name, type.name(), shape, type.nbytes(shape[shape.length - 1], numel), ternary,
                e.hfName(), fallbackReason);
    }

    private static void planHf(BitnetModel model, TernaryLayout layout, List<Job> jobs) {
        for (Entry e : model.tensors()) {
            long[] s = e.shape();
            if (e.role().ternary()) {
                String module = e.hfName().substring(0, e.hfName().length() - ".weight".length());
                jobs.add(new Job(e, Kind.PACK, List.of(
                        new OutputTensor(e.hfName(), DType.U8.safetensorsName(),
                                new long[] {Hf2BitLayout.packedRows(s[0]), s[1]}, layout.packedSize(s[0], s[1]), true,
                                e.hfName(), null),
                        new OutputTensor(module + ".weight_scale", e.dtype().safetensorsName(), new long[] {1},
                                e.dtype().byteSize(), true, e.hfName(), null))));
            } else {
                long numel = Arrays.stream(s).reduce(1, Math::multiplyExact);
                jobs.add(new Job(e, Kind.COPY, List.of(new OutputTensor(e.hfName(), e.dtype().safetensorsName(), s,
                        numel * e.dtype().byteSize(), false, e.hfName(), null))));
            }
        }
    }

    // ---- conversion ----

    /** Converts, audits and renames onto {@code options.output()}; warnings go to the listener as they arise. */
    public static ConvertResult convert(ConvertOptions options, ConvertListener listener)
            throws IOException, InterruptedException {
        long start = System.nanoTime();
        ModelConfig config = readConfig(options.input());
        Path out = checkOutput(options);
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(options.input())) {
            Planned p = plan(options, config, ckpt);
            p.plan.warnings().forEach(listener::warning);
            p.plan.fallbacks().forEach(f -> listener.warning("fallback: " + f));
            List<String> warnings = new ArrayList<>(p.plan.warnings());
            SourceDigests digests = SourceDigests.start(sourceFiles(options.input(), ckpt));
            Path temp = out.resolveSibling("." + out.getFileName() + ".ternpack-"
                    + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            OutputFiles.removeStale(out, STALE_TEMP_MILLIS);
            OutputFiles.register(temp);
            TritStats[] stats = {new TritStats(0, 0, 0, 0)};
            long[] ternaryWeights = {0};
            Path hashed;
            Future<String> outputDigest = null;
            try (digests) {
                if (options.format().gguf()) {
                    GgufVocabulary vocab = vocabulary(options.input(), config);
                    vocab.warnings().forEach(w -> {
                        warnings.add("tokenizer: " + w);
                        listener.warning("tokenizer: " + w);
                    });
                    outputDigest = writeGguf(p, temp, ggufMetadata(p, vocab, digests.placeholders()), digests, ckpt,
                            listener, stats, ternaryWeights);
                    auditGguf(p, temp);
                    OutputFiles.publish(temp, out, options.force());
                    hashed = out;
                } else {
                    Files.createDirectory(temp);
                    outputDigest = writeHf(p, temp, digests, ckpt, listener, stats, ternaryWeights);
                    auditHf(p, temp);
                    OutputFiles.publish(temp, out, options.force());
                    hashed = out.resolve(HF_WEIGHTS);
                }
            } catch (Throwable e) {
                if (outputDigest != null) {
                    outputDigest.cancel(true);
                }
                deleteRecursively(temp);
                OutputFiles.unregister(temp);
                if (e instanceof IOException io) {
                    throw OutputFiles.writeFailure(out, io);
                }
                throw e;
            }
            String sha256 = SourceDigests.await(outputDigest, hashed.toString());
            long total = Files.size(hashed);
            ConversionPlan plan = p.plan;
            long tw = ternaryWeights[0];
            return new ConvertResult(out, total, plan.ternaryBytes(), plan.highPrecisionBytes(), tw,
                    tw == 0 ? 0 : plan.ternaryBytes() * 8.0 / tw, stats[0].total() == 0 ? 0 : stats[0].sparsity(),
                    (System.nanoTime() - start) / 1e9, sha256, warnings, plan.fallbacks());
        }
    }

    private static Path checkOutput(ConvertOptions o) throws IOException {
        return checkOutput(o.input(), o.output(), o.force(), o.format());
    }

    /** Refuses an output inside the input, an existing one without force, a file where a directory goes. */
    static Path checkOutput(Path in, Path output, boolean force, OutputFormat format) throws IOException {
        Path out = output.toAbsolutePath().normalize();
        Path input = in.toRealPath();
        Path parent = out.getParent();
        Path realParent = parent != null && Files.isDirectory(parent) ? parent.toRealPath() : parent;
        if (realParent == null || !Files.isDirectory(realParent)) {
            throw new BadInputException(out, "the directory to write into does not exist");
        }
        Path realOut = realParent.resolve(out.getFileName());
        if (realOut.startsWith(input)) {
            throw new BadInputException(out, "is inside the input checkpoint directory " + input
                    + "; write the output elsewhere");
        }
        if (Files.exists(realOut) && !force) {
            throw new BadInputException(out, "already exists; pass --force to replace it");
        }
        if (Files.exists(realOut) && format.gguf() == Files.isDirectory(realOut)) {
            throw new BadInputException(out, "exists and is " + (Files.isDirectory(realOut) ? "a directory" : "a file")
                    + "; " + format.cliName() + " writes " + (format.gguf() ? "a file" : "a directory"));
        }
        return realOut;
    }

    static GgufVocabulary vocabulary(Path input, ModelConfig config) {
        Path tj = input.resolve("tokenizer.json");
        if (!Files.isRegularFile(tj)) {
            throw new BadInputException(input, "has no tokenizer.json, which a GGUF needs for its vocabulary");
        }
        return GgufVocabulary.build(TokenizerJson.read(tj), TokenizerConfig.readIfPresent(input), config);
    }

    /** The checkpoint files besides the shards that shape the output, recorded in its provenance when present. */
    static final List<String> SOURCE_FILES = List.of("config.json", "tokenizer.json", "tokenizer_config.json");

    /**
     * Every input file the output depends on, in the order of its provenance lines: each safetensors shard in shard
     * order, then config.json, tokenizer.json and tokenizer_config.json when present.
     */
    private static List<Path> sourceFiles(Path input, SafetensorsCheckpoint ckpt) {
        List<Path> out = new ArrayList<>();
        for (SafetensorsFile f : ckpt.shards()) {
            out.add(f.location());
        }
        for (String name : SOURCE_FILES) {
            if (Files.isRegularFile(input.resolve(name))) {
                out.add(input.resolve(name));
            }
        }
        return out;
    }

    static String sha256(Path file) throws IOException {
        return SourceDigests.sha256(file);
    }

    private static Map<String, GgufValue> ggufMetadata(Planned p, GgufVocabulary vocab, List<String> sources) {
        ConvertOptions o = p.plan.options();
        return ggufMetadata(p.model.config(), o.format(),
                o.input().toAbsolutePath().normalize().getFileName().toString(), vocab, o.provenance(), sources);
    }

    static String arch(OutputFormat f) {
        return f == OutputFormat.I2_S ? ARCH_BITNET_B158 : ARCH_BITNET;
    }

    static Map<String, GgufValue> ggufMetadata(ModelConfig c, OutputFormat format, String name, GgufVocabulary vocab,
            String options, List<String> sources) {
        String a = arch(format);
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.string(a));
        m.put("general.name", GgufValue.string(name));
        m.put("general.file_type", GgufValue.u32(fileType(format)));
        m.put("general.quantization_version", GgufValue.u32(2));
        m.put(a + ".vocab_size", GgufValue.u32(c.vocabSize()));
        m.put(a + ".context_length", GgufValue.u32(c.maxPositionEmbeddings()));
        m.put(a + ".embedding_length", GgufValue.u32(c.hiddenSize()));
        m.put(a + ".block_count", GgufValue.u32(c.numHiddenLayers()));
        m.put(a + ".feed_forward_length", GgufValue.u32(c.intermediateSize()));
        m.put(a + ".attention.head_count", GgufValue.u32(c.numAttentionHeads()));
        m.put(a + ".attention.head_count_kv", GgufValue.u32(c.numKeyValueHeads()));
        m.put(a + ".attention.layer_norm_rms_epsilon", GgufValue.f32((float) c.rmsNormEps()));
        m.put(a + ".rope.freq_base", GgufValue.f32((float) c.ropeTheta()));
        m.put(a + ".rope.dimension_count", GgufValue.u32(c.headDim()));
        m.put(a + ".hidden_activation", GgufValue.string(c.hiddenAct().configName()));
        m.putAll(vocab.metadata());
        m.put("ternpack.version", GgufValue.string(VERSION));
        m.put("ternpack.options", GgufValue.string(options));
        m.put("ternpack.source.sha256", GgufValue.strings(sources));
        return m;
    }

    /** {@code general.file_type}: upstream llama_ftype for TQ, the fork's MOSTLY_I2_S = 40. */
    static int fileType(OutputFormat f) {
        return switch (f) {
            case TQ1_0 -> 36;
            case TQ2_0 -> 37;
            case I2_S -> 40;
            case HF_2BIT -> throw new IllegalArgumentException("not GGUF");
        };
    }

    /**
     * One task per job. Each maps its input tensor on its own ({@link SafetensorsCheckpoint#tensor(String,
     * java.lang.foreign.Arena)}) and the consumer unmaps it once the pieces are written, so the resident set holds a
     * few tensors, not every page of a multi-GB input touched so far.
     */
    private static List<Callable<Done>> tasks(Planned p, SafetensorsCheckpoint ckpt, boolean gguf,
            OutputBuffers buffers) {
        List<Callable<Done>> tasks = new ArrayList<>();
        for (Job j : p.jobs) {
            if (streamed(j)) {
                tasks.add(() -> streamedCopyOrEncode(j, ckpt, buffers));
                continue;
            }
            tasks.add(() -> {
                Arena arena = Arena.ofShared();
                try {
                    return execute(j, ckpt.tensor(j.entry.hfName(), arena), p.layout, gguf, buffers).mappedIn(arena);
                } catch (Throwable e) {
                    arena.close();
                    throw e;
                }
            });
        }
        return tasks;
    }

    /** A large copied or re-encoded tensor (an embedding of 128256 x 2560 is 656 MB) goes through in windows. */
    private static boolean streamed(Job j) {
        return (j.kind == Kind.COPY || j.kind == Kind.ENCODE) && j.entry.shape().length >= 2
                && j.outputs.getFirst().bytes() > streamThreshold;
    }

    /**
     * The piece of a {@link #streamed} job: the writer's thread maps a window of rows at a time, copies or encodes
     * it and unmaps it, so neither the input tensor nor its encoding is ever whole in memory.
     */
    private static Done streamedCopyOrEncode(Job j, SafetensorsCheckpoint ckpt, OutputBuffers buffers) {
        OutputTensor first = j.outputs.getFirst();
        String name = j.entry.hfName();
        long rows = j.entry.shape()[0];
        long window = windowRows(j);
        Chunks chunks = out -> {
            for (long r = 0; r < rows; r += window) {
                // Shared like every other input mapping: segments of one session kind keep the JIT's profile of
                // the vector kernels monomorphic (mixing in confined ones made C2 deoptimize the I2_S kernel
                // over and over: 18.8 s instead of 10.6 s for the 2B-4T shape).
                try (Arena arena = Arena.ofShared()) {
                    Tensor part = ckpt.rows(name, r, Math.min(window, rows - r), arena);
                    if (j.kind == Kind.COPY) {
                        out.write(part.data());
                        continue;
                    }
                    GgmlType type = GgmlType.valueOf(first.type());
                    MemorySegment encoded = buffers.take(Encodings.encodedSize(part, type));
                    try {
                        Encodings.encode(part, type, encoded);
                        out.write(encoded);
                    } finally {
                        buffers.giveBack(encoded);
                    }
                }
            }
        };
        return new Done(List.of(new Piece(first.name(), first.bytes(), null, chunks)), null, 0);
    }

    /** Rows of a {@link #streamed} job's input per window: about {@link #streamWindow} bytes, at least one row. */
    private static long windowRows(Job j) {
        long rows = j.entry.shape()[0];
        long inputRowBytes = j.entry.dtype().byteSize() * (Arrays.stream(j.entry.shape()).reduce(1, Math::multiplyExact)
                / rows);
        return Math.max(1, streamWindow / Math.max(1, inputRowBytes));
    }

    /** The largest output buffer any job takes: a packed tensor, or a streamed encoding's window. */
    private static long bufferCapacity(List<Job> jobs) {
        long capacity = 0;
        for (Job j : jobs) {
            OutputTensor first = j.outputs.getFirst();
            if (j.kind == Kind.PACK) {
                capacity = Math.max(capacity, first.bytes());
            } else if (j.kind == Kind.ENCODE && streamed(j)) {
                long rows = j.entry.shape()[0];
                capacity = Math.max(capacity, first.bytes() / rows * Math.min(rows, windowRows(j)));
            }
        }
        return capacity;
    }

    private static Done execute(Job j, Tensor t, TernaryLayout layout, boolean gguf, OutputBuffers buffers) {
        OutputTensor first = j.outputs.getFirst();
        return switch (j.kind) {
            case COPY -> new Done(List.of(new Piece(first.name(), t.data())), null, 0);
            case ENCODE -> new Done(List.of(new Piece(first.name(),
                    Encodings.encode(t, GgmlType.valueOf(first.type())))), null, 0);
            case FALLBACK -> new Done(List.of(new Piece(first.name(), Encodings.encode(
                    AbsmeanQuantizer.ternarize(t).tensor().dequantize(), GgmlType.valueOf(first.type())))), null, 0);
            case PACK -> {
                MemorySegment dst = buffers.take(first.bytes());
                PackedTernarization packed;
                try {
                    packed = AbsmeanQuantizer.ternarizeAndPack(t, layout, dst);
                } catch (Throwable e) {
                    buffers.giveBack(dst);
                    throw e;
                }
                List<Piece> pieces = new ArrayList<>();
                pieces.add(new Piece(first.name(), dst));
                if (packed.scaleTensor().isPresent()) {
                    float v = packed.scaleTensor().get();
                    MemorySegment s = gguf ? Encodings.encode(new float[] {v}, GgmlType.F32)
                            : MemorySegment.ofArray(EncodedScale.encode(v, t.dtype()).bytes());
                    pieces.add(new Piece(j.outputs.get(1).name(), s));
                }
                yield new Done(pieces, packed.stats(), t.numel(), null, dst);
            }
        };
    }

    @FunctionalInterface
    private interface PieceSink {
        void write(Piece piece) throws IOException;
    }

    private static void run(Planned p, SafetensorsCheckpoint ckpt, boolean gguf, ConvertListener listener,
            TritStats[] stats, long[] ternaryWeights, PieceSink sink) throws IOException, InterruptedException {
        long total = p.plan.totalBytes();
        long[] done = {0};
        int threads = p.plan.options().threads();
        try (OutputBuffers buffers = new OutputBuffers(bufferCapacity(p.jobs))) {
            OrderedPipeline.run(tasks(p, ckpt, gguf, buffers), threads, threads + 1, (i, d) -> {
                try (Arena mapped = d.arena) {
                    for (Piece piece : d.pieces) {
                        sink.write(piece);
                        done[0] += piece.size;
                        listener.progress(done[0], total, piece.name);
                    }
                } finally {
                    if (d.buffer != null) {
                        buffers.giveBack(d.buffer);
                    }
                }
                if (d.stats != null) {
                    stats[0] = stats[0].plus(d.stats);
                    ternaryWeights[0] += d.ternaryWeights;
                }
            });
        } catch (IOException | RuntimeException | InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes and commits the GGUF; returns its SHA-256, being worked out on a thread of its own. */
    private static Future<String> writeGguf(Planned p, Path temp, Map<String, GgufValue> metadata, SourceDigests digests,
            SafetensorsCheckpoint ckpt, ConvertListener listener, TritStats[] stats, long[] ternaryWeights)
            throws IOException, InterruptedException {
        try (GgufWriter w = GgufWriter.create(temp)) {
            metadata.forEach(w::put);
            for (OutputTensor t : p.plan.tensors()) {
                w.addTensor(t.name(), GgmlType.valueOf(t.type()), reversed(t.shape()));
            }
            run(p, ckpt, true, listener, stats, ternaryWeights, piece -> {
                if (piece.chunks == null) {
                    w.writeTensorData(piece.name, piece.bytes);
                } else {
                    GgufWriter.TensorSink ts = w.beginTensor(piece.name);
                    piece.writeTo(ts::write);
                    ts.finish();
                }
            });
            w.replace("ternpack.source.sha256", GgufValue.strings(digests.await()));
            return commitHashing(w.seal(), temp, w::commit);
        }
    }

    /** Writes and commits the HF directory; returns its weights' SHA-256, worked out on a thread of its own. */
    private static Future<String> writeHf(Planned p, Path dir, SourceDigests digests, SafetensorsCheckpoint ckpt,
            ConvertListener listener, TritStats[] stats, long[] ternaryWeights) throws IOException, InterruptedException {
        List<PlannedTensor> st = new ArrayList<>();
        for (OutputTensor t : p.plan.tensors()) {
            st.add(new PlannedTensor(t.name(), DType.fromSafetensorsName(t.type()), t.shape()));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("ternpack.version", VERSION);
        meta.put("ternpack.options", p.plan.options().provenance());
        meta.put("ternpack.source.sha256", String.join("\n", digests.placeholders()));
        meta.put("quant_method", "bitnet");
        meta.put("linear_class", "autobitlinear");
        Future<String> digest;
        try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve(HF_WEIGHTS), st, meta)) {
            run(p, ckpt, false, listener, stats, ternaryWeights, piece -> {
                if (piece.chunks == null) {
                    w.writeTensor(piece.name, piece.bytes);
                } else {
                    SafetensorsWriter.TensorSink ts = w.beginTensor(piece.name);
                    piece.writeTo(ts::write);
                    ts.finish();
                }
            });
            w.replaceMetadata("ternpack.source.sha256", String.join("\n", digests.await()));
            digest = commitHashing(w.seal(), dir.resolve(HF_WEIGHTS), w::commit);
        }
        try {
            JsonObject config = p.model.config().raw();
            JsonObject q = new JsonObject();
            q.addProperty("quant_method", "bitnet");
            q.addProperty("linear_class", "autobitlinear");
            q.addProperty("quantization_mode", "offline");
            config.add("quantization_config", q);
            Files.writeString(dir.resolve("config.json"), new GsonBuilder().setPrettyPrinting().disableHtmlEscaping()
                    .serializeNulls().create().toJson(config) + "\n", StandardCharsets.UTF_8);
            Path input = p.plan.options().input();
            for (String name : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                    "generation_config.json", "tokenizer.model")) {
                if (Files.isRegularFile(input.resolve(name))) {
                    Files.copy(input.resolve(name), dir.resolve(name));
                }
            }
        } catch (IOException | RuntimeException e) {
            digest.cancel(true);
            throw e;
        }
        return digest;
    }

    /** An I/O step that may fail. */
    @FunctionalInterface
    interface IoStep {
        void run() throws IOException;
    }

    /**
     * Starts hashing a sealed output and then commits it, so the SHA-256 (about 0.8 s for 1.2 GB) overlaps the
     * fsync and renames instead of following them; the hash is cancelled if the commit fails.
     */
    static Future<String> commitHashing(FileChannel sealed, Path file, IoStep commit) throws IOException {
        Future<String> digest = SourceDigests.sha256Later(sealed, file);
        try {
            commit.run();
        } catch (IOException | RuntimeException e) {
            digest.cancel(true);
            throw e;
        }
        return digest;
    }

    static long[] reversed(long[] shape) {
        long[] ne = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            ne[i] = shape[shape.length - 1 - i];
        }
        return ne;
    }

    // ---- audit ----

    private static void auditGguf(Planned p, Path file) {
        auditGguf(p.plan.tensors(), file);
    }

    /** Re-reads a written GGUF: every tensor's name, type, shape and size, and the file size, against the plan. */
    static void auditGguf(List<OutputTensor> plan, Path file) {
        try (GgufFile g = GgufFile.open(file)) {
            List<GgufTensorInfo> infos = g.tensors();
            if (infos.size() != plan.size()) {
                throw audit(file, "has " + infos.size() + " tensors, the plan " + plan.size());
            }
            long expectedSize = -1;
            for (int i = 0; i < plan.size(); i++) {
                OutputTensor t = plan.get(i);
                GgufTensorInfo info = infos.get(i);
                if (!info.name().equals(t.name()) || !info.type().name().equals(t.type())
                        || !Arrays.equals(info.ne(), reversed(t.shape())) || info.nbytes() != t.bytes()) {
                    throw audit(file, "tensor " + i + " is " + info + ", the plan says " + t.name() + " " + t.type()
                            + " " + Arrays.toString(t.shape()) + " " + t.bytes() + " bytes");
                }
                long end = g.dataStart() + info.offset() + info.nbytes();
                long padded = (end + g.alignment() - 1) / g.alignment() * g.alignment();
                expectedSize = Math.max(expectedSize, padded);
            }
            if (g.fileSize() != expectedSize) {
                throw audit(file, "is " + g.fileSize() + " bytes, the plan gives " + expectedSize);
            }
        }
    }

    private static void auditHf(Planned p, Path dir) throws IOException {
        Path file = dir.resolve(HF_WEIGHTS);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            List<OutputTensor> plan = p.plan.tensors();
            if (!st.names().equals(plan.stream().map(OutputTensor::name).toList())) {
                throw audit(file, "holds tensors " + st.names().size() + " tensors that differ from the plan");
            }
            long data = 0;
            for (OutputTensor t : plan) {
                Tensor w = st.tensor(t.name());
                if (!w.dtype().safetensorsName().equals(t.type()) || !Arrays.equals(w.shape(), t.shape())
                        || w.byteSize() != t.bytes()) {
                    throw audit(file, "tensor " + t.name() + " is " + w + ", the plan says " + t.type() + " "
                            + Arrays.toString(t.shape()));
                }
                data += t.bytes();
            }
            long headerLen = Files.size(file) - data;
            if (headerLen <= 8) {
                throw audit(file, "is " + Files.size(file) + " bytes, smaller than its " + data + " bytes of tensors");
            }
        }
    }

    private static IllegalStateException audit(Path file, String problem) {
        return new IllegalStateException("audit of the written " + file.getFileName() + " failed: it " + problem);
    }

    static void deleteRecursively(Path p) {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
