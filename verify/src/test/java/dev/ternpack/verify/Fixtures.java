package dev.ternpack.verify;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Paths into testdata/ and readers for the fixtures' independent PyTorch reference. */
public final class Fixtures {
    public static final Path ROOT = Path.of(System.getProperty("ternpack.root", "..")).toAbsolutePath().normalize();
    public static final Path TESTDATA = ROOT.resolve("testdata");
    public static final Path MODELS = TESTDATA.resolve("models");
    public static final Path EVAL_TEXT = TESTDATA.resolve("text/eval.txt");
    public static final Path EVAL_TOKENS = TESTDATA.resolve("text/eval_tokens.txt");

    private Fixtures() {
    }

    public static Path model(String name) {
        return MODELS.resolve(name);
    }

    public static JsonObject reference(String model) {
        return json(model(model).resolve("reference.json"));
    }

    public static JsonObject json(Path p) {
        try {
            return JsonParser.parseString(Files.readString(p)).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int[] evalTokens() {
        try {
            return Arrays.stream(Files.readString(EVAL_TOKENS).trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Logits rows of a {@code first_window_logits_*} entry, parsed as float32 exactly. */
    public static float[][] logits(JsonObject ref, String key) {
        JsonArray rows = ref.getAsJsonObject(key).getAsJsonArray("logits");
        float[][] out = new float[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            JsonArray r = rows.get(i).getAsJsonArray();
            out[i] = new float[r.size()];
            for (int j = 0; j < r.size(); j++) {
                out[i][j] = Float.parseFloat(r.get(j).getAsJsonPrimitive().getAsString());
            }
        }
        return out;
    }

    public static int[] argmax(JsonObject ref, String key) {
        JsonArray a = ref.getAsJsonObject(key).getAsJsonArray("argmax");
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }
}
