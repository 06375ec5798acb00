package dev.kiln.frontend.onnx;

import dev.kiln.ir.NdArray;
import java.util.LinkedHashMap;
import java.util.Map;

/** Settings of a model import: shapes for symbolic dimensions, values of inputs that may be frozen, limits. */
public final class ImportOptions {
    /** Default cap on any single tensor's size: 4 GiB. */
    public static final long DEFAULT_MAX_TENSOR_BYTES = 4L << 30;

    private final Map<String, long[]> inputShapes = new LinkedHashMap<>();
    private final Map<String, NdArray> knownInputValues = new LinkedHashMap<>();
    private long maxTensorBytes = DEFAULT_MAX_TENSOR_BYTES;

    /** Binds the shape of input {@code name} (overrides symbolic and unknown dimensions). */
    public ImportOptions inputShape(String name, long... dims) {
        inputShapes.put(name, dims.clone());
        return this;
    }

    /**
     * Declares the value an input will have. Where the model needs an input's value at compile time
     * (a Reshape target shape, Slice bounds, Clip limits fed as inputs...), the importer freezes that input
     * into a constant with this value instead of failing. {@code kiln check} uses this for test cases.
     */
    public ImportOptions knownInputValue(String name, NdArray value) {
        knownInputValues.put(name, value);
        return this;
    }

    public ImportOptions maxTensorBytes(long bytes) {
        this.maxTensorBytes = bytes;
        return this;
    }

    public Map<String, long[]> inputShapes() { return inputShapes; }
    public Map<String, NdArray> knownInputValues() { return knownInputValues; }
    public long maxTensorBytes() { return maxTensorBytes; }

    /** Parses {@code NAME=1x3x224x224} into a binding; returns false if malformed. */
    public boolean parseInputShape(String spec) {
        int eq = spec.lastIndexOf('=');
        if (eq <= 0 || eq == spec.length() - 1) return false;
        String[] parts = spec.substring(eq + 1).split("[x,]");
        long[] dims = new long[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) {
                dims[i] = Long.parseLong(parts[i].trim());
                if (dims[i] < 0) return false;
            }
        } catch (NumberFormatException e) {
            return false;
        }
        inputShape(spec.substring(0, eq), dims);
        return true;
    }
}
