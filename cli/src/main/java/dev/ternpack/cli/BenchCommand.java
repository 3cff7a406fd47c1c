package dev.ternpack.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.ternpack.convert.ConversionPlan;
import dev.ternpack.convert.ConvertListener;
import dev.ternpack.convert.ConvertOptions;
import dev.ternpack.convert.ConvertResult;
import dev.ternpack.convert.Converter;
import dev.ternpack.convert.OutputFormat;
import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.OutputFiles;
import dev.ternpack.formats.safetensors.SafetensorsCheckpoint;
import dev.ternpack.formats.safetensors.SafetensorsFile;
import dev.ternpack.verify.Verifier;
import dev.ternpack.verify.VerifyOptions;
import dev.ternpack.verify.eval.Thresholds;
import dev.ternpack.verify.kernel.ActivationMode;
import dev.ternpack.verify.report.VerificationReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ternpack bench}: what this machine does with a checkpoint. Times reading the input and writing an output
 * of the same size (the floor any converter has), the real conversion to each format a few times, and optionally
 * the verifier's perplexity throughput on the tq2_0 result.
 */
@Command(name = "bench",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        sortOptions = false,
        description = {
            "Time conversion (and optionally verification) of a checkpoint on this machine.",
            "",
            "First the floor: reading every input file once with the input in the page cache (like 'cat > "
                    + "/dev/null'), and writing as many bytes as the tq2_0 output to DIR and forcing them to disk,"
                    + " as convert does. Then each format is converted --repeat times exactly as 'ternpack convert'"
                    + " does (into DIR, deleted after each run). For each format the table shows the median wall"
                    + " time of a conversion (including the output's SHA-256), GB/s of input (safetensors bytes /"
                    + " seconds / 1e9), how many times the floor (read + write) that is, and the peak resident set"
                    + " during that format's runs (VmHWM, reset before each format on Linux; all runs share one"
                    + " JVM, so its heap and compiled code from earlier runs count too; 'n/a' where /proc is"
                    + " missing). A single 'ternpack convert' starts a fresh JVM: expect its first run to be"
                    + " slower than the median here.",
            "",
            "With --verify-text, the tq2_0 output is then evaluated by the verifier (perplexity only, no"
                    + " reference) over --max-tokens tokens in windows of --ctx, and its throughput is printed in"
                    + " tokens/s (tokens in the evaluated windows / seconds, model loading included).",
            "",
            "The machine should be otherwise idle; figures on a shared machine vary from run to run."
                    + " 'convert/BENCHMARKS.md' has figures for a 2B model and how they were measured.",
            ""},
        footerHeading = "%nExamples:%n",
        footer = {
            "  ternpack bench testdata/models/tiny-bitnet-silu --repeat 1",
            "  # a 4.8 GB checkpoint with BitNet-2B-4T's shapes (random weights):",
            "  ternpack synth /tmp/synth-2b",
            "  ternpack bench /tmp/synth-2b -t 2 --formats tq2_0,i2_s --json bench.json",
            "  ternpack bench /tmp/synth-2b --formats tq2_0 --repeat 1 \\",
            "      --verify-text testdata/text/eval.txt --ctx 512 --max-tokens 1024",
            "",
            "Exit codes: 0 ok, 2 usage error, 3 bad input or DIR not writable,",
            "1 internal error."})
public final class BenchCommand implements Callable<Integer> {
    private static final int IO_BUFFER = 4 << 20;

    @Parameters(index = "0", paramLabel = "CHECKPOINT_DIR",
            description = "Latent checkpoint (config.json, *.safetensors, tokenizer.json).")
    Path checkpoint;

