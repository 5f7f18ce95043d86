package io.vdq.io.gguf;

/**
 * One tensor-info record of a GGUF file: name, ggml type, dims in ggml order ({@code ne[0]} innermost, i.e. the
 * PyTorch shape reversed), and the byte range relative to the data section.
 */
public record GgufTensor(String name, GgmlType type, long[] ne, long offset, long bytes) {
    public GgufTensor { ne = ne.clone(); }

    public long[] ne() { return ne.clone(); }

    /** The PyTorch shape (ne reversed). */
    public long[] shape() {
        long[] s = new long[ne.length];
        for (int i = 0; i < ne.length; i++) s[i] = ne[ne.length - 1 - i];
        return s;
    }

    public long elements() {
        long n = 1;
        for (long d : ne) n *= d;
        return n;
    }

    /** Bytes of a tensor of this type and ggml dims (throws ArithmeticException on overflow). */
    static long nbytes(GgmlType t, long[] ne) {
        long rows = 1;
        for (int i = 1; i < ne.length; i++) rows = Math.multiplyExact(rows, ne[i]);
        return Math.multiplyExact(t.rowBytes(ne[0]), rows);
    }
}
