#!/usr/bin/env bash
# The README's walk-through, as a newcomer types it: gchat-admin makes a root, two agencies and
# their administrators; a relay pins the root; three people enrol their gchat clients with one-time
# codes; they hold a group conversation and a classified one (where the uncleared person is
# refused); search finds a Thai word inside a sentence; the interactive prompt sends; errors are
# sentences with non-zero exit codes.
set -euo pipefail
relay=$1 admin=$2 gchat=$3 make_certs=$4
dir=$(mktemp -d)
relay_pid=
cleanup() {
  [ -n "$relay_pid" ] && kill -9 "$relay_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
cd "$dir"
echo "correct horse battery staple" >pass
export GCHAT_PASSPHRASE="รหัสผ่านของเครื่องนี้ long enough"
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

root_hex=$("$admin" root init --key-out root.key --kdf moderate --new-passphrase-file pass | tail -1)
for agency in moi mof; do
  "$admin" agency create --root-key root.key --passphrase-file pass --new-passphrase-file pass --id $agency \
    --name-th "หน่วยงาน $agency" --name-en "Agency $agency" --max-clearance top-secret \
    --key-out $agency.key --cert-out $agency.cert >/dev/null
  "$admin" admin create --agency-key $agency.key --agency-cert $agency.cert --passphrase-file pass \
    --new-passphrase-file pass --id admin-$agency --name-th "ผู้ดูแล" --name-en "Admin" \
    --roles user-admin,clearance-officer --key-out admin-$agency.key --chain-out admin-$agency.chain >/dev/null
done

"$make_certs" "$dir/tls" >/dev/null
"$relay" --port 0 --port-file port --db relay.db --root-key "$root_hex" --signing-key relay-signing.key \
  --tls-cert tls/relay.pem --tls-key tls/relay.key --log-level warn 2>relay.log &
relay_pid=$!
for _ in $(seq 1 200); do [ -s port ] && break; sleep 0.1; done
[ -s port ] || { echo "relay did not start"; cat relay.log; exit 1; }
port=$(cat port)

# Each person: the administrator grants a code, the person enrols, the administrator signs.
enrol() {  # enrol <agency> <user> <name> <clearance>
  local agency=$1 user=$2 name=$3 clearance=$4
  code=$("$admin" enrol grant --admin-key admin-$agency.key --admin-chain admin-$agency.chain --passphrase-file pass \
    --port "$port" --ca tls/ca.pem --id "$user" --name-th "$name" --name-en "$user" --clearance "$clearance" | tail -1)
  "$gchat" --data "$user" init --relay "127.0.0.1:$port" --ca tls/ca.pem --root-key "$root_hex" \
    --device-name "$user-laptop" --kdf interactive >/dev/null
  expect_fail 1 "waiting for your administrator" "$gchat" --data "$user" enrol "$code" --wait 0
  "$admin" enrol complete --admin-key admin-$agency.key --admin-chain admin-$agency.chain --passphrase-file pass \
    --port "$port" --ca tls/ca.pem >/dev/null
  "$gchat" --data "$user" enrol "$code" | grep -q "enrolled as $name ($agency"
  "$gchat" --data "$user" sync --seconds 1 >/dev/null  # online once: others can now add this device
}
enrol moi alice "อลิซ" secret
enrol mof bob "บ็อบ" secret
enrol mof carol "แคโรล" confidential
"$gchat" --data alice status | grep -q "CONNECTED"

# A group across two agencies, and a classified one.
"$gchat" --data alice create --kind group --title "ทีมงบประมาณ" --member mof/bob --member mof/carol | grep -q "mof/carol"
expect_fail 1 "NOT_CLEARED" "$gchat" --data alice create --kind group --level secret --title "ห้องลับมาก" \
  --member mof/bob --member mof/carol
"$gchat" --data alice create --kind group --level secret --title "ห้องลับมาก" --member mof/bob | grep -q "ลับมาก / Secret"

"$gchat" --data alice send "ทีมงบประมาณ" "พรุ่งนี้มีการประชุมที่กระทรวงการคลัง" | grep -q "sent #"
"$gchat" --data alice send "ห้องลับมาก" "แผนงานลับมาก" >/dev/null
"$gchat" --data bob sync --seconds 5 >bob.out
grep -q "อลิซ (moi, ลับมาก / Secret): พรุ่งนี้มีการประชุมที่กระทรวงการคลัง" bob.out || { cat bob.out; exit 1; }
grep -q "แผนงานลับมาก" bob.out
"$gchat" --data carol sync --seconds 5 >carol.out
grep -q "พรุ่งนี้มีการประชุม" carol.out
if grep -q "แผนงานลับมาก" carol.out; then echo "carol read the Secret room"; exit 1; fi

"$gchat" --data bob send "ห้องลับมาก" "รับทราบครับ" >/dev/null
"$gchat" --data alice sync --seconds 5 | grep -q "บ็อบ (mof, ลับมาก / Secret): รับทราบครับ"
"$gchat" --data bob search "ประชุม" | grep -q "พรุ่งนี้มีการประชุมที่กระทรวงการคลัง"
"$gchat" --data bob search "สนามบิน" | grep -q "nothing found"
"$gchat" --data bob --json history "ทีมงบประมาณ" | grep -q '"text":"พรุ่งนี้มีการประชุมที่กระทรวงการคลัง"'
"$gchat" --data alice conversations | grep -q "\[ลับมาก / Secret\]  ห้องลับมาก"

# The interactive prompt: lines typed are sent; /quit leaves.
printf 'สวัสดีจากห้องแชท\n/quit\n' | "$gchat" --data carol chat "ทีมงบประมาณ" >/dev/null
"$gchat" --data alice sync --seconds 5 | grep -q "แคโรล (mof, ลับ / Confidential): สวัสดีจากห้องแชท"

# Mistakes are sentences and exit codes.
expect_fail 1 "no conversation" "$gchat" --data alice send "ไม่มีห้องนี้" "x"
expect_fail 2 "unknown command" "$gchat" --data alice frobnicate
expect_fail 2 "AGENCY/USER" "$gchat" --data alice create --kind group --member bob
expect_fail 1 "WRONG_PASSPHRASE" env GCHAT_PASSPHRASE=wrong "$gchat" --data alice status
expect_fail 1 "no configuration" "$gchat" --data nowhere status
echo "gchat smoke: ok"
