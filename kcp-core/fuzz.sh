#!/usr/bin/env bash
# A long run of the engine and codec fuzz properties (KcpFuzzTest): each property runs for SECONDS (default 60)
# from a random base seed (or SEED=0x... to repeat a run). A failure names the case seed; replay that case alone
# with: mvn -pl kcp-core test -Dtest='KcpFuzzTest' -Dkcp.fuzz.replay=0x...
#
#   kcp-core/fuzz.sh [SECONDS]
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
seed="${SEED:-0x$(od -An -N8 -tx8 /dev/urandom | tr -d ' \n')}"
log="kcp-core/target/fuzz.log"
mkdir -p kcp-core/target
echo "fuzzing each property for ${seconds} s from base seed ${seed} (full output: ${log})"
start=$(date +%s)
# The per-test timeouts guard the build's short run; a long run disables them.
mvn -B -ntp -pl kcp-core test -Dtest='KcpFuzzTest' -Dsurefire.failIfNoSpecifiedTests=false \
	-Djunit.jupiter.execution.timeout.mode=disabled \
	-Dkcp.fuzz.seconds="${seconds}" -Dkcp.fuzz.seed="${seed}" >"${log}" 2>&1
status=$?
grep -E '^fuzz |Property .* failed|Tests run:' "${log}" | sort -u
echo "done in $(( $(date +%s) - start )) s, exit ${status}"
exit "${status}"
