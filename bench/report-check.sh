#!/usr/bin/env bash
# The demo report at 1 400 px in a real browser (issue #26, item 7): renders REPORT_DIR/index.html with headless
# Chromium (Debian: apt-get install chromium) at a 1400-pixel-wide window, writes a full-page screenshot to
# OUT.png (look at it), and prints what the page measures: the document's scroll width against the window's client
# width (equal = no horizontal scroll), the results table's right edge, the table wrapper's scroll width, and how
# many images reach past the window. Exits 1 when anything is wider than the window.
# Usage: bench/report-check.sh REPORT_DIR [OUT.png] [HEIGHT]   (default OUT: /tmp/vdq-report-1400.png, HEIGHT 6000)
set -euo pipefail
DIR="$(cd "${1:?usage: bench/report-check.sh REPORT_DIR [OUT.png] [HEIGHT]}" && pwd)"
OUT="${2:-/tmp/vdq-report-1400.png}"
HEIGHT="${3:-6000}"
CHROME="${CHROME:-chromium}"
FLAGS=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync)
PROFILE="$(mktemp -d)"
MEASURE="$DIR/.measure-$$.html"   # beside index.html, so its relative paths resolve the same
trap 'rm -rf "$PROFILE" "$MEASURE"' EXIT
"$CHROME" "${FLAGS[@]}" --user-data-dir="$PROFILE" --window-size=1400,"$HEIGHT" --screenshot="$OUT" \
    "file://$DIR/index.html" >/dev/null 2>&1
echo "screenshot: $OUT (1400 x $HEIGHT)"
python3 - "$DIR/index.html" "$MEASURE" <<'PY'
import sys
script = """<script>
var d=document.documentElement, t=document.getElementById("results"), w=document.querySelector(".wide");
var past=[...document.images].filter(i=>i.getBoundingClientRect().right>d.clientWidth).length;
document.body.setAttribute("data-measure","scroll_width="+d.scrollWidth+" client_width="+d.clientWidth
  +" table_right="+(t?Math.round(t.getBoundingClientRect().right):0)
  +" table_scroll="+(w?w.scrollWidth+"/"+w.clientWidth:"0/0")+" images_past_edge="+past);
</script></body>"""
open(sys.argv[2], "w").write(open(sys.argv[1]).read().replace("</body>", script))
PY
M="$("$CHROME" "${FLAGS[@]}" --user-data-dir="$PROFILE" --window-size=1400,900 --virtual-time-budget=5000 --dump-dom \
    "file://$MEASURE" 2>/dev/null | grep -o 'data-measure="[^"]*"' | sed 's/^data-measure="//; s/"$//')"
echo "$M"
read -r sw cw tr ts ip <<<"$(echo "$M" | sed 's/[a-z_]*=//g')"
if [ "$sw" -gt "$cw" ] || [ "${ts%/*}" -gt "${ts#*/}" ] || [ "$ip" -gt 0 ]; then echo "wider than the window"; exit 1; fi
echo "fits: nothing wider than the 1400-pixel window"