    @Option(names = "--formats", paramLabel = "LIST", split = ",", converter = ConvertOptionsConverters.Format.class,
            description = "Formats to time, comma-separated. Default: all (tq2_0,tq1_0,i2_s,hf-2bit).")
    List<OutputFormat> formats;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "3",
            description = "Conversions per format; the median is reported (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR",
            description = "Directory to write the outputs into (created; each output is deleted after its run)."
                    + " Default: a new temp directory, deleted at the end.")
    Path out;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Worker threads (default: one per processor).")
    Integer threads;

    @Option(names = "--verify-text", paramLabel = "FILE",
            description = "Also time the verifier's perplexity on the tq2_0 output over this UTF-8 text.")
    Path verifyText;

    @Option(names = "--ctx", paramLabel = "N", defaultValue = "512",
            description = "Window length for --verify-text (default: ${DEFAULT-VALUE}).")
    int ctx;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "2048",
            description = "Tokens to evaluate for --verify-text; 0 for the whole text (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--json", arity = "0..1", fallbackValue = JsonFileArg.STDOUT, paramLabel = "FILE",
            preprocessor = JsonFileArg.class,
            description = "Write the figures as JSON to FILE, or to stdout instead of the table without FILE."
                    + JsonFileArg.NOTE)
    String json;

    @Mixin
    CommonOptions common = new CommonOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** One format's runs. */
    record FormatFigures(OutputFormat format, long outputBytes, double[] seconds, long peakRssBytes) {
        double median() {
            double[] s = seconds.clone();
            Arrays.sort(s);
            return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        }
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        int n = threads == null ? Math.max(1, Runtime.getRuntime().availableProcessors()) : threads;
        if (n < 1) {
            throw usage("--threads must be at least 1, not " + n);
        }
        if (repeat < 1) {
            throw usage("--repeat must be at least 1, not " + repeat);
        }
        if (ctx < 2) {
            throw usage("--ctx must be at least 2, not " + ctx);
        }
        if (maxTokens < 0) {
            throw usage("--max-tokens must be >= 0, not " + maxTokens);
        }
        List<OutputFormat> todo = formats == null || formats.isEmpty() ? List.of(OutputFormat.values())
                : formats.stream().distinct().toList();
        if (verifyText != null && !todo.contains(OutputFormat.TQ2_0)) {
            throw usage("--verify-text evaluates the tq2_0 output; add tq2_0 to --formats");
        }
        if (verifyText != null && !Files.isRegularFile(verifyText)) {
            throw new BadInputException(verifyText, Files.exists(verifyText) ? "is not a file" : "no such file");
        }
        // Everything that can be wrong with the input, before anything is timed or written.
        List<ConversionPlan> plans = new ArrayList<>();
        for (OutputFormat f : todo) {
            plans.add(Converter.plan(ConvertOptions.of(checkpoint, f, Path.of("unused"))));
        }
        List<Path> inputs = new ArrayList<>();
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(checkpoint)) {
            for (SafetensorsFile shard : ckpt.shards()) {
                inputs.add(shard.location());
            }
        }
        long inputBytes = 0;
        for (Path p : inputs) {
            inputBytes += Files.size(p);
        }
        boolean tempDir = out == null;
        Path dir = DemoCommand.outputDirectory(out, "ternpack-bench-");
        CommandLine cl = spec.commandLine();
        Terminal term = new Terminal(cl.getErr(), common.quiet);
        try {
            term.status("bench: " + checkpoint + " (" + inputBytes + " bytes in " + inputs.size() + " file(s)), "
                    + n + (n == 1 ? " thread" : " threads") + ", outputs in " + dir);
            readAll(inputs); // into the page cache
            double readSeconds = readAll(inputs);
            long writeBytes = plans.stream().filter(p -> p.options().format() == OutputFormat.TQ2_0).findFirst()
                    .orElse(plans.getFirst()).totalBytes();
            double writeSeconds = writeZeros(dir.resolve(".ternpack-bench-write.tmp"), writeBytes);
            term.status("floor: read " + fixed(readSeconds) + " s, write " + gb(writeBytes) + " "
                    + fixed(writeSeconds) + " s");

            List<FormatFigures> figures = new ArrayList<>();
            Path keptTq2 = null;
            for (OutputFormat f : todo) {
                Path target = dir.resolve("bench-" + f.cliName() + (f.gguf() ? ".gguf" : ""));
                double[] seconds = new double[repeat];
                long outputBytes = 0;
                resetPeakRss();
                for (int i = 0; i < repeat; i++) {
                    ConvertOptions co = ConvertOptions.of(checkpoint, f, target).withThreads(n).withForce(true);
                    long t0 = System.nanoTime();
                    ConvertResult r = Converter.convert(co, ConvertListener.NONE);
                    seconds[i] = (System.nanoTime() - t0) / 1e9;
                    outputBytes = r.totalBytes();
                    term.status(String.format(Locale.ROOT, "convert %-8s run %d/%d: %.2f s", f.cliName(), i + 1,
                            repeat, seconds[i]));
                    boolean keep = verifyText != null && f == OutputFormat.TQ2_0 && i == repeat - 1;
                    if (keep) {
                        keptTq2 = target;
                    } else {
                        OutputFiles.deleteRecursively(target);
                    }
                }
                figures.add(new FormatFigures(f, outputBytes, seconds, peakRss()));
            }

            Double tokensPerSecond = null;
            int evaluated = 0;
            double verifySeconds = 0;
            if (keptTq2 != null) {
                VerifyOptions vo = new VerifyOptions(keptTq2, null, verifyText, null,
                        checkpoint.resolve("tokenizer.json"), ctx, maxTokens, ActivationMode.PER_TOKEN,
                        Thresholds.DEFAULTS, n, Version.VERSION);
                term.status("verify: perplexity of the tq2_0 output, ctx " + ctx);
                long t0 = System.nanoTime();
                VerificationReport rep = Verifier.run(vo, (done, total, what) -> { });
                verifySeconds = (System.nanoTime() - t0) / 1e9;
                evaluated = rep.settings().windows() * rep.settings().ctx();
                tokensPerSecond = evaluated / verifySeconds;
                OutputFiles.deleteRecursively(keptTq2);
            }

            double floor = readSeconds + writeSeconds;
            if (json != null) {
                ConvertOptionsConverters.writeJson(cl, json, json(inputBytes, inputs.size(), n, readSeconds,
                        writeBytes, writeSeconds, figures, evaluated, verifySeconds, tokensPerSecond));
            }
            if (json == null || !json.equals(JsonFileArg.STDOUT)) {
                PrintWriter o = cl.getOut();
                if (!common.quiet) {
                    print(o, inputBytes, readSeconds, writeBytes, writeSeconds, figures, evaluated, verifySeconds,
                            tokensPerSecond);
                }
                FormatFigures best = figures.stream().min(Comparator.comparingDouble(FormatFigures::median))
                        .orElseThrow();
                o.println(String.format(Locale.ROOT, "fastest: %s %.2f s (%.2f GB/s, %.1fx read + write)",
                        best.format().cliName(), best.median(), inputBytes / best.median() / 1e9,
                        best.median() / floor));
                o.flush();
            }
            return ExitCodes.OK;
        } finally {
            if (tempDir) {
                OutputFiles.deleteRecursively(dir);
            }
        }
    }

    private static void print(PrintWriter o, long inputBytes, double readSeconds, long writeBytes, double writeSeconds,
            List<FormatFigures> figures, int evaluated, double verifySeconds, Double tokensPerSecond) {
        double floor = readSeconds + writeSeconds;
        new TextTable("floor", ">seconds", ">GB/s")
                .row("read the input (" + gb(inputBytes) + ", cached)", fixed(readSeconds),
                        fixed(inputBytes / readSeconds / 1e9))
                .row("write " + gb(writeBytes) + " and force it to disk", fixed(writeSeconds),
                        fixed(writeBytes / writeSeconds / 1e9))
                .print(o, "");
        o.println();
        TextTable t = new TextTable("format", ">runs", ">median s", ">GB/s of input", ">x read+write", ">output",
                ">peak RSS");
        for (FormatFigures f : figures) {
            double m = f.median();
            t.row(f.format().cliName(), f.seconds().length, fixed(m), fixed(inputBytes / m / 1e9),
                    String.format(Locale.ROOT, "%.1f", m / floor), gb(f.outputBytes()),
                    f.peakRssBytes() < 0 ? "n/a" : gb(f.peakRssBytes()));
        }
        t.print(o, "");
        if (tokensPerSecond != null) {
            o.println();
            o.println(String.format(Locale.ROOT, "verify (tq2_0): %d tokens in %.2f s = %.1f tokens/s", evaluated,
                    verifySeconds, tokensPerSecond));
        }
    }

    private static JsonObject json(long inputBytes, int files, int threads, double readSeconds, long writeBytes,
            double writeSeconds, List<FormatFigures> figures, int evaluated, double verifySeconds,
            Double tokensPerSecond) {
        JsonObject j = new JsonObject();
        j.addProperty("input_bytes", inputBytes);
        j.addProperty("input_files", files);
        j.addProperty("threads", threads);
        j.addProperty("read_seconds", readSeconds);
        j.addProperty("write_bytes", writeBytes);
        j.addProperty("write_seconds", writeSeconds);
        JsonArray fs = new JsonArray();
        for (FormatFigures f : figures) {
            JsonObject o = new JsonObject();
            o.addProperty("format", f.format().cliName());
            JsonArray s = new JsonArray();
            Arrays.stream(f.seconds()).forEach(s::add);
            o.add("seconds", s);
            o.addProperty("median_seconds", f.median());
            o.addProperty("gb_per_second", inputBytes / f.median() / 1e9);
            o.addProperty("times_read_plus_write", f.median() / (readSeconds + writeSeconds));
            o.addProperty("output_bytes", f.outputBytes());
            o.addProperty("peak_rss_bytes", f.peakRssBytes() < 0 ? null : f.peakRssBytes());
            fs.add(o);
        }
        j.add("formats", fs);
        if (tokensPerSecond != null) {
            JsonObject v = new JsonObject();
            v.addProperty("format", "tq2_0");
            v.addProperty("tokens", evaluated);
            v.addProperty("seconds", verifySeconds);
            v.addProperty("tokens_per_second", tokensPerSecond);
            j.add("verify", v);
        }
        return j;
    }

    /** Reads every file once through one reused buffer; returns the seconds. */
    private static double readAll(List<Path> files) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(IO_BUFFER);
        long t0 = System.nanoTime();
        for (Path p : files) {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                while (ch.read(buf.clear()) >= 0) {
                    // only the reading counts
                }
            }
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Writes {@code bytes} zero bytes to a new file, forces them to disk, deletes it; returns the seconds. */
    private static double writeZeros(Path file, long bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(IO_BUFFER);
        long t0 = System.nanoTime();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long left = bytes; left > 0; ) {
                buf.clear().limit((int) Math.min(IO_BUFFER, left));
                left -= ch.write(buf);
            }
            ch.force(true);
        } catch (IOException e) {
            Files.deleteIfExists(file);
            throw new BadInputException(file, "could not be written: " + e.getMessage(), e);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        Files.deleteIfExists(file);
        return s;
    }

    /**
     * Lets the peak resident set start again from the current one: a full GC (G1 then gives back heap it does not
     * need), then "5" into /proc/self/clear_refs, which resets VmHWM on Linux. Elsewhere the peak keeps growing.
     */
    private static void resetPeakRss() {
        System.gc();
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | RuntimeException e) {
            // no /proc, or not allowed: VmHWM stays the peak since the start
        }
    }

    /** Peak resident set of this process (VmHWM), or -1 where /proc/self/status is missing. */
    static long peakRss() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/status"))) {
            return lines.filter(l -> l.startsWith("VmHWM:")).findFirst()
                    .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024).orElse(-1L);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Decimal units, as the GB/s figures: "4.83 GB", "11.5 MB". */
    private static String gb(long bytes) {
        return bytes >= 1e9 ? String.format(Locale.ROOT, "%.2f GB", bytes / 1e9)
                : String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    /** Two decimals, three below 1 (the tiny fixture's runs take fractions of a second). */
    private static String fixed(double v) {
        return String.format(Locale.ROOT, Math.abs(v) < 1 ? "%.3f" : "%.2f", v);
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
