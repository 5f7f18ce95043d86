package io.vdq.cli;

import java.io.PrintStream;

/**
 * Progress of long work: one line rewritten in place ({@code \r}) on a terminal, plain lines in a log or pipe
 * (where {@code \r} would pile every update into one line). Quiet prints nothing.
 */
final class Progress {
    private final PrintStream out;
    private final boolean quiet, live;

    Progress(PrintStream out, boolean quiet) {
        this.out = out;
        this.quiet = quiet;
        this.live = System.console() != null && System.console().isTerminal();
    }

    /** Shows {@code line}; {@code last} ends the live line. */
    void update(String line, boolean last) {
        if (quiet) return;
        if (live) {
            out.print("\r" + line + "   ");
            if (last) out.println();
        } else {
            out.println(line);
        }
    }
}
