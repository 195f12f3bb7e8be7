#!/usr/bin/env bash
# Makes a private CA and TLS key pairs for profundo-server and a client,
# with the `openssl` command (Debian's openssl package):
#
#   deploy/make-certs.sh DIR [SUBJECT_ALT_NAMES]
#
# DIR receives ca.crt/ca.key (the CA), server.crt/server.key (valid for
# SUBJECT_ALT_NAMES, default "DNS:localhost,DNS:profundo,IP:127.0.0.1") and
# client.crt/client.key (for --tls_client_ca, mutual TLS). Keys are ECDSA
# P-256, readable by the owner only. For tests, development and small
# deployments; use your organisation's CA where there is one. Then:
#
#   profundo-server --tls_cert=DIR/server.crt --tls_key=DIR/server.key ...
#   profundo --tls_ca=DIR/ca.crt --server=localhost:50051 datasets
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 DIR [SUBJECT_ALT_NAMES]" >&2
  exit 2
fi
dir=$1
sans=${2:-DNS:localhost,DNS:profundo,IP:127.0.0.1}
mkdir -p "$dir"
cd "$dir"
umask 077

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# CA valid 10 years; leaf certificates ~2 years.
new_key ca.key
openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=Profundo CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt

# sign NAME CN EXTENSIONS
sign() {
  new_key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 16)" \
    -sha256 -days 825 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
sign server profundo "$(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE' "$sans")"
sign client profundo-client "$(printf 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE')"
chmod 644 ca.crt server.crt client.crt
