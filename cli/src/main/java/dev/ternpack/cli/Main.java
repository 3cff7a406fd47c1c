package dev.ternpack.cli;

import picocli.CommandLine;

/** Entry point: the only place that calls {@link System#exit}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        // DJL's tokenizer must never try the network, and its SLF4J binding warnings are noise for users.
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("slf4j.internal.verbosity", "ERROR");
        System.exit(Ternpack.commandLine().execute(args));
    }
}
