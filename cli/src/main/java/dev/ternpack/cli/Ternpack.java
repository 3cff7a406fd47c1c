package dev.ternpack.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The top-level {@code ternpack} command. */
@Command(name = "ternpack",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = {
            "Ternarize, pack and verify BitNet b1.58 models.",
            "",
            "Converts a trained checkpoint (latent BF16/F16/F32 weights in Hugging Face safetensors) into the"
                    + " ternary formats runtimes load (GGUF TQ2_0 and TQ1_0 for llama.cpp, I2_S for bitnet.cpp, the"
                    + " Hugging Face packed 2-bit layout for transformers), then checks that the packed model"
                    + " computes what the trained one computes. Run 'ternpack COMMAND --help' for the options of a command.",
            ""},
        commandListHeading = "%nCommands:%n",
        footerHeading = "%nExamples:%n",
        footer = {
            "  ternpack demo",
            "  ternpack convert testdata/models/tiny-bitnet-silu -f tq2_0 -o tiny-tq2_0.gguf",
            "  ternpack verify tiny-tq2_0.gguf --reference testdata/models/tiny-bitnet-silu \\",
            "      --text testdata/text/eval.txt",
            "",
            "Exit codes: 0 ok, 4 verification failed, 3 bad input, 2 usage error,",
            "1 internal error, 130 interrupted."},
        subcommands = {DemoCommand.class, ConvertCommand.class, VerifyCommand.class, InspectCommand.class, PackCommand.class,
            FormatsCommand.class, BenchCommand.class, SynthCommand.class, CompletionCommand.class})
public final class Ternpack implements Runnable {
    /** Columns of every help text. */
    static final int HELP_WIDTH = 80;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** A configured command line: exit codes and error handling as documented in {@link ExitCodes}. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Ternpack());
        // A fixed width, not the terminal's: help reads the same everywhere and is checked word for word by
        // HelpTextTest. (-Dpicocli.usage.width still overrides it.)
        cl.setUsageHelpAutoWidth(false);
        cl.setUsageHelpWidth(HELP_WIDTH);
        cl.setUsageHelpLongOptionsMaxWidth(24);
        ExitCodes.configure(cl);
        return cl;
    }
}
