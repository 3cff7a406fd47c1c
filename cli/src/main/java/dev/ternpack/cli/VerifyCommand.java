package dev.ternpack.cli;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.OutputFiles;
import dev.ternpack.verify.Verifier;
import dev.ternpack.verify.VerifyOptions;
import dev.ternpack.verify.eval.Check;
import dev.ternpack.verify.eval.ParityMetrics;
import dev.ternpack.verify.eval.ProjectionAudit;
import dev.ternpack.verify.eval.Thresholds;
import dev.ternpack.verify.kernel.ActivationMode;
import dev.ternpack.verify.report.HtmlReport;
import dev.ternpack.verify.report.JsonReport;
import dev.ternpack.verify.report.JunitReport;
import dev.ternpack.verify.report.MarkdownReport;
import dev.ternpack.verify.report.VerificationReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ternpack verify MODEL}: perplexity of a model and, with a latent reference, whether it computes the same
 * function (parity, structural audit, robustness, gate). Built for CI: plain lines a log shows well, the verdict
 * as the last line, and exit 0 pass / 4 fail / 3 bad input.
 */
@Command(name = "verify",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        sortOptions = false,
        description = {
            "Measure a model's perplexity; with --reference, check it computes what the trained model does.",
            "",
            "MODEL is a checkpoint directory (latent safetensors, or Hugging Face packed 2-bit with quant_method"
                    + " bitnet) or a GGUF file (TQ1_0, TQ2_0, I2_S, or F16/F32/BF16/Q8_0 projections).",
            "",
            "Windows: the tokens are cut into non-overlapping windows of --ctx tokens from the first token; each"
                    + " window is run from its own start (no BOS added) and scored on positions 1..ctx-1, so W"
                    + " windows make W*(ctx-1) predictions. A trailing partial window is dropped. llama-perplexity"
                    + " scores only the second half of each window, so its figures are not comparable one to one.",
            "",
            "With --reference the latent checkpoint is ternarized exactly as in training (absmean per tensor) and"
                    + " run on the same tokens. Checks: relative perplexity delta, mean KL(reference || model), top-1"
                    + " agreement, every projection's trits and scale against the ternarized latent weights, and"
                    + " whether the latent model itself survives ternarization (ternarized vs unquantized"
                    + " perplexity). The last line of the output is the verdict, naming the worst tensor or metric.",
            "",
            "Tokens come from --tokens (whitespace-separated ids) or from --text tokenized with --tokenizer, else"
                    + " the tokenizer.json next to MODEL, else the one in the reference directory.",
            ""},
        footerHeading = "%nExamples:%n",
        footer = {
            "  # tiny-tq2_0.gguf from the first example of 'ternpack convert'",
            "  ternpack verify tiny-tq2_0.gguf --reference testdata/models/tiny-bitnet-silu \\",
            "      --text testdata/text/eval.txt",
            "  ternpack verify tiny-tq2_0.gguf --reference testdata/models/tiny-bitnet-silu \\",
            "      --tokens testdata/text/eval_tokens.txt --ctx 256 --junit verify.xml \\",
            "      --html verify.html --json verify.json -q",
            "  # perplexity only, of the checkpoint itself:",
            "  ternpack verify testdata/models/tiny-bitnet-silu --text testdata/text/eval.txt",
            "",
            "Exit codes: 0 pass (or perplexity computed), 4 the gate failed, 3 bad input",
            "(one line: error: FILE: what is wrong), 2 usage error, 1 internal error."})
