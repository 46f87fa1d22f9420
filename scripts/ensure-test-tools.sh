#!/usr/bin/env bash
# The tests drive real peers: curl, openssl, h2load, wrk, nc (OpenBSD flavour, for -N).
# On a fresh Debian machine this installs what is missing (as root or with sudo);
# elsewhere it says what to install and fails.
set -euo pipefail
need=()
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v h2load >/dev/null 2>&1 || need+=(nghttp2-client)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
{ command -v nc >/dev/null 2>&1 && nc -h 2>&1 | grep -q -- '-N'; } || need+=(netcat-openbsd)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else
    echo "The tests need these Debian packages: ${need[*]}" >&2
    echo "Install them with: sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "The tests need: ${need[*]} (no apt-get here; install them with your package manager)" >&2
  exit 1
fi
echo "installing test tools: ${need[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" ca-certificates >/dev/null
