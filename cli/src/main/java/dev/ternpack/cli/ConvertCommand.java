package dev.ternpack.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.ternpack.convert.ConversionPlan;
import dev.ternpack.convert.ConvertListener;
import dev.ternpack.convert.ConvertOptions;
import dev.ternpack.convert.ConvertResult;
import dev.ternpack.convert.Converter;
import dev.ternpack.convert.OutputFormat;
import dev.ternpack.pack.ScaleMode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ternpack convert}: a trained BitNet checkpoint into a packed artifact. Progress on stderr, warnings on
 * stderr as {@code warning: ...}, the summary on stdout (text or {@code --json}).
 */
@Command(name = "convert",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        sortOptions = false,
        description = {
            "Ternarize a trained BitNet b1.58 checkpoint and pack it for a runtime.",
            "",
            "Each BitLinear projection of the latent BF16/F16/F32 weights becomes trits (-1, 0 or +1) with one"
                    + " absmean scale per tensor; embeddings and norms stay high precision. Formats: tq2_0 and"
                    + " tq1_0 (GGUF for stock llama.cpp, arch bitnet), i2_s (GGUF for bitnet.cpp only; stock"
                    + " llama.cpp cannot load it), hf-2bit (a transformers directory, quant_method bitnet)."
                    + " 'ternpack formats CHECKPOINT_DIR' compares them for a model.",
            "",
            "The output is written to a temp file beside OUT, audited by re-reading it, then renamed: on any"
                    + " error nothing is left at OUT. The bytes are the same for any --threads.",
            ""},
        footerHeading = "%nExamples:%n",
        footer = {
            "  ternpack convert testdata/models/tiny-bitnet-silu -f tq2_0 -o tiny-tq2_0.gguf",
            "  ternpack convert testdata/models/tiny-bitnet-silu -f hf-2bit -o tiny-hf-2bit/",
            "  ternpack convert testdata/models/tiny-bitnet-silu -f i2_s -o tiny-i2_s.gguf \\",
            "      --json convert.json",
            "  ternpack convert testdata/models/tiny-bitnet-relu2 -f tq1_0 -o x.gguf --plan",
            "",
            "Exit codes: 0 ok, 2 usage error, 3 bad input or OUT not writable, e.g. a full",
            "disk (one line: error: FILE: what is wrong; nothing is left at OUT), 1 internal",
            "error."})
