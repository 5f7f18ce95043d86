package io.vdq.io.gguf;

/**
 * The ggml tensor types vdq reads and writes, with ggml's type ids, elements per block and bytes per block.
 * Quantized types store a row of {@code ne[0]} values as {@code ne[0] / blockSize} blocks.
 */
public enum GgmlType {
    F32(0, 1, 4, 0), F16(1, 1, 2, 1), Q4_0(2, 32, 18, 2), Q4_1(3, 32, 20, 3), Q5_0(6, 32, 22, 8), Q5_1(7, 32, 24, 9),
    Q8_0(8, 32, 34, 7), Q2_K(10, 256, 84, 10), Q3_K(11, 256, 110, 12), Q4_K(12, 256, 144, 15), Q5_K(13, 256, 176, 17),
    Q6_K(14, 256, 210, 18), BF16(30, 1, 2, 32);

    /** ggml's {@code enum ggml_type} value. */
    public final int id;
    /** Elements per block (1 for the float types). */
    public final int blockSize;
    /** Bytes per block. */
    public final int typeSize;
    /** The {@code general.file_type} (llama.cpp's {@code LlamaFileType}) of a file made mostly of this type. */
    public final int fileType;

    GgmlType(int id, int blockSize, int typeSize, int fileType) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
        this.fileType = fileType;
    }

    /** The type with ggml id {@code id}, or null when vdq does not know it. */
    public static GgmlType byId(long id) {
        for (GgmlType t : values()) if (t.id == id) return t;
        return null;
    }

    /** The type named as ggml and llama.cpp spell it, case-insensitive ({@code q4_k}, {@code Q8_0}, {@code bf16}). */
    public static GgmlType parse(String name) {
        for (GgmlType t : values()) if (t.name().equalsIgnoreCase(name)) return t;
        return null;
    }

    public boolean quantized() { return blockSize > 1; }

    /** Bytes of a row of {@code n} elements; {@code n} must be a multiple of {@link #blockSize}. */
    public long rowBytes(long n) { return n / blockSize * typeSize; }

    /** Bits per weight, counting the block's scales. */
    public double bitsPerWeight() { return 8.0 * typeSize / blockSize; }
}
