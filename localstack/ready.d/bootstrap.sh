#!/bin/bash
# LocalStack ready.d hook: provisions the runtime's stream, tables and bucket with the project's own
# bootstrap (localstack/bootstrap.ts), the same code the embedded stack and the tests use.
#
# It runs inside the LocalStack container (the repository is mounted at /workspace by compose.yaml) when
# that image has Node.js; otherwise it says so and exits 0, and compose.yaml's `bootstrap` service runs
# this same script from a Node.js container instead. It also runs from a checkout on the host:
#   AWS_ENDPOINT_URL=http://localhost:4566 bash localstack/ready.d/bootstrap.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -d /workspace/localstack ]; then
  root=/workspace
else
  root="$(cd "$here/../.." && pwd)"
fi

if ! command -v node >/dev/null 2>&1; then
  echo "bootstrap: no node in this container; compose.yaml's bootstrap service provisions instead"
  exit 0
fi
if [ ! -d "$root/node_modules/tsx" ]; then
  echo "bootstrap: $root/node_modules has no tsx: run npm ci in the checkout first" >&2
  exit 1
fi

export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"

cd "$root"
exec npx --no-install tsx localstack/bootstrap.ts --shards "${ROUTER_SHARDS:-2}"
