package dev.ternpack.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.ternpack.convert.ConversionPlan;
import dev.ternpack.convert.ConvertOptions;
import dev.ternpack.convert.Converter;
import dev.ternpack.convert.OutputFormat;
import dev.ternpack.formats.BadInputException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ternpack formats}: what each output format would give for one checkpoint, planned without writing. */
@Command(name = "formats",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        sortOptions = false,
        description = {
            "Compare the output formats for a checkpoint, writing nothing.",
            "",
            "For each format: the size, bits per ternary weight, the runtimes that load it, and the tensors it"
                    + " cannot hold (which would need --fallback). Each format is planned as 'ternpack convert"
                    + " --plan' would.",
            ""},
        footerHeading = "%nExamples:%n",
        footer = {
            "  ternpack formats testdata/models/tiny-bitnet-relu2",
            "  ternpack formats testdata/models/tiny-bitnet-silu --json \\",
            "      | jq '.formats[] | {format, total_bytes}'",
            "",
            "Exit codes: 0 ok, 3 bad input (one line: error: FILE: what is wrong),",
            "2 usage error, 1 internal error."})
public final class FormatsCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "CHECKPOINT_DIR", description = "Directory with config.json and *.safetensors.")
    Path input;

    @Option(names = "--json", arity = "0..1", fallbackValue = JsonFileArg.STDOUT, paramLabel = "FILE",
            preprocessor = JsonFileArg.class,
            description = "Write the comparison as JSON to FILE, or to stdout instead of the text without FILE."
                    + JsonFileArg.NOTE)
    String json;

    @Option(names = "--allow-ptq", description = "Plan for a model not trained ternary too.")
    boolean allowPtq;

    @Mixin
    CommonOptions common = new CommonOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        JsonArray rows = new JsonArray();
        String architecture = null;
        for (OutputFormat f : OutputFormat.values()) {
            ConvertOptions o = ConvertOptions.of(input, f, Path.of("plan-only")).withAllowPtq(allowPtq);
            JsonObject row = new JsonObject();
            row.addProperty("format", f.cliName());
            row.addProperty("nominal_bits_per_weight", f.bitsPerWeight());
            row.addProperty("runtimes", f.runtimes());
            row.addProperty("constraints", f.constraints());
            ConversionPlan plan = null;
            String problem = null;
            try {
                plan = Converter.plan(o);
            } catch (BadInputException e) {
                problem = e.problem();
                if (f.gguf()) {
                    try {
                        plan = Converter.plan(o.withFallback(ConvertOptions.Fallback.F16));
                    } catch (BadInputException again) {
                        plan = null;
                    }
                }
            }
            if (plan != null) {
                architecture = plan.architecture();
                row.addProperty("total_bytes", plan.totalBytes());
                row.addProperty("ternary_bytes", plan.ternaryBytes());
                row.addProperty("high_precision_bytes", plan.highPrecisionBytes());
                row.add("needs_fallback", ConvertCommand.strings(plan.fallbacks()));
                row.add("warnings", ConvertCommand.strings(plan.warnings()));
            }
            if (problem != null) {
                row.addProperty("problem", problem);
            }
            rows.add(row);
        }
        JsonObject report = new JsonObject();
        report.addProperty("checkpoint", input.toString());
        report.addProperty("architecture", architecture);
        report.add("formats", rows);
        CommandLine cl = spec.commandLine();
        if (json != null) {
            ConvertOptionsConverters.writeJson(cl, json, report);
        }
        if (json == null || !json.equals("-")) {
            if (common.quiet) {
                printQuiet(cl.getOut(), report);
            } else {
                print(cl.getOut(), report);
            }
        }
        return ExitCodes.OK;
    }

    /** One line per format: its size, or why it cannot hold the model as it is. */
    private static void printQuiet(PrintWriter out, JsonObject report) {
        for (var e : report.getAsJsonArray("formats")) {
            JsonObject r = e.getAsJsonObject();
            String line = r.get("format").getAsString() + ": ";
            if (r.has("problem") && !r.has("total_bytes")) {
                line += "cannot convert: " + r.get("problem").getAsString();
            } else {
                line += ConvertCommand.mib(r.get("total_bytes").getAsLong());
                int fallbacks = r.getAsJsonArray("needs_fallback").size();
                if (fallbacks > 0) {
                    line += " with --fallback for " + fallbacks + " tensor(s)";
                }
            }
            out.println(line);
        }
        out.flush();
    }

    private static void print(PrintWriter out, JsonObject report) {
        out.println(report.get("checkpoint").getAsString() + (report.get("architecture").isJsonNull() ? ""
                : ": " + report.get("architecture").getAsString()));
        TextTable t = new TextTable("format", ">size", ">ternary", ">bits/weight", "runtimes");
        for (var e : report.getAsJsonArray("formats")) {
            JsonObject r = e.getAsJsonObject();
            t.row(r.get("format").getAsString(),
                    r.has("total_bytes") ? ConvertCommand.mib(r.get("total_bytes").getAsLong()) : "-",
                    r.has("ternary_bytes") ? ConvertCommand.mib(r.get("ternary_bytes").getAsLong()) : "-",
                    String.format(Locale.ROOT, "%.4f", r.get("nominal_bits_per_weight").getAsDouble()),
                    r.get("runtimes").getAsString());
        }
        t.print(out, "  ");
        for (var e : report.getAsJsonArray("formats")) {
            JsonObject r = e.getAsJsonObject();
            String f = r.get("format").getAsString();
            if (r.has("needs_fallback") && !r.getAsJsonArray("needs_fallback").isEmpty()) {
                out.println(f + ": cannot hold " + r.getAsJsonArray("needs_fallback").size()
                        + " tensor(s) without --fallback:");
                for (var x : r.getAsJsonArray("needs_fallback")) {
                    out.println("    " + x.getAsString());
                }
            } else if (r.has("problem")) {
                out.println(f + ": cannot convert: " + r.get("problem").getAsString());
            }
        }
        out.flush();
    }
}
