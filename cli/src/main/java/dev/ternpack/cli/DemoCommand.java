package dev.ternpack.cli;

import dev.ternpack.convert.ConvertListener;
import dev.ternpack.convert.ConvertOptions;
import dev.ternpack.convert.ConvertResult;
import dev.ternpack.convert.Converter;
import dev.ternpack.convert.OutputFormat;
import dev.ternpack.formats.BadInputException;
import dev.ternpack.verify.Verifier;
import dev.ternpack.verify.VerifyOptions;
import dev.ternpack.verify.eval.Gate;
import dev.ternpack.verify.eval.ParityMetrics;
import dev.ternpack.verify.eval.Thresholds;
import dev.ternpack.verify.kernel.ActivationMode;
import dev.ternpack.verify.report.JsonReport;
import dev.ternpack.verify.report.VerificationReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ternpack demo}: the whole job on one checkpoint (by default the bundled tiny fixture): convert it to
 * every format, verify each artifact against the latent checkpoint, print one table.
 */
@Command(name = "demo",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        sortOptions = false,
        description = {
            "Convert a checkpoint to every packed format and verify each one against it.",
            "",
            "Each format (tq2_0, tq1_0, i2_s and hf-2bit, or those in --formats) is converted as 'ternpack"
                    + " convert' does and checked as 'ternpack verify --reference' does, with the reference model"
                    + " run once and shared. The result is one table: size, bits per weight, perplexity, its change"
                    + " against the ternarized latent model, top-1 agreement and the verdict.",
            "",
            "Without arguments it uses the tiny checkpoint bundled in testdata/ (a SiLU BitNet trained for this"
                    + " project, the architecture stock llama.cpp runs) and the bundled evaluation text, and"
                    + " finishes in well under a minute. The artifacts stay in DIR (default: a new temp"
                    + " directory), ready for llama.cpp, bitnet.cpp or transformers.",
            ""},
        footerHeading = "%nExamples:%n",
        footer = {
            "  ternpack demo",
            "  ternpack demo testdata/models/tiny-bitnet-relu2 -o demo-relu2/",
            "  ternpack demo --formats tq2_0,i2_s --max-tokens 2048 --json demo.json",
            "",
            "Exit codes: 0 every format passed, 4 some format failed the gate, 3 bad input,",
            "2 usage error, 1 internal error."})
public final class DemoCommand implements Callable<Integer> {
    /** The bundled fixture, relative to the repository root. */
    static final String DEFAULT_CHECKPOINT = "testdata/models/tiny-bitnet-silu";
    static final String DEFAULT_TEXT = "testdata/text/eval.txt";

    @Parameters(index = "0", arity = "0..1", paramLabel = "CHECKPOINT_DIR",
            description = "Latent checkpoint (config.json, *.safetensors, tokenizer.json). Default: the bundled "
                    + DEFAULT_CHECKPOINT + ".")
    Path checkpoint;

