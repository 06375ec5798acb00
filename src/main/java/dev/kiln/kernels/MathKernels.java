package dev.kiln.kernels;

import dev.kiln.ir.DType;
import dev.kiln.ir.Node;

/**
 * Lowerings of the element-wise logic, bit and math ops whose shared bodies ({@code templates/kernels/logic.stg}
 * and {@code math.stg}) need more than {@link KernelModel}: the choices their attributes make, as booleans.
 */
public final class MathKernels {
    private MathKernels() {}

    /** Model of {@code bit_shift}: the direction, the element type's width, and the unsigned type a left shift runs in. */
    public static final class BitShift {
        public final boolean left;
        /** Bits of the element type: a shift by this much or more (or by a negative amount) shifts everything out. */
        public final int width;
        /** An unsigned type at least 32 bits wide, so that shifting a promoted value cannot overflow an int. */
        public final String wide;

        BitShift(Node n) {
            DType t = n.output(0).dtype();
            left = n.attrs().getString("direction").equals("LEFT");
            width = 8 * t.byteSize();
            wide = t.byteSize() < 4 ? "uint32_t" : ScalarTypes.utype(t);
        }
    }

    /** Lowers {@code bit_shift}. */
    public static Object bitShift(KernelModel k, Node n, Strategy t) { return new BitShift(n); }

    /** Model of {@code mod}: which sign the remainder takes. */
    public static final class Mod {
        /** fmod = 1: the dividend's sign (C's {@code fmod} and {@code %}); else the divisor's (floor modulo). */
        public final boolean fmod;

        Mod(Node n) { fmod = n.attrs().getInt("fmod") == 1; }
    }

    /** Lowers {@code mod}. */
    public static Object mod(KernelModel k, Node n, Strategy t) { return new Mod(n); }

    /** Model of {@code is_inf}: which infinities are detected. */
    public static final class IsInf {
        public final boolean positive, negative;

        IsInf(Node n) {
            positive = n.attrs().getInt("detect_positive") != 0;
            negative = n.attrs().getInt("detect_negative") != 0;
        }
    }

    /** Lowers {@code is_inf}. */
    public static Object isInf(KernelModel k, Node n, Strategy t) { return new IsInf(n); }
}
