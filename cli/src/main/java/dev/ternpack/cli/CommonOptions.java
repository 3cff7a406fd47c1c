package dev.ternpack.cli;

import picocli.CommandLine.Option;

/** Options every command takes. */
public final class CommonOptions {
    @Option(names = {"-q", "--quiet"}, description = "Print only errors and the result line(s): no tables, progress,"
            + " status lines or warnings.")
    boolean quiet;

    @Option(names = "--stacktrace", description = "On an error, print the Java stack trace too.")
    boolean stacktrace;
}
