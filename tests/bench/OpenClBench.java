import dev.kiln.CompileOptions;
import dev.kiln.Kiln;
import dev.kiln.backend.Target;
import dev.kiln.check.Checker;
import dev.kiln.check.TestCase;
import dev.kiln.frontend.onnx.ImportOptions;
import dev.kiln.toolchain.OpenClHostRunner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Latency of the generated OpenCL host program: runs each model folder's first data set through
 * OpenClHostRunner (the standalone host C) REPS times and prints the median per inference, and whether the
 * outputs match. Usage: java -cp target/kiln.jar tests/bench/OpenClBench.java [-Dreps=50] [-Ddevice=-1] MODEL_DIR...
 */
public class OpenClBench {
    public static void main(String[] args) {
        Target t = Target.load(System.getProperty("target", "opencl-cpu"));
        int reps = Integer.parseInt(System.getProperty("reps", "50"));
        int device = Integer.parseInt(System.getProperty("device", "-1"));
        for (String a : args) {
            OpenClHostRunner r = new OpenClHostRunner(t, null, device, reps);
            Checker c = new Checker(r, 1e-3, 1e-4, ImportOptions::new, null, g -> Kiln.optimize(g, t, CompileOptions.defaults()));
            List<Checker.Result> res = c.checkAll(TestCase.find(List.of(Path.of(a))), 1, x -> {});
            List<Double> ms = new ArrayList<>(r.medians());
            System.out.printf("%-32s opencl(%s) median %.3f ms over %d runs  %s%n", Path.of(a).getFileName(), t.name(),
                    ms.isEmpty() ? Double.NaN : ms.get(0), reps, res.get(0).passed() ? "PASS" : res.get(0).line());
        }
    }
}
