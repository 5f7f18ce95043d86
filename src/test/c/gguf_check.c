/*
 * Opens a GGUF file with ggml's own parser (gguf_init_from_file, the strictest reader: contiguous offsets,
 * <= 4 dims, names < 64 bytes) and prints what it found; exit 1 if ggml refuses the file.
 * Built by ggml-gguf-check.sh against a ggml source tree; nothing from ggml is committed to vdq.
 */
#include "gguf.h"
#include "ggml.h"
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s FILE.gguf\n", argv[0]); return 2; }
    struct ggml_context *ctx = NULL;
    struct gguf_init_params p = { .no_alloc = false, .ctx = &ctx };
    struct gguf_context *g = gguf_init_from_file(argv[1], p);
    if (!g) { printf("%s: REJECTED by ggml\n", argv[1]); return 1; }
    printf("%s: ok, %lld tensors, %lld keys, data at %zu\n", argv[1], (long long) gguf_get_n_tensors(g),
           (long long) gguf_get_n_kv(g), gguf_get_data_offset(g));
    gguf_free(g);
    ggml_free(ctx);
    return 0;
}
