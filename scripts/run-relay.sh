#!/usr/bin/env bash
# Quick start: installs what is missing, builds the relay (release preset), creates a development
# setup under ./var if absent (TLS CA and localhost certificate, configuration file), and runs the
# relay on wss://127.0.0.1:8443 with its SQLite database in var/relay.db. Ctrl-C stops it cleanly.
# Extra arguments are passed to gchat-relay (for example --log-level debug).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target gchat-relay gchat-admin gchat gchat-desktop --parallel "$(nproc)"

mkdir -p var
if [ ! -f var/tls/relay.pem ] || [ ! -f var/tls/relay.key ]; then
  scripts/make-dev-certs.sh var/tls
  echo "run-relay: created a development CA in var/tls (clients trust var/tls/ca.pem)"
fi
if [ ! -f var/gchat-relay.conf ]; then
  cat > var/gchat-relay.conf <<CONF
# Development relay configuration written by scripts/run-relay.sh. Every key and its default is
# documented in server/gchat-relay.conf.example.
listen = 127.0.0.1
port = 8443
transport = tls
tls-cert = var/tls/relay.pem
tls-key = var/tls/relay.key
db = var/relay.db
# Development only: any device key may register on its first authentication. For certificate
# mode, pin a government root: root-key = <64 hex digits from gchat-admin root init>
# (or run: GCHAT_ROOT_KEY=<hex> scripts/run-relay.sh).
registration = open
relay-id = gchat-dev
signing-key = var/relay-signing.key
CONF
  echo "run-relay: wrote var/gchat-relay.conf"
fi
echo "run-relay: serving wss://127.0.0.1:8443/v1 (health: https://127.0.0.1:8443/healthz)"
root_args=()
if [ -n "${GCHAT_ROOT_KEY:-}" ]; then
  root_args=(--root-key "$GCHAT_ROOT_KEY")
  echo "run-relay: certificate mode, government root $GCHAT_ROOT_KEY"
fi
exec build/release/server/gchat-relay --config var/gchat-relay.conf "${root_args[@]}" "$@"
