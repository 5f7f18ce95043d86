package io.vdq.cli;

import java.io.PrintStream;
import java.io.PrintWriter;

/**
 * Progress of long work: one line rewritten in place ({@code \r}) on a terminal, plain lines in a log or pipe
 * (where {@code \r} would pile every update into one line). Quiet prints nothing.
 */
final class Progress {
    private final PrintWriter out;
    private final boolean quiet, live;

    Progress(PrintStream out, boolean quiet) { this(new PrintWriter(out, true), quiet); }

    Progress(PrintWriter out, boolean quiet) { this(out, quiet, System.console() != null && System.console().isTerminal()); }

    /** {@code live}: rewrite one line in place (a terminal) rather than print a line per update. */
    Progress(PrintWriter out, boolean quiet, boolean live) {
        this.out = out;
        this.quiet = quiet;
        this.live = live;
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
        out.flush();
    }

    /** A final line, ending a live line first when one is showing. */
    void done(String line) {
        if (quiet) return;
        out.println(live ? "\r" + line + "   " : line);
        out.flush();
    }
}
