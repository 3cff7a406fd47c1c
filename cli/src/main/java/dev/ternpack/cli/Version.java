package dev.ternpack.cli;

import picocli.CommandLine;

/** {@code --version}: the ternpack version and the JVM it runs on. */
public final class Version implements CommandLine.IVersionProvider {
    public static final String VERSION = "0.1.0";

    @Override
    public String[] getVersion() {
        return new String[] {
            "ternpack " + VERSION,
            "JVM " + System.getProperty("java.vm.name") + " " + Runtime.version(),
        };
    }
}
