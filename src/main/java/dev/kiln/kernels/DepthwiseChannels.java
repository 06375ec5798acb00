package dev.kiln.kernels;

import java.util.ArrayList;
import java.util.List;

/**
 * The depthwise path over zero-padded planes ({@code nn_conv_dw_channels}) where a unit of work is a few vectors:
 * the flat stride-1 plane (MobileNet-v1's 6x6 and 3x3), or, under a strided window, each output row computed at
 * stride 1 up to its last output's window, of which every stride-th is kept. {@link #count} channels a loop turn,
 * each in its own padded plane, all their vectors of a unit in their own accumulators, so that the taps'
 * multiply-add chains (9 dependent ones per vector) overlap; bias and activation are applied to the accumulator
 * vectors before they are stored. Each output keeps the padded path's order (taps in order from zero, then bias,
 * then activation), so the values are the same.
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
     * The units of a channel computed at stride 1 in whole vectors: the flat plane (one unit), or under a strided
     * window each output row ({@code units} of them, {@code unitStep} plane floats apart), of {@code unitLen} floats
     * each, as many apart in yq.
     */
    public final long units, unitStep, unitLen;
    /**
     * Floats per channel's padded plane (with room for the last vector's reads) and per channel's outputs in yq;
     * per turn's planes and outputs. Two sets of planes alternate: the next turn's rows are copied in before this
     * turn's taps read its planes, so that the vector loads do not wait on the row copies' just-issued stores.
     */
    public final long plane, outFloats, planes, outBlock;
    /** Output row {@code oh}, column {@code ow} is yq's {@code oh * rowOut + ow * colStep}; whether colStep is 1. */
    public final long rowOut, colStep;
    public final boolean unitCols;
    /**
     * Column stride 2 on vector hosts: output vector k of a row is the even lanes of the row's accumulators 2k and
     * 2k + 1, picked by a shuffle ({@link #evens}) and stored straight into Y, only as far as the row goes.
     */
    public final boolean pairs;
    public final String evens;
    /** The accumulators of a whole turn and of a single channel. */
    public final Block group, single;

    /** One output vector of a unit: its accumulator, channel in the turn and its offset in yq from the unit's. */
    public static final class Slot {
        public final String name;
        public final long channel, out;

        Slot(String name, long channel, long out) {
            this.name = name;
            this.channel = channel;
            this.out = out;
        }
    }

    /** An accumulator's product for one tap: the accumulator, its weight's index from the turn's first, its input's offset from the unit's. */
    public static final class Use {
        public final String name;
        public final long weight, offset;

        Use(String name, long weight, long offset) {
            this.name = name;
            this.weight = weight;
            this.offset = offset;
        }
    }

    /** An output vector of stride-2 rows: the even lanes of accumulators a and b, stored at y's offset (bytes). */
    public static final class Out {
        public final String a, b;
        public final long y, bytes;

        Out(String a, String b, long y, long bytes) {
            this.a = a;
            this.b = b;
            this.y = y;
            this.bytes = bytes;
        }
    }

    /** One tap of a block: its weight index and the products of every accumulator. */
    public static final class Tap {
        public final int index;
        public final List<Use> uses = new ArrayList<>();

        Tap(int index) { this.index = index; }
    }

    /** The accumulators of a unit of {@code count} channels, tap by tap. */
    public static final class Block {
        public final long count;
        public final List<Slot> slots = new ArrayList<>();
        public final List<Tap> taps = new ArrayList<>();
        /** With {@link DepthwiseChannels#pairs}: the output vectors of a row, Y offsets from the turn's first channel's row. */
        public final List<Out> outs = new ArrayList<>();

        Block(DepthwiseChannels f, NnKernels.Window m, long count) {
            this.count = count;
            long vectors = f.unitLen / f.lanes;
            for (long c = 0; c < count; c++) {
                for (long v = 0; v < vectors; v++) slots.add(new Slot("acc" + slots.size(), c, c * f.outFloats + v * f.lanes));
                for (long at = 0; f.pairs && at < m.w.out; at += f.lanes) {
                    long k = at / f.lanes, first = c * vectors + 2 * k;
                    outs.add(new Out("acc" + first, 2 * k + 1 < vectors ? "acc" + (first + 1) : "zero", c * m.outPlane + at,
                            Math.min(f.lanes, m.w.out - at) * 4));
                }
            }
            long tapCount = m.taps;
            List<BlockedKernels.Vec> vecTaps = m.dwTaps;
            for (BlockedKernels.Vec tp : vecTaps) {
                Tap t = new Tap(tp.index);
                for (Slot sl : slots)
                    t.uses.add(new Use(sl.name, sl.channel * tapCount + tp.index, sl.channel * f.plane + sl.out - sl.channel * f.outFloats + tp.offset));
                taps.add(t);
            }
        }
    }

    private DepthwiseChannels(NnKernels.Window m, int lanes, long count, long vectors) {
        this.lanes = lanes;
        this.vectorBytes = lanes * 4;
        this.clamp = VectorClamp.of(m.act, vectorBytes);
        this.count = count;
        this.turnsEnd = m.outChannels / count * count;
        this.turns = turnsEnd > 0;
        this.rest = turnsEnd < m.outChannels;
        boolean flat = m.flatDw;
        this.units = flat ? 1 : m.h.out;
        this.unitStep = flat ? 0 : m.hOutStep;
        this.unitLen = vectors * lanes;
        this.outFloats = units * unitLen;
        this.rowOut = flat ? m.padW : unitLen;
        this.colStep = flat ? 1 : m.w.stride;
        this.unitCols = colStep == 1;
        // why: the kept columns of a stride-2 row gathered one float at a time cost more than the row's taps
        this.pairs = colStep == 2 && lanes >= 4;
        this.evens = DepthwiseRows.everyOtherLane(lanes, 0);
        long reach = 0;
        for (BlockedKernels.Vec tp : m.dwTaps) reach = Math.max(reach, tp.offset);
        this.plane = Math.max(m.padH * m.padW, (units - 1) * unitStep + unitLen + reach);
        this.planes = count * plane;
        this.outBlock = count * outFloats;
        this.group = new Block(this, m, count);
        this.single = new Block(this, m, 1);
    }

    /** Scratch bytes: the turn's outputs and two sets of planes. */
    long scratchBytes() { return (outBlock + 2 * planes) * 4; }

    /**
     * The several-channel form of the padded-plane path set on {@code m} (its taps listed), on a target of
     * {@code lanes} floats a vector, or null where it does not apply: no vectors, a residual (its epilogue stays the
     * padded loop's), or units of more than {@link #ACCS} vectors (one channel's chains already overlap there).
     */
    static DepthwiseChannels choose(NnKernels.Window m, int lanes) {
        // why: a strided row is computed at stride 1 up to its last output's window, then every stride-th kept
        long vectors = m.flatDw ? m.flatLen / lanes : ((long) (m.w.out - 1) * m.w.stride + lanes) / lanes;
        // why: units of many vectors have enough independent chains in one channel; residuals keep their own loop
        if (lanes < 2 || m.hasZ || vectors > ACCS) return null;
        long count = Math.max(1, Math.min(m.outChannels, ACCS / vectors));
        return new DepthwiseChannels(m, lanes, count, vectors);
    }
}
