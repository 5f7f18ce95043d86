#!/usr/bin/env bash
# Regenerates src/test/resources/gguf/oracle/ with ggml's own quantizers and decoders (ggml_oracle.c).
# usage: src/test/c/ggml-oracle.sh GGML_SOURCE_DIR   (a checkout of github.com/ggml-org/ggml; built here, not committed)
# The committed fixtures were made from ggml d99724f (2026-08-21) built with
#   cmake -B build -DGGML_BUILD_TESTS=OFF -DGGML_BUILD_EXAMPLES=OFF -DGGML_NATIVE=OFF -DCMAKE_BUILD_TYPE=Release
#   cmake --build build --target ggml-base
# The .deq files are kept only as sha256 sums (oracle.sha256) to keep the fixtures small.
set -euo pipefail
src=${1:?usage: $0 GGML_SOURCE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
out=$here/../resources/gguf/oracle
[ -f "$src/build/src/libggml-base.so" ] || {
  cmake -S "$src" -B "$src/build" -DGGML_BUILD_TESTS=OFF -DGGML_BUILD_EXAMPLES=OFF -DGGML_NATIVE=OFF -DCMAKE_BUILD_TYPE=Release
  cmake --build "$src/build" --target ggml-base -j2
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -std=c11 -I"$src/include" "$here/ggml_oracle.c" -L"$src/build/src" -lggml-base -lm -o "$tmp/oracle"
LD_LIBRARY_PATH="$src/build/src" "$tmp/oracle" "$tmp"
mkdir -p "$out"
rm -f "$out"/*
(cd "$tmp" && sha256sum *.deq > oracle.sha256 && rm -f *.deq && cp input.f32 *.q *.rnd oracle.sha256 "$out/")
ls -l "$out"
