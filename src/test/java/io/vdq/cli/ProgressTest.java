package io.vdq.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** Progress lines: rewritten in place on a terminal, one plain line per update in a log, nothing when quiet. */
class ProgressTest {
    private static String run(boolean quiet, boolean live) {
        StringWriter s = new StringWriter();
        Progress p = new Progress(new PrintWriter(s), quiet, live);
        p.update("step 1/2", false);
        p.update("step 2/2", true);
        p.done("done");
        return s.toString();
    }

    @Test
    void logGetsPlainLines() { assertEquals("step 1/2\nstep 2/2\ndone\n", run(false, false).replace(System.lineSeparator(), "\n")); }

    @Test
    void terminalGetsOneRewrittenLine() {
        assertEquals("\rstep 1/2   \rstep 2/2   \n\rdone   \n", run(false, true).replace(System.lineSeparator(), "\n"));
    }

    @Test
    void quietPrintsNothing() { assertEquals("", run(true, false)); }
}
