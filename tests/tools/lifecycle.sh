#!/usr/bin/env bash
# Years of a deployment in a few minutes: the real relay, the real gchat clients and the agency's
# issuing service (gchat-admin serve) all run shifted in time with Debian's libfaketime. Day 1 a
# group talks; day 60 the service renews everyone by itself and the devices take it; day 91, day
# 366 and day 800 — with the yearly ceremony (agency renew, admin renew) done by the documented
# commands in between — messages still flow both ways, history is intact and nobody re-enrolled.
# A revoked person stays refused however often the service runs.
set -euo pipefail
relay=$1 admin=$2 gchat=$3 make_certs=$4
source "$(dirname "$0")/common.sh"
cd "$dir"

libfaketime=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1 || true)
[ -n "$libfaketime" ] || { echo "libfaketime is not installed (scripts/install-deps.sh installs it)"; exit 1; }
# Every process reads the offset from this file at each clock read: one place moves time for all.
# Only the wall clock moves (timers and timeouts run on the real monotonic clock); the sanitizers'
# runtime accepts a library preloaded before it.
echo "+0d" >"$dir/faketime"
shifted_env=(env FAKETIME_TIMESTAMP_FILE="$dir/faketime" FAKETIME_NO_CACHE=1 DONT_FAKE_MONOTONIC=1
  LD_PRELOAD="$libfaketime" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")
shifted() { "${shifted_env[@]}" "$@"; }
today=0
day() {  # day N: the whole deployment is now N days after the start
  today=$1
  echo "+${1}d" >"$dir/faketime"
  echo "--- day $1: $(shifted date -u '+%Y-%m-%d')"
}
# The test's own check of a shifted clock: a date one day past the start must be seen as such.
day 1
[ "$(shifted date -u +%s)" -ge $(( $(date -u +%s) + 86000 )) ] || { echo "libfaketime did not shift the clock"; exit 1; }
day 0

echo "correct horse battery staple" >pass
export GCHAT_PASSPHRASE="รหัสผ่านของเครื่องนี้ long enough"
root_hex=$(shifted "$admin" root init --key-out root.key --kdf moderate --new-passphrase-file pass | tail -1)
shifted "$admin" agency create --root-key root.key --passphrase-file pass --new-passphrase-file pass --id moi \
  --name-th "กระทรวงมหาดไทย" --name-en "Ministry of Interior" --max-clearance top-secret \
  --key-out moi.key --cert-out moi.cert >/dev/null
shifted "$admin" admin create --agency-key moi.key --agency-cert moi.cert --passphrase-file pass \
  --new-passphrase-file pass --id somsri --name-th "สมศรี" --name-en "Somsri" \
  --roles user-admin,clearance-officer --key-out somsri.key --chain-out somsri.chain >/dev/null
shifted "$admin" admin create --agency-key moi.key --agency-cert moi.cert --passphrase-file pass \
  --new-passphrase-file pass --id issuer --name-th "บริการออกใบรับรอง" --name-en "Issuing service" \
  --roles renewal --key-out issuer.key --chain-out issuer.chain >/dev/null

# The relay's TLS certificate outlives the test's 800 days.
"$make_certs" "$dir/tls" 1000 >/dev/null
# Started through env (which becomes the relay), not the shifted function (a subshell), so that the
# cleanup's kill reaches the relay itself.
"${shifted_env[@]}" "$relay" --port 0 --port-file "$dir/port" --signing-key "$dir/relay-signing.key" --db relay.db \
  --tls-cert "$dir/tls/relay.pem" --tls-key "$dir/tls/relay.key" --root-key "$root_hex" --log-level warn \
  2>"$dir/relay.log" &
relay_pid=$!
for _ in $(seq 1 200); do [ -s "$dir/port" ] && break; sleep 0.1; done
[ -s "$dir/port" ] || { echo "relay did not start"; cat "$dir/relay.log"; exit 1; }
port=$(cat "$dir/port")

as_somsri() { shifted "$admin" "$@" --admin-key somsri.key --admin-chain somsri.chain --passphrase-file pass \
  --relay "localhost:$port" --ca tls/ca.pem; }
serve_round() {  # one round of the issuing service, as its unit would run it
  shifted "$admin" serve --once --admin-key issuer.key --admin-chain issuer.chain --passphrase-file pass \
    --relay "localhost:$port" --ca tls/ca.pem >"serve-$today.log" 2>&1 || { cat "serve-$today.log"; exit 1; }
}
g() { local who=$1; shift; shifted "$gchat" --data "$who" "$@"; }

enrol() {  # enrol <user> <Thai name> <clearance>
  local user=$1 name=$2 clearance=$3 code
  code=$(as_somsri enrol grant --id "$user" --name-th "$name" --name-en "$user" --clearance "$clearance" | tail -1)
  g "$user" init --relay "localhost:$port" --ca tls/ca.pem --root-key "$root_hex" --device-name "$user-laptop" \
    --kdf interactive >/dev/null
  expect_fail 1 "waiting for your administrator" g "$user" enrol "$code" --wait 0
  as_somsri enrol complete >/dev/null
  g "$user" enrol "$code" | grep -q "enrolled as $name"
  g "$user" sync --seconds 1 >/dev/null
}
enrol alice "อลิซ" secret
enrol bob "บ็อบ" secret
enrol carol "แคโรล" unclassified

# Day 1: a group talks.
day 1
g alice create --kind group --title "ทีมงาน" --member moi/bob --member moi/carol | grep -q "moi/carol"
g alice send "ทีมงาน" "วันแรก" | grep -q "sent #"
g bob sync --seconds 5 | grep -q "อลิซ (moi, ลับมาก / Secret): วันแรก"
# Carol leaves the service: revoked. Renewal must never bring her back.
as_somsri revoke user --user moi/carol >/dev/null

talk() {  # both ways, on the day it is
  g alice send "ทีมงาน" "อลิซ วันที่ $today" | grep -q "sent #" || { echo "alice could not send on day $today"; exit 1; }
  g bob sync --seconds 6 >"bob-$today.out"
  grep -q "อลิซ วันที่ $today" "bob-$today.out" || { echo "bob missed alice's message on day $today"; cat "bob-$today.out"; exit 1; }
  g bob send "ทีมงาน" "บ็อบ วันที่ $today" | grep -q "sent #" || { echo "bob could not send on day $today"; exit 1; }
  g alice sync --seconds 6 >"alice-$today.out"
  grep -q "บ็อบ วันที่ $today" "alice-$today.out" || { echo "alice missed bob's message on day $today"; cat "alice-$today.out"; exit 1; }
  expect_fail 1 "REVOKED" g carol sync --seconds 1
}
renewal_round() {  # the service runs; everyone's devices come online and take what it signed
  day "$1"
  serve_round
  g alice sync --seconds 3 >"alice-sync-$today.out"
  g bob sync --seconds 3 >"bob-sync-$today.out"
}
ceremony() {  # the yearly renewal of the agency's and its administrators' certificates (README)
  shifted "$admin" agency renew --root-key root.key --passphrase-file pass --cert moi.cert --cert-out moi.cert.new >/dev/null
  mv moi.cert.new moi.cert
  for who in somsri issuer; do
    shifted "$admin" admin renew --agency-key moi.key --agency-cert moi.cert --passphrase-file pass \
      --chain $who.chain --chain-out $who.chain.new >/dev/null
    mv $who.chain.new $who.chain
  done
  shifted "$admin" show issuer.chain | grep -q "RENEWAL"
}

# Day 60: the service renews alice and bob (30 days before expiry) and leaves carol alone.
renewal_round 60
grep -q "renewed moi/alice" "serve-60.log" || { cat serve-60.log; exit 1; }
grep -q "renewed moi/bob" "serve-60.log"
if grep -q "renewed moi/carol" "serve-60.log"; then echo "the service renewed a revoked person"; exit 1; fi
grep -q "your certificate was renewed" "alice-sync-60.out" || { echo "alice's device did not take the renewal"; cat alice-sync-60.out; exit 1; }
grep -q "your certificate was renewed" "bob-sync-60.out"

day 91
talk

for d in 120 180 240 300; do renewal_round $d; done
day 330
ceremony
renewal_round 360
day 366
talk

for d in 420 480 540 600 660; do renewal_round $d; done
day 680
ceremony
renewal_round 720
renewal_round 780
day 800
talk

# History intact from day 1, on both devices; nobody re-enrolled (the same stores throughout).
g bob history "ทีมงาน" --limit 200 >bob-history.out
for text in "วันแรก" "อลิซ วันที่ 91" "อลิซ วันที่ 366" "บ็อบ วันที่ 800"; do
  grep -q "$text" bob-history.out || { echo "bob's history lost '$text'"; cat bob-history.out; exit 1; }
done
g alice history "ทีมงาน" --limit 200 | grep -q "บ็อบ วันที่ 366"
g alice status | grep -q "certificate valid until"
echo "lifecycle: 800 days, $(grep -c . serve-*.log | wc -l) service rounds, messages both ways on days 91, 366, 800"
