#!/bin/sh
# Validates template.yaml with cfn-lint 1.51.x (SAM-aware; warnings fail too). The Go test in
# internal/templatecheck holds the template to the code; this holds it to CloudFormation.
# cfn-lint is a Python tool that must already be installed: pip install 'cfn-lint==1.51.*'.
set -eu
cd "$(dirname "$0")/.."

if ! command -v cfn-lint >/dev/null 2>&1; then
	echo "check-template: cfn-lint not found; install cfn-lint 1.51.x (pip install 'cfn-lint==1.51.*')" >&2
	exit 1
fi
version=$(cfn-lint --version 2>&1) || {
	echo "check-template: 'cfn-lint --version' failed: $version" >&2
	exit 1
}
case "$version" in
"cfn-lint 1.51."*) ;;
*)
	echo "check-template: found '$version', need cfn-lint 1.51.x (rules differ between versions)" >&2
	exit 1
	;;
esac

cfn-lint template.yaml
echo "check-template: template.yaml passes $version"
