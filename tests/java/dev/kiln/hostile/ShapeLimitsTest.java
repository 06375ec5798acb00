package dev.kiln.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kiln.frontend.onnx.ImportOptions;
import org.junit.jupiter.api.Test;

/** {@link ImportOptions#shapeProblem}: the one overflow-safe size check both frontends use. */
class ShapeLimitsTest {
    private final ImportOptions defaults = new ImportOptions();

    @Test
    void ordinaryAndEmptyShapesAreAcceptable() {
        assertNull(defaults.shapeProblem(new long[] {1, 3, 224, 224}, 4));
        assertNull(defaults.shapeProblem(new long[] {2, 0, 4}, 4));
        assertNull(defaults.shapeProblem(new long[0], 8));
    }

    @Test
    void negativeAndOversizedDimensionsAreNamed() {
        assertEquals("dimension -5 is negative", defaults.shapeProblem(new long[] {1, -5}, 4));
        assertEquals("dimension 2147483648 is larger than Kiln supports (2^31 - 1)", defaults.shapeProblem(new long[] {1L << 31, 0}, 4));
    }

    @Test
    void elementCountAndByteSizeOverflowsAreCaughtNotWrapped() {
        long big = Integer.MAX_VALUE;
        // 2^31-1 to the third wraps to a small positive number in plain long arithmetic
        assertEquals("its element count overflows 64 bits", defaults.shapeProblem(new long[] {big, big, big}, 1));
        // about 2^63 - 2^33 elements fit a long, four bytes each do not
        assertEquals("its size in bytes overflows 64 bits", defaults.shapeProblem(new long[] {big, big, 2}, 4));
    }

    @Test
    void theTensorLimitAndTheArrayLimitApply() {
        ImportOptions small = new ImportOptions().maxTensorBytes(1000);
        assertNull(small.shapeProblem(new long[] {250}, 4));
        assertEquals("it would need 1004 bytes, more than the limit of 1000 bytes (--max-tensor-bytes)", small.shapeProblem(new long[] {251}, 4));
        ImportOptions huge = new ImportOptions().maxTensorBytes(Long.MAX_VALUE);
        assertEquals("it has 4294967296 elements, more than Kiln can hold in one tensor (2147483639)", huge.shapeProblem(new long[] {65536, 65536}, 1));
    }

    @Test
    void rankIsBounded() {
        assertNull(defaults.shapeProblem(new long[ImportOptions.MAX_RANK], 4));
        assertEquals("rank 33 is more than Kiln's limit of 32", defaults.shapeProblem(new long[33], 4));
    }
}
