package dev.kiln.kernels;

import java.util.ArrayList;
import java.util.List;

/**
 * The flat stride-1 depthwise path over zero-padded planes ({@code nn_conv_dw_padded}) on planes of a few vectors
 * (MobileNet-v1's 6x6 and 3x3): {@link #count} channels a loop turn, each in its own padded plane, all their
 * vectors in their own accumulators, so that the taps' multiply-add chains (9 dependent ones per vector) overlap;
 * bias and activation are applied to the accumulator vectors before they are stored. Each output keeps the flat
 * path's order (taps in order from zero, then bias, then activation), so the values are the same.
 */
public final class DepthwiseChannels {
    /** Most accumulator vectors a turn keeps (of AVX-512's 32 registers, with the loads; AVX2's 16 take half). */
    static final int ACCS = 8;

    /** Floats per vector and its bytes; the activation on whole vectors (null: lane by lane). */
    public final int lanes, vectorBytes;
    public final VectorClamp clamp;
    /** Channels a turn, output channels covered by whole turns, and whether there are any and channels left over. */
    public final long count, turnsEnd;
    public final boolean turns, rest;
    /**
     * Floats per channel's padded plane and per channel's flat outputs (whole vectors); per turn's planes and
     * outputs. Two sets of planes alternate: the next turn's rows are copied in before this turn's taps read its
     * planes, so that the vector loads do not wait on the row copies' just-issued stores.
     */
    public final long plane, outFloats, planes, outBlock;
    /** The accumulators of a whole turn and of a single channel. */
    public final Block group, single;

    /** One output vector: its accumulator, channel in the turn and first flat output. */
    public static final class Slot {
        public final String name;
        public final long channel, at;

        Slot(String name, long channel, long at) {
            this.name = name;
            this.channel = channel;
            this.at = at;
        }
    }

    /** An accumulator's product for one tap: the accumulator, its weight's index from the turn's first and its input's offset from xq. */
    public static final class Use {
        public final String name;
        public final long weight, offset;

        Use(String name, long weight, long offset) {
            this.name = name;
            this.weight = weight;
            this.offset = offset;
        }
    }

    /** One tap of a block: its weight index and the products of every accumulator. */
    public static final class Tap {
        public final int index;
        public final List<Use> uses = new ArrayList<>();

        Tap(int index) { this.index = index; }
    }

    /** The accumulators of {@code count} channels of {@code vectors} vectors each, tap by tap. */
    public static final class Block {
        public final long count;
        public final List<Slot> slots = new ArrayList<>();
        public final List<Tap> taps = new ArrayList<>();

        Block(long count, long vectors, int lanes, long plane, long tapCount, List<BlockedKernels.Vec> vecTaps) {
            this.count = count;
            for (long c = 0; c < count; c++)
                for (long v = 0; v < vectors; v++) slots.add(new Slot("acc" + slots.size(), c, v * lanes));
            for (BlockedKernels.Vec tp : vecTaps) {
                Tap t = new Tap(tp.index);
                for (Slot sl : slots) t.uses.add(new Use(sl.name, sl.channel * tapCount + tp.index, sl.channel * plane + sl.at + tp.offset));
                taps.add(t);
            }
        }
    }

    private DepthwiseChannels(NnKernels.Window m, int lanes, long count) {
        this.lanes = lanes;
        this.vectorBytes = lanes * 4;
        this.clamp = VectorClamp.of(m.act, vectorBytes);
        this.count = count;
        this.turnsEnd = m.outChannels / count * count;
        this.turns = turnsEnd > 0;
        this.rest = turnsEnd < m.outChannels;
        this.plane = m.padPlane;
        this.outFloats = m.flatLen;
        this.planes = count * plane;
        this.outBlock = count * outFloats;
        long vectors = m.flatLen / lanes;
        this.group = new Block(count, vectors, lanes, plane, m.taps, m.dwTaps);
        this.single = new Block(1, vectors, lanes, plane, m.taps, m.dwTaps);
    }

    /**
     * The several-channel form of the flat vector path set on {@code m} (dwVector, flatDw), or null where it does not
     * apply: a residual (its epilogue stays the flat loop's), or planes of more than {@link #ACCS} vectors (one
     * channel's chains already overlap there).
     */
    /** Scratch bytes: the turn's outputs and two sets of planes. */
    long scratchBytes() { return (outBlock + 2 * planes) * 4; }

    static DepthwiseChannels choose(NnKernels.Window m, int lanes) {
        long vectors = m.flatLen / lanes;
        // why: planes of many vectors have enough independent chains in one channel; residuals keep their own loop
        if (!m.dwVector || !m.flatDw || m.hasZ || vectors > ACCS) return null;
        long count = Math.max(1, Math.min(m.outChannels, ACCS / vectors));
        return new DepthwiseChannels(m, lanes, count);
    }
}
