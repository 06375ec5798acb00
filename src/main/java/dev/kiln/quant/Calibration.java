package dev.kiln.quant;

import dev.kiln.ir.Graph;
import dev.kiln.ir.QuantParams;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

/**
 * A request for int8 lowering with calibration ({@code --int8 --calibrate DATA [--calibration M] [--percentile P]}):
 * applied to the graph as it stands before {@code LowerToInt8}, it loads the data and measures every float value.
 *
 * @param data a .npy file (first axis = samples) or a folder of .npy/.pb inputs
 * @param method the calibration method
 * @param percentile the percentile of {@link Calibrator.Method#PERCENTILE}
 * @param progress where progress goes (null: nowhere)
 * @param interactive whether progress may redraw a counter (stderr is a terminal)
 */
public record Calibration(Path data, Calibrator.Method method, double percentile, PrintWriter progress, boolean interactive)
        implements Function<Graph, Map<String, QuantParams>> {
    /** Default percentile of the percentile method. */
    public static final double DEFAULT_PERCENTILE = 99.99;

    /** Calibration of {@code data} by {@code method}, no progress output. */
    public static Calibration of(Path data, Calibrator.Method method) {
        return new Calibration(data, method, DEFAULT_PERCENTILE, null, false);
    }

    @Override
    public Map<String, QuantParams> apply(Graph g) {
        return new Calibrator(method, percentile, progress, interactive).calibrate(g, Calibrator.load(data, g));
    }
}