    @Option(names = "--text", paramLabel = "FILE",
            description = "UTF-8 text to evaluate on. Default: the bundled " + DEFAULT_TEXT + ".")
    Path text;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR",
            description = "Directory for the artifacts (created; must not hold them already). Default: a new"
                    + " temp directory.")
    Path out;

    @Option(names = "--force", description = "Replace artifacts already in DIR.")
    boolean force;

    @Option(names = "--formats", paramLabel = "LIST", split = ",", converter = ConvertOptionsConverters.Format.class,
            description = "Formats to produce, comma-separated. Default: all (tq2_0,tq1_0,i2_s,hf-2bit).")
    List<OutputFormat> formats;

    @Option(names = "--ctx", paramLabel = "N", defaultValue = "128",
            description = "Window length in tokens for perplexity (default: ${DEFAULT-VALUE}).")
    int ctx;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "8192",
            description = "Evaluate at most this many tokens; 0 for the whole text (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Worker threads (default: one per processor).")
    Integer threads;

    @Option(names = "--json", paramLabel = "FILE", arity = "0..1", fallbackValue = JsonFileArg.STDOUT,
            preprocessor = JsonFileArg.class,
            description = "Write every verification report, as one JSON array, to FILE, or to stdout instead of the"
                    + " table without FILE." + JsonFileArg.NOTE)
    String json;

    @Mixin
    CommonOptions common = new CommonOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Where the repository is: the launcher passes it; otherwise the working directory. */
    static Path root() {
        return Path.of(System.getProperty("ternpack.root", "."));
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        int n = threads == null ? Math.max(1, Runtime.getRuntime().availableProcessors()) : threads;
        if (n < 1) {
            throw usage("--threads must be at least 1, not " + n);
        }
        if (ctx < 2) {
            throw usage("--ctx must be at least 2, not " + ctx);
        }
        if (maxTokens < 0) {
            throw usage("--max-tokens must be >= 0, not " + maxTokens);
        }
        Path ckpt = checkpoint != null ? checkpoint : bundled(DEFAULT_CHECKPOINT);
        Path evalText = text != null ? text : bundled(DEFAULT_TEXT);
        List<OutputFormat> todo = formats == null || formats.isEmpty() ? List.of(OutputFormat.values())
                : formats.stream().distinct().toList();
        for (OutputFormat f : todo) { // everything that can be wrong with the input, before anything is written
            Converter.plan(ConvertOptions.of(ckpt, f, Path.of("unused")));
        }
        if (!Files.isRegularFile(evalText)) {
            throw new BadInputException(evalText, Files.exists(evalText) ? "is not a file" : "no such file");
        }
        Path dir = outputDirectory();

        CommandLine cl = spec.commandLine();
        PrintWriter err = cl.getErr();
        Terminal term = new Terminal(err, common.quiet);
        String name = ckpt.toAbsolutePath().normalize().getFileName().toString();
        term.status("demo: " + ckpt + " -> " + todo.size() + " formats in " + dir);

        List<Row> rows = new ArrayList<>();
        for (OutputFormat f : todo) {
            Path target = dir.resolve(name + "-" + f.cliName() + (f.gguf() ? ".gguf" : ""));
            ConvertOptions co = ConvertOptions.of(ckpt, f, target).withThreads(n).withForce(force);
            ConvertResult r;
            try (Terminal.Progress progress = term.progress("convert " + f.cliName(), 1, "B")) {
                r = Converter.convert(co, new ConvertListener() {
                    @Override
                    public void progress(long done, long total, String tensor) {
                        progress.progress(done, total, tensor);
                    }

                    @Override
                    public void warning(String message) {
                        term.status("warning: " + f.cliName() + ": " + message);
                    }
                });
            }
            term.status(String.format(Locale.ROOT, "converted %-8s %s (%s, %.2f s)", f.cliName(), target,
                    ConvertCommand.mib(r.totalBytes()), r.seconds()));
            rows.add(new Row(f, r));
        }

        VerifyOptions vo = new VerifyOptions(null, ckpt, evalText, null, null, ctx, maxTokens, ActivationMode.PER_TOKEN,
                Thresholds.DEFAULTS, n, Version.VERSION);
        List<VerificationReport> reports = new ArrayList<>();
        double referencePpl;
        try (Verifier verifier = new Verifier(vo);
                Terminal.Progress progress = term.progress("verify", 1, "windows")) {
            term.status("verify: running the reference (latent weights ternarized as in training) over "
                    + verifier.windows().count() + " windows of " + ctx + " tokens");
            try (Verifier.Reference ref = verifier.prepareReference(ckpt, progress)) {
                referencePpl = ref.perplexity().perplexity();
                for (Row row : rows) {
                    VerificationReport rep = verifier.verify(row.result.output(), ref, progress);
                    reports.add(rep);
                    row.report = rep;
                    term.status("verified " + row.format.cliName() + ": " + rep.verdict());
                }
            }
        }

        PrintWriter stdout = cl.getOut();
        boolean jsonToStdout = "-".equals(json);
        if (json != null) {
            String array = "[\n" + String.join(",\n", reports.stream().map(r -> JsonReport.render(r).strip()).toList())
                    + "\n]\n";
            if (jsonToStdout) {
                stdout.print(array);
            } else {
                VerifyCommand.write(Path.of(json), array);
            }
        }
        if (!jsonToStdout && !common.quiet) {
            printTable(stdout, rows, referencePpl, dir);
        }
        if (!jsonToStdout) {
            stdout.println(resultLine(rows));
        }
        stdout.flush();
        return rows.stream().allMatch(r -> r.report.passed()) ? ExitCodes.OK : ExitCodes.VERIFY_FAILED;
    }

    private void printTable(PrintWriter o, List<Row> rows, double referencePpl, Path dir) {
        TextTable t = new TextTable("format", "runtime", "file", ">size", ">bits/weight", ">ppl", ">Δppl",
                ">mean KL", ">top-1", "verdict");
        t.row("latent", "-", "(reference: the checkpoint, ternarized)", "", "", fixed(referencePpl, 4), "", "", "",
                "");
        for (Row r : rows) {
            ParityMetrics p = r.report.parity();
            t.row(r.format.cliName(), r.format.runtimes().split(" ")[0], r.result.output().getFileName(),
                    ConvertCommand.mib(r.result.totalBytes()), fixed(r.result.bitsPerTernaryWeight(), 4),
                    fixed(p.candidate().perplexity(), 4), String.format(Locale.ROOT, "%+.4f%%",
                            100 * p.relativePerplexityDelta() + 0.0), String.format(Locale.ROOT, "%.2e", p.meanKl()),
                    String.format(Locale.ROOT, "%.2f%%", 100 * p.top1()), r.report.passed() ? "pass" : "FAIL");
        }
        t.printMarkdown(o);
        o.println();
        var s = rows.get(0).report.settings();
        o.printf(Locale.ROOT, "%d tokens in %d windows of %d, gate: |Δppl| <= %s, top-1 >= %s, mean KL <= %.2g%n",
                (long) s.windows() * s.ctx(), s.windows(), s.ctx(), Gate.percent(Thresholds.DEFAULTS.maxPplDelta()),
                Gate.percent(Thresholds.DEFAULTS.minTop1()), Thresholds.DEFAULTS.maxKl());
        o.println("artifacts: " + dir);
    }

    /** The last line of the output, and the only one with --quiet. */
    private static String resultLine(List<Row> rows) {
        long failed = rows.stream().filter(r -> !r.report.passed()).count();
        return failed == 0 ? "all " + rows.size() + " formats compute what the trained checkpoint computes"
                : failed + " of " + rows.size() + " formats FAILED; see 'ternpack verify FILE --reference"
                        + " CHECKPOINT_DIR --text FILE' for the failing checks";
    }

    private static String fixed(double v, int digits) {
        return String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    private Path bundled(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            throw new BadInputException(p, "the bundled demo data is missing (run the demo from a clone of the"
                    + " ternpack repository, or name a checkpoint directory and --text)");
        }
        return p;
    }

    private Path outputDirectory() throws IOException {
        return outputDirectory(out, "ternpack-demo-");
    }

    /** {@code out}, created if missing, or a new temp directory named {@code prefix...} when it is null. */
    static Path outputDirectory(Path out, String prefix) throws IOException {
        if (out == null) {
            return Files.createTempDirectory(prefix);
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new BadInputException(out, "exists and is not a directory");
        }
        Files.createDirectories(out);
        return out;
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    private static final class Row {
        final OutputFormat format;
        final ConvertResult result;
        VerificationReport report;

        Row(OutputFormat format, ConvertResult result) {
            this.format = format;
            this.result = result;
        }
    }
}
