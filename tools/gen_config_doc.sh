#!/usr/bin/env bash
# Regenerate the key tables of docs/config.md from `tickwire paper
# --config-doc` (the schema in tools/paper_cfg.c). test_paper_cfg fails when
# the committed tables differ from the schema.
set -euo pipefail
cd "$(dirname "$0")/.."
tw=${1:-build/release/tools/tickwire}
python3 - "$tw" <<'PY'
import subprocess, sys
tw = sys.argv[1]
gen = subprocess.run([tw, "paper", "--config-doc"], check=True, capture_output=True, text=True).stdout
doc = open("docs/config.md").read()
begin = doc.index("<!-- BEGIN GENERATED KEY TABLES")
begin = doc.index("-->", begin) + 3
end = doc.index("<!-- END GENERATED KEY TABLES -->")
open("docs/config.md", "w").write(doc[:begin] + "\n\n" + gen.rstrip("\n") + "\n\n" + doc[end:])
PY
