package dev.ternpack.verify;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.hf.TextTokenizer;
import dev.ternpack.verify.eval.Gate;
import dev.ternpack.verify.eval.Parity;
import dev.ternpack.verify.eval.ParityMetrics;
import dev.ternpack.verify.eval.Perplexity;
import dev.ternpack.verify.eval.PerplexityResult;
import dev.ternpack.verify.eval.ProgressListener;
import dev.ternpack.verify.eval.ProjectionAudit;
import dev.ternpack.verify.eval.Robustness;
import dev.ternpack.verify.eval.StructuralAudit;
import dev.ternpack.verify.eval.Windows;
import dev.ternpack.verify.forward.Transformer;
import dev.ternpack.verify.kernel.ActivationMode;
import dev.ternpack.verify.kernel.Parallel;
import dev.ternpack.verify.model.LatentLoader;
import dev.ternpack.verify.model.LoadedModel;
import dev.ternpack.verify.model.ModelLoader;
import dev.ternpack.verify.model.OpenedModel;
import dev.ternpack.verify.report.ModelSummary;
import dev.ternpack.verify.report.VerificationReport;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Runs {@code ternpack verify}: tokens, windows, perplexity of the model under test and, with a latent
 * reference, parity, structural audit, robustness of the latent model and the gate. A {@link Reference} is
 * prepared once and can check any number of candidates without running its forward pass again (its logits are
 * kept while they fit in a quarter of the heap).
 */
public final class Verifier implements AutoCloseable {
    private final VerifyOptions options;
    private final Parallel parallel;
    private final int[] tokens;
    private final String tokenSource;
    private final Windows windows;

    /** Reads and tokenizes the evaluation input and plans the windows. */
    public Verifier(VerifyOptions options) {
        this.options = options;
        if (options.tokens() != null) {
            tokens = readIds(options.tokens());
            tokenSource = options.tokens().toString() + " (token ids)";
        } else {
            Path tok = tokenizer(options);
            String text = readText(options.text());
            try (TextTokenizer t = TextTokenizer.load(tok)) {
                tokens = t.encode(text);
            }
            tokenSource = options.text() + " (tokenizer " + tok + ")";
        }
        int usable = options.maxTokens() > 0 ? Math.min(tokens.length, options.maxTokens()) : tokens.length;
        if (usable < options.ctx()) {
            throw new BadInputException(options.tokens() != null ? options.tokens() : options.text(),
                    usable + " tokens" + (usable < tokens.length ? " (--max-tokens)" : "") + " do not fill one window"
                    + " of ctx " + options.ctx() + " tokens; give more text or a smaller --ctx");
        }
        windows = Windows.plan(tokens.length, options.ctx(), options.maxTokens());
        parallel = new Parallel(options.threads());
    }

    /** The whole run for the options' model and reference. */
    public static VerificationReport run(VerifyOptions options, ProgressListener progress) {
        if (options.model() == null) {
            throw new IllegalArgumentException("no model to verify");
        }
        try (Verifier v = new Verifier(options);
                Reference ref = options.reference() == null ? null : v.prepareReference(options.reference(), progress)) {
            return v.verify(options.model(), ref, progress);
        }
    }

    public int[] tokens() {
        return tokens.clone();
    }

    public Windows windows() {
        return windows;
    }

    /**
     * Loads a latent checkpoint as the reference (ternarized with pack's absmean quantizer), runs it over the
     * windows once, and measures its robustness: the same weights unquantized.
     */
    public Reference prepareReference(Path latentDir, ProgressListener progress) {
        OpenedModel ternarized = ModelLoader.open(latentDir, LatentLoader.Weights.TERNARIZED, parallel);
        try {
            LoadedModel m = ternarized.model();
            if (!m.kind().equals("latent")) {
                throw new BadInputException(latentDir, "the reference must be a checkpoint with latent"
                        + " (full-precision) weights, but this is " + m.format());
            }
            checkVocab(m);
            long t0 = System.nanoTime();
            Transformer tf = new Transformer(m.weights(), options.activations(), parallel);
            int vocab = m.spec().vocab();
            long floats = (long) windows.count() * windows.ctx() * vocab;
            float[][] logits = floats * 4 <= Runtime.getRuntime().maxMemory() / 4 ? new float[windows.count()][] : null;
            Parity.WindowLogits source = w -> {
                float[] l = tf.forward(tokens, windows.start(w), windows.ctx());
                if (logits != null) {
                    logits[w] = l;
                }
                return l;
            };
            PerplexityResult ppl = Perplexity.evaluate(source, vocab, tokens, windows, labelled(progress, "reference"));
            Robustness robustness;
            try (OpenedModel unq = ModelLoader.open(latentDir, LatentLoader.Weights.UNQUANTIZED, parallel)) {
                Transformer latent = new Transformer(unq.model().weights(), ActivationMode.NONE, parallel);
                PerplexityResult up = Perplexity.evaluate(latent, tokens, windows, labelled(progress, "latent unquantized"));
                robustness = new Robustness(ppl.perplexity(), up.perplexity());
            }
            return new Reference(ternarized, tf, logits, tokens, windows, ppl, robustness, seconds(t0));
        } catch (RuntimeException e) {
            ternarized.close();
            throw e;
        }
    }

