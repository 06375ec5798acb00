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

    public EvalContext(String nodeName, List<NdArray> inputs, Attrs attrs, List<TensorType> outputTypes) {
        this.nodeName = nodeName;
        this.inputs = inputs;
        this.attrs = attrs;
        this.outputTypes = outputTypes;
    }

    public String nodeName() { return nodeName; }
    public Attrs attrs() { return attrs; }
    public int numInputs() { return inputs.size(); }
    public int numOutputs() { return outputTypes.size(); }

    /** Input {@code i}, or null when absent. */
    public NdArray input(int i) { return i < inputs.size() ? inputs.get(i) : null; }

    public boolean has(int i) { return input(i) != null; }

    /** The inferred type of output {@code i}. */
    public TensorType outputType(int i) { return outputTypes.get(i); }

    /** A zero-filled array of output {@code i}'s type, to fill in. */
    public NdArray newOutput(int i) { return NdArray.zeros(outputTypes.get(i)); }
}
