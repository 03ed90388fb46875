#!/usr/bin/env bash
# Builds the mock Kafka cluster into infra/kafka-mock/.build/ (git-ignored).
# Needs: apt-get install -y librdkafka-dev gcc
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v gcc >/dev/null 2>&1 || [ ! -f /usr/include/librdkafka/rdkafka_mock.h ]; then
  echo "kafka-mock: needs gcc and librdkafka-dev: apt-get install -y librdkafka-dev gcc" >&2
  exit 1
fi
mkdir -p .build
gcc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Wall -Wextra -Werror \
  -o ".build/kafka-mock-cluster.$$.tmp" kafka-mock-cluster.c -lrdkafka
mv -f ".build/kafka-mock-cluster.$$.tmp" .build/kafka-mock-cluster
