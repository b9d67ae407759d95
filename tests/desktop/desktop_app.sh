#!/usr/bin/env bash
# The desktop app against a real relay: gchat_world.sh makes the root, two agencies with their
# administrators and the relay; alice (moi, Secret, publisher) and carol (mof, Confidential) use the
# command-line client; the agency has a channel and an issuing service (a renewal administrator);
# nida gets an enrolment code for the app. The UI test then runs the app offscreen (see
# desktop_app_test.cpp) and saves screenshots.
set -euo pipefail
relay=$1 admin=$2 gchat=$3 make_certs=$4 uitest=$5 shots=$6
source "$(dirname "$0")/../tools/gchat_world.sh"

enrol moi alice "อลิซ" secret publish
enrol mof carol "แคโรล" confidential
as_admin moi channel create --title "ประกาศกระทรวง" --clearance unclassified --publishers moi/alice >/dev/null
"$gchat" --data alice subscribe "ประกาศกระทรวง" | grep -q "you publish"
code=$(grant moi nida "นิดา" top-secret)
"$admin" admin create --agency-key moi.key --agency-cert moi.cert --passphrase-file pass --new-passphrase-file pass \
  --id issuer-moi --name-th "บริการออกใบรับรอง" --name-en "Issuing service" --roles renewal \
  --key-out issuer-moi.key --chain-out issuer-moi.chain >/dev/null

rm -rf "$shots"
mkdir -p "$shots" xdg-config xdg-data
# Offscreen rendering with Qt Quick's software renderer: no display or GPU needed, real pixels.
LSAN_OPTIONS="suppressions=$(dirname "$0")/lsan-qt.supp:print_suppressions=0" \
QT_QPA_PLATFORM=offscreen QT_QUICK_BACKEND=software XDG_CONFIG_HOME="$dir/xdg-config" XDG_DATA_HOME="$dir/xdg-data" \
GCHAT_TEST_WORLD="$dir" GCHAT_TEST_SHOTS="$shots" GCHAT_TEST_CLI="$gchat" GCHAT_TEST_ADMIN="$admin" \
GCHAT_TEST_PORT="$port" GCHAT_TEST_ROOT="$root_hex" GCHAT_TEST_CODE="$code" \
  "$uitest" -maxwarnings 0 || { echo "--- relay log"; tail -40 "$dir/relay.log"; exit 1; }
ls "$shots"
