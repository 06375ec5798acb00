package dev.kiln.ops;

import dev.kiln.ir.Attrs;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.TensorType;
import java.util.List;

/** What an op's reference evaluation sees: input data (null for absent optional inputs), attributes and output types. */
public final class EvalContext {
    private final String nodeName;
    private final List<NdArray> inputs;
    private final Attrs attrs;
    private final List<TensorType> outputTypes;
    private final List<TensorType> inputTypes;

    public EvalContext(String nodeName, List<NdArray> inputs, Attrs attrs, List<TensorType> outputTypes) {
        this(nodeName, inputs, attrs, outputTypes, null);
    }

    /**
     * A context that also knows the inputs' static types (their quantization parameters, which the data
     * alone does not carry); {@code inputTypes} may be null, and then {@link #inputType} is the data's type.
     */
    public EvalContext(String nodeName, List<NdArray> inputs, Attrs attrs, List<TensorType> outputTypes, List<TensorType> inputTypes) {
        this.nodeName = nodeName;
        this.inputs = inputs;
        this.attrs = attrs;
        this.outputTypes = outputTypes;
        this.inputTypes = inputTypes;
    }

    public String nodeName() { return nodeName; }
    public Attrs attrs() { return attrs; }
    public int numInputs() { return inputs.size(); }
    public int numOutputs() { return outputTypes.size(); }

    /** Input {@code i}, or null when absent. */
    public NdArray input(int i) { return i < inputs.size() ? inputs.get(i) : null; }

    public boolean has(int i) { return input(i) != null; }

    /**
     * The static type of input {@code i} (with its quantization parameters) when the caller gave the node's
     * input types, else the data's own type (no quantization parameters); null when the input is absent.
     */
    public TensorType inputType(int i) {
        if (inputTypes != null && i < inputTypes.size() && inputTypes.get(i) != null) return inputTypes.get(i);
        return has(i) ? input(i).type() : null;
    }

    /** The inferred type of output {@code i}. */
    public TensorType outputType(int i) { return outputTypes.get(i); }

    /** A zero-filled array of output {@code i}'s type, to fill in. */
    public NdArray newOutput(int i) { return NdArray.zeros(outputTypes.get(i)); }
}
