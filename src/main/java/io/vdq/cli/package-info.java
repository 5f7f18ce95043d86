/**
 * The {@code vdq} command line (picocli): one class per subcommand, registered in {@link io.vdq.cli.Main}.
 * May depend on every other package; nothing depends on it.
 */
package io.vdq.cli;
