package io.vdq;

/**
 * Root of vdq's single unchecked exception family. Messages name the file, tensor, field or shape at
 * fault and what was expected; the CLI prints the message on one line and exits non-zero.
 */
public class VdqException extends RuntimeException {
    public VdqException(String message) { super(message); }
    public VdqException(String message, Throwable cause) { super(message, cause); }

    /** A checkpoint file (safetensors, index json) is missing, malformed or inconsistent. */
    public static class CheckpointException extends VdqException {
        public CheckpointException(String message) { super(message); }
        public CheckpointException(String message, Throwable cause) { super(message, cause); }
    }

    /** A config.json, recipe or CLI value is missing, malformed or unsupported. */
    public static class ConfigException extends VdqException {
        public ConfigException(String message) { super(message); }
        public ConfigException(String message, Throwable cause) { super(message, cause); }
    }

    /** Tensor shapes do not fit together. */
    public static class ShapeException extends VdqException {
        public ShapeException(String message) { super(message); }
    }
}
