#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`: clang, ASan + UBSan) and runs each for SECONDS
# (default 60), starting from the target's seeds. Installs clang and its fuzzer runtime if missing.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
EXTRA_PACKAGES="clang libclang-rt-14-dev" scripts/install-deps.sh
cmake --preset fuzz >/dev/null
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_mls_message fuzz_message_protection fuzz_certificate_chain fuzz_key_package
  fuzz_welcome fuzz_group_info fuzz_ratchet_tree fuzz_secret_tree fuzz_group_state fuzz_public_group_state)
cmake --build --preset fuzz --target "${targets[@]}" --parallel "$(nproc)"
for t in "${targets[@]}"; do
  corpus=build/fuzz/corpus/$t
  artifacts=build/fuzz/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  echo "fuzz: $t for ${seconds}s (corpus $corpus, crashes in $artifacts)"
  GCHAT_FUZZ_SEED_DIR="$corpus" "build/fuzz/tests/fuzz/$t" -max_total_time="$seconds" -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus"
done
