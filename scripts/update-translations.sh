#!/usr/bin/env bash
# Refreshes the desktop app's translation sources from its C++ and QML (after strings change), then
# reports what is unfinished. Thai must be complete; English is the source language (plural forms
# only). The build turns the .ts files into .qm and embeds them.
set -euo pipefail
cd "$(dirname "$0")/../desktop-app"
lupdate=/usr/lib/qt6/bin/lupdate
"$lupdate" -locations none src include qml -ts i18n/gchat_th.ts -target-language th_TH -no-obsolete
"$lupdate" -locations none src include qml -ts i18n/gchat_en.ts -target-language en_US \
  -pluralonly -no-obsolete
echo "unfinished Thai strings: $(grep -c 'type="unfinished"' i18n/gchat_th.ts || true)"
