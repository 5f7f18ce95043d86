#!/usr/bin/env bash
# Lists every innermost loop of libvdqnative.so that contains vpmaddubsw, with its size and any stack
# accesses (%rsp / %rbp): a register-tiled inner loop must have none (cpu-kernels.md §4.5).
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
    my $madd = grep { $_->[1] =~ /vpmaddubsw/ } @body;
    next unless $madd;
    my @stack = grep { $_->[1] =~ /%rsp|%rbp/ } @body;
    printf "%s loop %x-%x: %d instructions, %d vpmaddubsw, %d stack accesses\n",
           $body[0][2], $s, $e, scalar @body, $madd, scalar @stack;
    print "    $_->[1]" for @stack;
  }'
