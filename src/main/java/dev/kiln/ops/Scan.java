package dev.kiln.ops;

import dev.kiln.ir.AttrType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.NdArray;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX Scan (opset 9 and later): runs {@code body} once per slice of the scan inputs. Inputs are N state
 * values, then {@code num_scan_inputs} scan inputs (sliced along {@code scan_input_axes}, walked forwards or
 * backwards per {@code scan_input_directions}), then {@code captures} outer values the body reads. The body
 * takes (state..., slices..., captures...) and gives (state..., scan output slices...); the node gives the
 * final states and the slices stacked along {@code scan_output_axes} (in reverse per {@code scan_output_directions}).
 */
public final class Scan extends OpDef {
    public Scan() {
        super("scan", Signature.builder().variadicInput("inputs").variadicOutput("outputs")
                .requiredAttr("body", AttrType.GRAPH).requiredAttr("num_scan_inputs", AttrType.INT).attr("captures", AttrType.INT, 0L)
                .optionalAttr("scan_input_directions", AttrType.INTS).optionalAttr("scan_output_directions", AttrType.INTS)
                .optionalAttr("scan_input_axes", AttrType.INTS).optionalAttr("scan_output_axes", AttrType.INTS).build());
    }

    @Override
    public String summary() { return "runs a body over slices of its scan inputs, carrying state; stacks the output slices"; }

    /** The counts of a Scan node: states, scan inputs, captures, scan outputs. */
    private record Counts(int states, int scanIns, int captures, int scanOuts) {}

    private static Counts counts(int numInputs, int numOutputs, dev.kiln.ir.Attrs a) {
        int m = (int) a.getInt("num_scan_inputs"), c = (int) a.getInt("captures");
        int n = numInputs - m - c;
        return new Counts(n, m, c, numOutputs - n);
    }

    private static long[] list(dev.kiln.ir.Attrs a, String name, int count) {
        long[] v = a.getIntsOrNull(name);
        return v == null ? new long[count] : v;
    }

    @Override
    public List<TensorType> infer(InferContext cx) {
        Graph body = cx.attrs().getGraph("body");
        long m = cx.attrs().getInt("num_scan_inputs"), c = cx.attrs().getInt("captures");
        cx.check(m >= 1 && c >= 0 && m + c <= cx.numInputs(), "num_scan_inputs=%d and captures=%d do not fit its %d inputs", m, c, cx.numInputs());
        Counts k = counts(cx.numInputs(), cx.numOutputs(), cx.attrs());
        cx.check(k.scanOuts >= 0, "the node has %d outputs, fewer than its %d states", cx.numOutputs(), k.states);
        long[] inAxes = list(cx.attrs(), "scan_input_axes", k.scanIns), outAxes = list(cx.attrs(), "scan_output_axes", k.scanOuts);
        long[] inDirs = list(cx.attrs(), "scan_input_directions", k.scanIns), outDirs = list(cx.attrs(), "scan_output_directions", k.scanOuts);
        cx.check(inAxes.length == k.scanIns && inDirs.length == k.scanIns, "scan_input_axes and scan_input_directions need one entry per scan input (%d)", k.scanIns);
        cx.check(outAxes.length == k.scanOuts && outDirs.length == k.scanOuts, "scan_output_axes and scan_output_directions need one entry per scan output (%d)", k.scanOuts);
        Regions.checkInputCount(cx, body, "body", cx.numInputs());
        cx.check(body.outputs().size() == cx.numOutputs(), "the body gives %d outputs, the node has %d", body.outputs().size(), cx.numOutputs());
        int len = -1;
        for (int i = 0; i < k.scanIns; i++) {
            Shape s = cx.shape(k.states + i);
            cx.check(inAxes[i] >= -s.rank() && inAxes[i] < s.rank(), "scan_input_axes[%d]=%d is outside rank %d", i, inAxes[i], s.rank());
            int ax = s.axis(inAxes[i]);
            cx.check(len < 0 || s.dim(ax) == len, "scan input %d has %d steps along axis %d, scan input 0 has %d", i, s.dim(ax), ax, len);
            len = s.dim(ax);
            Regions.checkInput(cx, body, "body", k.states + i, new TensorType(cx.dtype(k.states + i), Regions.remove(s, ax)), "one slice of scan input " + i);
        }
        for (int i = 0; i < k.states; i++) Regions.checkInput(cx, body, "body", i, cx.input(i), "state " + i);
        for (int i = 0; i < k.captures; i++) {
            int j = k.states + k.scanIns + i;
            Regions.checkInput(cx, body, "body", j, cx.input(j), "the node's input " + j);
        }
        List<TensorType> r = new ArrayList<>();
        for (int i = 0; i < k.states; i++) {
            TensorType out = body.outputs().get(i).type();
            cx.check(Regions.sameType(out, cx.input(i)), "state %d enters as %s but the body gives back %s", i, cx.input(i), out);
            r.add(cx.input(i));
        }
        for (int i = 0; i < k.scanOuts; i++) {
            TensorType t = body.outputs().get(k.states + i).type();
            int rank = t.shape().rank() + 1;
            cx.check(outAxes[i] >= -rank && outAxes[i] < rank, "scan_output_axes[%d]=%d is outside rank %d", i, outAxes[i], rank);
            r.add(new TensorType(t.dtype(), Regions.insert(t.shape(), Shape.normalizeAxis(outAxes[i], rank), len)));
        }
        return r;
    }

