package dev.ternpack.verify.eval;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.verify.kernel.TernaryMatrix;
import dev.ternpack.verify.model.Linear;
import dev.ternpack.verify.model.LoadedModel;
import dev.ternpack.verify.model.ModelSpec;
import dev.ternpack.verify.model.Projection;
import java.util.ArrayList;
import java.util.List;

/**
 * Compares every projection of a candidate with the reference's: are the trits the ternarized latent
 * weights, and is the scale gamma? This catches what perplexity can hide (a wrong tensor in a late layer,
 * a scale off by a small factor) and names the tensor.
 */
public final class StructuralAudit {
    private StructuralAudit() {
    }

    public static List<ProjectionAudit> compare(LoadedModel candidate, LoadedModel reference) {
        ModelSpec c = candidate.spec();
        ModelSpec r = reference.spec();
        if (c.layers() != r.layers() || c.hidden() != r.hidden() || c.ffn() != r.ffn() || c.heads() != r.heads()
                || c.kvHeads() != r.kvHeads() || c.vocab() != r.vocab()) {
            throw new BadInputException(candidate.source(), "the candidate's shape (" + describe(c)
                    + ") differs from the reference's (" + describe(r) + ")");
        }
        List<ProjectionAudit> out = new ArrayList<>();
        for (int layer = 0; layer < c.layers(); layer++) {
            for (Projection p : Projection.values()) {
                Linear cl = candidate.weights().layers().get(layer).projection(p);
                Linear rl = reference.weights().layers().get(layer).projection(p);
                out.add(audit(candidate, layer, p, cl, rl));
            }
        }
        return out;
    }

    private static String describe(ModelSpec s) {
        return s.layers() + " layers, hidden " + s.hidden() + ", ffn " + s.ffn() + ", " + s.heads() + "/" + s.kvHeads()
                + " heads, vocab " + s.vocab();
    }

    private static ProjectionAudit audit(LoadedModel candidate, int layer, Projection p, Linear cl, Linear rl) {
        String name = candidate.projectionName(layer, p);
        String storage = candidate.projectionStorage(layer, p);
        long elements = (long) cl.rows() * cl.cols();
        if (!(rl instanceof Linear.Ternary(TernaryMatrix ref))) {
            throw new IllegalArgumentException("the reference must be ternary");
        }
        if (!(cl instanceof Linear.Ternary(TernaryMatrix cand))) {
            return new ProjectionAudit(layer, p, name, storage, elements, -1, -1, ref.scale(), Double.NaN,
                    Double.POSITIVE_INFINITY, null, candidate.scaleRounding());
        }
        long mismatches = cand.countMismatches(ref);
        int firstRow = mismatches == 0 ? -1 : cand.firstMismatchRow(ref);
        double gamma = ref.scale();
        double worst = relError(cand.scale(), gamma);
        double shown = cand.scale();
        float[] blocks = cand.blockScales();
        if (blocks != null) {
            worst = 0;
            for (float b : blocks) {
                if (b != 0f) { // all-zero blocks carry d = 0 and no information
                    double e = relError((double) b * cand.scale(), gamma);
                    if (e >= worst) {
                        worst = e;
                        shown = (double) b * cand.scale();
                    }
                }
            }
        }
        return new ProjectionAudit(layer, p, name, storage, elements, mismatches, firstRow, gamma, shown, worst,
                cand.tritCounts(), candidate.scaleRounding());
    }

    private static double relError(double value, double gamma) {
        if (gamma == 0) {
            return value == 0 ? 0 : Double.POSITIVE_INFINITY;
        }
        return Math.abs(value - gamma) / Math.abs(gamma);
    }
}
