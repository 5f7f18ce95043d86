package io.vdq.kernel;

/**
 * The float32 kernels every model and method runs on. All arrays are row-major with explicit offsets;
 * implementations parallelise internally on {@link io.vdq.tensor.Parallel} and must give results that do
 * not depend on the thread count. The scalar backend is the oracle the others are tested against.
 */
public sealed interface KernelBackend permits ScalarBackend, VectorBackend {

    String name();

    /** Packs W (n×k, out×in, at {@code w[wOff..]}) for {@link #gemm}. Called once at load time. */
    PackedWeights pack(float[] w, int wOff, int n, int k);

    /**
     * {@code Y[m×n] = X[m×k] · Wᵀ (+ bias)}; X rows at stride k from {@code xOff}, Y rows at stride n from
     * {@code yOff}. {@code bias} may be null.
     */
    void gemm(float[] x, int xOff, int m, PackedWeights w, float[] bias, float[] y, int yOff);

    /**
     * General {@code C = op(A)·op(B) + beta·C} with op = transpose when the flag says so; A is m×k (or k×m
     * when transposed) with leading dimension lda, B is k×n (or n×k) with ldb, C is m×n with ldc.
     * Used by training (backward passes) and attention-like products that have no prepacked operand.
     */
    void sgemm(boolean transA, boolean transB, int m, int n, int k,
               float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
               float beta, float[] c, int cOff, int ldc);

    /** Row-wise softmax in place over {@code rows × cols}. */
    void softmax(float[] x, int off, int rows, int cols);

    /**
     * Row-wise softmax straight to int8 codes, the int8 P·V operand: per row r, with m the row's max and
     * e_i = exp(x_i − m) (so the largest e is 1), {@code q[r·qStride + i] = (byte) (int) (127·e_i + 0.5)},
     * {@code codeSum[r]} = Σ_i of those codes and {@code scale[r] = 1 / (127·Σ_i e_i)}, so that softmax(x)_i ≈
     * scale[r]·q_i. Codes past cols up to qStride are set to 0. x is only read.
     */
    void softmaxInt8(float[] x, int off, int rows, int cols, byte[] q, int qStride, float[] scale, int[] codeSum);

    /** LayerNorm over the last dimension; gamma/beta may be null (no affine). {@code y} may alias x. */
    void layerNorm(float[] x, int xOff, float[] y, int yOff, int rows, int dim, float[] gamma, float[] beta, float eps);

    /** RMSNorm over the last dimension; gamma may be null. {@code y} may alias x. */
    void rmsNorm(float[] x, int xOff, float[] y, int yOff, int rows, int dim, float[] gamma, float eps);

    /** GELU, tanh approximation, in place. */
    void geluTanh(float[] x, int off, int n);

    /**
     * The GELU-tanh backward: {@code dx[i] = dy[i]·gelu'(x[i])} for i in [0, n), where x is the GELU's input.
     * With s = sigmoid(2u), u = √(2/π)(x + 0.044715x³): gelu = x·s and gelu' = s + 2x·s(1 − s)·√(2/π)(1 + 3·0.044715x²).
     * {@code dx} may alias {@code dy}.
     */
    void geluTanhBackward(float[] x, float[] dy, float[] dx, int n);

    /** SiLU (x·sigmoid(x)), in place. */
    void silu(float[] x, int off, int n);

    /**
     * Rotary embedding on interleaved pairs, in place: for each token t, head h and pair p,
     * (x[2p], x[2p+1]) ← (x[2p]·c − x[2p+1]·s, x[2p]·s + x[2p+1]·c) with c = cos[t·half + p], s = sin[t·half + p],
     * half = headDim/2. Token rows are {@code rowStride} floats apart; heads are contiguous within a row.
     */
    void rope(float[] x, int off, int tokens, int heads, int headDim, int rowStride, float[] cos, float[] sin);

    /** out[i] = a[i] + b[i]. out may alias a or b. */
    void add(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

    /** out[i] = a[i] · b[i]. out may alias a or b. */
    void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

    /** y[i] += alpha · x[i]. */
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

    /**
     * Multi-head attention {@code softmax(scale · Q·Kᵀ)·V}, computed blockwise with an online softmax so the
     * nq×nk matrix is never materialised. Q is nq rows, K and V are nk rows; head h occupies columns
     * {@code [h·headDim, (h+1)·headDim)} of each row; rows are qStride / kStride / vStride / outStride apart.
     */
    void attention(float[] q, int qOff, int qStride, float[] k, int kOff, int kStride,
                   float[] v, int vOff, int vStride, float[] out, int outOff, int outStride,
                   int nq, int nk, int heads, int headDim, float scale);
}
