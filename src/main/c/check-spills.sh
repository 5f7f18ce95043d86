#!/usr/bin/env bash
# Lists the hot loops of libvdqnative.so -- innermost loops that broadcast activations (vpbroadcastd, or an
# embedded {1to16} broadcast) into integer multiplies (vpmaddubsw / vpmaddwd in gemm_avx2.c, vpdpbusd in
# gemm_avx512.c) and do no float work, and innermost loops that broadcast floats (vbroadcastss, or an embedded
# {1to8} / {1to16} broadcast) into FMAs (vfmadd...ps: the FP32 macro-kernels sgemm_avx2.c and sgemm_avx512.c) --
# with their size and any stack accesses (%rsp / %rbp): a register-tiled inner loop must have none
# (a spill would cost a load and a store per FMA). Exit status 1 if one has.
# Usage: src/main/c/check-spills.sh [path/to/libvdqnative.so]   (needs objdump and perl)
set -euo pipefail
LIB=${1:-target/classes/native/libvdqnative.so}
objdump -d --no-show-raw-insn "$LIB" | perl -e '
  my ($fn, @ins, @loops);
  while (<>) {
    if (/^[0-9a-f]+ <(.*)>:$/) { $fn = $1; next }
    next unless /^\s*([0-9a-f]+):\s+(\S+)\s*(\S*)/;
    my ($a, $op, $arg) = (hex $1, $2, $3);
    push @ins, [$a, $_, $fn];
    push @loops, [hex $arg, $a] if $op =~ /^j/ && $arg =~ /^[0-9a-f]+$/ && hex($arg) < $a;
  }
  for my $l (@loops) {
    my ($s, $e) = @$l;
    next if grep { $_ != $l && $_->[0] >= $s && $_->[1] <= $e } @loops;   # not innermost
    my @body = grep { $_->[0] >= $s && $_->[0] <= $e } @ins;
    my $madd = grep { $_->[1] =~ /vpmaddubsw|vpmaddwd|vpdpbusd/ } @body;
    my $fma = grep { $_->[1] =~ /vfn?madd\d+ps/ } @body;
    my $int = $madd && grep({ $_->[1] =~ /vpbroadcastd|\{1to16\}/ } @body) && !grep({ $_->[1] =~ /ps\s/ } @body);
    my $flt = $fma && grep({ $_->[1] =~ /vbroadcastss|\{1to(8|16)\}/ } @body);
    next unless $int || $flt;
    my @stack = grep { $_->[1] =~ /%rsp|%rbp/ } @body;
    printf "%s loop %x-%x: %d instructions, %d %s, %d stack accesses\n", $body[0][2], $s, $e, scalar @body,
           $int ? ($madd, "vpmadd*/vpdpbusd") : ($fma, "vfmadd*ps"), scalar @stack;
    print "    $_->[1]" for @stack;
    $bad++ if @stack;
  }
  exit($bad ? 1 : 0);'
