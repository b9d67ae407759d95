#!/usr/bin/env bash
# Installs, from Debian 12 packages only, whatever the build and the tests need and this machine lacks.
# Works as root or through sudo. Prints what it installs; installs nothing when nothing is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config openssl
  libssl-dev libsodium-dev libsqlite3-dev
  libboost1.81-dev libboost-program-options1.81-dev
  libprotobuf-dev protobuf-compiler libicu-dev
  nlohmann-json3-dev doctest-dev
  # The desktop app: Qt 6 Quick with its controls and translation tools, the offscreen platform its
  # tests run on, and the Thai fonts it shows (Noto Sans Thai, with TLWG's Thai fonts behind it).
  qt6-base-dev qt6-declarative-dev qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools qt6-qpa-plugins
  qml6-module-qtquick qml6-module-qtquick-controls qml6-module-qtquick-layouts qml6-module-qtquick-window
  qml6-module-qtquick-templates qml6-module-qtqml-workerscript
  fonts-noto-core fonts-thai-tlwg-otf fontconfig
  # The JNI binding and its test on the host JVM: a JDK and protobuf's Java runtime (the compiler is
  # protobuf-compiler above).
  default-jdk-headless libprotobuf-java
  # Time-dependent behaviour (certificate expiry and renewal over years) is tested by running the
  # real relay, clients and issuing service shifted in time.
  faketime libfaketime
)
# Callers may ask for more (scripts/fuzz.sh: clang and its fuzzer runtime).
read -r -a extra <<<"${EXTRA_PACKAGES:-}"
packages+=("${extra[@]}")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-deps: missing packages (${missing[*]}) and neither root nor sudo is available" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
