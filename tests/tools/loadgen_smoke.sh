#!/usr/bin/env bash
# gchat-loadgen against a real TLS relay: a short bounded run must deliver every message, the tool
# must refuse a non-loopback host, and the relay must then stop cleanly on SIGTERM.
set -euo pipefail
relay=$1 loadgen=$2 make_certs=$3
source "$(dirname "$0")/common.sh"
start_relay --db "$dir/relay.db" --registration open --log-level warn

out=$("$loadgen" --port "$port" --ca "$dir/tls/ca.pem" --clients 20 --group-size 5 --rate 100 \
  --duration 2 --warmup 0.5 --idle 10 --relay-pid "$relay_pid" --json)
echo "$out"
for field in '"send_errors":0' '"rate_limited":0' '"missing":0' '"unanswered":0' '"disconnects":0' '"samples":'; do
  grep -q "$field" <<<"$out" || { echo "loadgen output lacks $field"; exit 1; }
done
grep -q '"deliveries":0,' <<<"$out" && { echo "no deliveries"; exit 1; }

# Loopback only: anything else is refused before any traffic.
rc=0
"$loadgen" --host 192.0.2.1 --port "$port" >/dev/null 2>"$dir/refusal" || rc=$?
[ "$rc" -eq 2 ] && grep -q loopback "$dir/refusal" || { echo "non-loopback host not refused (rc $rc)"; exit 1; }

kill -TERM "$relay_pid"
rc=0
wait "$relay_pid" || rc=$?
relay_pid=
[ "$rc" -eq 0 ] || { echo "relay exit status $rc"; cat "$dir/relay.log"; exit 1; }
echo "loadgen smoke: ok"
