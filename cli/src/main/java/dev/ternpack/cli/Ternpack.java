package dev.ternpack.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The top-level {@code ternpack} command. */
@Command(name = "ternpack",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Ternarize, pack and verify BitNet b1.58 models.",
        subcommands = {DemoCommand.class, ConvertCommand.class, VerifyCommand.class, InspectCommand.class, PackCommand.class,
            FormatsCommand.class, SynthCommand.class, CompletionCommand.class})
public final class Ternpack implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** A configured command line: exit codes and error handling as documented in {@link ExitCodes}. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Ternpack());
        ExitCodes.configure(cl);
        return cl;
    }
}
