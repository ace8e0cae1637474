#!/usr/bin/env bash
# Rebuilds shortlink/qr/caption-font.ttf, the font PNG captions are drawn in:
# WenQuanYi Micro Hei (Apache-2.0, or GPL-3+ with the font exception; see
# ../NOTICE) cut down to the characters a caption is expected to use:
#   - printable ASCII (U+0020–U+007E),
#   - CJK punctuation and symbols (U+3000–U+303F), full-width forms
#     (U+FF01–U+FF5E), ·—‘’“”…※ and the middle dots,
#   - the 3,755 hanzi of GB2312 level 1 (rows 16–55, bytes B0A1–D7F9), the
#     common set every Chinese input method and school text covers.
# Run through `go generate ./shortlink/qr` (needs python3 and fonttools:
# apt-get install -y fonttools). The output is deterministic for a given
# source font and fonttools version.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${WQY_FONT:-/usr/share/fonts/truetype/wqy/wqy-microhei.ttc}
py=/usr/bin/python3
[ -x "$py" ] || py=python3
text=$(mktemp)
trap 'rm -f "$text"' EXIT
"$py" - >"$text" <<'PY'
import sys
out = [chr(c) for c in range(0x20, 0x7f)]
out += [chr(c) for c in range(0x3000, 0x3040)]
out += [chr(c) for c in range(0xff01, 0xff5f)]
out += list("·—‘’“”…※・")
for hi in range(0xb0, 0xd8):
    for lo in range(0xa1, 0xff):
        if hi == 0xd7 and lo > 0xf9:
            break
        out.append(bytes([hi, lo]).decode("gb2312"))
sys.stdout.write("".join(out))
PY
# --font-number=0: the .ttc holds Micro Hei (0) and Micro Hei Mono (1).
# No hinting and no layout tables: the Go renderer uses neither.
"$py" -m fontTools.subset "$src" --font-number=0 --text-file="$text" \
  --output-file=caption-font.ttf --no-hinting --layout-features='' \
  --name-IDs='*' --name-languages='*' --drop-tables+=GSUB,GPOS,GDEF
ls -l caption-font.ttf
