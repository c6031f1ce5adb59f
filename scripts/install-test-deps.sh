#!/usr/bin/env bash
# Installs what the tests need, pinned, on a fresh Debian machine with Go and Node present:
#  - npm tools from infra/package-lock.json (dynalite, the soap and datajs clients);
#  - python3-zeep from Debian (an independent WSDL-driven SOAP client).
# Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f infra/node_modules/.package-lock.json ] || ! cmp -s infra/package-lock.json infra/.installed-lock 2>/dev/null; then
  echo "test-deps: npm ci --prefix infra"
  npm ci --prefix infra --no-audit --no-fund --loglevel=error
  cp infra/package-lock.json infra/.installed-lock
fi

ZEEP_VERSION=4.2.1-1
if ! /usr/bin/python3 -c 'import zeep' 2>/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "test-deps: apt-get install python3-zeep=$ZEEP_VERSION"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "python3-zeep=$ZEEP_VERSION" >/dev/null
  else
    echo "test-deps: python3-zeep is missing; install it: sudo apt-get install python3-zeep=$ZEEP_VERSION" >&2
    exit 1
  fi
fi

if ! command -v cfn-lint >/dev/null 2>&1; then
  echo "test-deps: cfn-lint (1.51.x) is missing; it ships with this machine image (pip package cfn-lint==1.51.0)" >&2
  exit 1
fi
