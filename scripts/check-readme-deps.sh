#!/usr/bin/env bash
# Fails when the README's list of what `make test` installs differs from scripts/install-deps.sh --list.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --list --compose | python3 -c '
import re, sys
script = set(" ".join(line.split(":", 1)[1] for line in sys.stdin).split())
text = open("README.md").read()
paragraph = text[text.index("- `make test` installs what is missing"):]
paragraph = " ".join(paragraph[:paragraph.index("\n\n")].split())
readme = set()
for group in re.findall(r"(?:apt|PyPI): ([^;)]*)", paragraph):
    readme.update(group.split())
for what, names in (("does not name", script - readme), ("names what the script does not install", readme - script)):
    if names:
        sys.exit("check-readme-deps: the make test paragraph of README.md %s: %s" % (what, " ".join(sorted(names))))
print("check-readme-deps: README.md lists exactly what scripts/install-deps.sh installs")
'
