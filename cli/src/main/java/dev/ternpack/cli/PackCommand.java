package dev.ternpack.cli;

import com.google.gson.JsonObject;
import dev.ternpack.convert.ConvertListener;
import dev.ternpack.convert.ConvertOptions;
import dev.ternpack.convert.ConvertResult;
import dev.ternpack.convert.OutputFormat;
import dev.ternpack.convert.Repacker;
import dev.ternpack.pack.ScaleMode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ternpack pack}: an already packed artifact into another layout, losslessly through its trits. */
@Command(name = "pack",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        sortOptions = false,
        description = {
            "Re-pack a packed BitNet artifact into another ternary layout, without the latent weights.",
            "",
            "ARTIFACT is a GGUF with TQ2_0, TQ1_0 or I2_S projections, or an HF 2-bit directory (quant_method"
                    + " bitnet, with config.json and tokenizer.json). Every projection is unpacked to its trits and"
                    + " scale and packed again, so the trits never change; other tensors and the metadata are"
                    + " carried over (arch bitnet <-> bitnet-b1.58). The output formats are tq2_0, tq1_0 and i2_s:"
                    + " a GGUF lacks the config.json and tokenizer files of an HF directory, so GGUF -> hf-2bit is"
                    + " refused (convert the original checkpoint instead).",
            ""},
        footerHeading = "%nExamples:%n",
        footer = {
            "  # tiny-tq2_0.gguf and tiny-hf-2bit/ from the examples of 'ternpack convert'",
            "  ternpack pack tiny-tq2_0.gguf -f tq1_0 -o tiny-tq1_0.gguf",
            "  ternpack pack tiny-hf-2bit/ -f tq2_0 -o tiny-from-hf.gguf --json pack.json",
            "",
            "Exit codes: 0 ok, 2 usage error, 3 bad input or OUT not writable, e.g. a full",
            "disk (one line: error: FILE: what is wrong; nothing is left at OUT), 1 internal",
            "error."})
public final class PackCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "ARTIFACT", description = "Packed GGUF file or HF 2-bit directory.")
    Path input;

    @Option(names = {"-f", "--format"}, required = true, paramLabel = "FORMAT",
            converter = ConvertOptionsConverters.Format.class, completionCandidates = ConvertOptionsConverters.Format.class,
            description = "Output format: tq2_0, tq1_0 or i2_s.")
    OutputFormat format;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Output GGUF file.")
    Path output;

    @Option(names = "--scale-mode", paramLabel = "MODE", defaultValue = "fold",
            converter = ConvertOptionsConverters.Scale.class, completionCandidates = ConvertOptionsConverters.Scale.class,
            description = "TQ output: fold or tensor (see 'ternpack convert --help'). Default: ${DEFAULT-VALUE}.")
    ScaleMode scaleMode;

    @Option(names = "--embedding-type", paramLabel = "TYPE", defaultValue = "f16",
            converter = ConvertOptionsConverters.Embedding.class,
            completionCandidates = ConvertOptionsConverters.Embedding.class,
            description = "HF input only: type of token_embd in the GGUF. Default: ${DEFAULT-VALUE}.")
    ConvertOptions.EmbeddingType embeddingType;

    @Option(names = "--force", description = "Replace OUT if it exists.")
    boolean force;

    @Option(names = "--json", arity = "0..1", fallbackValue = JsonFileArg.STDOUT, paramLabel = "FILE",
            preprocessor = JsonFileArg.class,
            description = "Write the summary as JSON to FILE, or to stdout instead of the text without FILE."
                    + JsonFileArg.NOTE)
    String json;

    @Mixin
    CommonOptions common = new CommonOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        PrintWriter out = cl.getOut();
        PrintWriter err = cl.getErr();
        ConvertOptions o = new ConvertOptions(input, format, output, scaleMode, embeddingType,
                ConvertOptions.Fallback.NONE, false, 1, force);
        ConvertResult r;
        try (Terminal.Progress progress = new Terminal(err, common.quiet).progress("pack", 1, "B")) {
            r = Repacker.repack(o, new ConvertListener() {
                @Override
                public void progress(long done, long total, String tensor) {
                    progress.progress(done, total, tensor);
                }

                @Override
                public void warning(String message) {
                    if (!common.quiet) {
                        err.println("warning: " + message);
                        err.flush();
                    }
                }
            });
        }
        if (json != null) {
            JsonObject j = new JsonObject();
            j.addProperty("input", input.toString());
            j.addProperty("output", r.output().toString());
            j.addProperty("format", format.cliName());
            j.addProperty("total_bytes", r.totalBytes());
            j.addProperty("ternary_bytes", r.ternaryBytes());
            j.addProperty("high_precision_bytes", r.highPrecisionBytes());
            j.addProperty("ternary_weights", r.ternaryWeights());
            j.addProperty("bits_per_ternary_weight", r.bitsPerTernaryWeight());
            j.addProperty("sparsity", r.sparsity());
            j.addProperty("sha256", r.sha256());
            j.add("warnings", ConvertCommand.strings(r.warnings()));
            ConvertOptionsConverters.writeJson(cl, json, j);
        }
        if (json == null || !json.equals("-")) {
            out.println("wrote " + r.output() + " (" + format.cliName() + ", " + ConvertCommand.mib(r.totalBytes())
                    + ", " + String.format(Locale.ROOT, "%.4f", r.bitsPerTernaryWeight()) + " bits per ternary weight,"
                    + " sha256 " + r.sha256() + ")");
            out.flush();
        }
        return ExitCodes.OK;
    }
}
