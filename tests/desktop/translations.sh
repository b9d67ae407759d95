#!/usr/bin/env bash
# Every string of the desktop app is translated to Thai, and the .ts files list exactly the strings
# the sources have now (a string added without running scripts/update-translations.sh fails here).
set -euo pipefail
app=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$(/usr/lib/qt6/bin/lrelease "$app/i18n/gchat_th.ts" -qm "$work/th.qm")
grep -q "0 unfinished" <<<"$out" || { echo "Thai translation incomplete: $out"; exit 1; }
cp -r "$app/src" "$app/include" "$app/qml" "$work/"
mkdir "$work/i18n"
cp "$app/i18n/gchat_th.ts" "$work/i18n/"
(cd "$work" && /usr/lib/qt6/bin/lupdate -locations none src include qml -ts i18n/gchat_th.ts -no-obsolete >lupdate.out 2>&1)
if ! diff -q "$app/i18n/gchat_th.ts" "$work/i18n/gchat_th.ts" >/dev/null; then
  echo "desktop-app/i18n/gchat_th.ts is out of step with the sources; run scripts/update-translations.sh"
  diff "$app/i18n/gchat_th.ts" "$work/i18n/gchat_th.ts" | head -20
  exit 1
fi
echo "Thai translation complete and current"
