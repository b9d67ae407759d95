#!/usr/bin/env bash
# Creates a development TLS CA and a relay certificate for localhost / 127.0.0.1 / ::1 in DIR
# (ca.pem, ca.key, relay.pem, relay.key), with the openssl command-line tool. For development and
# tests only: production relays use certificates from the government's PKI.
set -euo pipefail
dir=${1:?usage: make-dev-certs.sh DIR [DAYS]}
days=${2:-825}
mkdir -p "$dir"
cd "$dir"
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
  -days "$days" -subj "/O=G-Chat development/CN=G-Chat development CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout relay.key -out relay.csr \
  -subj "/O=G-Chat development/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' > relay.ext
openssl x509 -req -in relay.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out relay.pem -days "$days" \
  -extfile relay.ext 2>/dev/null
rm -f relay.csr relay.ext ca.srl
chmod 644 ca.pem relay.pem
