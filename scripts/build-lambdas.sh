#!/bin/sh
# Builds every Lambda function (functions/<job> with a main.go) for provided.al2023 on arm64
# and packs it as build/<job>.zip, the CodeUri template.yaml points at.
# Usage: scripts/build-lambdas.sh   (run by `make build`; then `sam deploy`, no `sam build`)
set -eu
cd "$(dirname "$0")/.."

jobs=""
pkgs=""
for main in functions/*/main.go; do
	job=$(basename "$(dirname "$main")")
	jobs="$jobs $job"
	pkgs="$pkgs ./functions/$job"
done

rm -rf build/lambda-bin
mkdir -p build/lambda-bin
# One go build for all jobs: shared packages are compiled once, the binaries linked in parallel.
# shellcheck disable=SC2086 # $pkgs is a list of plain package paths
GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags "-s -w" \
	-o build/lambda-bin/ $pkgs

dirs=""
for job in $jobs; do
	rm -rf "build/$job"
	mkdir -p "build/$job"
	mv "build/lambda-bin/$job" "build/$job/bootstrap"
	dirs="$dirs build/$job"
done
rm -rf build/lambda-bin

# The zipper runs on this machine, so it is built without the cross-compile variables above.
# shellcheck disable=SC2086 # $dirs is a list of plain folder names
go run ./scripts/zipper $dirs
for job in $jobs; do
	ls -l "build/$job.zip"
done