public final class ConvertCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "CHECKPOINT_DIR",
            description = "Directory with config.json, *.safetensors and tokenizer.json.")
    Path input;

    @Option(names = {"-f", "--format"}, required = true, paramLabel = "FORMAT",
            converter = ConvertOptionsConverters.Format.class, completionCandidates = ConvertOptionsConverters.Format.class,
            description = "Output format: ${COMPLETION-CANDIDATES}.")
    OutputFormat format;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT",
            description = "Output GGUF file, or directory for hf-2bit.")
    Path output;

    @Option(names = "--scale-mode", paramLabel = "MODE", defaultValue = "fold",
            converter = ConvertOptionsConverters.Scale.class, completionCandidates = ConvertOptionsConverters.Scale.class,
            description = "TQ only: fold (gamma as fp16 in every block, as llama-quantize does) or tensor (gamma"
                    + " exact, as an F32 tensor next to each projection). Default: ${DEFAULT-VALUE}.")
    ScaleMode scaleMode;

    @Option(names = "--embedding-type", paramLabel = "TYPE", defaultValue = "f16",
            converter = ConvertOptionsConverters.Embedding.class,
            completionCandidates = ConvertOptionsConverters.Embedding.class,
            description = "GGUF only: type of token_embd (and output): ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
    ConvertOptions.EmbeddingType embeddingType;

    @Option(names = "--fallback", paramLabel = "TYPE", defaultValue = "none",
            converter = ConvertOptionsConverters.Fallback.class,
            completionCandidates = ConvertOptionsConverters.Fallback.class,
            description = "GGUF only: write a projection whose row length the packed type cannot take as TYPE"
                    + " (${COMPLETION-CANDIDATES}; the values stay ternary) instead of failing. Each is reported.")
    ConvertOptions.Fallback fallback;

    @Option(names = "--allow-ptq", description = "Convert a model that was not trained ternary (post-training"
            + " ternarization; usually destroys it).")
    boolean allowPtq;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Worker threads (default: one per processor).")
    Integer threads;

    @Option(names = "--force", description = "Replace OUT if it exists.")
    boolean force;

    @Option(names = "--plan", description = "Print every output tensor (name, type, shape, bytes) and write nothing.")
    boolean planOnly;

    @Option(names = "--json", arity = "0..1", fallbackValue = JsonFileArg.STDOUT, paramLabel = "FILE",
            preprocessor = JsonFileArg.class,
            description = "Write the summary as JSON to FILE, or to stdout instead of the text without FILE;"
                    + " with --plan, the plan." + JsonFileArg.NOTE)
    String json;

    @Mixin
    CommonOptions common = new CommonOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (n < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be at least 1, not " + n);
        }
        ConvertOptions options = new ConvertOptions(input, format, output, scaleMode, embeddingType, fallback,
                allowPtq, n, force);
        CommandLine cl = spec.commandLine();
        PrintWriter out = cl.getOut();
        PrintWriter err = cl.getErr();
        if (planOnly) {
            ConversionPlan plan = Converter.plan(options);
            if (json != null) {
                ConvertOptionsConverters.writeJson(cl, json, planJson(plan));
            }
            if (json == null || !json.equals("-")) {
                printPlan(out, plan);
            }
            plan.warnings().forEach(w -> warn(err, w));
            return ExitCodes.OK;
        }
        Terminal terminal = new Terminal(err, common.quiet);
        ConvertResult r;
        try (Terminal.Progress progress = terminal.progress("convert", 1, "B")) {
            r = Converter.convert(options, new ConvertListener() {
                @Override
                public void progress(long done, long total, String tensor) {
                    progress.progress(done, total, tensor);
                }

                @Override
                public void warning(String message) {
                    if (!common.quiet) {
                        warn(err, message);
                    }
                }
            });
        }
        if (json != null) {
            ConvertOptionsConverters.writeJson(cl, json, resultJson(options, r));
        }
        if (json == null || !json.equals("-")) {
            printResult(out, options, r, common.quiet);
        }
        return ExitCodes.OK;
    }

    private static void warn(PrintWriter err, String message) {
        err.println("warning: " + message);
        err.flush();
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.2f MiB", bytes / 1048576.0);
    }

    private static void printResult(PrintWriter out, ConvertOptions o, ConvertResult r, boolean quiet) {
        if (!quiet) {
            new TextTable("what", "value")
                    .row("format", o.format().cliName())
                    .row("total bytes", r.totalBytes() + " (" + mib(r.totalBytes()) + ")")
                    .row("ternary bytes", r.ternaryBytes() + " (" + mib(r.ternaryBytes()) + ")")
                    .row("high-precision bytes", r.highPrecisionBytes() + " (" + mib(r.highPrecisionBytes()) + ")")
                    .row("ternary weights", r.ternaryWeights())
                    .row("bits per ternary weight", String.format(Locale.ROOT, "%.4f", r.bitsPerTernaryWeight()))
                    .row("sparsity (zero trits)", String.format(Locale.ROOT, "%.4f", r.sparsity()))
                    .row("fallback tensors", r.fallbacks().size())
                    .row("seconds", String.format(Locale.ROOT, "%.2f", r.seconds()))
                    .row("sha256", r.sha256())
                    .print(out, "");
        }
        out.println("wrote " + r.output() + " (" + o.format().cliName() + ", " + mib(r.totalBytes()) + ")");
        out.flush();
    }

    static void printPlan(PrintWriter out, ConversionPlan plan) {
        out.println(plan.architecture() + " -> " + plan.options().format().cliName() + ", "
                + plan.tensors().size() + " tensors");
        TextTable t = new TextTable("name", "type", "shape", ">bytes", "note");
        for (ConversionPlan.OutputTensor x : plan.tensors()) {
            t.row(x.name(), x.type(), Arrays.toString(x.shape()), x.bytes(),
                    x.fallbackReason() != null ? "fallback: " + x.fallbackReason() : x.ternary() ? "ternary" : "");
        }
        t.print(out, "  ");
        out.println("total " + plan.totalBytes() + " bytes (" + mib(plan.totalBytes()) + "): ternary "
                + plan.ternaryBytes() + ", high precision " + plan.highPrecisionBytes());
        out.flush();
    }

    static JsonObject planJson(ConversionPlan plan) {
        JsonObject o = new JsonObject();
        o.addProperty("architecture", plan.architecture());
        o.addProperty("format", plan.options().format().cliName());
        o.addProperty("options", plan.options().provenance());
        o.addProperty("total_bytes", plan.totalBytes());
        o.addProperty("ternary_bytes", plan.ternaryBytes());
        o.addProperty("high_precision_bytes", plan.highPrecisionBytes());
        JsonArray ts = new JsonArray();
        for (ConversionPlan.OutputTensor x : plan.tensors()) {
            JsonObject t = new JsonObject();
            t.addProperty("name", x.name());
            t.addProperty("type", x.type());
            JsonArray shape = new JsonArray();
            Arrays.stream(x.shape()).forEach(shape::add);
            t.add("shape", shape);
            t.addProperty("bytes", x.bytes());
            t.addProperty("ternary", x.ternary());
            t.addProperty("source", x.source());
            t.addProperty("fallback_reason", x.fallbackReason());
            ts.add(t);
        }
        o.add("tensors", ts);
        o.add("warnings", strings(plan.warnings()));
        o.add("fallbacks", strings(plan.fallbacks()));
        return o;
    }

    static JsonArray strings(java.util.List<String> list) {
        JsonArray a = new JsonArray();
        list.forEach(a::add);
        return a;
    }

    private static JsonObject resultJson(ConvertOptions o, ConvertResult r) {
        JsonObject j = new JsonObject();
        j.addProperty("output", r.output().toString());
        j.addProperty("format", o.format().cliName());
        j.addProperty("options", o.provenance());
        j.addProperty("total_bytes", r.totalBytes());
        j.addProperty("ternary_bytes", r.ternaryBytes());
        j.addProperty("high_precision_bytes", r.highPrecisionBytes());
        j.addProperty("ternary_weights", r.ternaryWeights());
        j.addProperty("bits_per_ternary_weight", r.bitsPerTernaryWeight());
        j.addProperty("sparsity", r.sparsity());
        j.addProperty("seconds", r.seconds());
        j.addProperty("sha256", r.sha256());
        j.add("warnings", strings(r.warnings()));
        j.add("fallbacks", strings(r.fallbacks()));
        return j;
    }
}
