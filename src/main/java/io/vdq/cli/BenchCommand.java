package io.vdq.cli;

import picocli.CommandLine.Command;

/** PLACEHOLDER until the kernel work lands. */
@Command(name = "bench", description = "Benchmarks.")
final class BenchCommand implements Runnable {
    @Override public void run() { throw new io.vdq.VdqException("bench: not implemented yet"); }
}
