package io.vdq.cli;

import picocli.CommandLine.Command;

/** PLACEHOLDER until the io work lands. */
@Command(name = "inspect", description = "List the tensors of a safetensors file, sharded checkpoint or diffusers folder.")
final class InspectCommand implements Runnable {
    @Override public void run() { throw new io.vdq.VdqException("inspect: not implemented yet"); }
}
