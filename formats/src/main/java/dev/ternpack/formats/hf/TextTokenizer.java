package dev.ternpack.formats.hf;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.ternpack.formats.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Tokenizes text exactly as the Hugging Face tokenizers library does, through DJL's binding of it (the native
 * library ships inside the DJL jar, so nothing is downloaded). Encoding adds no special tokens, never truncates
 * and never pads: {@code encode(text)} is the model's view of {@code text}, whatever its length.
 *
 * <p>Two process-wide settings are made before DJL is first touched, each only when the user has not set it:
 * <ul>
 *   <li>{@code ai.djl.offline=true}: DJL otherwise contacts a cloud metadata address once a day from
 *       {@code newInstance} ({@code Ec2Utils.callHome}); the {@code DJL_OFFLINE} environment variable, when set,
 *       still decides.</li>
 *   <li>{@code slf4j.internal.verbosity=ERROR}: DJL logs through slf4j-api 2.0.17, which finds no logging backend
 *       here and prints three "SLF4J(W): No SLF4J providers were found" lines on stderr; that property (read once
 *       when SLF4J initializes, honoured since slf4j 2.0.10) hides its warnings and keeps its errors. The
 *       messages DJL itself logs go to SLF4J's no-operation logger either way.</li>
 * </ul>
 * DJL extracts the native library once to its cache directory ({@code ~/.djl.ai}, or {@code DJL_CACHE_DIR}).
 */
public final class TextTokenizer implements AutoCloseable {
    private static final String OFFLINE_PROPERTY = "ai.djl.offline";
    private static final String SLF4J_VERBOSITY_PROPERTY = "slf4j.internal.verbosity";
    private static final int MAX_DJL_MESSAGE = 200;

    static {
        if (System.getProperty(OFFLINE_PROPERTY) == null) {
            System.setProperty(OFFLINE_PROPERTY, "true");
        }
        if (System.getProperty(SLF4J_VERBOSITY_PROPERTY) == null) {
            System.setProperty(SLF4J_VERBOSITY_PROPERTY, "ERROR");
        }
    }

    private final Path file;
    private final HuggingFaceTokenizer tokenizer;
    private final int vocabSize;

    private TextTokenizer(Path file, HuggingFaceTokenizer tokenizer, int vocabSize) {
        this.file = file;
        this.tokenizer = tokenizer;
        this.vocabSize = vocabSize;
    }

    /**
     * Loads a tokenizer.json. The file is read twice: by {@link TokenizerJson} (which gives the vocabulary size
     * and a clear message for a malformed file) and by the tokenizers library.
     */
    public static TextTokenizer load(Path tokenizerJson) {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new BadInputException(tokenizerJson, Files.exists(tokenizerJson)
                    ? "is not a regular file, expected a tokenizer.json" : "no such file");
        }
        TokenizerJson parsed = TokenizerJson.read(tokenizerJson);
        Map<String, String> options = Map.of(
                "addSpecialTokens", "false",
                "truncation", "false",
                "padding", "false",
                // DJL otherwise sets truncation at 512 tokens.
                "modelMaxLength", Integer.toString(Integer.MAX_VALUE));
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(tokenizerJson, options);
        } catch (IOException e) {
            throw new BadInputException(tokenizerJson, "cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new BadInputException(tokenizerJson, "the Hugging Face tokenizers library refused it: "
                    + djlProblem(e), e);
        }
        return new TextTokenizer(tokenizerJson, tokenizer, parsed.idCount());
    }

    /** The file this tokenizer was loaded from. */
    public Path file() {
        return file;
    }

    /** Token ids of {@code text}, without special tokens added around it. */
    public int[] encode(String text) {
        Encoding encoding = tokenizer.encode(text, false, false);
        long[] ids = encoding.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /** The text of {@code ids}, special tokens included. */
    public String decode(int[] ids) {
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary of " + vocabSize);
            }
            longs[i] = ids[i];
        }
        return tokenizer.decode(longs, false);
    }

    /** One more than the largest token id of the vocabulary and the added tokens. */
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    /** DJL's message (often a Rust error chain) on one line, cut to a readable length. */
    private static String djlProblem(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getMessage() == null) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        m = m.replaceAll("\\s+", " ").trim();
        return m.length() <= MAX_DJL_MESSAGE ? m : m.substring(0, MAX_DJL_MESSAGE) + "...";
    }
}
