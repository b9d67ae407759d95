# Shared by the gchat tool tests: a root, two agencies with administrators, a relay pinning the
# root, and enrol() for people. Sourced with $relay $admin $gchat $make_certs set; works in a fresh
# temporary folder it removes on exit.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$dir"
echo "correct horse battery staple" >pass
export GCHAT_PASSPHRASE="รหัสผ่านของเครื่องนี้ long enough"
root_hex=$("$admin" root init --key-out root.key --kdf moderate --new-passphrase-file pass | tail -1)
for agency in moi mof; do
  "$admin" agency create --root-key root.key --passphrase-file pass --new-passphrase-file pass --id $agency \
    --name-th "หน่วยงาน $agency" --name-en "Agency $agency" --max-clearance top-secret \
    --key-out $agency.key --cert-out $agency.cert >/dev/null
  "$admin" admin create --agency-key $agency.key --agency-cert $agency.cert --passphrase-file pass \
    --new-passphrase-file pass --id admin-$agency --name-th "ผู้ดูแล" --name-en "Admin" \
    --roles user-admin,clearance-officer,channel-admin --key-out admin-$agency.key --chain-out admin-$agency.chain >/dev/null
done

start_relay --db relay.db --root-key "$root_hex" --log-level warn

# An administrator's connection to the relay: as_admin <agency> <gchat-admin command...>.
as_admin() {
  local agency=$1
  shift
  "$admin" "$@" --admin-key admin-$agency.key --admin-chain admin-$agency.chain --passphrase-file pass \
    --port "$port" --ca tls/ca.pem
}
# The administrator of moi signs every redeemed enrolment: a command line for programs that run it.
complete_moi="'$admin' enrol complete --admin-key admin-moi.key --admin-chain admin-moi.chain --passphrase-file pass \
--port $port --ca tls/ca.pem >/dev/null"

# A one-time code for a person: grant <agency> <user> <Thai name> <clearance> [rights]; prints it.
grant() {
  local agency=$1 user=$2 name=$3 clearance=$4 rights=${5:-}
  as_admin "$agency" enrol grant --id "$user" --name-th "$name" --name-en "$user" --clearance "$clearance" \
    ${rights:+--rights "$rights"} | tail -1
}

# Each person: the administrator grants a code, the person enrols, the administrator signs.
enrol() {  # enrol <agency> <user> <name> <clearance> [rights]
  local agency=$1 user=$2 name=$3 clearance=$4 rights=${5:-}
  code=$(grant "$agency" "$user" "$name" "$clearance" "$rights")
  "$gchat" --data "$user" init --relay "127.0.0.1:$port" --ca tls/ca.pem --root-key "$root_hex" \
    --device-name "$user-laptop" --kdf interactive >/dev/null
  expect_fail 1 "waiting for your administrator" "$gchat" --data "$user" enrol "$code" --wait 0
  as_admin "$agency" enrol complete >/dev/null
  "$gchat" --data "$user" enrol "$code" | grep -q "enrolled as $name ($agency"
  "$gchat" --data "$user" sync --seconds 1 >/dev/null  # online once: others can now add this device
}
