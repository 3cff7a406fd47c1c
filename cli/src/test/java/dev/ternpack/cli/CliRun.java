package dev.ternpack.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

/** One run of the ternpack command line in-process, with stdout and stderr captured. */
record CliRun(int exitCode, String out, String err) {

    static final Path ROOT = Path.of(System.getProperty("ternpack.root"));

    static CliRun run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Ternpack.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    static Path testdata(String relative) {
        return ROOT.resolve("testdata").resolve(relative);
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
