package dev.ternpack.convert;

import dev.ternpack.convert.ConversionPlan.OutputTensor;
import dev.ternpack.convert.model.CheckpointFamily;
import dev.ternpack.convert.model.TensorRole;
import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.DType;
import dev.ternpack.formats.FloatDecoding;
import dev.ternpack.formats.OutputFiles;
import dev.ternpack.formats.Tensor;
import dev.ternpack.formats.gguf.GgmlType;
import dev.ternpack.formats.gguf.GgufFile;
import dev.ternpack.formats.gguf.GgufTensorInfo;
import dev.ternpack.formats.gguf.GgufValue;
import dev.ternpack.formats.gguf.GgufWriter;
import dev.ternpack.formats.hf.HiddenAct;
import dev.ternpack.formats.hf.ModelConfig;
import dev.ternpack.formats.safetensors.SafetensorsCheckpoint;
import dev.ternpack.pack.Hf2BitLayout;
import dev.ternpack.pack.I2sLayout;
import dev.ternpack.pack.LinearClass;
import dev.ternpack.pack.PackedTensor;
import dev.ternpack.pack.TernaryLayout;
import dev.ternpack.pack.TernaryTensor;
import dev.ternpack.pack.Tq1Layout;
import dev.ternpack.pack.Tq2Layout;
import dev.ternpack.pack.TritStats;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Moves a packed artifact to another ternary layout without going back to latent weights: every projection is
 * unpacked to its trits and scale and packed again ({@link TernaryLayout#convert}), so the trits are kept exactly;
 * other tensors are copied byte for byte and the metadata carried over (the architecture prefix switches between
 * {@code bitnet} and {@code bitnet-b1.58}).
 *
 * <p>Inputs: a GGUF with TQ2_0, TQ1_0 or I2_S projections, or an HF 2-bit directory (config.json with a bitnet
 * {@code quantization_config}, uint8 projections, {@code weight_scale}, tokenizer.json). Outputs: the GGUF
 * formats. GGUF to HF 2-bit is refused: a GGUF does not carry the config.json and tokenizer files an HF directory
 * needs, and guessing them would give a directory that only looks right.
 *
 * <p>Options used: {@code input}, {@code format}, {@code output}, {@code scaleMode} (TQ output),
 * {@code embeddingType} (HF input only; GGUF embeddings are copied as they are), {@code force}.
 */
public final class Repacker {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Repacker() {
    }

    /** One input tensor: packed ternary (layout and packed data) or plain (bytes kept, or floats to encode). */
    private record Src(String name, TernaryLayout layout, PackedTensor packed, GgmlType type, long[] ne,
            MemorySegment bytes, Tensor encode) {
        boolean ternary() {
            return layout != null;
        }
    }

    /** Repacks {@code options.input()} (a .gguf file or an HF 2-bit directory) into {@code options.format()}. */
    public static ConvertResult repack(ConvertOptions options, ConvertListener listener) throws IOException {
        long start = System.nanoTime();
        Path in = options.input();
        if (!Files.exists(in)) {
            throw new BadInputException(in, "no such file or directory");
        }
        OutputFormat format = options.format();
        boolean fromHf = Files.isDirectory(in);
        if (!format.gguf()) {
            throw new BadInputException(in, fromHf ? "is already an HF 2-bit directory"
                    : "a GGUF does not carry the config.json and tokenizer files an HF 2-bit directory needs, so"
                    + " ternpack does not rebuild one from it; convert the original checkpoint with --format hf-2bit");
        }
        if (!fromHf && !isGguf(in)) {
            throw new BadInputException(in, "is neither a GGUF file nor an HF 2-bit checkpoint directory");
        }
        Path parentOfInput = fromHf ? in : in.toAbsolutePath().getParent();
        Path out = fromHf ? Converter.checkOutput(in, options.output(), options.force(), format)
                : checkFileOutput(in, options, parentOfInput);
        List<String> warnings = new ArrayList<>();
        if (fromHf) {
            try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(in)) {
                ModelConfig config = ModelConfig.read(in.resolve("config.json"));
                List<Src> srcs = fromHf(in, config, ckpt, options);
                String origin = ckpt.metadata().get("ternpack.source.sha256");
                List<String> sources = new ArrayList<>();
                if (origin != null) {
                    sources.addAll(List.of(origin.split("\n")));
                }
                var vocab = Converter.vocabulary(in, config);
                vocab.warnings().forEach(w -> warnings.add("tokenizer: " + w));
                Map<String, GgufValue> meta = Converter.ggufMetadata(config, format,
                        in.toAbsolutePath().normalize().getFileName().toString(), vocab,
                        "repacked from hf-2bit (" + Converter.sha256(ckpt.shards().getFirst().location()) + ") to "
                                + provenance(options), sources);
                if (format != OutputFormat.I2_S && config.hiddenAct() == HiddenAct.RELU2) {
                    warnings.add(reluWarning());
                }
                return write(srcs, meta, options, out, warnings, listener, start);
            }
        }
        try (GgufFile g = GgufFile.open(in)) {
            String arch = g.requireString("general.architecture");
            String target = Converter.arch(format);
            List<Src> srcs = fromGguf(g, options);
            Map<String, GgufValue> meta = new LinkedHashMap<>();
            for (var e : g.metadata().entrySet()) {
                String key = e.getKey();
                GgufValue v = e.getValue();
                if (key.equals("general.architecture")) {
                    v = GgufValue.string(target);
                } else if (key.equals("general.file_type")) {
                    v = GgufValue.u32(Converter.fileType(format));
                } else if (key.equals("ternpack.options")) {
                    v = GgufValue.string(v.asString() + "; repacked to " + provenance(options));
                } else if (key.startsWith(arch + ".")) {
                    key = target + key.substring(arch.length());
                }
                meta.put(key, v);
            }
            meta.putIfAbsent("ternpack.version", GgufValue.string(Converter.VERSION));
            meta.putIfAbsent("ternpack.options", GgufValue.string("repacked to " + provenance(options)));
            String act = g.getString(arch + ".hidden_activation").orElse(null);
            if (format != OutputFormat.I2_S && "relu2".equals(act)) {
                warnings.add(reluWarning());
            }
            if (format != OutputFormat.I2_S && srcs.stream().anyMatch(s -> s.name.equals("output.weight"))) {
                throw new BadInputException(in, "has an output.weight (untied head); llama.cpp's stock bitnet"
                        + " architecture loads no output.weight, so it cannot go to " + format.cliName());
            }
            return write(srcs, meta, options, out, warnings, listener, start);
        }
    }

    private static String reluWarning() {
        return "the model uses ReLU² but stock llama.cpp's bitnet graph computes SiLU: the file loads and runs but"
                + " computes a different function";
    }

    private static String provenance(ConvertOptions o) {
        return "format=" + o.format().cliName() + (o.format() == OutputFormat.I2_S ? ""
                : " scale_mode=" + o.scaleMode().name().toLowerCase(java.util.Locale.ROOT));
    }

    private static Path checkFileOutput(Path in, ConvertOptions o, Path parent) throws IOException {
        Path out = o.output().toAbsolutePath().normalize();
        if (Files.exists(out) && Files.isSameFile(out, in)) {
            throw new BadInputException(out, "is the input itself; write the output elsewhere");
        }
        if (Files.exists(out) && !o.force()) {
            throw new BadInputException(out, "already exists; pass --force to replace it");
        }
        if (out.getParent() == null || !Files.isDirectory(out.getParent())) {
            throw new BadInputException(out, "the directory to write into does not exist");
        }
        return out.getParent().toRealPath().resolve(out.getFileName());
    }

    private static boolean isGguf(Path file) throws IOException {
        try (InputStream s = Files.newInputStream(file)) {
            return Arrays.equals(s.readNBytes(4), new byte[] {'G', 'G', 'U', 'F'});
        }
    }

    private static List<Src> fromGguf(GgufFile g, ConvertOptions o) {
        List<Src> srcs = new ArrayList<>();
        for (GgufTensorInfo t : g.tensors()) {
            String name = t.name();
            if (name.endsWith(".scale")) {
                if (g.findTensor(name.substring(0, name.length() - ".scale".length()) + ".weight").isEmpty()) {
                    throw new BadInputException(g.path(), "scale tensor " + name + " has no weight tensor");
                }
                continue;
            }
            MemorySegment data = g.data(t);
            TernaryLayout layout = switch (t.type()) {
                case TQ2_0, TQ1_0 -> {
                    boolean tensor = g.findTensor(scaleName(name)).isPresent();
                    yield t.type() == GgmlType.TQ2_0 ? (tensor ? Tq2Layout.TENSOR_SCALE : Tq2Layout.FOLD)
                            : (tensor ? Tq1Layout.TENSOR_SCALE : Tq1Layout.FOLD);
                }
                case I2_S -> I2sLayout.INSTANCE;
                default -> null;
            };
            if (layout == null) {
                srcs.add(new Src(name, null, null, t.type(), t.ne(), data, null));
                continue;
            }
            if (t.nDims() != 2) {
                throw new BadInputException(g.path(), "ternary tensor " + name + " has " + t.nDims() + " dimensions");
            }
            int rows = Math.toIntExact(t.ne()[1]);
            int cols = Math.toIntExact(t.ne()[0]);
            PackedTensor packed;
            if (layout.hasScaleTensor()) {
                GgufTensorInfo s = g.tensor(scaleName(name));
                if (s.type() != GgmlType.F32 || s.numel() != 1) {
                    throw new BadInputException(g.path(), "scale tensor " + s.name() + " must be F32 of shape [1]");
                }
                packed = PackedTensor.of(name, g.path(), rows, cols, data, g.data(s).get(F32, 0));
            } else {
                packed = PackedTensor.of(name, g.path(), rows, cols, data);
            }
            srcs.add(new Src(name, layout, packed, t.type(), t.ne(), data, null));
        }
        return srcs;
    }

    private static String scaleName(String weight) {
        return weight.substring(0, weight.length() - ".weight".length()) + ".scale";
    }

    private static List<Src> fromHf(Path dir, ModelConfig config, SafetensorsCheckpoint ckpt, ConvertOptions o) {
        var q = config.quantizationConfig();
        if (q == null || !q.isBitnet() || q.linearClass() == null) {
            throw new BadInputException(config.file(), "has no bitnet quantization_config, so this is not a packed"
                    + " HF 2-bit checkpoint; use 'ternpack convert' for latent weights");
        }
        LinearClass linear = LinearClass.fromConfigName(q.linearClass().configName());
        Hf2BitLayout layout = new Hf2BitLayout(linear);
        CheckpointFamily family = CheckpointFamily.detect(config.family(), ckpt.names());
        Map<String, Object[]> roles = new HashMap<>();
        for (TensorRole r : TensorRole.values()) {
            if (!r.perLayer()) {
                roles.put(family.hfName(r, -1), new Object[] {r, -1});
            } else if (family.layerNames().containsKey(r)) {
                for (int l = 0; l < config.numHiddenLayers(); l++) {
                    roles.put(family.hfName(r, l), new Object[] {r, l});
                }
            }
        }
        boolean stock = o.format() != OutputFormat.I2_S;
        GgmlType emb = GgmlType.valueOf(o.embeddingType().name());
        List<Src> srcs = new ArrayList<>();
        for (String name : ckpt.names()) {
            if (name.endsWith(".weight_scale") || name.endsWith("rotary_emb.inv_freq")) {
                continue;
            }
            Object[] rl = roles.get(name);
            if (rl == null) {
                throw new BadInputException(dir, "tensor " + name + " is not part of a " + family.displayName());
            }
            TensorRole role = (TensorRole) rl[0];
            int layer = (int) rl[1];
            String gguf = role.ggufName(Math.max(layer, 0));
            Tensor t = ckpt.tensor(name);
            if (role.ternary()) {
                long rows = switch (role) {
                    case ATTN_Q -> (long) config.numAttentionHeads() * config.headDim();
                    case ATTN_K, ATTN_V -> (long) config.numKeyValueHeads() * config.headDim();
                    case ATTN_OUT, FFN_DOWN -> config.hiddenSize();
                    default -> config.intermediateSize();
                };
                if (t.dtype() != DType.U8 || t.rank() != 2 || t.dim(0) != Hf2BitLayout.packedRows(rows)) {
                    throw new BadInputException(t.file(), "tensor " + name + " is " + t.dtype() + " "
                            + Arrays.toString(t.shape()) + "; a packed projection of " + rows + " rows is U8 ["
                            + Hf2BitLayout.packedRows(rows) + ", in_features]");
                }
                String scaleName = name.substring(0, name.length() - ".weight".length()) + ".weight_scale";
                Tensor s = ckpt.tensor(scaleName);
                if (s.numel() != 1 || !s.dtype().isFloatingPoint()) {
                    throw new BadInputException(s.file(), "tensor " + scaleName + " must hold one float");
                }
                PackedTensor packed = PackedTensor.of(name, t.file(), Math.toIntExact(rows), Math.toIntExact(t.dim(1)),
                        t.data(), FloatDecoding.get(s.data(), s.dtype(), 0));
                srcs.add(new Src(gguf, layout, packed, null, new long[] {t.dim(1), rows}, t.data(), null));
            } else if (role == TensorRole.OUTPUT) {
                if (config.tieWordEmbeddings()) {
                    continue;
                }
                if (stock) {
                    throw new BadInputException(config.file(), "the model has its own lm_head.weight; llama.cpp's"
                            + " stock bitnet architecture loads no output.weight, so it cannot go to "
                            + o.format().cliName());
                }
                srcs.add(new Src(gguf, null, null, emb, Converter.reversed(t.shape()), null, t));
            } else {
                GgmlType type = role == TensorRole.TOKEN_EMBD ? emb : GgmlType.F32;
                srcs.add(new Src(gguf, null, null, type, Converter.reversed(t.shape()), null, t));
            }
        }
        return srcs;
    }

    private static ConvertResult write(List<Src> srcs, Map<String, GgufValue> meta, ConvertOptions o, Path out,
            List<String> warnings, ConvertListener listener, long start) throws IOException {
        warnings.forEach(listener::warning);
        if (o.format() == OutputFormat.I2_S) {
            listener.warning("I2_S (ggml type 36) is a bitnet.cpp fork type: stock llama.cpp cannot load this file");
            warnings.add("I2_S (ggml type 36) is a bitnet.cpp fork type: stock llama.cpp cannot load this file");
        }
        TernaryLayout target = Converter.layout(o.format(), o.scaleMode());
        GgmlType packedType = Converter.packedType(o.format());
        List<OutputTensor> plan = new ArrayList<>();
        for (Src s : srcs) {
            if (s.ternary()) {
                PackedTensor p = s.packed;
                target.requireShape(s.name, p.file(), p.rows(), p.cols());
                plan.add(new OutputTensor(s.name, packedType.name(), new long[] {p.rows(), p.cols()},
                        target.packedSize(p.rows(), p.cols()), true, s.name, null));
                if (target.hasScaleTensor()) {
                    plan.add(new OutputTensor(scaleName(s.name), GgmlType.F32.name(), new long[] {1}, 4, true, s.name,
                            null));
                }
            } else {
                long[] shape = Converter.reversed(s.ne);
                long numel = Arrays.stream(shape).reduce(1, Math::multiplyExact);
                plan.add(new OutputTensor(s.name, s.type.name(), shape, s.type.nbytes(s.ne[0], numel), false, s.name,
                        null));
            }
        }
        long total = plan.stream().mapToLong(OutputTensor::bytes).sum();
        long ternaryBytes = plan.stream().filter(OutputTensor::ternary).mapToLong(OutputTensor::bytes).sum();
        TritStats stats = new TritStats(0, 0, 0, 0);
        long weights = 0;
        Path temp = out.resolveSibling("." + out.getFileName() + ".ternpack-"
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
        OutputFiles.removeStale(out, Converter.STALE_TEMP_MILLIS);
        OutputFiles.register(temp);
        Future<String> digest = null;
        try {
            try (GgufWriter w = GgufWriter.create(temp)) {
                meta.forEach(w::put);
                for (OutputTensor t : plan) {
                    w.addTensor(t.name(), GgmlType.valueOf(t.type()), Converter.reversed(t.shape()));
                }
                long done = 0;
                for (Src s : srcs) {
                    if (s.ternary()) {
                        TernaryTensor trits = s.layout.unpack(s.packed);
                        MemorySegment dst = MemorySegment.ofArray(
                                new byte[Math.toIntExact(target.packedSize(trits.rows(), trits.cols()))]);
                        Optional<Float> scale = target.pack(trits, dst);
                        w.writeTensorData(s.name, dst);
                        done += dst.byteSize();
                        if (scale.isPresent()) {
                            w.writeTensorData(scaleName(s.name), Encodings.encode(new float[] {scale.get()},
                                    GgmlType.F32));
                            done += 4;
                        }
                        stats = stats.plus(trits.stats());
                        weights += trits.size();
                    } else {
                        MemorySegment bytes = s.encode != null
                                ? Encodings.encode(s.encode, s.type) : s.bytes;
                        w.writeTensorData(s.name, bytes);
                        done += bytes.byteSize();
                    }
                    listener.progress(done, total, s.name);
                }
                digest = Converter.commitHashing(w.seal(), temp, w::commit);
            }
            Converter.auditGguf(plan, temp);
            OutputFiles.publish(temp, out, o.force());
        } catch (Throwable e) {
            if (digest != null) {
                digest.cancel(true);
            }
            Converter.deleteRecursively(temp);
            OutputFiles.unregister(temp);
            if (e instanceof IOException io) {
                throw OutputFiles.writeFailure(out, io);
            }
            throw e;
        }
        String sha256;
        try {
            sha256 = SourceDigests.await(digest, out.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while hashing " + out);
        }
        return new ConvertResult(out, Files.size(out), ternaryBytes, total - ternaryBytes, weights,
                weights == 0 ? 0 : ternaryBytes * 8.0 / weights, stats.total() == 0 ? 0 : stats.sparsity(),
                (System.nanoTime() - start) / 1e9, sha256, warnings, List.of());
    }
}
