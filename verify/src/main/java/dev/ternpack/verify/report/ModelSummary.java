package dev.ternpack.verify.report;

import dev.ternpack.verify.model.LoadedModel;
import dev.ternpack.verify.model.ModelSpec;
import java.util.List;

/** What a report says about one model. */
public record ModelSummary(String path, String kind, String format, String activation, int layers, int hidden,
        int vocab, boolean tiedHead, List<String> notes) {

    public static ModelSummary of(LoadedModel m) {
        ModelSpec s = m.spec();
        return new ModelSummary(m.source().toString(), m.kind(), m.format(), s.activation().configName(), s.layers(),
                s.hidden(), s.vocab(), s.tiedHead(), m.notes());
    }
}
