#!/usr/bin/env bash
# The README's walk-through, as a newcomer types it: gchat-admin makes a root, two agencies and
# their administrators; a relay pins the root; three people enrol their gchat clients with one-time
# codes; they hold a group conversation and a classified one (where the uncleared person is
# refused); search finds a Thai word inside a sentence; the interactive prompt sends; errors are
# sentences with non-zero exit codes.
set -euo pipefail
relay=$1 admin=$2 gchat=$3 make_certs=$4
source "$(dirname "$0")/gchat_world.sh"

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

# Only an admin changes a room; a lower level is a declassification every member sees.
expect_fail 1 "NOT_PERMITTED" "$gchat" --data bob change "ห้องลับมาก" --level unclassified
"$gchat" --data alice change "ห้องลับมาก" --level confidential | grep -q "\[ลับ / Confidential\]  ห้องลับมาก"
"$gchat" --data bob sync --seconds 5 | grep -q "อลิซ (moi, ลับมาก / Secret) DECLASSIFIED this conversation: ลับมาก / Secret -> ลับ / Confidential"
"$gchat" --data bob conversations | grep -q "\[ลับ / Confidential\]  ห้องลับมาก"

# The interactive prompt: lines typed are sent; /quit leaves.
printf 'สวัสดีจากห้องแชท\n/quit\n' | "$gchat" --data carol chat "ทีมงบประมาณ" >/dev/null
"$gchat" --data alice sync --seconds 5 | grep -q "แคโรล (mof, ลับ / Confidential): สวัสดีจากห้องแชท"

# Alice's second device: it asks, her laptop approves, it completes; the laptop then adds it.
"$gchat" --data alice-phone init --relay "127.0.0.1:$port" --ca tls/ca.pem --root-key "$root_hex" \
  --device-name "alice-phone" --kdf interactive >/dev/null
key=$("$gchat" --data alice-phone link request)
token=$("$gchat" --data alice link approve "$key" --name alice-phone)
"$gchat" --data alice-phone link complete "$token" | grep -q "linked as อลิซ (moi"
"$gchat" --data alice-phone sync --seconds 1 >/dev/null
"$gchat" --data alice sync --seconds 5 >/dev/null
"$gchat" --data alice-phone sync --seconds 3 | grep -q "joined"
"$gchat" --data bob send "ห้องลับมาก" "ถึงทุกเครื่อง" >/dev/null
"$gchat" --data alice-phone sync --seconds 5 | grep -q "บ็อบ (mof, ลับมาก / Secret): ถึงทุกเครื่อง"
expect_fail 1 "NOT_PERMITTED" "$gchat" --data alice-phone link approve "$key"

# A broadcast channel of moi, open to mof: dave publishes, bob reads and cannot post.
enrol moi dave "เดฟ" confidential publish
"$admin" channel create --admin-key admin-moi.key --admin-chain admin-moi.chain --passphrase-file pass \
  --port "$port" --ca tls/ca.pem --title "ประกาศกระทรวง" --clearance confidential --publishers moi/dave \
  --agencies mof | grep -q "ลับ / Confidential"
"$gchat" --data dave subscribe "ประกาศกระทรวง" | grep -q "you publish"
"$gchat" --data bob channels | grep -q "ประกาศกระทรวง"
"$gchat" --data bob subscribe "ประกาศกระทรวง" | grep -q "read only"
"$gchat" --data dave send "ประกาศกระทรวง" "ประกาศ: วันศุกร์นี้หยุดราชการ" | grep -q "sent #"
"$gchat" --data dave sync --seconds 3 >/dev/null  # the publisher's client wraps the key for bob
"$gchat" --data bob sync --seconds 5 | grep -q "เดฟ (moi, ลับ / Confidential): ประกาศ: วันศุกร์นี้หยุดราชการ"
expect_fail 1 "NOT_PERMITTED" "$gchat" --data bob send "ประกาศกระทรวง" "ขอบคุณครับ"
"$gchat" --data bob conversations | grep -q "channel  \[ลับ / Confidential\]  ประกาศกระทรวง"

# A person revoked by the administrator is told so, not that no relay is reachable.
as_admin mof revoke user --user mof/carol >/dev/null
expect_fail 1 "the relay refused this device (REVOKED)" "$gchat" --data carol sync --seconds 1

# Mistakes are sentences and exit codes.
expect_fail 1 "no conversation" "$gchat" --data alice send "ไม่มีห้องนี้" "x"
expect_fail 2 "unknown command" "$gchat" --data alice frobnicate
expect_fail 2 "AGENCY/USER" "$gchat" --data alice create --kind group --member bob
expect_fail 1 "WRONG_PASSPHRASE" env GCHAT_PASSPHRASE=wrong "$gchat" --data alice status
expect_fail 1 "no configuration" "$gchat" --data nowhere status
echo "gchat smoke: ok"
