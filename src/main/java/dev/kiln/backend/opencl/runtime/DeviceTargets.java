package dev.kiln.backend.opencl.runtime;

import dev.kiln.backend.Target;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Narrows an OpenCL target descriptor to a real device's limits, so that the backend only picks legal local
 * sizes: the work-group ({@code workgroup}) and the matrix tile ({@code tile} x {@code tile} work-items, two
 * float tiles in local memory) shrink by halves until they fit, and tiled kernels stop using local memory
 * ({@code local-memory=false}) when even a 1x1 tile pair does not fit. The device's raw limits are added as
 * {@code opencl.max-work-group} and {@code opencl.local-memory-bytes}.
 */
public final class DeviceTargets {
    private DeviceTargets() {}

    /** The descriptor name that suits a device of type {@code t}: {@code opencl-gpu} for GPUs, else {@code opencl-cpu}. */
    public static String defaultTargetName(ClDevice.Type t) {
        return t == ClDevice.Type.GPU ? "opencl-gpu" : "opencl-cpu";
    }

    /** {@code t} with its work-group and tile sizes fitted to {@code d}. */
    public static Target narrow(Target t, DeviceLimits d) {
        long maxWg = Math.max(1, Math.min(d.maxWorkGroupSize(), d.maxWorkItemSizes().length > 0 ? d.maxWorkItemSizes()[0] : d.maxWorkGroupSize()));
        long wg = Long.parseLong(t.property("workgroup", "64"));
        // why: a 1-D launch of wg items is legal only when wg fits both the group and the first dimension's limit
        while (wg > maxWg) wg = Math.max(1, wg / 2);
        long tile = Long.parseLong(t.property("tile", "16"));
        boolean local = Boolean.parseBoolean(t.property("local-memory", "true"));
        // why: a tile x tile group must fit the device, and its two float tiles its local memory
        while (tile > 1 && !(d.fits(new long[] {tile, tile}) && (!local || 2 * tile * tile * 4 <= d.localMemSize()))) tile /= 2;
        if (local && 2 * tile * tile * 4 > d.localMemSize()) local = false;
        Map<String, String> o = new LinkedHashMap<>();
        o.put("workgroup", Long.toString(wg));
        o.put("tile", Long.toString(tile));
        o.put("local-memory", Boolean.toString(local));
        o.put("opencl.max-work-group", Long.toString(d.maxWorkGroupSize()));
        o.put("opencl.local-memory-bytes", Long.toString(d.localMemSize()));
        return t.with(o);
    }
}
