#!/usr/bin/env bash
# Checks GGUF files with ggml's own strict parser (gguf_check.c).
# usage: src/test/c/ggml-gguf-check.sh GGML_SOURCE_DIR FILE.gguf...
# Stock ggml refuses a 5-D tensor, so vdq's Wan exports (5-D patch_embedding.weight, as city96's files) are
# refused by design; files without it must pass. See docs/GGUF.md.
set -euo pipefail
src=${1:?usage: $0 GGML_SOURCE_DIR FILE.gguf...}; shift
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$src/build/src/libggml-base.so" ] || {
  cmake -S "$src" -B "$src/build" -DGGML_BUILD_TESTS=OFF -DGGML_BUILD_EXAMPLES=OFF -DGGML_NATIVE=OFF -DCMAKE_BUILD_TYPE=Release
  cmake --build "$src/build" --target ggml-base -j2
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -O1 -std=c11 -I"$src/include" "$here/gguf_check.c" -L"$src/build/src" -lggml-base -o "$tmp/gguf_check"
rc=0
for f in "$@"; do LD_LIBRARY_PATH="$src/build/src" "$tmp/gguf_check" "$f" || rc=1; done
exit $rc
