#!/usr/bin/env bash
# The identity lifecycle from the administrators' side, on the real relay: a renewal administrator
# (RENEWAL alone); `gchat-admin serve --once` renews the person whose certificate expires within
# the window (same clearance, later expiry, standing on the certificate it renews) and leaves the
# others and the revoked alone; the service refuses bad configuration (exit 2) and reports a
# refusal by the relay (exit 1); serve picks up a renewed chain, and a new key, without a restart
# and stops on SIGTERM; the yearly ceremony (agency renew, admin renew) with the same keys and with
# new ones gives chains that verify to the root and that the relay accepts; a renewal
# administrator cannot issue, change a clearance or revoke. Every failure must be a sentence and a
# non-zero exit code.
set -euo pipefail
relay=$1 admin=$2 gchat=$3 make_certs=$4
source "$(dirname "$0")/gchat_world.sh"
serve_pid=
trap '[ -n "$serve_pid" ] && kill -9 "$serve_pid" 2>/dev/null; cleanup' EXIT

# Like enrol, with the certificate valid for <days>: enrol_for <agency> <user> <name> <clearance> <days>
enrol_for() {
  local agency=$1 user=$2 name=$3 clearance=$4 days=$5
  code=$(grant "$agency" "$user" "$name" "$clearance")
  "$gchat" --data "$user" init --relay "127.0.0.1:$port" --ca tls/ca.pem --root-key "$root_hex" \
    --device-name "$user-laptop" --kdf interactive >/dev/null
  expect_fail 1 "waiting for your administrator" "$gchat" --data "$user" enrol "$code" --wait 0
  as_admin "$agency" enrol complete --days "$days" >/dev/null
  "$gchat" --data "$user" enrol "$code" | grep -q "enrolled as $name ($agency"
  "$gchat" --data "$user" sync --seconds 1 >/dev/null
}
serial_of() { "$admin" show "$1" | sed -n 's/^user .*, serial \([0-9]*\)$/\1/p'; }
expiry_of() { "$admin" show "$1" | sed -n 's/^  valid .*(\([0-9]*\) \.\. \([0-9]*\) Unix seconds)$/\2/p' | head -1; }
current() {  # current <user> <file>: the person's certificate as the relay holds it
  as_admin moi user get --user "moi/$1" --cert-out "$2" >/dev/null
}
serve_args=(--admin-chain issuer.chain --passphrase-file pass --port "$port" --ca tls/ca.pem)

enrol_for moi bob "บ็อบ" secret 20       # due within 30 days
enrol_for moi carol "แคโรล" confidential 20  # due, but revoked below
enrol moi alice "อลิซ" confidential       # 90 days: not due
as_admin moi revoke user --user moi/carol >/dev/null

# The issuing service's administrator: renewal and nothing else.
expect_fail 2 "renewal stands alone" "$admin" admin create --agency-key moi.key --agency-cert moi.cert \
  --passphrase-file pass --new-passphrase-file pass --id svc --name-th x --name-en x --roles renewal,user-admin \
  --key-out svc.key --chain-out svc.chain
"$admin" admin create --agency-key moi.key --agency-cert moi.cert --passphrase-file pass --new-passphrase-file pass \
  --id issuer --name-th "บริการออกใบรับรอง" --name-en "Issuing service" --roles renewal --days 10 \
  --key-out issuer.key --chain-out issuer.chain >/dev/null
"$admin" show issuer.chain | grep -q "roles RENEWAL, serial"
"$admin" show issuer.chain | grep -q "warning: the certificate of administrator moi/issuer expires on .* (in 10 days)"

# What the agency sees: expiries, the ones due, the revoked.
as_admin moi list users >list.out
grep -q "agency moi: 3 people" list.out || { cat list.out; exit 1; }
grep -Eq "^  bob  .*expires [0-9-]{10} \(in 20 days\)  EXPIRING$" list.out || { cat list.out; exit 1; }
grep -Eq "^  alice  .*expires [0-9-]{10}$" list.out || { cat list.out; exit 1; }
grep -q "^  carol  .*REVOKED$" list.out || { cat list.out; exit 1; }
as_admin moi list expiring >expiring.out
grep -q "agency moi: 1 of 3 people expire within 30 days" expiring.out || { cat expiring.out; exit 1; }
grep -q "^  bob  " expiring.out
if grep -Eq "alice|carol" expiring.out; then echo "list expiring lists the wrong people"; cat expiring.out; exit 1; fi
as_admin moi list expiring --within-days 100 | grep -q "2 of 3 people expire within 100 days"

