package dev.ternpack.formats.hf;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/** Child-process entry point of {@link TextTokenizerTest#slf4jStaysQuietWithoutALoggingBackend()}. */
final class QuietTokenizerMain {
    private QuietTokenizerMain() {
    }

    public static void main(String[] args) {
        try (TextTokenizer t = TextTokenizer.load(Path.of(args[0]))) {
            int[] ids = t.encode("<|begin_of_text|>Hello<|end_of_text|>");
            System.out.println(Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
        }
    }
}
