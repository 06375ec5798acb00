package dev.kiln.kernels;

import dev.kiln.backend.Target;
import java.util.List;

/**
 * The per-target half of a kernel model: which implementation of an op's kernel a lowering chooses (blocked,
 * vectorised, DSP, packed weights, a scratch buffer shared by the whole loop), decided from the target descriptor
 * and the dialect the kernel is rendered in. The other half, the shared geometry (shapes, strides, offsets,
 * multipliers, loop bounds), does not depend on it. The accessors are named like {@link Target}'s so a lowering
 * reads {@code t.optimizeForSpeed()} whichever it is handed.
 *
 * @param optimizeForSpeed whether the fast forms (blocked loops, packed weights) are wanted
 * @param vectorBytes bytes of the SIMD registers float kernels block for (0: none)
 * @param hasDsp whether the int8 kernels may use the Cortex-M DSP (SMLAD) forms
 * @param serial whether one thread runs the kernel's whole loop, so it may keep one scratch buffer across it
 * @param hostInt8 whether the int8 kernels take the host forms (packed GEMM for VNNI / AVX2 / plain C, vectorised
 *     depthwise and element-wise loops; kiln_int8_host.h)
 * @param isa the instruction-set features the target declares or the host has (see {@link Target#isa()})
 * @param vectorRegisters how many SIMD registers a register block may take (see {@link Target#vectorRegisters()})
 * @param winograd whether float 3×3 convs may take the Winograd form, which is not bit-exact with the interpreter
 *     (see {@link Target#winograd()})
 */
public record Strategy(boolean optimizeForSpeed, int vectorBytes, boolean hasDsp, boolean serial, boolean hostInt8, List<String> isa,
        int vectorRegisters, boolean winograd) {
    /** A strategy without the host int8 forms. */
    public Strategy(boolean optimizeForSpeed, int vectorBytes, boolean hasDsp, boolean serial) {
        this(optimizeForSpeed, vectorBytes, hasDsp, serial, false, List.of(), vectorBytes >= 64 ? 32 : 16, false);
    }

    /**
     * Whether a register block of {@code rows} × {@code vectors} accumulators, its {@code vectors} loaded inputs and
     * one broadcast fit the registers.
     */
    public boolean fits(int rows, int vectors) { return rows * vectors + vectors + 1 <= vectorRegisters; }

    /** The strategy for kernels rendered in {@code d} for target {@code t}. */
    public static Strategy of(Target t, Dialect d) {
        // why: a parallel dialect runs one work item per element and reads the weights as the graph holds them,
        // so none of the serial host forms (blocking, packing, SIMD vectors, DSP, a shared scratch row) applies
        if (d.parallel()) return new Strategy(false, 0, false, false);
        return new Strategy(t.optimizeForSpeed(), t.vectorBytes(), t.hasDsp(), true, t.hostInt8() && !t.hasDsp(), t.isa(),
                t.vectorRegisters(), t.winograd());
    }
}
