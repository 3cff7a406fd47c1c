package dev.ternpack.pack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Paths into testdata/ and the golden vector file. */
final class Fixtures {
    static final Path ROOT = Path.of(System.getProperty("ternpack.root", "..")).toAbsolutePath().normalize();
    static final Path TESTDATA = ROOT.resolve("testdata");
    static final Path MODELS = TESTDATA.resolve("models");
    static final Path GOLDEN_VECTORS = TESTDATA.resolve("golden/formats-md-vectors.txt");

    private Fixtures() {
    }

    /** The vectors of {@code formats-md-vectors.txt}: name to blocks, one per line of hex. */
    static Map<String, List<byte[]>> goldenVectors() {
        Map<String, List<byte[]>> out = new LinkedHashMap<>();
        List<byte[]> current = null;
        try {
            for (String line : Files.readAllLines(GOLDEN_VECTORS)) {
                String s = line.strip();
                if (s.isEmpty() || s.startsWith("#")) {
                    continue;
                }
                if (s.startsWith("[") && s.endsWith("]")) {
                    current = new ArrayList<>();
                    out.put(s.substring(1, s.length() - 1), current);
                } else {
                    current.add(Bytes.hex(s));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** All blocks of one golden vector, concatenated. */
    static byte[] golden(String name) {
        List<byte[]> blocks = goldenVectors().get(name);
        if (blocks == null) {
            throw new IllegalArgumentException("no golden vector " + name + " in " + GOLDEN_VECTORS);
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        blocks.forEach(out::writeBytes);
        return out.toByteArray();
    }
}
