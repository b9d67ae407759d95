#!/usr/bin/env bash
# Relay benchmark: builds the release preset, starts gchat-relay (TLS unless PLAIN=1) pinned to
# CPU 0 with one network thread and a fresh SQLite file in a temporary folder, and runs
# gchat-loadgen pinned to CPU 1 with the arguments given. Prints the loadgen report. Loopback only.
#
#   scripts/bench-relay.sh --clients 1000 --group-size 10 --rate 5000 --duration 20
#   PLAIN=1 scripts/bench-relay.sh --clients 1000 --group-size 100 --rate 1500 --duration 20
#   scripts/bench-relay.sh --clients 0 --group-size 0 --rate 0 --idle 10000 --duration 1
# PIN=0 leaves both processes unpinned.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  scripts/install-deps.sh >/dev/null
  cmake --preset release >/dev/null
  cmake --build --preset release --target gchat-relay gchat-loadgen --parallel "$(nproc)" >/dev/null
fi
dir=$(mktemp -d)
relay_pid=
cleanup() {
  [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null && wait "$relay_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

pin_relay=() pin_loadgen=()
if [ "${PIN:-1}" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  pin_relay=(taskset -c 0) pin_loadgen=(taskset -c 1)
fi
transport=(--transport plain) ca=()
if [ "${PLAIN:-0}" != 1 ]; then
  scripts/make-dev-certs.sh "$dir/tls" >/dev/null
  transport=(--tls-cert "$dir/tls/relay.pem" --tls-key "$dir/tls/relay.key") ca=(--ca "$dir/tls/ca.pem")
fi
"${pin_relay[@]}" "$root/build/release/server/gchat-relay" --port 0 --port-file "$dir/port" --db "$dir/relay.db" \
  --registration open --threads 1 --log-level warn "${transport[@]}" 2>"$dir/relay.log" &
relay_pid=$!
for _ in $(seq 1 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
[ -s "$dir/port" ] || { echo "bench-relay: the relay did not start" >&2; cat "$dir/relay.log" >&2; exit 1; }
"${pin_loadgen[@]}" "$root/build/release/tools/loadgen/gchat-loadgen" --port "$(cat "$dir/port")" "${ca[@]}" \
  --relay-pid "$relay_pid" "$@"