# The service refuses a configuration it cannot work with, before any round.
expect_fail 2 "serve runs only with a renewal administrator's key" "$admin" serve --admin-key admin-moi.key \
  --admin-chain admin-moi.chain --passphrase-file pass --port "$port" --ca tls/ca.pem --once
expect_fail 2 "does not belong to the administrator chain" "$admin" serve --admin-key admin-moi.key "${serve_args[@]}" --once
expect_fail 2 "--days must be longer than --renew-before-days" "$admin" serve --admin-key issuer.key "${serve_args[@]}" \
  --days 20 --once
expect_fail 2 "--every: 1 to 604800" "$admin" serve --admin-key issuer.key "${serve_args[@]}" --every 0
expect_fail 2 "no passphrase" env -u GCHAT_PASSPHRASE "$admin" serve --admin-key issuer.key --admin-chain issuer.chain \
  --port "$port" --ca tls/ca.pem --once </dev/null
expect_fail 2 "relay HOST:PORT" "$admin" serve --admin-key issuer.key --admin-chain issuer.chain --passphrase-file pass \
  --ca tls/ca.pem --once

# One round: bob renewed, alice not due, carol revoked (renewal never resurrects).
current bob bob-before.cert
current alice alice-before.cert
"$admin" serve --admin-key issuer.key "${serve_args[@]}" --once >serve.out 2>serve.err ||
  { echo "serve --once failed"; cat serve.out serve.err; exit 1; }
grep -q "renewed moi/bob: ลับมาก / Secret, serial [0-9]* until" serve.out || { cat serve.out; exit 1; }
grep -q "round: 1 renewed, 2 skipped (1 not due, 1 revoked), 0 refused" serve.out || { cat serve.out; exit 1; }
if grep -Eq "moi/(alice|carol)" serve.out; then echo "serve touched alice or carol"; cat serve.out; exit 1; fi
grep -q "warning: the service's chain (moi/issuer) expires" serve.err || { cat serve.err; exit 1; }
current bob bob-after.cert
"$admin" show bob-after.cert >bob-after.txt
grep -q "user moi/bob: บ็อบ / bob, ลับมาก / Secret, signed by issuer" bob-after.txt || { cat bob-after.txt; exit 1; }
grep -q "a renewal of serial $(serial_of bob-before.cert) (signed by admin-moi" bob-after.txt || { cat bob-after.txt; exit 1; }
[ "$(expiry_of bob-after.cert)" -gt "$(expiry_of bob-before.cert)" ] || { echo "bob's expiry did not move"; exit 1; }
[ "$(expiry_of bob-after.cert)" -gt $(($(date +%s) + 89 * 86400)) ] || { echo "bob's renewal is not for 90 days"; exit 1; }
current alice alice-after.cert
[ "$(serial_of alice-after.cert)" = "$(serial_of alice-before.cert)" ] || { echo "alice was renewed"; exit 1; }
as_admin moi list expiring | grep -q "agency moi: 0 of 3 people"
# A second round finds nothing due; the passphrase may come from the environment.
GCHAT_PASSPHRASE="$(cat pass)" "$admin" serve --admin-key issuer.key --admin-chain issuer.chain --port "$port" \
  --ca tls/ca.pem --once >serve2.out 2>&1 || { cat serve2.out; exit 1; }
grep -q "round: 0 renewed, 3 skipped (2 not due, 1 revoked), 0 refused" serve2.out || { cat serve2.out; exit 1; }
# The renewed person's clearance is still the officer's to change (a new certificate of their own).
as_admin moi clearance set --user moi/bob --clearance confidential | grep -q "ลับมาก / Secret -> ลับ / Confidential"

