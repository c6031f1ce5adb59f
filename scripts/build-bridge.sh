#!/bin/sh
# Builds the on-prem scanner bridge (cmd/bridge) as static binaries for the front-desk PCs:
# build/bridge/bridge-windows-amd64.exe and build/bridge/bridge-linux-amd64, plus an example
# configuration file. Usage: scripts/build-bridge.sh   (run by `make bridge`)
set -eu
cd "$(dirname "$0")/.."

version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
ldflags="-s -w -X github.com/stykovka/stykovka/internal/bridge/agent.Version=$version"
out=build/bridge
mkdir -p "$out"

CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build -trimpath -ldflags "$ldflags" -o "$out/bridge-windows-amd64.exe" ./cmd/bridge
CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags "$ldflags" -o "$out/bridge-linux-amd64" ./cmd/bridge

cat > "$out/bridge.example.json" <<'JSON'
{
  "hubUrl": "https://hub.example.ru",
  "tenant": "hotel",
  "deviceId": "dev-…из ответа EnrollDevice…",
  "secret": "…секрет из ответа EnrollDevice (показывается один раз)…",
  "dataDir": "C:\\ProgramData\\Stykovka\\bridge",
  "watchDir": "C:\\Regula\\Results",
  "listen": "127.0.0.1:8765",
  "legalEntity": "…ссылка на организацию (Ref_Key)…",
  "images": false,
  "logFile": "C:\\ProgramData\\Stykovka\\bridge\\bridge.log"
}
JSON

ls -l "$out"
