package io.vdq.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.VdqException.ConfigException;
import io.vdq.model.wan.WanConfig;
import io.vdq.quant.Presets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Out-of-range or malformed values end in one line naming the flag, option or file, not a Java exception name. */
class LooseValuesTest {
    @TempDir Path dir;

    @Test
    void anOverflowingRecipeOverrideNamesTheOption() {
        var e = assertThrows(ConfigException.class, () -> Presets.resolve("w4a8-gptq+seed=99999999999999999999"));
        assertEquals("recipe 'w4a8-gptq+seed=99999999999999999999': option 'seed' = 99999999999999999999 is outside the 64-bit integer range",
                e.getMessage());
    }

    @Test
    void aBinaryPromptFileIsRefusedNamingIt() throws Exception {
        Path f = dir.resolve("p.txt");
        Files.write(f, new byte[]{(byte) 0xff, (byte) 0xfe, 0, 1, '\n'});
        var e = assertThrows(ConfigException.class, () -> QuantizeCommand.readPrompts(f));
        assertEquals(f + ": calibration prompts are not UTF-8 text (one prompt per line)", e.getMessage());
    }

    @Test
    void hugeHeadCountsAreRefusedNamingTheFlags() {
        DemoCommand d = new DemoCommand();
        d.heads = 100_000_000;
        d.headDim = 12;
        d.patch = 2;
        d.ffn = 64;
        d.layers = 1;
        var e = assertThrows(ConfigException.class, d::config);
        assertTrue(e.getMessage().startsWith("--heads 100000000 × --head-dim 12: expected positive values"), e.getMessage());
        var c = assertThrows(ConfigException.class, () -> new WanConfig(1, 2, 2, 100_000_000, 12, 3, 3, 64, 256, 64, 1, true,
                WanConfig.QK_NORM_ACROSS_HEADS, 1e-6f, 1024));
        assertTrue(c.getMessage().contains("num_attention_heads 100000000 × attention_head_dim 12 = 1200000000 is wider than 46340"), c.getMessage());
    }

    @Test
    void badThreadCountsAreRefused() {
        String old = System.getProperty("vdq.threads");
        try {
            for (String v : new String[]{"0", "-1", "abc"}) {
                System.setProperty("vdq.threads", v);
                assertEquals(2, Main.run("recipes"), v);
            }
        } finally {
            if (old == null) System.clearProperty("vdq.threads");
            else System.setProperty("vdq.threads", old);
        }
        assertEquals(1, Main.run("bench", "int", "--threads", "-1"));
    }

    @Test
    void errorLinesStayOneLineWhateverTheyQuote() {
        var err = new java.io.ByteArrayOutputStream();
        var old = System.err;
        int code;
        try {
            System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
            code = Main.run("generate", "--model", "random:x\ny\u0000", "--out", dir.resolve("o").toString());
        } finally {
            System.setErr(old);
        }
        assertEquals(1, code);
        String e = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.startsWith("vdq: --model random:x\\u000ay\\u0000: expected random:tiny or random:1.3b"), e);
    }
}