# A renewal administrator renews and does nothing else (refused with the code).
expect_fail 1 "cert_role_missing" "$admin" user issue --admin-key issuer.key --admin-chain issuer.chain \
  --passphrase-file pass --id zed --name-th x --name-en x --clearance 0 --identity-key "$(printf '11%.0s' $(seq 1 32))" \
  --cert-out zed.cert
expect_fail 1 "cert_role_missing" "$admin" clearance set --admin-key issuer.key "${serve_args[@]}" --user moi/alice \
  --clearance secret
expect_fail 1 "cert_role_missing" "$admin" enrol grant --admin-key issuer.key "${serve_args[@]}" --id zed --name-th x \
  --name-en x --clearance 0
expect_fail 1 "FORBIDDEN" "$admin" revoke user --admin-key issuer.key "${serve_args[@]}" --user moi/alice

# A refusal by the relay is said, with its code, and --once exits 1: a service of another root.
"$admin" root init --key-out root2.key --kdf moderate --new-passphrase-file pass >/dev/null
"$admin" agency create --root-key root2.key --passphrase-file pass --new-passphrase-file pass --id moi --name-th x \
  --name-en x --max-clearance secret --key-out moi2.key --cert-out moi2.cert >/dev/null
"$admin" admin create --agency-key moi2.key --agency-cert moi2.cert --passphrase-file pass --new-passphrase-file pass \
  --id rogue --name-th x --name-en x --roles renewal --key-out rogue.key --chain-out rogue.chain >/dev/null
expect_fail 1 "round failed: the relay refused to list the people of moi: CERTIFICATE_REJECTED" "$admin" serve \
  --admin-key rogue.key --admin-chain rogue.chain --passphrase-file pass --port "$port" --ca tls/ca.pem --once

# The yearly ceremony with the same keys: the root re-signs the agency, the agency its administrators.
expect_fail 1 "did not sign the certificate of agency 'moi'" "$admin" agency renew --root-key root2.key \
  --passphrase-file pass --cert moi.cert --cert-out moi-next.cert
"$admin" agency renew --root-key root.key --passphrase-file pass --cert moi.cert --cert-out moi-next.cert |
  grep -q "agency moi renewed: serial [0-9]*, valid until [0-9-]*, same key"
"$admin" show moi-next.cert --verify-root "$root_hex" | grep -q "verifies to the root"
[ "$("$admin" show moi-next.cert | grep -o 'serial [0-9]*')" != "$("$admin" show moi.cert | grep -o 'serial [0-9]*')" ]
expect_fail 1 "'moi-next.cert' exists" "$admin" agency renew --root-key root.key --passphrase-file pass --cert moi.cert \
  --cert-out moi-next.cert
expect_fail 1 "does not verify to the root" "$admin" show moi-next.cert --verify-root "$(printf '22%.0s' $(seq 1 32))"
"$admin" admin renew --agency-key moi.key --agency-cert moi-next.cert --passphrase-file pass --chain admin-moi.chain \
  --chain-out admin-moi-next.chain | grep -q "administrator moi/admin-moi renewed: .*, same key"
"$admin" show admin-moi-next.chain --verify-root "$root_hex" | grep -q "USER_ADMIN CLEARANCE_OFFICER CHANNEL_ADMIN"
"$admin" show admin-moi-next.chain --verify-root "$root_hex" | grep -q "verifies to the root"
"$admin" list users --admin-key admin-moi.key --admin-chain admin-moi-next.chain --passphrase-file pass --port "$port" \
  --ca tls/ca.pem | grep -q "agency moi: 3 people"
expect_fail 1 "is of agency 'mof'" "$admin" admin renew --agency-key moi.key --agency-cert moi-next.cert \
  --passphrase-file pass --chain admin-mof.chain --chain-out x.chain

# ... and with new keys: a new agency key, then the administrators under it with new keys of their own.
"$admin" agency renew --root-key root.key --passphrase-file pass --new-passphrase-file pass --cert moi.cert \
  --cert-out moi-new.cert --new-key-out moi-new.key | grep -q "new key in moi-new.key"
"$admin" show moi-new.cert --verify-root "$root_hex" | grep -q "verifies to the root"
expect_fail 1 "does not belong to the agency certificate" "$admin" admin renew --agency-key moi.key \
  --agency-cert moi-new.cert --passphrase-file pass --chain admin-moi.chain --chain-out x.chain
