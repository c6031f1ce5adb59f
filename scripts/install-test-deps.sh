#!/usr/bin/env bash
# Installs what the tests need, pinned, on a fresh Debian machine with Go and Node present:
#  - npm tools from infra/package-lock.json (dynalite, the soap and datajs clients);
#  - python3-zeep from Debian (an independent WSDL-driven SOAP client);
#  - chromium from Debian (the operator console's browser test, headless).
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

# Debian replaces its Chromium with every security release (the old build leaves the archive),
# so it is policy-checked rather than pinned: Debian's own package, at least this major version.
CHROMIUM_MIN_MAJOR=120
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "test-deps: apt-get install chromium (Debian's; $(apt-cache policy chromium 2>/dev/null | sed -n 's/ *Candidate: //p'))"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq chromium >/dev/null
  else
    echo "test-deps: chromium is missing; install it: sudo apt-get install chromium" >&2
    exit 1
  fi
fi
chromium_major=$(chromium --version 2>/dev/null | grep -oE '[0-9]+\.[0-9.]+' | head -1 | cut -d. -f1)
if [ -z "$chromium_major" ] || [ "$chromium_major" -lt "$CHROMIUM_MIN_MAJOR" ]; then
  echo "test-deps: chromium ${chromium_major:-?} is older than $CHROMIUM_MIN_MAJOR; upgrade it: apt-get install chromium" >&2
  exit 1
fi

if ! command -v cfn-lint >/dev/null 2>&1; then
  echo "test-deps: cfn-lint (1.51.x) is missing; it ships with this machine image (pip package cfn-lint==1.51.0)" >&2
  exit 1
fi
