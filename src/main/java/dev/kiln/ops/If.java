package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code outs = cond ? then_branch(captures) : else_branch(captures)}: runs one of two regions. Input 0 is the
 * one-element boolean condition; the remaining inputs are the outer values the branches read (each branch has
 * exactly these as its inputs, in order). Both branches give outputs of the same types, the node's outputs.
 */
public final class If extends OpDef {
    public If() {
        super("if", Signature.builder().input("cond").optionalVariadicInput("captures").variadicOutput("outputs")
                .requiredAttr("then_branch", AttrType.GRAPH).requiredAttr("else_branch", AttrType.GRAPH).build());
    }

    @Override
    public String summary() { return "runs then_branch or else_branch on a boolean condition"; }

    @Override
    public List<TensorType> infer(InferContext cx) {
        cx.check(Regions.isFlag(cx.input(0)), "the condition must be one boolean, got %s", cx.input(0));
        Graph then = cx.attrs().getGraph("then_branch"), other = cx.attrs().getGraph("else_branch");
        for (String attr : List.of("then_branch", "else_branch")) {
            Graph g = cx.attrs().getGraph(attr);
            Regions.checkInputCount(cx, g, attr, cx.numInputs() - 1);
            for (int i = 1; i < cx.numInputs(); i++) Regions.checkInput(cx, g, attr, i - 1, cx.input(i), "the node's input " + i);
            cx.check(g.outputs().size() == cx.numOutputs(), "region '%s' has %d outputs, the node %d", attr, g.outputs().size(), cx.numOutputs());
        }
        List<TensorType> r = new ArrayList<>();
        for (int i = 0; i < cx.numOutputs(); i++) {
            TensorType a = then.outputs().get(i).type(), b = other.outputs().get(i).type();
            // why: the node's output has one static type and one buffer; branches disagreeing cannot share it
            cx.check(Regions.sameType(a, b), "output %d is %s in then_branch but %s in else_branch; both branches must give the same type and shape",
                    i, a, b);
            r.add(a);
        }
        return r;
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        boolean c = cx.input(0).getLong(0) != 0;
        Graph g = cx.attrs().getGraph(c ? "then_branch" : "else_branch");
        List<NdArray> ins = new ArrayList<>();
        for (int i = 1; i < cx.numInputs(); i++) ins.add(cx.input(i));
        return Regions.run(g, ins);
    }

    /** The larger branch's MACs: the cost of the worse case. */
    @Override
    public long macs(Node n) {
        return Math.max(Regions.macs(n.attrs().getGraph("then_branch")), Regions.macs(n.attrs().getGraph("else_branch")));
    }

    /** The branch a constant condition selects, with the outer values bound to its inputs; null when the condition is not known. */
    @Override
    public Inlining inlining(Node n) {
        Value c = n.input(0);
        if (!c.isConstant()) return null;
        Graph g = n.attrs().getGraph(c.constant().getLong(0) != 0 ? "then_branch" : "else_branch");
        return new Inlining(g, Regions.tail(n.inputs(), 1));
    }
}