    @Override
    public List<NdArray> evaluate(EvalContext cx) {
        Graph body = cx.attrs().getGraph("body");
        Counts k = counts(cx.numInputs(), cx.numOutputs(), cx.attrs());
        long[] inAxes = list(cx.attrs(), "scan_input_axes", k.scanIns), outAxes = list(cx.attrs(), "scan_output_axes", k.scanOuts);
        long[] inDirs = list(cx.attrs(), "scan_input_directions", k.scanIns), outDirs = list(cx.attrs(), "scan_output_directions", k.scanOuts);
        int[] inAx = new int[k.scanIns], outAx = new int[k.scanOuts];
        for (int i = 0; i < k.scanIns; i++) inAx[i] = cx.input(k.states + i).shape().axis(inAxes[i]);
        for (int i = 0; i < k.scanOuts; i++) inAxOut(outAx, i, outAxes[i], cx.outputType(k.states + i).shape().rank());
        int len = cx.input(k.states).shape().dim(inAx[0]);
        List<NdArray> state = new ArrayList<>();
        for (int i = 0; i < k.states; i++) state.add(cx.input(i));
        List<NdArray> outs = new ArrayList<>();
        for (int i = 0; i < k.scanOuts; i++) outs.add(cx.newOutput(k.states + i));
        for (int t = 0; t < len; t++) {
            List<NdArray> ins = new ArrayList<>(state);
            for (int i = 0; i < k.scanIns; i++) ins.add(Regions.slice(cx.input(k.states + i), inAx[i], inDirs[i] == 0 ? t : len - 1 - t));
            for (int i = 0; i < k.captures; i++) ins.add(cx.input(k.states + k.scanIns + i));
            List<NdArray> r = Regions.run(body, ins);
            for (int i = 0; i < k.states; i++) state.set(i, r.get(i));
            for (int i = 0; i < k.scanOuts; i++) Regions.store(r.get(k.states + i), outs.get(i), outAx[i], outDirs[i] == 0 ? t : len - 1 - t);
        }
        List<NdArray> res = new ArrayList<>(state);
        res.addAll(outs);
        return res;
    }

    private static void inAxOut(int[] into, int i, long axis, int rank) { into[i] = Shape.normalizeAxis(axis, rank); }

    /** The body's MACs times the number of steps. */
    @Override
    public long macs(Node n) {
        Counts k = counts(n.numInputs(), n.outputs().size(), n.attrs());
        long[] inAxes = list(n.attrs(), "scan_input_axes", k.scanIns);
        Shape s = n.input(k.states).shape();
        return (long) s.dim(s.axis(inAxes[0])) * Regions.macs(n.attrs().getGraph("body"));
    }
}
