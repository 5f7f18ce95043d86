package io.vdq.io;

/** Element types as safetensors spells them, with their byte sizes. */
public enum DType {
    F32(4), F16(2), BF16(2), I8(1), U8(1), I32(4), I64(8), BOOL(1);

    public final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    /** Whether vdq can write this type (the rest are read-only). */
    public boolean writable() { return this != I64 && this != BOOL; }
}
