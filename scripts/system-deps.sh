#!/usr/bin/env bash
# Installs the system libraries WeasyPrint needs (Pango, HarfBuzz, fontconfig) when they are
# missing. Debian/Ubuntu only; does nothing when everything is already there.
set -euo pipefail
missing=()
for lib in pango-1.0 pangoft2-1.0 harfbuzz harfbuzz-subset fontconfig; do
  python3 -c "import ctypes.util,sys; sys.exit(0 if ctypes.util.find_library('$lib') else 1)" \
    || missing+=("$lib")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "setup: installing system libraries for WeasyPrint (missing: ${missing[*]})"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 fontconfig >/dev/null
