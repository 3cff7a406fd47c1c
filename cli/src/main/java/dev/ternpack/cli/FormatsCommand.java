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
            "Compare the output formats for a checkpoint: size, bits per ternary weight, runtimes that load it,"
                    + " and the tensors it cannot hold (which would need --fallback).",
            "",
            "Nothing is written: each format is planned as 'ternpack convert --plan' would.",
            ""},
        footerHeading = "%nExamples:%n",
        footer = {
            "  ternpack formats testdata/models/tiny-bitnet-relu2",
            "  ternpack formats ckpt --json | jq '.formats[] | {format, total_bytes}'",
            "",
            "Exit codes: 0 ok, 2 usage error, 3 bad input (one line: error: FILE: what is",
            "wrong), 1 internal error."})
public final class FormatsCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "CHECKPOINT_DIR", description = "Directory with config.json and *.safetensors.")
    Path input;

    @Option(names = "--json", arity = "0..1", fallbackValue = "-", paramLabel = "FILE",
            description = "Write the comparison as JSON to stdout, or to FILE.")
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
            print(cl.getOut(), report);
        }
        return ExitCodes.OK;
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
