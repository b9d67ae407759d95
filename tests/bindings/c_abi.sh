#!/usr/bin/env bash
# The C ABI against a real relay: gchat_world.sh makes the root, agencies, administrators and relay;
# two enrolment codes are granted; c_abi_test (C) enrols both devices and has them talk.
set -euo pipefail
relay=$1 admin=$2 gchat=$3 make_certs=$4 test=$5
source "$(dirname "$0")/../tools/gchat_world.sh"

export GCHAT_TEST_WORLD="$dir" GCHAT_TEST_PORT="$port"
GCHAT_TEST_CODE_A=$(grant moi ploy "พลอย" confidential)
GCHAT_TEST_CODE_B=$(grant moi korn "กร" confidential)
GCHAT_TEST_ROOT_B64=$(printf "$(sed 's/../\\x&/g' <<<"$root_hex")" | base64 -w0)
GCHAT_TEST_COMPLETE=$complete_moi
export GCHAT_TEST_CODE_A GCHAT_TEST_CODE_B GCHAT_TEST_ROOT_B64 GCHAT_TEST_COMPLETE
"$test" || { echo "--- relay log"; tail -20 "$dir/relay.log"; exit 1; }
