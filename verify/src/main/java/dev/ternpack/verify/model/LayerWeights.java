package dev.ternpack.verify.model;

import java.util.EnumMap;
import java.util.Map;

/** One decoder layer: four norms and seven projections. */
public record LayerWeights(float[] attnNorm, float[] attnSubNorm, float[] ffnNorm, float[] ffnSubNorm,
        Map<Projection, Linear> projections) {

    public LayerWeights {
        projections = new EnumMap<>(projections);
        for (Projection p : Projection.values()) {
            if (!projections.containsKey(p)) {
                throw new IllegalArgumentException("missing projection " + p);
            }
        }
    }

    public Linear projection(Projection p) {
        return projections.get(p);
    }
}
