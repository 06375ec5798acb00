package dev.kiln.quant;

import dev.kiln.diag.Progress;
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
 * @param log where the closing summary line goes (null: nowhere)
 * @param bar the progress bar drawn while samples run ({@link Progress#OFF}: none)
 */
public record Calibration(Path data, Calibrator.Method method, double percentile, PrintWriter log, Progress bar)
        implements Function<Graph, Map<String, QuantParams>> {
    /** Default percentile of the percentile method. */
    public static final double DEFAULT_PERCENTILE = 99.99;

    /**
     * Calibration with a summary line on {@code log} and, when {@code interactive} (stderr is a terminal), a
     * progress bar drawn on it too.
     */
    public Calibration(Path data, Calibrator.Method method, double percentile, PrintWriter log, boolean interactive) {
        this(data, method, percentile, log, log != null && interactive ? Progress.forced(log, System::nanoTime, 79) : Progress.OFF);
    }

    /** Calibration of {@code data} by {@code method}, no progress output. */
    public static Calibration of(Path data, Calibrator.Method method) {
        return new Calibration(data, method, DEFAULT_PERCENTILE, null, Progress.OFF);
    }

    @Override
    public Map<String, QuantParams> apply(Graph g) {
        return new Calibrator(method, percentile, log, bar).calibrate(g, Calibrator.load(data, g));
    }
}
