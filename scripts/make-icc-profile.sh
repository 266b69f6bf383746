#!/usr/bin/env bash
# Builds assets/icc/FOGRA39L-argyll.icc, the CMYK output profile of the print PDF's PDF/X-4
# output intent, from the FOGRA39 characterization data that Debian ships (icc-profiles-free),
# with ArgyllCMS's colprof. Run once by hand when the profile is to be made again; the build
# only reads the committed profile and never needs ArgyllCMS. Debian/Ubuntu, as root or sudo.
# See assets/icc/README.md for what the profile is and its licence.
set -euo pipefail
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
command -v colprof >/dev/null && [ -f /usr/share/color/icc/FOGRA39L.ti3 ] || {
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq argyll icc-profiles-free >/dev/null
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp /usr/share/color/icc/FOGRA39L.ti3 "$work/"
# -qm medium quality tables; -kr black generation ramp; -l330 total ink limit of FOGRA39;
# -S sRGB: perceptual tables gamut-mapped from sRGB, the colours the brochure is designed in;
# -nc: the measurement data are not copied into the profile.
(cd "$work" && colprof -qm -kr -l330 -S /usr/share/color/icc/sRGB.icc -nc \
  -A "Fogra (characterization data)" \
  -D "FOGRA39 (ISO 12647-2:2004/Amd 1, coated paper), built with ArgyllCMS 2.3.1 from FOGRA39L.ti3" \
  -C "Profile data: zlib licence, from FOGRA39L.ti3 (c) Kai-Uwe Behrmann, Debian icc-profiles-free; altered: built into an ICC profile" \
  FOGRA39L)
cp "$work/FOGRA39L.icc" "$(dirname "$0")/../assets/icc/FOGRA39L-argyll.icc"
echo "wrote assets/icc/FOGRA39L-argyll.icc"
