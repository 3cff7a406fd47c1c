package dev.ternpack.cli;

import picocli.CommandLine;

/** Entry point: the only place that calls {@link System#exit}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(Ternpack.commandLine().execute(args));
    }
}
