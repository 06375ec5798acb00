package dev.kiln.frontend.dsl.layers;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The one list of the DSL's layers. Adding a layer: write its class and add one line here. */
public final class Layers {
    private static final List<Layer> ALL = List.of(
            new Conv2d(),
            new DepthwiseConv2d(),
            new Dense(),
            new BatchNorm(),
            new MaxPool2d(),
            new AvgPool2d());
    private static final Map<String, Layer> BY_NAME = new LinkedHashMap<>();

    static {
        for (Layer l : ALL) if (BY_NAME.put(l.name(), l) != null) throw new IllegalStateException("layer listed twice: " + l.name());
    }

    private Layers() {}

    /** The layer called {@code name}, or null. */
    public static Layer get(String name) { return BY_NAME.get(name); }

    /** Every layer, in list order. */
    public static Map<String, Layer> all() { return Collections.unmodifiableMap(BY_NAME); }
}
