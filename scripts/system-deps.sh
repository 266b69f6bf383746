#!/usr/bin/env bash
# Installs what the pipeline needs from the system when it is missing: the libraries WeasyPrint
# uses (Pango, HarfBuzz, fontconfig) and gettext's msgfmt, which checks the translators'
# catalogs. Debian/Ubuntu only; does nothing when everything is already there.
set -euo pipefail
packages=()
for lib in pango-1.0 pangoft2-1.0 harfbuzz harfbuzz-subset fontconfig; do
  python3 -c "import ctypes.util,sys; sys.exit(0 if ctypes.util.find_library('$lib') else 1)" \
    || packages+=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1)
done
command -v msgfmt >/dev/null || packages+=(gettext)
[ ${#packages[@]} -eq 0 ] && exit 0
echo "setup: installing system packages: $(printf '%s\n' "${packages[@]}" | sort -u | tr '\n' ' ')"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $(printf '%s\n' "${packages[@]}" | sort -u) >/dev/null
