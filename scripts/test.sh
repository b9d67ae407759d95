#!/usr/bin/env bash
# Installs what is missing, builds everything with the `dev` preset (warnings as errors, ASan + UBSan)
# and runs every test through ctest. The MLS test vectors are read from ../shared/mls-vectors.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)
cmake --preset dev
cmake --build --preset dev --parallel "$jobs"
ctest --preset dev --parallel "$jobs"
