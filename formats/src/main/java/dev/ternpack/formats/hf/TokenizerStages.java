package dev.ternpack.formats.hf;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.ternpack.formats.hf.TokenizerStage.ByteLevel;
import dev.ternpack.formats.hf.TokenizerStage.Metaspace;
import dev.ternpack.formats.hf.TokenizerStage.Other;
import dev.ternpack.formats.hf.TokenizerStage.Pattern;
import dev.ternpack.formats.hf.TokenizerStage.Prepend;
import dev.ternpack.formats.hf.TokenizerStage.Replace;
import dev.ternpack.formats.hf.TokenizerStage.Sequence;
import dev.ternpack.formats.hf.TokenizerStage.Split;
import dev.ternpack.formats.hf.TokenizerStage.TemplatePiece;
import dev.ternpack.formats.hf.TokenizerStage.TemplateProcessing;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Reads the {@link TokenizerStage} objects of a tokenizer.json. */
final class TokenizerStages {
    private TokenizerStages() {
    }

    /** Parses one stage object; {@code where} is its path for messages ({@code pre_tokenizer.pretokenizers[1]}). */
    static TokenizerStage parse(JsonFile json, JsonElement element, String where) {
        JsonObject o = json.object(element, where);
        String type = json.string(json.required(o, "type", where + ".type", "the stage's type name"), where + ".type");
        return switch (type) {
            case "ByteLevel" -> new ByteLevel(flag(json, o, "add_prefix_space", true, where),
                    flag(json, o, "trim_offsets", true, where), flag(json, o, "use_regex", true, where));
            case "Split" -> new Split(pattern(json, o, where), optionalString(json, o, "behavior", where),
                    flag(json, o, "invert", false, where));
            case "Metaspace" -> {
                String replacement = optionalString(json, o, "replacement", where);
                String scheme = optionalString(json, o, "prepend_scheme", where);
                if (scheme == null) {
                    scheme = flag(json, o, "add_prefix_space", true, where) ? "always" : "never";
                } else if (!List.of("always", "first", "never").contains(scheme)) {
                    throw json.error(where + ".prepend_scheme is " + JsonFile.quote(scheme)
                            + ", expected always, first or never");
                }
                yield new Metaspace(replacement == null ? "\u2581" : replacement, scheme,
                        flag(json, o, "split", true, where));
            }
            case "Replace" -> new Replace(pattern(json, o, where),
                    json.string(json.required(o, "content", where + ".content", "a JSON string"), where + ".content"));
            case "Prepend" -> new Prepend(
                    json.string(json.required(o, "prepend", where + ".prepend", "a JSON string"), where + ".prepend"));
            case "Sequence" -> {
                String key = Stream.of("normalizers", "pretokenizers", "processors", "decoders")
                        .filter(o::has).findFirst()
                        .orElseThrow(() -> json.error(where + " is a Sequence without members (expected normalizers,"
                                + " pretokenizers, processors or decoders)"));
                var array = json.array(o.get(key), where + "." + key);
                List<TokenizerStage> members = new ArrayList<>(array.size());
                for (int i = 0; i < array.size(); i++) {
                    members.add(parse(json, array.get(i), where + "." + key + "[" + i + "]"));
                }
                yield new Sequence(members);
            }
            case "TemplateProcessing" -> template(json, o, where);
            default -> new Other(type);
        };
    }

    private static TokenizerStage.TemplateProcessing template(JsonFile json, JsonObject o, String where) {
        List<TemplatePiece> single = pieces(json, o, "single", where);
        List<TemplatePiece> pair = pieces(json, o, "pair", where);
        Map<String, List<Integer>> ids = new java.util.LinkedHashMap<>();
        JsonElement special = JsonFile.optional(o, "special_tokens");
        if (special != null) {
            for (var entry : json.object(special, where + ".special_tokens").entrySet()) {
                String at = where + ".special_tokens." + entry.getKey();
                JsonObject token = json.object(entry.getValue(), at);
                var array = json.array(json.required(token, "ids", at + ".ids", "a list of token ids"), at + ".ids");
                List<Integer> list = new ArrayList<>(array.size());
                for (int i = 0; i < array.size(); i++) {
                    list.add(json.integer(array.get(i), at + ".ids[" + i + "]"));
                }
                ids.put(entry.getKey(), list);
            }
        }
        return new TemplateProcessing(single, pair, ids);
    }

    private static List<TemplatePiece> pieces(JsonFile json, JsonObject o, String key, String where) {
        JsonElement e = JsonFile.optional(o, key);
        if (e == null) {
            return List.of();
        }
        var array = json.array(e, where + "." + key);
        List<TemplatePiece> pieces = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            String at = where + "." + key + "[" + i + "]";
            JsonObject piece = json.object(array.get(i), at);
            boolean special = piece.has("SpecialToken");
            if (!special && !piece.has("Sequence")) {
                throw json.error(at + " is neither a SpecialToken nor a Sequence piece");
            }
            String kind = special ? "SpecialToken" : "Sequence";
            JsonObject body = json.object(piece.get(kind), at + "." + kind);
            pieces.add(new TemplatePiece(special,
                    json.string(json.required(body, "id", at + "." + kind + ".id", "a JSON string"),
                            at + "." + kind + ".id")));
        }
        return pieces;
    }

    private static Pattern pattern(JsonFile json, JsonObject o, String where) {
        JsonObject p = json.object(json.required(o, "pattern", where + ".pattern", "{\"Regex\": ...} or {\"String\": ...}"),
                where + ".pattern");
        if (p.has("Regex")) {
            return new Pattern(true, json.string(p.get("Regex"), where + ".pattern.Regex"));
        }
        if (p.has("String")) {
            return new Pattern(false, json.string(p.get("String"), where + ".pattern.String"));
        }
        throw json.error(where + ".pattern has neither Regex nor String");
    }

    private static boolean flag(JsonFile json, JsonObject o, String key, boolean absent, String where) {
        JsonElement e = JsonFile.optional(o, key);
        return e == null ? absent : json.bool(e, where + "." + key);
    }

    private static String optionalString(JsonFile json, JsonObject o, String key, String where) {
        JsonElement e = JsonFile.optional(o, key);
        return e == null ? null : json.string(e, where + "." + key);
    }
}