"$admin" admin renew --agency-key moi-new.key --agency-cert moi-new.cert --passphrase-file pass --new-passphrase-file pass \
  --chain admin-moi.chain --chain-out admin-moi-new.chain --new-key-out admin-moi-new.key | grep -q "new key in"
"$admin" show admin-moi-new.chain --verify-root "$root_hex" | grep -q "verifies to the root"
expect_fail 1 "does not belong to the administrator chain" "$admin" list users --admin-key admin-moi.key \
  --admin-chain admin-moi-new.chain --passphrase-file pass --port "$port" --ca tls/ca.pem
"$admin" list users --admin-key admin-moi-new.key --admin-chain admin-moi-new.chain --passphrase-file pass \
  --port "$port" --ca tls/ca.pem | grep -q "agency moi: 3 people"

# serve, running: the chain it warned about is renewed (under the new agency key, with a new key of
# its own) and moved into place; the next rounds use it, renewing through the renewed chain; SIGTERM stops it.
enrol_for moi dan "แดน" unclassified 20
"$admin" serve --admin-key issuer.key "${serve_args[@]}" --every 1 >loop.out 2>loop.err &
serve_pid=$!
wait_for() {  # wait_for <pattern> <file>
  for _ in $(seq 1 300); do grep -q "$1" "$2" && return 0; sleep 0.1; done
  echo "no '$1' in $2"; cat loop.out loop.err; exit 1
}
wait_for "renewed moi/dan" loop.out
wait_for "warning: the service's chain" loop.err
"$admin" admin renew --agency-key moi-new.key --agency-cert moi-new.cert --passphrase-file pass --new-passphrase-file pass \
  --chain issuer.chain --chain-out issuer-next.chain --new-key-out issuer-next.key >/dev/null
mv issuer-next.key issuer.key
mv issuer-next.chain issuer.chain
wait_for "names a new key; using the new key in issuer.key" loop.out
rounds=$(grep -c "round:" loop.out)
for _ in $(seq 1 300); do [ "$(grep -c "round:" loop.out)" -ge $((rounds + 2)) ] && break; sleep 0.1; done
warnings=$(grep -c "warning: the service's chain" loop.err)
for _ in $(seq 1 300); do [ "$(grep -c "round:" loop.out)" -ge $((rounds + 4)) ] && break; sleep 0.1; done
[ "$(grep -c "warning: the service's chain" loop.err)" = "$warnings" ] || { echo "serve still warns"; cat loop.err; exit 1; }
tail -1 loop.out | grep -q "round: 0 renewed, 4 skipped (3 not due, 1 revoked), 0 refused" || { cat loop.out; exit 1; }
kill -TERM "$serve_pid"
set +e
wait "$serve_pid"
rc=$?
set -e
serve_pid=
[ "$rc" = 0 ] || { echo "serve exited $rc on SIGTERM"; cat loop.out loop.err; exit 1; }
tail -1 loop.out | grep -q "stopping on SIGTERM"
# Dan, renewed by the old service key, is renewed again by the new one on the same basis (a wider
# window: alice and bob too).
current dan dan-renewed.cert
"$admin" serve --admin-key issuer.key "${serve_args[@]}" --renew-before-days 95 --days 120 --once >serve3.out 2>&1 ||
  { cat serve3.out; exit 1; }
grep -q "round: 3 renewed, 1 skipped (0 not due, 1 revoked), 0 refused" serve3.out || { cat serve3.out; exit 1; }
current dan dan-again.cert
basis_of() { "$admin" show "$1" | sed -n 's/^  a renewal of serial \([0-9]*\) .*/\1/p'; }
[ -n "$(basis_of dan-again.cert)" ] && [ "$(basis_of dan-again.cert)" = "$(basis_of dan-renewed.cert)" ] ||
  { echo "dan's second renewal does not stand on his enrolment certificate"; "$admin" show dan-again.cert; exit 1; }
[ "$(expiry_of dan-again.cert)" -gt "$(expiry_of dan-renewed.cert)" ]

expect_fail 2 "unknown command 'serve now'" "$admin" serve now
echo "gchat-admin renewal: ok"
