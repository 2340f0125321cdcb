#!/usr/bin/env bash
# Install the Debian packages the project needs, only those missing; never silently skip.
set -euo pipefail
list="$(dirname "$0")/debian-packages.txt"
missing=()
while read -r pkg; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < "$list"
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]] && ! command -v sudo >/dev/null; then
  echo "error: these Debian packages are missing: ${missing[*]}" >&2
  echo "       install them as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
echo "Installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
