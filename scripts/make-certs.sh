#!/usr/bin/env bash
# Makes a private CA and one certificate per member, for mutual TLS between ActorSync members.
#   ACTORSYNC_TLS_PASSWORD=... scripts/make-certs.sh [--out DIR] [--days N] [--nodes K] [--san NAME]... [member]...
# Members default to the compose services: seed orchestrator hub-b hub-c node-1 … node-K (K = 4).
# Each certificate names its member (DNS:<member>), localhost and 127.0.0.1, plus every --san (a DNS name or an IP).
# Writes DIR/ca.crt (trust it: ACTORSYNC_TLS_CA), DIR/<member>.pfx (ACTORSYNC_TLS_CERT=DIR/{member}.pfx, protected by
# ACTORSYNC_TLS_PASSWORD) and DIR/ca.key (keep it offline: whoever holds it can mint members). DIR defaults to
# docker/certs, which git ignores. Set CERT_OWNER (e.g. 10001, the image's user) to chown the .pfx files.
set -euo pipefail

out="$(cd "$(dirname "$0")/.." && pwd)/docker/certs"
days=825
nodes=4
sans=()
members=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --days) days="$2"; shift 2 ;;
    --nodes) nodes="$2"; shift 2 ;;
    --san) sans+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    -*) echo "make-certs.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) members+=("$1"); shift ;;
  esac
done
if [ -z "${ACTORSYNC_TLS_PASSWORD:-}" ]; then
  echo "make-certs.sh: set ACTORSYNC_TLS_PASSWORD, the password of the .pfx files (members read it too)" >&2
  exit 2
fi
command -v openssl >/dev/null || { echo "make-certs.sh: openssl is needed (apt-get install -y openssl)" >&2; exit 2; }
if [ "${#members[@]}" -eq 0 ]; then
  members=(seed orchestrator hub-b hub-c)
  for i in $(seq 1 "$nodes"); do members+=("node-$i"); done
fi

mkdir -p "$out"
umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ ! -f "$out/ca.key" ]; then
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 -days "$days" \
    -subj "/CN=ActorSync cluster CA" -keyout "$out/ca.key" -out "$out/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  echo "made the CA: $out/ca.crt (key: $out/ca.key)"
else
  echo "kept the CA in $out (delete ca.key and ca.crt for a new one)"
fi
chmod 644 "$out/ca.crt"

for member in "${members[@]}"; do
  case "$member" in *[!A-Za-z0-9.-]*|"") echo "make-certs.sh: '$member' is not a host name" >&2; exit 2 ;; esac
  alt="DNS:$member,DNS:localhost,IP:127.0.0.1"
  for san in "${sans[@]}"; do
    if [[ "$san" =~ ^[0-9.]+$ || "$san" == *:* ]]; then alt="$alt,IP:$san"; else alt="$alt,DNS:$san"; fi
  done
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -subj "/CN=$member" \
    -keyout "$work/$member.key" -out "$work/$member.csr" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyAgreement" \
    "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=$alt" > "$work/$member.ext"
  openssl x509 -req -in "$work/$member.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial -sha256 \
    -days "$days" -extfile "$work/$member.ext" -out "$work/$member.crt" 2>/dev/null
  openssl pkcs12 -export -inkey "$work/$member.key" -in "$work/$member.crt" -certfile "$out/ca.crt" -name "$member" \
    -passout env:ACTORSYNC_TLS_PASSWORD -out "$out/$member.pfx"
  [ -n "${CERT_OWNER:-}" ] && chown "$CERT_OWNER" "$out/$member.pfx"
  echo "made $out/$member.pfx ($alt)"
done
rm -f "$out/ca.srl"
echo "set on every member: ACTORSYNC_TLS_CERT=<dir>/{member}.pfx ACTORSYNC_TLS_CA=<dir>/ca.crt ACTORSYNC_TLS_PASSWORD"
