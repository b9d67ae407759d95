# Shared by the tool tests (sourced): a fresh temporary folder removed on exit (with the relay
# started by start_relay killed), expect_fail, and start_relay.
dir=$(mktemp -d)
relay_pid=
cleanup() {
  [ -n "$relay_pid" ] && kill -9 "$relay_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

expect_fail() {  # expect_fail <code> <text> <command...>
  local code=$1 text=$2
  shift 2
  set +e
  out=$("$@" 2>&1)
  rc=$?
  set -e
  [ "$rc" = "$code" ] || { echo "expected exit $code, got $rc from: $*"; echo "$out"; exit 1; }
  grep -q -- "$text" <<<"$out" || { echo "expected '$text' in: $out"; exit 1; }
}

start_relay() {  # start_relay <relay arguments...>: TLS certificates in $dir/tls; sets relay_pid and port
  "$make_certs" "$dir/tls" >/dev/null
  "$relay" --port 0 --port-file "$dir/port" --signing-key "$dir/relay-signing.key" \
    --tls-cert "$dir/tls/relay.pem" --tls-key "$dir/tls/relay.key" "$@" 2>"$dir/relay.log" &
  relay_pid=$!
  for _ in $(seq 1 200); do [ -s "$dir/port" ] && break; sleep 0.1; done
  [ -s "$dir/port" ] || { echo "relay did not start"; cat "$dir/relay.log"; exit 1; }
  port=$(cat "$dir/port")
}
