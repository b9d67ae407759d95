#!/usr/bin/env bash
# The JNI binding on the host JVM against a real relay: gchat_world.sh makes the root, agencies,
# administrators and relay; alice (CLI) publishes on a channel; somsak's code is for the Java client.
set -euo pipefail
relay=$1 admin=$2 gchat=$3 make_certs=$4 java=$5 classpath=$6 jni=$7
source "$(dirname "$0")/../tools/gchat_world.sh"

enrol moi alice "อลิซ" secret publish
as_admin moi channel create --title "ประกาศจาวา" --clearance unclassified --publishers moi/alice >/dev/null
"$gchat" --data alice subscribe "ประกาศจาวา" | grep -q "you publish"
code=$(grant moi somsak "สมศักดิ์" confidential)

# A sanitizer build of the native code needs its runtime first in the JVM process; the JVM's own
# signals (it uses SIGSEGV on purpose) stay the JVM's, and its allocations are not leak-checked.
preload=
if nm -D "$jni" 2>/dev/null | grep -q __asan_; then
  preload="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
fi
GCHAT_TEST_WORLD="$dir" GCHAT_TEST_PORT="$port" GCHAT_TEST_ROOT="$root_hex" GCHAT_TEST_CODE="$code" \
GCHAT_TEST_CLI="$gchat" \
GCHAT_TEST_COMPLETE="$complete_moi" \
LD_PRELOAD="$preload" ASAN_OPTIONS="detect_leaks=0:handle_segv=0:allow_user_segv_handler=1:use_sigaltstack=0" \
  "$java" -Xss8m -Dgchat.jni.path="$jni" -cp "$classpath" gchat.test.BindingTest \
  || { echo "--- relay log"; tail -20 "$dir/relay.log"; exit 1; }
