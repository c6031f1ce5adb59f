// Package templatecheck holds the tests that hold template.yaml (AWS SAM) to the code: every
// function has its folder and sample event, the table is the one the DynamoDB adapter uses,
// the bucket is private, each function's policy names only what it needs, and the HTTP API
// answers a facade 401 with the Basic challenge. scripts/check-template.sh runs cfn-lint on the
// same template for everything CloudFormation itself would refuse.
package templatecheck
