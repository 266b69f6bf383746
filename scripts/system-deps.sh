#!/usr/bin/env bash
# Installs what the pipeline needs from the system when it is missing: the libraries WeasyPrint
# uses (Pango, HarfBuzz, fontconfig) and gettext's msgfmt, which checks the translators'
# catalogs. With --browser (`make test`), also Chromium and its ChromeDriver, which the preview
# page's test drives headless (tests/test_preview.py). Debian/Ubuntu only; does nothing when
# everything is already there.
set -euo pipefail
packages=()
for lib in pango-1.0 pangoft2-1.0 harfbuzz harfbuzz-subset fontconfig; do
  python3 -c "import ctypes.util,sys; sys.exit(0 if ctypes.util.find_library('$lib') else 1)" \
    || packages+=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1)
done
command -v msgfmt >/dev/null || packages+=(gettext)
browser=0
if [ "${1:-}" = "--browser" ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; }; then
  browser=1
fi
[ ${#packages[@]} -eq 0 ] && [ $browser -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
if [ ${#packages[@]} -gt 0 ]; then
  echo "setup: installing system packages: $(printf '%s\n' "${packages[@]}" | sort -u | tr '\n' ' ')"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $(printf '%s\n' "${packages[@]}" | sort -u) >/dev/null
fi
if [ $browser -eq 1 ]; then
  if apt-cache show chromium chromium-driver >/dev/null 2>&1; then
    echo "setup: installing chromium chromium-driver (the preview page's browser test)"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
  else  # Ubuntu ships Chromium as a snap: the browser test skips there, saying why
    echo "setup: no Debian chromium package here; the preview page's browser test will be skipped"
  fi
fi
