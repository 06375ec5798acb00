package dev.kiln.backend.opencl.runtime;

import dev.kiln.backend.Backend;
import dev.kiln.backend.Target;
import dev.kiln.backend.opencl.OpenClBackend;
import dev.kiln.backend.opencl.OpenClProgram;
import dev.kiln.check.Checker;
import dev.kiln.diag.KilnException;
import dev.kiln.ir.Graph;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs graphs on an OpenCL device from Java (the {@code opencl} backend of {@code kiln check} and
 * {@code kiln run}): each graph is lowered by {@link OpenClBackend} for the chosen device's limits, built and
 * made ready once per distinct program (weights uploaded once), then every job on it runs and its outputs are
 * read back. One session serves a whole batch.
 */
public final class OpenClRunner implements Checker.BatchRunner {
    /** Symbol prefix of every lowered graph: equal graphs give equal programs, which are built once. */
    private static final String PREFIX = "kiln";

    private final OpenClRuntime runtime;
    private final ClDevice device;
    private final Target target;
    private final Path templates;
    private final OpenClBackend backend = new OpenClBackend();

    /**
     * A runner on binding {@code binding} ({@code jocl} or {@code lwjgl}; null: jocl), device {@code device}
     * (null: the first GPU, else the first device), lowering for target {@code target} (null: opencl-gpu or
     * opencl-cpu after the device's type) narrowed to the device's limits. Fails now, not per case, when no
     * OpenCL runtime is installed.
     */
    public static OpenClRunner create(String binding, Integer device, String target, Path templates) {
        OpenClRuntime rt = OpenClRuntime.forBinding(binding);
        ClDevice d = rt.select(device);
        return new OpenClRunner(rt, d, Target.load(target != null ? target : DeviceTargets.defaultTargetName(d.type())), templates);
    }

    /** A runner on device {@code device} of {@code runtime}, lowering for {@code target} narrowed to the device. */
    public OpenClRunner(OpenClRuntime runtime, ClDevice device, Target target, Path templates) {
        this.runtime = runtime;
        this.device = device;
        this.target = target;
        this.templates = templates;
    }

    /** The device the runner runs on. */
    public ClDevice device() { return device; }

    /** The binding in use. */
    public OpenClRuntime runtime() { return runtime; }

    /** The target lowering uses: the given one, with the device's work-group and local-memory limits. */
    public Target target() { return DeviceTargets.narrow(target, device.limits()); }

    /** A program lowered for this runner's device, with the types of the graph's inputs and outputs. */
    private record Lowered(OpenClProgram program, List<TensorType> inputs, List<TensorType> outputs) {
        String key() { return program.toJson() + "\n" + program.source(); }
    }

    @Override
    public List<Checker.Outcome> runAll(List<Checker.Job> jobs) {
        List<Checker.Outcome> outcomes = new ArrayList<>();
        Target t = target();
        try (ClSession s = runtime.open(device)) {
            Map<String, List<OpenClModel>> ready = new HashMap<>();
            for (Checker.Job j : jobs) {
                try {
                    Lowered l = lower(j.graph(), t, j.name());
                    OpenClModel m = find(ready.computeIfAbsent(l.key(), k -> new ArrayList<>()), l);
                    if (m == null) {
                        m = new OpenClModel(s, l.program(), l.inputs(), l.outputs()).poisonOutputs();
                        ready.get(l.key()).add(m);
                    }
                    outcomes.add(new Checker.Outcome(m.run(j.inputs()), null));
                } catch (KilnException e) {
                    outcomes.add(Checker.Outcome.failed(e.getMessage().replace("\n", " ")));
                } catch (RuntimeException e) {
                    outcomes.add(Checker.Outcome.failed("internal error: " + e));
                }
            }
        }
        return outcomes;
    }

    /** The model already made ready for the same program (same key) and the same weights, or null. */
    private static OpenClModel find(List<OpenClModel> models, Lowered l) {
        byte[] w = l.program().weights();
        for (OpenClModel m : models) {
            if (Arrays.equals(m.program().weights(), w)) return m;
        }
        return null;
    }

    private Lowered lower(Graph g, Target t, String name) {
        OpenClProgram p = backend.lower(g, t, new Backend.Options(PREFIX, templates, name)).program();
        List<TensorType> ins = new ArrayList<>(), outs = new ArrayList<>();
        for (Value v : g.inputs()) ins.add(v.type());
        for (Value v : g.outputs()) outs.add(v.type());
        return new Lowered(p, ins, outs);
    }
}