public final class VerifyCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "Model under test: checkpoint directory or .gguf file.")
    Path model;

    @Option(names = "--reference", paramLabel = "LATENT_DIR",
            description = "Latent checkpoint directory to compare with; without it only perplexity is reported.")
    Path reference;

    static final class Input {
        @Option(names = "--text", paramLabel = "FILE", required = true, description = "UTF-8 text to evaluate on.")
        Path text;

        @Option(names = "--tokens", paramLabel = "FILE", required = true,
                description = "Token ids to evaluate on, whitespace-separated integers.")
        Path tokens;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "tokenizer.json to tokenize --text with.")
    Path tokenizer;

    @Option(names = "--ctx", paramLabel = "N", defaultValue = "128",
            description = "Window length in tokens (default: ${DEFAULT-VALUE}).")
    int ctx;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "0",
            description = "Use at most N tokens (whole windows only); 0 = all (default).")
    int maxTokens;

    @Option(names = "--activations", paramLabel = "MODE", defaultValue = "per-token",
            description = "Activation quantization of BitLinear inputs: per-token (BitNet b1.58 as trained,"
                    + " default), runtime (llama.cpp's Q8_K blocks of 256), none (float activations).")
    String activations;

    @Option(names = "--max-ppl-delta", paramLabel = "X",
            description = "Largest allowed |relative perplexity delta| (default: 0.005 = 0.5%%).")
    Double maxPplDelta;

    @Option(names = "--min-top1", paramLabel = "X", description = "Smallest allowed top-1 agreement (default: 0.98).")
    Double minTop1;

    @Option(names = "--max-kl", paramLabel = "X",
            description = "Largest allowed mean KL(reference || model), nats per token (default: 0.005).")
    Double maxKl;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Worker threads (default: one per processor).")
    Integer threads;

    @Option(names = "--json", paramLabel = "FILE", arity = "0..1", fallbackValue = JsonFileArg.STDOUT,
            preprocessor = JsonFileArg.class,
            description = "Write the report as JSON to FILE, or to stdout instead of the text without FILE."
                    + JsonFileArg.NOTE)
    String json;

    @Option(names = "--junit", paramLabel = "FILE", description = "Write a JUnit XML report (one test per check).")
    Path junit;

    @Option(names = "--html", paramLabel = "FILE", description = "Write a self-contained HTML report: tables and plots, no"
            + " scripts, nothing fetched from the network.")
    Path html;

    @Option(names = "--markdown", paramLabel = "FILE", description = "Write a Markdown report.")
    Path markdown;

    @Mixin
    CommonOptions common = new CommonOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        ActivationMode mode = switch (activations.toLowerCase(Locale.ROOT)) {
            case "per-token" -> ActivationMode.PER_TOKEN;
            case "runtime" -> ActivationMode.RUNTIME;
            case "none" -> ActivationMode.NONE;
            default -> throw usage("--activations must be per-token, runtime or none, got '" + activations + "'");
        };
        if (ctx < 2) {
            throw usage("--ctx must be at least 2, got " + ctx);
        }
        if (maxTokens < 0) {
            throw usage("--max-tokens must be >= 0, got " + maxTokens);
        }
        int nThreads = threads == null ? Math.max(1, Runtime.getRuntime().availableProcessors()) : threads;
        if (nThreads < 1) {
            throw usage("--threads must be >= 1, got " + nThreads);
        }
        Thresholds d = Thresholds.DEFAULTS;
        Thresholds limits;
        try {
            limits = new Thresholds(maxPplDelta == null ? d.maxPplDelta() : maxPplDelta,
                    minTop1 == null ? d.minTop1() : minTop1, maxKl == null ? d.maxKl() : maxKl, d.maxScaleError(),
                    d.maxTritMismatches(), d.maxQuantPenalty());
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        VerifyOptions options = new VerifyOptions(model, reference, input.text, input.tokens, tokenizer, ctx, maxTokens,
                mode, limits, nThreads, Version.VERSION);
        Terminal term = new Terminal(spec.commandLine().getErr(), common.quiet);
        VerificationReport report;
        try (Terminal.Progress progress = term.progress("verify", 1, "windows")) {
            report = Verifier.run(options, (done, total, what) -> {
                progress.extra(what);
                progress.progress(done, total, what);
            });
        }
        boolean jsonToStdout = "-".equals(json);
        if (json != null && !jsonToStdout) {
            write(Path.of(json), JsonReport.render(report));
        }
        if (junit != null) {
            write(junit, JunitReport.render(report));
        }
        if (html != null) {
            write(html, HtmlReport.render(report));
        }
        if (markdown != null) {
            write(markdown, MarkdownReport.render(report));
        }
        PrintWriter out = spec.commandLine().getOut();
        if (jsonToStdout) {
            out.print(JsonReport.render(report));
        } else if (common.quiet) {
            out.println(report.verdict());
        } else {
            printText(out, report);
        }
        out.flush();
        return report.passed() ? ExitCodes.OK : ExitCodes.VERIFY_FAILED;
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    static void printText(PrintWriter out, VerificationReport r) {
        var s = r.settings();
        out.printf(Locale.ROOT, "model:      %s (%s)%n", r.candidate().path(), r.candidate().format());
        if (r.reference() != null) {
            out.printf(Locale.ROOT, "reference:  %s (%s)%n", r.reference().path(), r.reference().format());
        }
        for (String note : r.candidate().notes()) {
            out.println("note:       " + note);
        }
        out.printf(Locale.ROOT, "tokens:     %s: %d tokens, %d windows of %d (%d predictions), activations %s,"
                + " %s%n", s.tokenSource(), s.tokensAvailable(), s.windows(), s.ctx(),
                (long) s.windows() * (s.ctx() - 1), s.activations(), s.threadCount());
        ParityMetrics p = r.parity();
        if (p == null) {
            out.printf(Locale.ROOT, "perplexity: %.4f (mean NLL %.6f nats)%n", r.candidatePerplexity().perplexity(),
                    r.candidatePerplexity().meanNll());
        } else {
            out.printf(Locale.ROOT, "perplexity: model %.4f, reference %.4f (%+.4f%%)%n", p.candidate().perplexity(),
                    p.reference().perplexity(), 100 * p.relativePerplexityDelta());
            out.printf(Locale.ROOT, "parity:     mean KL %.3g, max KL %.3g, top-1 agreement %.4f%%, max |logit delta|"
                    + " %.4g%n", p.meanKl(), p.maxKl(), 100 * p.top1(), p.maxLogitDelta());
        }
        if (r.robustness() != null) {
            out.printf(Locale.ROOT, "robustness: latent ternarized %.4f vs unquantized %.4f (%+.2f%%)%n",
                    r.robustness().pplTernarized(), r.robustness().pplUnquantized(), 100 * r.robustness().penalty());
        }
        if (!r.audits().isEmpty()) {
            List<ProjectionAudit> a = r.audits();
            long mismatched = a.stream().filter(x -> x.mismatches() != 0).count();
            ProjectionAudit worstScale = a.stream().max(Comparator.comparingDouble(ProjectionAudit::scaleRelError))
                    .orElseThrow();
            out.printf(Locale.ROOT, "audit:      %d tensors, %d with trit mismatches, max scale error %.3g (%s)%n",
                    a.size(), mismatched, worstScale.scaleRelError(), worstScale.tensor());
        }
        if (r.gate() != null) {
            TextTable t = new TextTable("CHECK", "SUBJECT", "VALUE", "LIMIT", "RESULT");
            for (Check c : r.gate().checks()) {
                if (c.group().equals("parity") || c.group().equals("robustness") || !c.passed()) {
                    t.row(c.group(), c.subject(), fmt(c.value()), fmt(c.limit()), c.passed() ? "ok" : "FAIL");
                }
            }
            t.print(out, "  ");
            r.gate().checks().stream().filter(c -> !c.passed()).limit(10)
                    .forEach(c -> out.println("  FAIL " + c.subject() + ": " + c.message()));
        }
        out.println(r.verdict());
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4g", v);
    }

    /**
     * Writes a report through a temporary file and a rename, so a reader never sees half a file: the content is
     * forced to disk, then published like convert's outputs ({@link OutputFiles#forceAndPublish}: atomic rename,
     * then a sync of the directory, so the report survives a power loss once verify has exited). The temp is
     * removed if the JVM exits first (Ctrl-C), and a failure names the report ({@link OutputFiles#writeFailure}).
     */
    static void write(Path target, String content) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new BadInputException(target, "the directory " + dir + " does not exist");
        }
        try {
            Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
            OutputFiles.register(tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer bytes = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    ch.write(bytes);
                }
                OutputFiles.forceAndPublish(ch, tmp, abs, true);
            } finally {
                Files.deleteIfExists(tmp);
                OutputFiles.unregister(tmp);
            }
        } catch (IOException e) {
            // named like convert's failed outputs: the report's path and the reason, not the removed temp
            throw OutputFiles.writeFailure(abs, e);
        }
    }
}
