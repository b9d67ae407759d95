#!/usr/bin/env bash
# libgchat.so exports the gchat_* functions of gchat.h and nothing else (no C++ symbol of the client
# core or its dependencies leaks out to clash with an app's own copies).
set -euo pipefail
lib=$1
extra=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | grep -v -E '^(gchat_|_init$|_fini$|_edata$|_end$|__bss_start$)' || true)
[ -z "$extra" ] || { echo "libgchat.so exports more than the C ABI:"; head -20 <<<"$extra"; exit 1; }
for f in gchat_version gchat_abi_version gchat_last_error gchat_client_create gchat_client_destroy gchat_submit \
         gchat_poll gchat_set_callback gchat_buffer_free; do
  nm -D --defined-only "$lib" | grep -q " T $f$" || { echo "missing $f"; exit 1; }
done
echo "exports: the C ABI only"
