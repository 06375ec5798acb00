package dev.kiln.toolchain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Target;
import dev.kiln.backend.Templates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bare-metal programs linked by Kiln's Cortex-M recipe run under qemu whatever the sizes of their flash image and RAM. */
class EmulatorTest {
    /**
     * A program with 1 MiB of constants in flash and a 3 MiB zeroed array in RAM (the shape of MobileNetV2 int8:
     * 3.8 MB of weights, a 1.5 MB arena) on mps2-an386 (4 MiB of flash mirrored at 0x400000). Before .bss had a
     * segment of its own, qemu zero-filled its size from the end of the flash image, ran past 4 MiB into the mirror
     * and erased the code: the program locked up ("can't escalate 3 to HardFault").
     */
    @Test
    void aLargeArenaBesideALargeFlashImageRunsOnCortexM4f(@TempDir Path dir) throws Exception {
        Target t = Target.load("cortex-m4f");
        Emulator emu = Emulator.of(t);
        emu.require(false);
        Files.writeString(dir.resolve("big.c"), String.join("\n",
                "#include <stdio.h>",
                "extern void initialise_monitor_handles(void);",
                "static const unsigned char image[1u << 20] = {7, 1, 2, 3};",
                "static unsigned char arena[3u << 20];",
                "int main(void)",
                "{",
                "    unsigned long sum = 0, i;",
                "    initialise_monitor_handles();",
                "    for (i = 0; i < sizeof arena; i += 4096) arena[i] = image[(i >> 12) & 3];",
                "    for (i = 0; i < sizeof arena; i += 4096) sum += arena[i];",
                "    printf(\"sum %lu\\n\", sum);",
                "    return 0;",
                "}", ""));
        List<String> compile = new ArrayList<>();
        compile.add(t.cc());
        compile.addAll(t.cflags());
        List<String> inputs = new ArrayList<>(emu.writeRuntime(dir));
        inputs.add("big.c");
        String board = emu.link(dir, compile, inputs, "prog", new Templates("c", null));
        Exec.Result r = Exec.run(emu.run(board, List.of(), "prog", List.of()), dir, 120, dir.resolve("run.out"));
        // 768 samples, a quarter each of 7, 1, 2 and 3
        assertTrue(r.out().contains("sum " + (192L * (7 + 1 + 2 + 3))), r.tail(600));
        assertEquals(0, r.exit(), r.tail(600));
    }
}
