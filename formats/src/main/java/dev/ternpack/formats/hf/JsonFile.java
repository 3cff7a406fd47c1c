package dev.ternpack.formats.hf;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.ternpack.formats.BadInputException;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * One JSON file of a Hugging Face checkpoint (config.json, tokenizer.json, tokenizer_config.json) and the typed
 * field reads shared by their parsers. Every failure is a one-line {@link BadInputException} naming the file
 * and the field path ({@code quantization_config.linear_class}, {@code model.merges[17]}).
 *
 * <p>Parsing is strict RFC 8259 JSON (Gson's tree parser is lenient by default: it takes single quotes, comments
 * and NaN). The files are written by Python's json module or serde_json, which produce strict JSON.
 */
final class JsonFile {
    private static final int SHOWN_CHARS = 40;
    private static final int MAX_GSON_MESSAGE = 160;

    private final Path file;

    JsonFile(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    BadInputException error(String problem) {
        return new BadInputException(file, problem);
    }

    /** Reads the whole file (refusing it when larger than {@code maxBytes}) and parses one JSON object. */
    JsonObject readObject(long maxBytes) {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new BadInputException(file, "no such file", e);
        } catch (IOException e) {
            throw new BadInputException(file, "cannot read: " + e.getMessage(), e);
        }
        if (Files.isDirectory(file)) {
            throw error("is a directory, expected a JSON file");
        }
        if (size > maxBytes) {
            throw error("is " + size + " bytes, more than the " + maxBytes + " a file of this kind can plausibly need");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new BadInputException(file, "cannot read: " + e.getMessage(), e);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new BadInputException(file, "is not valid UTF-8 text", e);
        }
        if (text.startsWith("\uFEFF")) {
            // A byte order mark is not JSON, but editors on Windows write one and Python's json accepts it.
            text = text.substring(1);
        }
        if (text.isBlank()) {
            throw error("is empty, expected a JSON object");
        }
        JsonElement root;
        try (JsonReader reader = new JsonReader(new StringReader(text))) {
            reader.setStrictness(Strictness.STRICT);
            root = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw error("is not valid JSON: text after the end of the top-level value");
            }
        } catch (IOException | JsonParseException e) {
            throw new BadInputException(file, "is not valid JSON: " + gsonProblem(e.getMessage()), e);
        }
        if (!root.isJsonObject()) {
            throw error("is " + describe(root) + ", expected a JSON object");
        }
        return root.getAsJsonObject();
    }

    /** The member, or null when it is absent or JSON null (Python writes None as null). */
    static JsonElement optional(JsonObject object, String key) {
        JsonElement e = object.get(key);
        return e == null || e.isJsonNull() ? null : e;
    }

    JsonElement required(JsonObject object, String key, String where, String expected) {
        JsonElement e = optional(object, key);
        if (e == null) {
            throw error(where + " is missing" + (object.has(key) ? " (null)" : "") + ", expected " + expected);
        }
        return e;
    }

    String string(JsonElement e, String where) {
        if (e instanceof JsonPrimitive p && p.isString()) {
            return p.getAsString();
        }
        throw error(where + " is " + describe(e) + ", expected a JSON string");
    }

    boolean bool(JsonElement e, String where) {
        if (e instanceof JsonPrimitive p && p.isBoolean()) {
            return p.getAsBoolean();
        }
        throw error(where + " is " + describe(e) + ", expected true or false");
    }

    /** A JSON number with an integral value that fits an int ({@code 256} and {@code 256.0}, not {@code 2.5}). */
    int integer(JsonElement e, String where) {
        if (!(e instanceof JsonPrimitive p) || !p.isNumber()) {
            throw error(where + " is " + describe(e) + ", expected an integer");
        }
        BigDecimal value;
        try {
            value = new BigDecimal(p.getAsString());
        } catch (NumberFormatException ex) {
            throw error(where + " is " + shorten(p.getAsString()) + ", expected an integer");
        }
        try {
            return value.intValueExact();
        } catch (ArithmeticException ex) {
            throw error(where + " is " + shorten(p.getAsString()) + ", expected an integer between -2^31 and 2^31-1");
        }
    }

    double number(JsonElement e, String where) {
        if (e instanceof JsonPrimitive p && p.isNumber()) {
            double v = p.getAsDouble();
            if (Double.isFinite(v)) {
                return v;
            }
        }
        throw error(where + " is " + describe(e) + ", expected a finite number");
    }

    JsonObject object(JsonElement e, String where) {
        if (e != null && e.isJsonObject()) {
            return e.getAsJsonObject();
        }
        throw error(where + " is " + describe(e) + ", expected a JSON object");
    }

    JsonArray array(JsonElement e, String where) {
        if (e != null && e.isJsonArray()) {
            return e.getAsJsonArray();
        }
        throw error(where + " is " + describe(e) + ", expected a JSON array");
    }

    /** A short description of a JSON value for messages: its kind and, when short, its text. */
    static String describe(JsonElement element) {
        if (element == null || element.isJsonNull()) {
            return "null";
        }
        if (element.isJsonObject()) {
            return "a JSON object";
        }
        if (element.isJsonArray()) {
            return "a JSON array " + shorten(element.toString());
        }
        JsonPrimitive p = element.getAsJsonPrimitive();
        String kind = p.isString() ? "a JSON string " : p.isNumber() ? "the number " : "the boolean ";
        return kind + shorten(p.isString() ? element.toString() : p.getAsString());
    }

    /** Text cut to a length that keeps a message on one readable line. */
    static String shorten(String s) {
        String oneLine = s.replace('\n', ' ').replace('\r', ' ');
        return oneLine.length() <= SHOWN_CHARS ? oneLine : oneLine.substring(0, SHOWN_CHARS) + "...";
    }

    /** A string quoted for a message, with control characters escaped so the message stays on one line. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("'");
        s.codePoints().limit(SHOWN_CHARS).forEach(cp -> {
            if (cp < 0x20 || cp == 0x7F) {
                b.append(String.format("\\u%04x", cp));
            } else {
                b.appendCodePoint(cp);
            }
        });
        if (s.codePointCount(0, s.length()) > SHOWN_CHARS) {
            b.append("...");
        }
        return b.append('\'').toString();
    }

    /** Gson's message without its advice to parse leniently and its troubleshooting link. */
    private static String gsonProblem(String message) {
        if (message == null) {
            return "unexpected end of input";
        }
        int nl = message.indexOf('\n');
        String line = (nl < 0 ? message : message.substring(0, nl))
                .replaceFirst("^[\\w.]+Exception: ", "")
                .replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "malformed JSON");
        return line.length() <= MAX_GSON_MESSAGE ? line : line.substring(0, MAX_GSON_MESSAGE) + "...";
    }
}
