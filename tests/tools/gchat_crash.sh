#!/usr/bin/env bash
# Crash safety: gchat processes killed with SIGKILL at random moments while they send and receive
# (during start-up, key derivation, encryption, the relay round trip, the store's commit). After
# every kill the client starts again from its store: nothing sent is lost or received twice, the
# order holds, and the conversation keeps working both ways (no lost epoch, no reused key: a
# reused key or a forgotten ratchet step would make the other side fail to open messages).
set -euo pipefail
relay=$1 admin=$2 gchat=$3 make_certs=$4
source "$(dirname "$0")/gchat_world.sh"

enrol moi alice "อลิซ" unclassified
enrol mof bob "บ็อบ" unclassified
"$gchat" --data alice create --kind group --title "ห้องทดสอบ" --member mof/bob >/dev/null
"$gchat" --data bob sync --seconds 3 >/dev/null

RANDOM=7  # the same kill times on every run
for i in $(seq 1 12); do
  "$gchat" --data alice send "ห้องทดสอบ" "ข้อความ $i" >/dev/null 2>&1 &
  sender=$!
  "$gchat" --data bob sync --seconds 2 >/dev/null 2>&1 &
  receiver=$!
  sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
  kill -9 "$sender" 2>/dev/null || true
  sleep "0.$((RANDOM % 10))"
  kill -9 "$receiver" 2>/dev/null || true
  wait "$sender" 2>/dev/null || true
  wait "$receiver" 2>/dev/null || true
done

# Everything alice's store holds goes out; bob's store catches up.
"$gchat" --data alice sync --seconds 3 >/dev/null
"$gchat" --data bob sync --seconds 5 2>bob.err >/dev/null
if grep -q "could not be opened" bob.err; then echo "bob could not open a message:"; cat bob.err; exit 1; fi
"$gchat" --data alice history "ห้องทดสอบ" --limit 100 | grep -o "ข้อความ [0-9]*" >sent.txt || true
"$gchat" --data bob history "ห้องทดสอบ" --limit 100 | grep -o "ข้อความ [0-9]*" >got.txt || true
# What alice wrote (the kills may have stopped some sends before they were stored), bob has, once,
# in alice's order.
diff sent.txt got.txt || { echo "bob's history differs from alice's"; exit 1; }
[ "$(sort got.txt | uniq -d | wc -l)" = 0 ] || { echo "duplicates"; exit 1; }
[ "$(wc -l <sent.txt)" -ge 1 ] || { echo "no message survived the kills (kill times too early)"; exit 1; }

"$gchat" --data alice send "ห้องทดสอบ" "หลังการทดสอบ" >/dev/null
"$gchat" --data bob sync --seconds 5 | grep -q "หลังการทดสอบ"
"$gchat" --data bob send "ห้องทดสอบ" "ตอบกลับ" >/dev/null
"$gchat" --data alice sync --seconds 5 | grep -q "ตอบกลับ"
echo "gchat crash: ok ($(wc -l <sent.txt) of 12 messages stored before their sender was killed)"
