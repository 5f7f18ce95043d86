package io.vdq.train;

import io.vdq.tensor.Tensor;
import java.util.Map;

/**
 * A deliberately naive double-precision {@code WanTransformer3DModel} forward written from diffusers'
 * transformer_wan.py, reading parameters by name: Conv3d patch embedding on the video itself, explicit
 * attention loops, RoPE from the formulas, unpatchify via the permute(0, 7, 1, 4, 2, 5, 3, 6) index map.
 * It shares no code with the trainable model and serves as the semantic oracle in tests.
 */
final class WanReference {
    private final Map<String, Tensor> p;
    private final WanTrainConfig cfg;

    WanReference(WanTrainConfig cfg, Map<String, Tensor> params) { this.cfg = cfg; this.p = params; }

    private double[] w(String name) {
        float[] a = p.get(name).toArray();
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    /** y[r][o] = Σ_i x[r][i]·W[o][i] + b[o]. */
    private double[][] linear(double[][] x, String name) {
        double[] wt = w(name + ".weight"), b = w(name + ".bias");
        int out = b.length, in = wt.length / out;
        double[][] y = new double[x.length][out];
        for (int r = 0; r < x.length; r++)
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int i = 0; i < in; i++) s += x[r][i] * wt[o * in + i];
                y[r][o] = s;
            }
        return y;
    }

    private static double[][] layerNorm(double[][] x, double eps, double[] g, double[] b) {
        double[][] y = new double[x.length][];
        for (int r = 0; r < x.length; r++) {
            int d = x[r].length;
            double m = 0, v = 0;
            for (double e : x[r]) m += e / d;
            for (double e : x[r]) v += (e - m) * (e - m) / d;
            y[r] = new double[d];
            for (int i = 0; i < d; i++) y[r][i] = (x[r][i] - m) / Math.sqrt(v + eps) * (g == null ? 1 : g[i]) + (b == null ? 0 : b[i]);
        }
        return y;
    }

    private static double[][] rms(double[][] x, double eps, double[] g) {
        double[][] y = new double[x.length][];
        for (int r = 0; r < x.length; r++) {
            double ms = 0;
            for (double e : x[r]) ms += e * e / x[r].length;
            y[r] = new double[x[r].length];
            for (int i = 0; i < x[r].length; i++) y[r][i] = x[r][i] / Math.sqrt(ms + eps) * g[i];
        }
        return y;
    }

    private static double gelu(double v) { return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))); }
    private static double silu(double v) { return v / (1 + Math.exp(-v)); }

    /** Angles [token][pair] of the Wan 3D rope for a pf×ph×pw grid. */
    private double[][] ropeAngles(int pf, int ph, int pw) {
        int hd = cfg.headDim(), hDim = 2 * (hd / 6), tDim = hd - 2 * hDim;
        double[][] a = new double[pf * ph * pw][hd / 2];
        for (int f = 0; f < pf; f++) for (int h = 0; h < ph; h++) for (int x = 0; x < pw; x++) {
            double[] row = a[(f * ph + h) * pw + x];
            int k = 0;
            for (int i = 0; i < tDim / 2; i++) row[k++] = f / Math.pow(cfg.ropeTheta(), 2.0 * i / tDim);
            for (int i = 0; i < hDim / 2; i++) row[k++] = h / Math.pow(cfg.ropeTheta(), 2.0 * i / hDim);
            for (int i = 0; i < hDim / 2; i++) row[k++] = x / Math.pow(cfg.ropeTheta(), 2.0 * i / hDim);
        }
        return a;
    }

    private double[][] attention(double[][] x, double[][] ctx, String name, double[][] angles) {
        int heads = cfg.numHeads(), hd = cfg.headDim();
        double[][] q = rms(linear(x, name + ".to_q"), cfg.eps(), w(name + ".norm_q.weight"));
        double[][] k = rms(linear(ctx, name + ".to_k"), cfg.eps(), w(name + ".norm_k.weight"));
        double[][] v = linear(ctx, name + ".to_v");
        if (angles != null) { rotate(q, angles); rotate(k, angles); }
        double[][] o = new double[x.length][heads * hd];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < x.length; i++) {
                double[] s = new double[ctx.length];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < ctx.length; j++) {
                    for (int d = 0; d < hd; d++) s[j] += q[i][h * hd + d] * k[j][h * hd + d];
                    s[j] /= Math.sqrt(hd);
                    max = Math.max(max, s[j]);
                }
                for (int j = 0; j < ctx.length; j++) { s[j] = Math.exp(s[j] - max); sum += s[j]; }
                for (int j = 0; j < ctx.length; j++) for (int d = 0; d < hd; d++) o[i][h * hd + d] += s[j] / sum * v[j][h * hd + d];
            }
        return linear(o, name + ".to_out.0");
    }

    private void rotate(double[][] x, double[][] angles) {
        int hd = cfg.headDim();
        for (int t = 0; t < x.length; t++)
            for (int h = 0; h < cfg.numHeads(); h++)
                for (int i = 0; i < hd / 2; i++) {
                    int o = h * hd + 2 * i;
                    double c = Math.cos(angles[t][i]), s = Math.sin(angles[t][i]), a = x[t][o], b = x[t][o + 1];
                    x[t][o] = a * c - b * s;
                    x[t][o + 1] = a * s + b * c;
                }
    }

    /** Output [B, C_out, F, H, W] as doubles. */
    double[] forward(Tensor video, float[] timesteps, Tensor text) {
        int batch = video.dim(0), c = cfg.inChannels(), f = video.dim(2), hh = video.dim(3), ww = video.dim(4);
        int pt = cfg.patchT(), ph = cfg.patchH(), pw = cfg.patchW(), nf = f / pt, nh = hh / ph, nw = ww / pw, n = nf * nh * nw;
        int dim = cfg.dim(), len = text.dim(1), co = cfg.outChannels();
        double[] out = new double[batch * co * f * hh * ww];
        double[] pe = w("patch_embedding.weight"), peb = w("patch_embedding.bias");
        double[][] angles = ropeAngles(nf, nh, nw);
        for (int b = 0; b < batch; b++) {
            // condition embedder
            int half = cfg.freqDim() / 2;
            double[][] tf = new double[1][cfg.freqDim()];
            for (int j = 0; j < half; j++) {
                double a = timesteps[b] * Math.exp(-Math.log(10000) * j / half);
                tf[0][j] = Math.cos(a);          // flip_sin_to_cos: cos first
                tf[0][half + j] = Math.sin(a);
            }
            double[][] temb = linear(map(linear(tf, "condition_embedder.time_embedder.linear_1"), WanReference::silu),
                    "condition_embedder.time_embedder.linear_2");
            double[] tproj = linear(map(temb, WanReference::silu), "condition_embedder.time_proj")[0];
            double[][] txt = new double[len][cfg.textDim()];
            for (int l = 0; l < len; l++) for (int d = 0; d < cfg.textDim(); d++) txt[l][d] = text.get(b, l, d);
            double[][] ctx = linear(map(linear(txt, "condition_embedder.text_embedder.linear_1"), WanReference::gelu),
                    "condition_embedder.text_embedder.linear_2");
            // Conv3d with kernel = stride = patch, then flatten(2).transpose(1, 2)
            double[][] hs = new double[n][dim];
            for (int t = 0; t < n; t++) {
                int fi = t / (nh * nw), hi = (t / nw) % nh, wi = t % nw;
                for (int o = 0; o < dim; o++) {
                    double s = peb[o];
                    for (int ci = 0; ci < c; ci++) for (int i = 0; i < pt; i++) for (int j = 0; j < ph; j++) for (int k = 0; k < pw; k++)
                        s += pe[(((o * c + ci) * pt + i) * ph + j) * pw + k] * video.get(b, ci, fi * pt + i, hi * ph + j, wi * pw + k);
                    hs[t][o] = s;
                }
            }
            for (int blk = 0; blk < cfg.numLayers(); blk++) {
                String nm = "blocks." + blk;
                double[] sst = w(nm + ".scale_shift_table");
                double[][] mod = new double[6][dim];
                for (int k = 0; k < 6; k++) for (int j = 0; j < dim; j++) mod[k][j] = sst[k * dim + j] + tproj[k * dim + j];
                double[][] nrm = layerNorm(hs, cfg.eps(), null, null);
                for (double[] r : nrm) for (int j = 0; j < dim; j++) r[j] = r[j] * (1 + mod[1][j]) + mod[0][j];
                double[][] a = attention(nrm, nrm, nm + ".attn1", angles);
                for (int t = 0; t < n; t++) for (int j = 0; j < dim; j++) hs[t][j] += a[t][j] * mod[2][j];
                double[][] n2 = layerNorm(hs, cfg.eps(), w(nm + ".norm2.weight"), w(nm + ".norm2.bias"));
                a = attention(n2, ctx, nm + ".attn2", null);
                for (int t = 0; t < n; t++) for (int j = 0; j < dim; j++) hs[t][j] += a[t][j];
                double[][] n3 = layerNorm(hs, cfg.eps(), null, null);
                for (double[] r : n3) for (int j = 0; j < dim; j++) r[j] = r[j] * (1 + mod[4][j]) + mod[3][j];
                double[][] ff = linear(map(linear(n3, nm + ".ffn.net.0.proj"), WanReference::gelu), nm + ".ffn.net.2");
                for (int t = 0; t < n; t++) for (int j = 0; j < dim; j++) hs[t][j] += ff[t][j] * mod[5][j];
            }
            double[] sst = w("scale_shift_table");
            double[][] no = layerNorm(hs, cfg.eps(), null, null);
            for (double[] r : no) for (int j = 0; j < dim; j++) r[j] = r[j] * (1 + sst[dim + j] + temb[0][j]) + sst[j] + temb[0][j];
            double[][] po = linear(no, "proj_out");
            // reshape(B, nf, nh, nw, pt, ph, pw, C) then permute(0, 7, 1, 4, 2, 5, 3, 6)
            for (int t = 0; t < n; t++) {
                int fi = t / (nh * nw), hi = (t / nw) % nh, wi = t % nw;
                for (int i = 0; i < pt; i++) for (int j = 0; j < ph; j++) for (int k = 0; k < pw; k++) for (int ci = 0; ci < co; ci++)
                    out[(((b * co + ci) * f + fi * pt + i) * hh + hi * ph + j) * ww + wi * pw + k] = po[t][((i * ph + j) * pw + k) * co + ci];
            }
        }
        return out;
    }

    private static double[][] map(double[][] x, java.util.function.DoubleUnaryOperator fn) {
        double[][] y = new double[x.length][];
        for (int r = 0; r < x.length; r++) { y[r] = new double[x[r].length]; for (int i = 0; i < y[r].length; i++) y[r][i] = fn.applyAsDouble(x[r][i]); }
        return y;
    }
}
