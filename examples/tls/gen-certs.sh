#!/usr/bin/env bash
# Creates the test PKI the TLS examples use, in the layout of the book's ch4/certs:
#   certs/1_root          root CA (for webapp.istioinaction.io)
#   certs/2_intermediate  intermediate CA + ca-chain.cert.pem (root + intermediate)
#   certs/3_application   server leaf for webapp.istioinaction.io
#   certs/4_client        client leaf (for MUTUAL TLS)
#   certs2/...            a second, unrelated chain for catalog.istioinaction.io
#   backends/             leaves for the two SNI-passthrough TLS backends
# Private keys are generated here and never committed (see .gitignore).
# Usage: examples/tls/gen-certs.sh [OUT_DIR]   (default: examples/tls)
set -euo pipefail
out="${1:-$(cd "$(dirname "$0")" && pwd)}"
days=3650

leaf() { # leaf DIR NAME CA_DIR SAN EXT_USAGE
  local dir=$1 name=$2 ca=$3 san=$4 usage=$5
  mkdir -p "$dir/certs" "$dir/private"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$dir/private/$name.key.pem" \
    -subj "/C=US/ST=Denial/O=istioinaction/CN=$name" -out "$dir/$name.csr" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$ca/certs/$(basename "$ca" | sed 's/^[0-9]_//').cert.pem" \
    -CAkey "$ca/private/$(basename "$ca" | sed 's/^[0-9]_//').key.pem" -CAcreateserial -days 825 -sha256 \
    -extfile <(printf "subjectAltName=%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment" "$san" "$usage") \
    -out "$dir/certs/$name.cert.pem" 2>/dev/null
  rm -f "$dir/$name.csr"
}

chain() { # chain BASE HOST CLIENT_URI
  local base=$1 host=$2
  mkdir -p "$base/1_root/certs" "$base/1_root/private" "$base/2_intermediate/certs" "$base/2_intermediate/private"
  openssl req -x509 -new -newkey rsa:2048 -nodes -days $days -sha256 \
    -subj "/C=US/O=istioinaction/CN=istioinaction root CA ($host)" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$base/1_root/private/root.key.pem" -out "$base/1_root/certs/root.cert.pem" 2>/dev/null
  openssl req -new -newkey rsa:2048 -nodes -subj "/C=US/O=istioinaction/CN=istioinaction intermediate CA ($host)" \
    -keyout "$base/2_intermediate/private/intermediate.key.pem" -out "$base/2_intermediate/intermediate.csr" 2>/dev/null
  openssl x509 -req -in "$base/2_intermediate/intermediate.csr" -CA "$base/1_root/certs/root.cert.pem" \
    -CAkey "$base/1_root/private/root.key.pem" -CAcreateserial -days $days -sha256 \
    -extfile <(printf "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign") \
    -out "$base/2_intermediate/certs/intermediate.cert.pem" 2>/dev/null
  rm -f "$base/2_intermediate/intermediate.csr"
  cat "$base/2_intermediate/certs/intermediate.cert.pem" "$base/1_root/certs/root.cert.pem" > "$base/2_intermediate/certs/ca-chain.cert.pem"
  leaf "$base/3_application" "$host" "$base/2_intermediate" "DNS:$host" serverAuth
  # Servers present leaf + intermediate so clients holding only the root can verify.
  cat "$base/3_application/certs/$host.cert.pem" "$base/2_intermediate/certs/intermediate.cert.pem" > "$base/3_application/certs/$host.fullchain.pem"
  leaf "$base/4_client" "$host" "$base/2_intermediate" "DNS:$host,URI:$3" clientAuth
}

command -v openssl >/dev/null || { echo "openssl is needed (apt-get install openssl)" >&2; exit 1; }
chain "$out/certs" webapp.istioinaction.io spiffe://cluster.local/ns/istioinaction/sa/webapp
chain "$out/certs2" catalog.istioinaction.io spiffe://cluster.local/ns/istioinaction/sa/catalog
# Two TLS backends for SNI passthrough, signed by the first chain.
leaf "$out/backends" simple-tls-service-1.istioinaction.io "$out/certs/2_intermediate" "DNS:simple-tls-service-1.istioinaction.io" serverAuth
leaf "$out/backends" simple-tls-service-2.istioinaction.io "$out/certs/2_intermediate" "DNS:simple-tls-service-2.istioinaction.io" serverAuth
find "$out/certs" "$out/certs2" "$out/backends" -name '*.srl' -delete
echo "test PKI written under $out/{certs,certs2,backends}"
