package dev.ternpack.cli;

import dev.ternpack.convert.ConvertOptions;
import dev.ternpack.convert.OutputFormat;
import dev.ternpack.pack.ScaleMode;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Command-line names of the convert options, with their completion candidates. */
final class ConvertOptionsConverters {
    private ConvertOptionsConverters() {
    }

    static final class Format implements ITypeConverter<OutputFormat>, Iterable<String> {
        @Override
        public OutputFormat convert(String value) {
            OutputFormat f = OutputFormat.fromCliName(value);
            if (f == null) {
                throw new TypeConversionException("unknown format '" + value + "'; expected one of " + names());
            }
            return f;
        }

        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(OutputFormat.values()).map(OutputFormat::cliName).iterator();
        }

        static String names() {
            return String.join(", ", Arrays.stream(OutputFormat.values()).map(OutputFormat::cliName).toList());
        }
    }

    static final class Scale implements ITypeConverter<ScaleMode>, Iterable<String> {
        @Override
        public ScaleMode convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "fold" -> ScaleMode.FOLD;
                case "tensor" -> ScaleMode.TENSOR;
                default -> throw new TypeConversionException("unknown scale mode '" + value + "'; expected fold or tensor");
            };
        }

        @Override
        public Iterator<String> iterator() {
            return List.of("fold", "tensor").iterator();
        }
    }

    static final class Embedding implements ITypeConverter<ConvertOptions.EmbeddingType>, Iterable<String> {
        @Override
        public ConvertOptions.EmbeddingType convert(String value) {
            for (var e : ConvertOptions.EmbeddingType.values()) {
                if (e.cliName().equalsIgnoreCase(value)) {
                    return e;
                }
            }
            throw new TypeConversionException("unknown embedding type '" + value + "'; expected f32, f16, bf16 or q8_0");
        }

        @Override
        public Iterator<String> iterator() {
            return List.of("f32", "f16", "bf16", "q8_0").iterator();
        }
    }

    static final class Fallback implements ITypeConverter<ConvertOptions.Fallback>, Iterable<String> {
        @Override
        public ConvertOptions.Fallback convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "f16" -> ConvertOptions.Fallback.F16;
                case "q8_0" -> ConvertOptions.Fallback.Q8_0;
                case "none" -> ConvertOptions.Fallback.NONE;
                default -> throw new TypeConversionException("unknown fallback '" + value + "'; expected f16 or q8_0");
            };
        }

        @Override
        public Iterator<String> iterator() {
            return List.of("f16", "q8_0").iterator();
        }
    }

    /** Writes a JSON document to stdout ({@code --json}) or to a file ({@code --json FILE}). */
    static void writeJson(CommandLine cl, String target, com.google.gson.JsonElement json) throws java.io.IOException {
        String text = new com.google.gson.GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls()
                .create().toJson(json);
        if (target == null || target.isEmpty() || target.equals("-")) {
            cl.getOut().println(text);
            cl.getOut().flush();
        } else {
            java.nio.file.Files.writeString(java.nio.file.Path.of(target), text + "\n");
        }
    }
}
