package dev.kiln.passes;

import dev.kiln.diag.Code;
import dev.kiln.diag.KilnException;
import dev.kiln.diag.Location;
import java.util.ArrayList;
import java.util.List;

/**
 * The default pipelines, {@code -O0} to {@code -O3}: one line per pass, with why it is there. Each level runs
 * everything of the level below first.
 */
public final class Pipelines {
    private Pipelines() {}

    /** The pipeline of optimisation level {@code level} (0 to 3). */
    public static Pipeline level(int level) {
        if (level < 0 || level > 3)
            throw new KilnException(Code.USAGE, Location.NONE, "-O" + level + ": there is no such optimisation level").withHint("use -O0, -O1, -O2 or -O3");
        List<Pass> p = new ArrayList<>();
        // -O0: nothing; the graph runs as imported.
        if (level >= 1) {
            // (cleanup passes)
        }
        if (level >= 2) {
            // (folding and fusion)
        }
        if (level >= 3) {
            // (rewrites that change the structure)
        }
        return new Pipeline("-O" + level, p);
    }
}
