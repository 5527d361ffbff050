#!/usr/bin/env bash
# `npm run setup`: installs the dependencies. The Kafka client (librdkafka) comes as a prebuilt binary
# from GitHub; where that download is not possible it is built from source against the system's
# libraries (CKJS_LINKING=dynamic), which needs Debian's libssl-dev zlib1g-dev libzstd-dev libsasl2-dev liblz4-dev.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${CKJS_LINKING:-}" != dynamic ]] && npm install --no-audit --no-fund; then
  exit 0
fi

missing=()
for header in openssl/ssl.h zlib.h zstd.h sasl/sasl.h lz4.h; do
  [[ -e /usr/include/$header ]] || missing+=("$header")
done
if ((${#missing[@]} > 0)); then
  echo "The Kafka client must be built from source here, and these headers are missing: ${missing[*]}" >&2
  echo "Install them with: apt-get install -y libssl-dev zlib1g-dev libzstd-dev libsasl2-dev liblz4-dev" >&2
  exit 1
fi
echo "Building the Kafka client from source (CKJS_LINKING=dynamic), about a minute ..." >&2
CKJS_LINKING=dynamic npm install --no-audit --no-fund
