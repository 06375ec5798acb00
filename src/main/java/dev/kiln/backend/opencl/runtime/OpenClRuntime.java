package dev.kiln.backend.opencl.runtime;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import java.util.List;

/**
 * OpenCL from Java behind one interface: lists devices and opens sessions on them. Two bindings implement it,
 * {@link JoclRuntime} (the default) and {@link LwjglRuntime}; an application that already holds an LWJGL
 * context and queue runs Kiln models in them through {@link LwjglRuntime#wrap}.
 */
public interface OpenClRuntime {
    /** The binding names {@link #forBinding} accepts, the default first. */
    List<String> BINDINGS = List.of("jocl", "lwjgl");

    /** The binding's name ({@code jocl}, {@code lwjgl}). */
    String binding();

    /**
     * Every device of every platform, numbered in that order; fails with {@code TOOL_MISSING} naming the
     * packages to install when no OpenCL runtime (ICD loader or driver) is present.
     */
    List<ClDevice> devices();

    /** Opens a context and a queue on {@code d} (a device of this runtime's {@link #devices()}). */
    ClSession open(ClDevice d);

    /** The runtime of binding {@code name}; a usage error for an unknown name. */
    static OpenClRuntime forBinding(String name) {
        String n = name == null ? "jocl" : name;
        if (n.equals("jocl")) return new JoclRuntime();
        if (n.equals("lwjgl")) return new LwjglRuntime();
        throw new KilnException(Code.USAGE, Location.NONE, "unknown OpenCL binding '" + n + "'")
                .withHint("available: " + String.join(", ", BINDINGS));
    }

    /**
     * The device to run on: number {@code index} when given, else the first GPU, else the first device;
     * a usage error for a number out of range (the hint lists the devices).
     */
    default ClDevice select(Integer index) {
        return OpenCl.select(devices(), index);
    }
}
