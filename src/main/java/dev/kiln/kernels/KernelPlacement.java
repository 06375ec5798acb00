package dev.kiln.kernels;

import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.memory.PlacementRules;
import dev.kiln.ops.Trait;

/** The memory planner's rules derived from kernel models, the same for every backend. */
public final class KernelPlacement {
    private KernelPlacement() {}

    /**
     * The planner's rules for kernels described by {@code model}: aliases of equal byte size share their input's
     * buffer; element-wise kernels (and lowerings that name one, like a conv's residual Z) may write over an input.
     */
    public static PlacementRules rules(java.util.function.Function<Node, KernelModel> model) {
        return new PlacementRules() {
            @Override
            public boolean isAlias(Node n) {
                return n.op().has(Trait.ALIAS) && n.input(0) != null
                        && n.input(0).type().byteSize() == n.output(0).type().byteSize();
            }

            @Override
            public int inPlaceInput(Node n) {
                // why: a lowering may name an input its kernel reads element for element (a conv's residual Z)
                if (model.apply(n).inPlaceInput >= 0) return model.apply(n).inPlaceInput;
                // why: element-wise kernels read element i of every input before writing element i
                if (!(n.op().has(Trait.ELEMENTWISE) || n.op().has(Trait.ACTIVATION)) || n.op().has(Trait.ALIAS)) return -1;
                Value out = n.output(0);
                for (int i = 0; i < n.numInputs(); i++) {
                    Value in = n.input(i);
                    if (in != null && in.dtype() == out.dtype() && in.shape().equals(out.shape())) return i;
                }
                return -1;
            }

            @Override
            public boolean inPlaceAtTail(Node n) { return model.apply(n).inPlaceAtTail; }

            @Override
            public long[] joinedAt(Node n) { return model.apply(n).joinedAt; }

            @Override
            public long[] viewAt(Node n) { return model.apply(n).viewAt; }

            @Override
            public long scratchBytes(Node n) { return model.apply(n).scratchBytes; }
        };
    }
}
