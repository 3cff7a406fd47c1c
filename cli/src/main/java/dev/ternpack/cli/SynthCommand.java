package dev.ternpack.cli;

import dev.ternpack.convert.synth.SyntheticCheckpoint;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Hidden {@code ternpack synth}: a random checkpoint with bitnet-b1.58-2B-4T's shapes, for benchmarks. */
@Command(name = "synth",
        hidden = true,
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        sortOptions = false,
        description = {
            "Write a random checkpoint with microsoft/bitnet-b1.58-2B-4T's shapes, for benchmarks.",
            "",
            "The BF16 weights are random (the same for the same --seed) and mean nothing: the checkpoint exists to"
                    + " time 'ternpack convert' and 'ternpack verify' on a model of real size without downloading"
                    + " one. Thirty layers take about 4.8 GB.",
            ""},
        footerHeading = "%nExamples:%n",
        footer = {
            "  ternpack synth /tmp/synth-2l --layers 2 --seed 1",
            "  ternpack convert /tmp/synth-2l -f tq2_0 -o /tmp/synth-2l.gguf",
            "",
            "Exit codes: 0 ok, 3 bad input (one line: error: FILE: what is wrong),",
            "2 usage error, 1 internal error."})
public final class SynthCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "OUT_DIR", description = "Directory to create.")
    Path output;

    @Option(names = "--layers", defaultValue = "30", paramLabel = "N", description = "Decoder layers (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    CommonOptions common = new CommonOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (layers < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--layers must be at least 1");
        }
        var shape = SyntheticCheckpoint.Shape.BITNET_2B_4T.withLayers(layers);
        long total = shape.parameters() * 2;
        long[] done = {0};
        try (Terminal.Progress p = new Terminal(spec.commandLine().getErr(), common.quiet).progress("synth", total, "B")) {
            SyntheticCheckpoint.write(output, shape, seed, n -> p.progress(done[0] += n, total, ""));
        }
        spec.commandLine().getOut().println("wrote " + output + " (" + layers + " layers, "
                + ConvertCommand.mib(done[0]) + ")");
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}
