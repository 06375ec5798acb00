package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX Loop: runs {@code body} while the iteration count is below the trip count {@code M} (input 0, optional)
 * and the condition (input 1, optional; then the body's first output) holds. Inputs 2.. are the N loop-carried
 * initial values followed by {@code captures} outer values the body reads. The body takes (iteration, condition,
 * carried..., captures...) and gives (condition, carried..., scan outputs...); the node gives the final carried
 * values and each scan output stacked over the iterations.
 *
 * <p>Static shapes: a carried value keeps its type across iterations; scan outputs need a trip count known
 * now and a condition that cannot stop the loop early. A trip count known only at run time needs the bound
 * {@code max_trip_count} (from {@code --max-trip-count NODE=N}).
 */
public final class Loop extends OpDef {
    public Loop() {
        super("loop", Signature.builder().optionalInput("M", "cond").optionalVariadicInput("v_initial").variadicOutput("outputs")
                .requiredAttr("body", AttrType.GRAPH).attr("captures", AttrType.INT, 0L).attr("max_trip_count", AttrType.INT, 0L).build());
    }

    @Override
    public String summary() { return "runs a body up to M times while a condition holds; carried values and stacked scan outputs"; }


    @Override
    public List<TensorType> infer(InferContext cx) {
        Graph body = cx.attrs().getGraph("body");
        long captures = cx.attrs().getInt("captures");
        cx.check(captures >= 0 && captures <= cx.numInputs() - 2, "captures=%d does not fit its %d inputs", captures, cx.numInputs());
        int n = cx.numInputs() - 2 - (int) captures;
        int k = cx.numOutputs() - n;
        cx.check(k >= 0, "the node has %d outputs, fewer than its %d loop-carried values", cx.numOutputs(), n);
        if (cx.has(0)) cx.check(cx.dtype(0) == DType.I64 && cx.shape(0).numel() == 1, "the trip count M must be one int64, got %s", cx.input(0));
        if (cx.has(1)) cx.check(Regions.isFlag(cx.input(1)), "the condition must be one boolean, got %s", cx.input(1));
        Regions.checkInputCount(cx, body, "body", cx.numInputs());
        cx.check(body.outputs().size() == 1 + cx.numOutputs(), "the body gives %d outputs; the node's %d outputs need %d (condition first)",
                body.outputs().size(), cx.numOutputs(), 1 + cx.numOutputs());
        cx.check(body.inputs().get(0).dtype() == DType.I64 && body.inputs().get(0).shape().numel() == 1, "the body's first input (iteration) must be one int64");
        cx.check(Regions.isFlag(body.inputs().get(1).type()), "the body's second input (condition) must be one boolean");
        cx.check(Regions.isFlag(body.outputs().get(0).type()), "the body's first output (condition) must be one boolean, got %s", body.outputs().get(0).type());
        for (int i = 2; i < cx.numInputs(); i++) Regions.checkInput(cx, body, "body", i, cx.input(i), "the node's input " + i);
        List<TensorType> r = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            TensorType out = body.outputs().get(1 + i).type();
            // why: a carried value lives in one buffer for every iteration; a body that grows it has no static shape
            cx.check(Regions.sameType(out, cx.input(2 + i)), "loop-carried value %d enters as %s but the body gives back %s; its type and shape must stay the same",
                    i, cx.input(2 + i), out);
            r.add(cx.input(2 + i));
        }
        long trips = staticTrips(cx);
        long bound = cx.attrs().getInt("max_trip_count");
        if (trips < 0 && bound <= 0)
            throw cx.error("the trip count is known only at run time (or the loop has none); give a bound with --max-trip-count %s=N", cx.nodeName());
        cx.check(trips <= Regions.MAX_TRIP_COUNT && bound <= Regions.MAX_TRIP_COUNT, "the trip count %d is more than Kiln's limit of %d iterations",
                Math.max(trips, bound), Regions.MAX_TRIP_COUNT);
        if (k > 0) {
            // why: stacked scan outputs have one row per iteration; their shape is static only when the count is
            cx.check(trips >= 0 && !mayStopEarly(cx, body),
                    "its %d scan output(s) need an iteration count known at compile time: a constant trip count M and a condition that stays true", k);
            for (int i = 0; i < k; i++) {
                TensorType t = body.outputs().get(1 + n + i).type();
                r.add(new TensorType(t.dtype(), Regions.insert(t.shape(), 0, (int) trips)));
            }
        }
        return r;
    }

    /** The trip count when the input M is a constant, else -1. */
    private static long staticTrips(InferContext cx) {
        NdArray m = cx.constant(0);
        if (m == null) return -1;
        return Math.max(0, m.getLong(0));
    }

    /** True unless the loop provably runs exactly M times: no condition or a true one, passed through the body unchanged or constant true. */
    private static boolean mayStopEarly(InferContext cx, Graph body) {
        if (cx.has(1)) {
            NdArray c = cx.constant(1);
            if (c == null || c.getLong(0) == 0) return true;
        }
        Value out = body.outputs().get(0);
        if (out == body.inputs().get(1)) return false;
        if (out.isConstant()) return out.constant().getLong(0) == 0;
        // why: exporters pass the condition through an Identity
        Node p = out.producer();
        return !(p != null && p.op().has(Trait.ALIAS) && p.numInputs() == 1 && p.input(0) == body.inputs().get(1));
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        Graph body = cx.attrs().getGraph("body");
        int captures = (int) cx.attrs().getInt("captures");
        int n = cx.numInputs() - 2 - captures;
        int k = cx.numOutputs() - n;
        long m = cx.has(0) ? cx.input(0).getLong(0) : Long.MAX_VALUE;
        long bound = cx.attrs().getInt("max_trip_count");
        if (bound > 0 && cx.has(0) && m > bound)
            throw new IllegalArgumentException("the trip count " + m + " is more than the bound --max-trip-count " + cx.nodeName() + "=" + bound);
        if (bound > 0) m = Math.min(m, bound);
        boolean cond = !cx.has(1) || cx.input(1).getLong(0) != 0;
        List<NdArray> carried = new ArrayList<>();
        for (int i = 0; i < n; i++) carried.add(cx.input(2 + i));
        List<NdArray> scans = new ArrayList<>();
        for (int i = 0; i < k; i++) scans.add(cx.newOutput(n + i));
        for (long it = 0; it < m && cond; it++) {
            List<NdArray> ins = new ArrayList<>();
            ins.add(NdArray.ofLongs(DType.I64, body.inputs().get(0).shape(), it));
            ins.add(NdArray.ofLongs(DType.BOOL, body.inputs().get(1).shape(), cond ? 1 : 0));
            ins.addAll(carried);
            for (int i = 0; i < captures; i++) ins.add(cx.input(2 + n + i));
            List<NdArray> outs = Regions.run(body, ins);
            cond = outs.get(0).getLong(0) != 0;
            for (int i = 0; i < n; i++) carried.set(i, outs.get(1 + i));
            for (int i = 0; i < k; i++) Regions.store(outs.get(1 + n + i), scans.get(i), 0, (int) it);
        }
        List<NdArray> r = new ArrayList<>(carried);
        r.addAll(scans);
        return r;
    }

    /** The body's MACs times the iterations (the bound when the trip count is known only at run time). */
    @Override
    public long macs(Node n) {
        Value m = n.input(0);
        long trips = m != null && m.isConstant() ? Math.max(0, m.constant().getLong(0)) : n.attrs().getInt("max_trip_count");
        return trips * Regions.macs(n.attrs().getGraph("body"));
    }

}
