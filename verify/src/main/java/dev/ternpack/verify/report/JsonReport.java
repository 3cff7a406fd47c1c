package dev.ternpack.verify.report;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.ternpack.verify.eval.Check;
import dev.ternpack.verify.eval.ParityMetrics;
import dev.ternpack.verify.eval.PerplexityResult;
import dev.ternpack.verify.eval.ProjectionAudit;
import dev.ternpack.verify.eval.Thresholds;

/** The machine-readable report ({@code --json}). Non-finite numbers are written as null. */
public final class JsonReport {
    private JsonReport() {
    }

    public static String render(VerificationReport r) {
        JsonObject o = new JsonObject();
        o.addProperty("tool", "ternpack " + r.toolVersion());
        o.addProperty("passed", r.passed());
        o.addProperty("verdict", r.verdict());
        o.add("settings", settings(r.settings()));
        o.add("candidate", model(r.candidate()));
        o.add("reference", r.reference() == null ? JsonNull.INSTANCE : model(r.reference()));
        o.add("perplexity", perplexity(r.candidatePerplexity()));
        if (r.parity() != null) {
            o.add("parity", parity(r.parity()));
        }
        if (r.robustness() != null) {
            JsonObject rb = new JsonObject();
            rb.add("ppl_ternarized", num(r.robustness().pplTernarized()));
            rb.add("ppl_unquantized", num(r.robustness().pplUnquantized()));
            rb.add("penalty", num(r.robustness().penalty()));
            o.add("robustness", rb);
        }
        if (!r.audits().isEmpty()) {
            JsonArray a = new JsonArray();
            for (ProjectionAudit p : r.audits()) {
                a.add(audit(p));
            }
            o.add("tensors", a);
        }
        if (r.gate() != null) {
            o.add("thresholds", thresholds(r.thresholds()));
            JsonArray checks = new JsonArray();
            for (Check c : r.gate().checks()) {
                JsonObject j = new JsonObject();
                j.addProperty("group", c.group());
                j.addProperty("subject", c.subject());
                j.addProperty("passed", c.passed());
                j.add("value", num(c.value()));
                j.add("limit", num(c.limit()));
                j.addProperty("message", c.message());
                checks.add(j);
            }
            o.add("checks", checks);
        }
        o.add("seconds", num(r.seconds()));
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(o) + "\n";
    }

    private static JsonObject settings(VerificationReport.Settings s) {
        JsonObject j = new JsonObject();
        j.addProperty("tokens_from", s.tokenSource());
        j.addProperty("tokens_available", s.tokensAvailable());
        j.addProperty("ctx", s.ctx());
        j.addProperty("windows", s.windows());
        j.addProperty("predictions", (long) s.windows() * (s.ctx() - 1));
        j.addProperty("activations", s.activations());
        j.addProperty("threads", s.threads());
        return j;
    }

    private static JsonObject model(ModelSummary m) {
        JsonObject j = new JsonObject();
        j.addProperty("path", m.path());
        j.addProperty("kind", m.kind());
        j.addProperty("format", m.format());
        j.addProperty("activation", m.activation());
        j.addProperty("layers", m.layers());
        j.addProperty("hidden", m.hidden());
        j.addProperty("vocab", m.vocab());
        j.addProperty("tied_head", m.tiedHead());
        JsonArray notes = new JsonArray();
        m.notes().forEach(notes::add);
        j.add("notes", notes);
        return j;
    }

    private static JsonObject perplexity(PerplexityResult p) {
        JsonObject j = new JsonObject();
        j.add("ppl", num(p.perplexity()));
        j.add("mean_nll", num(p.meanNll()));
        j.addProperty("predictions", p.predictions());
        return j;
    }

    private static JsonObject parity(ParityMetrics p) {
        JsonObject j = new JsonObject();
        j.add("ppl_reference", num(p.reference().perplexity()));
        j.add("ppl_candidate", num(p.candidate().perplexity()));
        j.add("relative_ppl_delta", num(p.relativePerplexityDelta()));
        j.add("mean_kl", num(p.meanKl()));
        j.add("max_kl", num(p.maxKl()));
        j.add("top1_agreement", num(p.top1()));
        j.add("max_abs_logit_delta", num(p.maxLogitDelta()));
        return j;
    }

    private static JsonObject audit(ProjectionAudit p) {
        JsonObject j = new JsonObject();
        j.addProperty("tensor", p.tensor());
        j.addProperty("layer", p.layer());
        j.addProperty("projection", p.projection().name().toLowerCase(java.util.Locale.ROOT));
        j.addProperty("storage", p.storage());
        j.addProperty("elements", p.elements());
        j.addProperty("trit_mismatches", p.mismatches());
        j.add("reference_scale", num(p.referenceScale()));
        j.add("candidate_scale", num(p.candidateScale()));
        j.add("scale_relative_error", num(p.scaleRelError()));
        if (p.candidateCounts() != null) {
            JsonObject c = new JsonObject();
            c.addProperty("minus_one", p.candidateCounts()[0]);
            c.addProperty("zero", p.candidateCounts()[1]);
            c.addProperty("plus_one", p.candidateCounts()[2]);
            j.add("trit_counts", c);
            j.add("sparsity", num(p.sparsity()));
        }
        return j;
    }

    private static JsonObject thresholds(Thresholds t) {
        JsonObject j = new JsonObject();
        j.add("max_ppl_delta", num(t.maxPplDelta()));
        j.add("min_top1", num(t.minTop1()));
        j.add("max_kl", num(t.maxKl()));
        j.add("max_scale_error", num(t.maxScaleError()));
        j.addProperty("max_trit_mismatches", t.maxTritMismatches());
        j.add("max_quant_penalty", num(t.maxQuantPenalty()));
        return j;
    }

    private static com.google.gson.JsonElement num(double v) {
        return Double.isFinite(v) ? new JsonPrimitive(v) : JsonNull.INSTANCE;
    }
}
