package dev.ternpack.cli;

import picocli.CommandLine;

/** {@code --version}: the ternpack version and the JVM it runs on. */
public final class Version implements CommandLine.IVersionProvider {
    public static final String VERSION = dev.ternpack.convert.Converter.VERSION;

    @Override
    public String[] getVersion() {
        return new String[] {
            "ternpack " + VERSION,
            "JVM " + System.getProperty("java.vm.name") + " " + Runtime.version(),
        };
    }
}
