package dev.ternpack.formats.hf;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * One stage of a tokenizer.json pipeline ({@code normalizer}, {@code pre_tokenizer}, {@code post_processor} or
 * {@code decoder}), described by its {@code type} and the fields that decide how a GGUF runtime must tokenize.
 * Stages this model does not describe in detail are {@link Other}. Absent fields take the tokenizers
 * library's defaults, noted on each record.
 */
public sealed interface TokenizerStage {

    /** The {@code type} as written in tokenizer.json. */
    String type();

    /** This stage and, for a {@link Sequence}, its members (recursively), in pipeline order. */
    default Stream<TokenizerStage> flatten() {
        return Stream.of(this);
    }

    /** A {@code Regex} or {@code String} pattern of a {@code Split} or {@code Replace} stage. */
    record Pattern(boolean regex, String text) {
        public Pattern {
            Objects.requireNonNull(text, "text");
        }
    }

    /**
     * GPT-2's byte-to-unicode mapping; with {@code use_regex} it also splits with GPT-2's regex. Defaults:
     * add_prefix_space true, trim_offsets true, use_regex true.
     */
    record ByteLevel(boolean addPrefixSpace, boolean trimOffsets, boolean useRegex) implements TokenizerStage {
        @Override
        public String type() {
            return "ByteLevel";
        }
    }

    /** Splits on a pattern. {@code behavior} is e.g. {@code Isolated} or {@code Removed}; invert defaults false. */
    record Split(Pattern pattern, String behavior, boolean invert) implements TokenizerStage {
        public Split {
            Objects.requireNonNull(pattern, "pattern");
        }

        @Override
        public String type() {
            return "Split";
        }
    }

    /**
     * SentencePiece's whitespace handling: spaces become {@code replacement} (U+2581 by default) and a
     * replacement is prepended per {@code prependScheme} ({@code always}, {@code first} or {@code never};
     * files older than tokenizers 0.14 say {@code add_prefix_space} instead, read as always/never). With
     * {@code split} (default true) it also splits before each replacement.
     */
    record Metaspace(String replacement, String prependScheme, boolean split) implements TokenizerStage {
        public Metaspace {
            Objects.requireNonNull(replacement, "replacement");
            Objects.requireNonNull(prependScheme, "prependScheme");
        }

        @Override
        public String type() {
            return "Metaspace";
        }

        public boolean prepends() {
            return !prependScheme.equals("never");
        }
    }

    /** Replaces every match of {@code pattern} with {@code content}. */
    record Replace(Pattern pattern, String content) implements TokenizerStage {
        public Replace {
            Objects.requireNonNull(pattern, "pattern");
            Objects.requireNonNull(content, "content");
        }

        @Override
        public String type() {
            return "Replace";
        }
    }

    /** Prepends {@code prepend} to non-empty text (Llama 2's normalizer prepends U+2581). */
    record Prepend(String prepend) implements TokenizerStage {
        public Prepend {
            Objects.requireNonNull(prepend, "prepend");
        }

        @Override
        public String type() {
            return "Prepend";
        }
    }

    /** Stages applied in order. */
    record Sequence(List<TokenizerStage> members) implements TokenizerStage {
        public Sequence {
            members = List.copyOf(members);
        }

        @Override
        public String type() {
            return "Sequence";
        }

        @Override
        public Stream<TokenizerStage> flatten() {
            return Stream.concat(Stream.of(this), members.stream().flatMap(TokenizerStage::flatten));
        }
    }

    /** A template piece: a special token by name, or the sequence slot {@code A}/{@code B}. */
    record TemplatePiece(boolean specialToken, String id) {
        public TemplatePiece {
            Objects.requireNonNull(id, "id");
        }
    }

    /**
     * The post-processor that wraps an encoding in special tokens, e.g. Llama's {@code <s> $A}.
     *
     * @param specialTokenIds the token ids each special-token name of the templates stands for
     */
    record TemplateProcessing(List<TemplatePiece> single, List<TemplatePiece> pair,
            Map<String, List<Integer>> specialTokenIds) implements TokenizerStage {
        public TemplateProcessing {
            single = List.copyOf(single);
            pair = List.copyOf(pair);
            specialTokenIds = Map.copyOf(specialTokenIds);
        }

        @Override
        public String type() {
            return "TemplateProcessing";
        }
    }

    /** Any other stage (NFC, Strip, ByteFallback, Fuse, Digits, BertPreTokenizer, ...), by type only. */
    record Other(String type) implements TokenizerStage {
        public Other {
            Objects.requireNonNull(type, "type");
        }
    }
}
