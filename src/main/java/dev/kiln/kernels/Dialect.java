package dev.kiln.kernels;

/**
 * A language the shared kernel bodies of {@code templates/kernels/} are rendered in. The Java half of the dialect
 * table: its template folder and whether its kernels run in parallel (one work item per output element, which
 * rules out the serial strategies, see {@link Strategy#of}). The template half, {@code templates/<folder>/Dialect.stg},
 * says how a parallel outer loop opens, the pointer qualifiers and the math names the bodies use.
 *
 * @param folder the backend's template folder ({@code c}, {@code opencl})
 * @param parallel whether kernels run as many concurrent work items rather than one loop
 */
public record Dialect(String folder, boolean parallel) {
    /** C99: one function per kernel, a {@code for} loop over the outputs. */
    public static final Dialect C = new Dialect("c", false);
    /** OpenCL C 1.2: one {@code __kernel} per kernel, one work item per output element. */
    public static final Dialect OPENCL = new Dialect("opencl", true);
}
