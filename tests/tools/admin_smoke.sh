#!/usr/bin/env bash
# gchat-admin as an administrator runs it: a root, an agency, administrators, user certificates
# (refused above the agency's cap or without the role), a revocation on a real relay in
# certificate mode, and the relay's audit log verified afterwards. Every failure must be a
# sentence and a non-zero exit code.
set -euo pipefail
relay=$1 admin=$2 make_certs=$3
source "$(dirname "$0")/common.sh"
cd "$dir"
echo "correct horse battery staple" >pass
echo "another long passphrase here" >pass2
root_hex=$("$admin" root init --key-out root.key --kdf moderate --new-passphrase-file pass | tail -1)
[ ${#root_hex} = 64 ] || { echo "no root key printed"; exit 1; }
[ "$(stat -c %a root.key)" = 600 ] || { echo "root.key is not mode 600"; exit 1; }
grep -q '"kdf": "argon2id13"' root.key
expect_fail 1 "exists" "$admin" root init --key-out root.key --kdf moderate --new-passphrase-file pass

"$admin" agency create --root-key root.key --passphrase-file pass --new-passphrase-file pass2 --id moi \
  --name-th "กระทรวงมหาดไทย" --name-en "Ministry of Interior" --max-clearance secret \
  --key-out moi.key --cert-out moi.cert | grep -q "ลับมาก / Secret"
expect_fail 1 "wrong passphrase" "$admin" agency create --root-key root.key --passphrase-file pass2 \
  --new-passphrase-file pass2 --id mof --name-th x --name-en y --max-clearance 1 --key-out mof.key --cert-out mof.cert
expect_fail 1 "holds a agency key, not a root key" "$admin" agency create --root-key moi.key --passphrase-file pass2 \
  --new-passphrase-file pass2 --id mof --name-th x --name-en y --max-clearance 1 --key-out mof.key --cert-out mof.cert

"$admin" admin create --agency-key moi.key --agency-cert moi.cert --passphrase-file pass2 --new-passphrase-file pass \
  --id somsri --name-th "สมศรี" --name-en "Somsri" --roles user-admin,clearance-officer \
  --key-out somsri.key --chain-out somsri.chain
"$admin" admin create --agency-key moi.key --agency-cert moi.cert --passphrase-file pass2 --new-passphrase-file pass \
  --id channels --name-th "ช่อง" --name-en "Channels" --roles channel-admin \
  --key-out channels.key --chain-out channels.chain
expect_fail 2 "roles" "$admin" admin create --agency-key moi.key --agency-cert moi.cert --passphrase-file pass2 \
  --new-passphrase-file pass --id x --name-th x --name-en x --roles superuser --key-out x.key --chain-out x.chain

identity=$(printf '11%.0s' $(seq 1 32))
"$admin" user issue --admin-key somsri.key --admin-chain somsri.chain --passphrase-file pass --id somchai \
  --name-th "สมชาย" --name-en "Somchai" --clearance ลับ --identity-key "$identity" --cert-out somchai.cert |
  grep -q "ลับ / Confidential"
"$admin" show somchai.cert | grep -q "moi/somchai: สมชาย / Somchai"
"$admin" show somsri.chain | grep -q "USER_ADMIN"
expect_fail 1 "cert_clearance_above_cap" "$admin" user issue --admin-key somsri.key --admin-chain somsri.chain \
  --passphrase-file pass --id ace --name-th x --name-en x --clearance top-secret --identity-key "$identity" \
  --cert-out ace.cert
expect_fail 1 "cert_role_missing" "$admin" user issue --admin-key channels.key --admin-chain channels.chain \
  --passphrase-file pass --id y --name-th x --name-en x --clearance 0 --identity-key "$identity" --cert-out y.cert
expect_fail 2 "--clearance" "$admin" user issue --admin-key somsri.key --admin-chain somsri.chain \
  --passphrase-file pass --id z --name-th x --name-en x --clearance 5 --identity-key "$identity" --cert-out z.cert

# A relay that pins this root.
start_relay --db relay.db --root-key "$root_hex" --log-level info
relay_key=$(grep -o 'relay_key=[0-9a-f]*' "$dir/relay.log" | head -1 | cut -d= -f2)
[ ${#relay_key} = 64 ] || { echo "relay key not logged"; cat "$dir/relay.log"; exit 1; }

"$admin" revoke user --admin-key somsri.key --admin-chain somsri.chain --passphrase-file pass \
  --port "$port" --ca tls/ca.pem --user moi/somchai | grep -q "revocation list 1"
expect_fail 1 "FORBIDDEN" "$admin" revoke user --admin-key channels.key --admin-chain channels.chain \
  --passphrase-file pass --port "$port" --ca tls/ca.pem --user moi/somchai
expect_fail 1 "FORBIDDEN" "$admin" revoke user --admin-key somsri.key --admin-chain somsri.chain \
  --passphrase-file pass --port "$port" --ca tls/ca.pem --user mof/someone
code=$("$admin" enrol grant --admin-key somsri.key --admin-chain somsri.chain --passphrase-file pass \
  --port "$port" --ca tls/ca.pem --id malee --name-th "มาลี" --name-en "Malee" --clearance secret | tail -1)
[[ "$code" =~ ^[0-9A-Z]{4}(-[0-9A-Z]{4}){4}$ ]] || { echo "no enrolment code printed: $code"; exit 1; }
expect_fail 1 "cert_clearance_above_cap" "$admin" enrol grant --admin-key somsri.key --admin-chain somsri.chain \
  --passphrase-file pass --port "$port" --ca tls/ca.pem --id ace --name-th x --name-en x --clearance top-secret
"$admin" enrol complete --admin-key somsri.key --admin-chain somsri.chain --passphrase-file pass \
  --port "$port" --ca tls/ca.pem | grep -q "no redeemed enrolment codes"
expect_fail 1 "UNKNOWN_DEVICE" "$admin" clearance set --admin-key somsri.key --admin-chain somsri.chain \
  --passphrase-file pass --port "$port" --ca tls/ca.pem --user moi/nobody --clearance 0
"$admin" list users --admin-key somsri.key --admin-chain somsri.chain --passphrase-file pass \
  --port "$port" --ca tls/ca.pem | grep -q "agency moi: 0 people"

# A relay named by --relay HOST:PORT: its certificate must name that host. The relay's certificate
# names localhost, 127.0.0.1 and ::1; a second relay shows one for another name only.
"$admin" list users --admin-key somsri.key --admin-chain somsri.chain --passphrase-file pass \
  --relay "localhost:$port" --ca tls/ca.pem | grep -q "agency moi: 0 people"
(cd tls && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out other.csr \
  -subj "/CN=relay.elsewhere.example" 2>/dev/null &&
  printf 'subjectAltName=DNS:relay.elsewhere.example\nextendedKeyUsage=serverAuth\n' >other.ext &&
  openssl x509 -req -in other.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out other.pem -days 2 \
    -extfile other.ext 2>/dev/null)
"$relay" --port 0 --port-file "$dir/port2" --signing-key "$dir/relay2-signing.key" --db relay2.db \
  --tls-cert tls/other.pem --tls-key tls/other.key --root-key "$root_hex" 2>"$dir/relay2.log" &
other_pid=$!
for _ in $(seq 1 200); do [ -s "$dir/port2" ] && break; sleep 0.1; done
expect_fail 1 "cannot reach the relay at 127.0.0.1:$(cat "$dir/port2")" "$admin" list users --admin-key somsri.key \
  --admin-chain somsri.chain --passphrase-file pass --relay "127.0.0.1:$(cat "$dir/port2")" --ca tls/ca.pem
kill -9 "$other_pid"
expect_fail 2 "port must be 1-65535" "$admin" list users --admin-key somsri.key --admin-chain somsri.chain \
  --passphrase-file pass --relay "localhost:99999" --ca tls/ca.pem
expect_fail 2 "relay HOST:PORT" "$admin" list users --admin-key somsri.key --admin-chain somsri.chain \
  --passphrase-file pass --ca tls/ca.pem
kill -TERM "$relay_pid"
wait "$relay_pid"
relay_pid=

"$admin" audit verify --db relay.db --relay-key "$relay_key" | grep -q "audit log intact: 2 entries"
expect_fail 1 "BROKEN" "$admin" audit verify --db relay.db --relay-key "$identity"
expect_fail 2 "unknown command" "$admin" frobnicate
echo "gchat-admin smoke: ok"