    /** Verifies one model, against {@code reference} when it is not null. */
    public VerificationReport verify(Path candidate, Reference reference, ProgressListener progress) {
        long t0 = System.nanoTime();
        try (OpenedModel opened = ModelLoader.open(candidate, LatentLoader.Weights.TERNARIZED, parallel)) {
            LoadedModel m = opened.model();
            checkVocab(m);
            Transformer tf = new Transformer(m.weights(), options.activations(), parallel);
            VerificationReport.Settings settings = new VerificationReport.Settings(tokenSource, tokens.length,
                    windows.ctx(), windows.count(), options.activations().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                    parallel.threads());
            if (reference == null) {
                PerplexityResult ppl = Perplexity.evaluate(tf, tokens, windows, labelled(progress, "model"));
                return new VerificationReport(options.toolVersion(), settings, ModelSummary.of(m), null, ppl, null,
                        List.of(), null, null, null, seconds(t0));
            }
            List<ProjectionAudit> audits = StructuralAudit.compare(m, reference.model());
            ParityMetrics parity = Parity.compare(reference::logits, reference.model().spec().vocab(), tf, tokens,
                    windows, labelled(progress, "model"));
            Gate.Result gate = Gate.evaluate(parity, audits, reference.robustness, options.thresholds());
            return new VerificationReport(options.toolVersion(), settings, ModelSummary.of(m),
                    ModelSummary.of(reference.model()), parity.candidate(), parity, audits, reference.robustness,
                    options.thresholds(), gate, seconds(t0) + reference.seconds);
        }
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private void checkVocab(LoadedModel m) {
        int vocab = m.spec().vocab();
        for (int i = 0; i < windows.tokensUsed(); i++) {
            if (tokens[i] < 0 || tokens[i] >= vocab) {
                Path src = options.tokens() != null ? options.tokens() : options.text();
                throw new BadInputException(src, "token " + i + " has id " + tokens[i] + ", outside the vocabulary of "
                        + vocab + " of " + m.source());
            }
        }
    }

    private static ProgressListener labelled(ProgressListener p, String label) {
        return (done, total, what) -> p.progress(done, total, label + " " + what);
    }

    private static Path tokenizer(VerifyOptions o) {
        if (o.tokenizer() != null) {
            return o.tokenizer();
        }
        Path t = o.model() == null || !Files.exists(o.model()) ? null : ModelLoader.tokenizerNextTo(o.model());
        if (t == null && o.reference() != null && Files.exists(o.reference())) {
            t = ModelLoader.tokenizerNextTo(o.reference());
        }
        if (t == null) {
            throw new BadInputException(o.text(), "no tokenizer.json next to the model"
                    + (o.reference() != null ? " or the reference" : "") + "; give --tokenizer FILE or --tokens FILE");
        }
        return t;
    }

    private static String readText(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new BadInputException(file, "is not UTF-8 text", e);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new BadInputException(file, "no such file", e);
        } catch (IOException e) {
            throw new BadInputException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    static int[] readIds(Path file) {
        String s;
        try {
            s = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new BadInputException(file, "no such file", e);
        } catch (IOException e) {
            throw new BadInputException(file, "cannot read token ids: " + e.getMessage(), e);
        }
        String trimmed = s.strip();
        if (trimmed.isEmpty()) {
            return new int[0];
        }
        String[] parts = trimmed.split("\\s+");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new BadInputException(file, "item " + i + " \"" + abbreviate(parts[i])
                        + "\" is not a token id (expected whitespace-separated integers)");
            }
            if (ids[i] < 0) {
                throw new BadInputException(file, "item " + i + " is a negative token id " + ids[i]);
            }
        }
        return ids;
    }

    private static String abbreviate(String s) {
        return s.length() > 20 ? s.substring(0, 20) + "..." : s;
    }

    @Override
    public void close() {
        parallel.close();
    }

    /** A latent reference run once over the windows; close it when every candidate is verified. */
    public static final class Reference implements AutoCloseable {
        private final OpenedModel opened;
        private final Transformer transformer;
        private final float[][] logits;
        private final PerplexityResult perplexity;
        private final Robustness robustness;
        private final int[] tokens;
        private final Windows windows;
        private final double seconds;

        private Reference(OpenedModel opened, Transformer transformer, float[][] logits, int[] tokens, Windows windows,
                PerplexityResult perplexity, Robustness robustness, double seconds) {
            this.opened = opened;
            this.transformer = transformer;
            this.logits = logits;
            this.tokens = tokens;
            this.windows = windows;
            this.seconds = seconds;
            this.perplexity = perplexity;
            this.robustness = robustness;
        }

        public LoadedModel model() {
            return opened.model();
        }

        /** Perplexity of the ternarized latent model. */
        public PerplexityResult perplexity() {
            return perplexity;
        }

        /** Ternarized vs unquantized perplexity of the latent model. */
        public Robustness robustness() {
            return robustness;
        }

        float[] logits(int window) {
            if (logits != null && logits[window] != null) {
                return logits[window];
            }
            return transformer.forward(tokens, windows.start(window), windows.ctx());
        }

        @Override
        public void close() {
            opened.close();
        }
    }
}
