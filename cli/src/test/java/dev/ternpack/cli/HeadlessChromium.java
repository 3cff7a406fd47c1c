package dev.ternpack.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Drives Debian's headless Chromium to render a local HTML file into a PNG, so tests can check what a person
 * would actually see. The flags keep Chromium off the network (this machine has none, and a report must not
 * need one) and away from the user's profile.
 */
final class HeadlessChromium {
    private static final List<Path> CANDIDATES = List.of(Path.of("/usr/bin/chromium"),
            Path.of("/usr/bin/chromium-browser"), Path.of("/usr/bin/google-chrome"));

    private HeadlessChromium() {
    }

    static Optional<Path> find() {
        return CANDIDATES.stream().filter(Files::isExecutable).findFirst();
    }

    /** Renders {@code html} at the given window size into {@code png}; fails with Chromium's output if it does not. */
    static void screenshot(Path chromium, Path html, Path png, int width, int height) throws IOException,
            InterruptedException {
        Path profile = Files.createTempDirectory("chromium-profile");
        Path log = Files.createTempFile("chromium", ".log");
        try {
            Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                    "--user-data-dir=" + profile, "--window-size=" + width + "," + height,
                    "--screenshot=" + png, html.toUri().toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("chromium did not finish in 90 s: " + Files.readString(log));
            }
            if (p.exitValue() != 0 || !Files.isRegularFile(png)) {
                throw new IOException("chromium exit " + p.exitValue() + ": " + Files.readString(log));
            }
        } finally {
            Files.deleteIfExists(log);
            try (var s = Files.walk(profile)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
