package dev.ternpack.formats.safetensors;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.ternpack.formats.BadInputException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The JSON rules shared by the safetensors header and the sharded index: strict UTF-8, strict RFC 8259 JSON
 * (Gson's default parser is lenient: it takes single quotes, unquoted names and NaN), and no key twice in one
 * object (Gson's tree silently keeps the last of two equal keys).
 */
final class StrictJson {
    private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9][0-9]*)");
    private static final int SHOWN_CHARS = 40;
    private static final int MAX_GSON_MESSAGE = 160;

    /** A key found twice in one object; {@code depth} 1 is the top-level object. */
    record DuplicateKey(String key, int depth, String path) {
    }

    private StrictJson() {
    }

    /**
     * Decodes UTF-8, refusing malformed or truncated sequences. {@code fileOffset} is where {@code bytes}
     * start in the file, so the message points at the bad byte.
     */
    static String decodeUtf8(Path file, byte[] bytes, long fileOffset, String what) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        // UTF-8 never decodes to more UTF-16 chars than it has bytes.
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int at = in.position();
            throw new BadInputException(file, String.format("%s is not valid UTF-8: the byte sequence at file offset"
                    + " %d (0x%02X) is not a UTF-8 character", what, fileOffset + at, bytes[at] & 0xFF));
        }
        out.flip();
        return out.toString();
    }

    /** Parses one strict JSON value followed only by whitespace. */
    static JsonElement parse(Path file, String text, String what) {
        if (text.isBlank()) {
            throw new BadInputException(file, what + " is empty (" + text.length() + " bytes of whitespace), expected"
                    + " a JSON object");
        }
        try (JsonReader reader = new JsonReader(new StringReader(text))) {
            reader.setStrictness(Strictness.STRICT);
            JsonElement root = JsonParser.parseReader(reader);
            try {
                reader.peek();
            } catch (IOException e) {
                throw new BadInputException(file, what + " is not valid JSON: text after the end of the value ("
                        + gsonProblem(e.getMessage()) + ")", e);
            }
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new BadInputException(file, what + " is not valid JSON: text after the end of the value");
            }
            return root;
        } catch (IOException | JsonParseException e) {
            throw new BadInputException(file, what + " is not valid JSON: " + gsonProblem(e.getMessage()), e);
        }
    }

    /** The first key that appears twice in one object, or null when there is none. Expects valid JSON. */
    static DuplicateKey findDuplicateKey(String text) {
        try (JsonReader reader = new JsonReader(new StringReader(text))) {
            reader.setStrictness(Strictness.STRICT);
            Deque<Set<String>> openObjects = new ArrayDeque<>();
            while (true) {
                switch (reader.peek()) {
                    case BEGIN_OBJECT -> {
                        reader.beginObject();
                        openObjects.push(new HashSet<>());
                    }
                    case END_OBJECT -> {
                        reader.endObject();
                        openObjects.pop();
                    }
                    case BEGIN_ARRAY -> reader.beginArray();
                    case END_ARRAY -> reader.endArray();
                    case NAME -> {
                        String key = reader.nextName();
                        if (!openObjects.element().add(key)) {
                            return new DuplicateKey(key, openObjects.size(), reader.getPath());
                        }
                    }
                    case END_DOCUMENT -> {
                        return null;
                    }
                    default -> reader.skipValue();
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("JSON that parsed once failed the second pass", e);
        }
    }

    /**
     * The value of a JSON integer literal, or a reason it is not a non-negative integer that fits a long.
     * Only plain digits count: {@code 2.0} and {@code 1e3} are refused, as the reference (serde) reader does.
     */
    static long nonNegativeInteger(JsonElement element, Path file, String where) {
        if (!(element instanceof JsonPrimitive p) || !p.isNumber()) {
            throw new BadInputException(file, where + " is " + describe(element) + ", expected a non-negative integer");
        }
        String literal = p.getAsString();
        if (!INTEGER.matcher(literal).matches()) {
            throw new BadInputException(file, where + " is " + shorten(literal) + ", not an integer");
        }
        if (literal.startsWith("-")) {
            throw new BadInputException(file, where + " is negative (" + shorten(literal) + ")");
        }
        try {
            return Long.parseLong(literal);
        } catch (NumberFormatException e) {
            throw new BadInputException(file, where + " is " + shorten(literal) + ", larger than 2^63-1");
        }
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
        String kind = p.isString() ? "a JSON string " : p.isNumber() ? "a JSON number " : "a JSON boolean ";
        return kind + shorten(p.isString() ? element.toString() : p.getAsString());
    }

    /** Text cut to a length that keeps a message on one readable line. */
    static String shorten(String s) {
        String oneLine = s.replace('\n', ' ').replace('\r', ' ');
        return oneLine.length() <= SHOWN_CHARS ? oneLine : oneLine.substring(0, SHOWN_CHARS) + "...";
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
        // A deep path ($[0][0]...) says nothing more than its first characters.
        return line.length() <= MAX_GSON_MESSAGE ? line : line.substring(0, MAX_GSON_MESSAGE) + "...";
    }
}
