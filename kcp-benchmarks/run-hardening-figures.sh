#!/usr/bin/env bash
# The figures of issue 9 (hardening): the attacks of HardeningProbe (kcp-benchmarks test classes) against a
# kcp-tool echo-server, on loopback only, each against a fresh server:
#   flood        100,000 conversations from 127.0.0.2 in ~1.5 s; a new client's wait and a live client's p99
#   window-fill  1,000 conversations from 8 addresses each parking 512 out-of-order segments (700 MB), server at
#                -Xmx256m; is it alive and serving afterwards
#   amplify      50 first datagrams in a victim's name, never answered: bytes back per byte sent
#   replay       captured aes-gcm datagrams replayed from the client's address and from another: replies drawn
#
#   kcp-benchmarks/run-hardening-figures.sh [SERVER_JAR]
#
# SERVER_JAR is the kcp-tool.jar the server runs (default: this tree's; pass an older build for "before" figures);
# the probe always runs on this tree's classes. SKIP_BUILD=1 skips the build; ONLY="flood amplify" picks attacks.
# Everything it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${SKIP_BUILD:-0}" != 1 ]; then
	mvn -B -ntp -q -pl kcp-benchmarks -am package -DskipTests
fi
SERVER_JAR="$(realpath "${1:-kcp-benchmarks/target/kcp-tool.jar}")"
PROBE_CP="kcp-benchmarks/target/test-classes:kcp-benchmarks/target/kcp-tool.jar"
ONLY="${ONLY:-flood window-fill amplify replay}"
WORK="$(mktemp -d)"
SERVER_PID=""

stop_server() {
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill "$SERVER_PID" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$SERVER_PID" 2>/dev/null || true
	fi
	SERVER_PID=""
}
trap 'stop_server; rm -rf "$WORK"' EXIT

# start_server NAME JVM-FLAGS... -- TOOL-FLAGS...: a kcp-tool echo-server on a free port; sets PORT
start_server() {
	local name="$1"; shift
	local jvm=()
	while [ "$1" != "--" ]; do jvm+=("$1"); shift; done
	shift
	java "${jvm[@]}" -jar "$SERVER_JAR" echo-server --port 0 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	SERVER_PID=$!
	for _ in $(seq 1 200); do
		PORT="$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$WORK/$name.out")"
		[ -n "$PORT" ] && return 0
		sleep 0.1
	done
	echo "server $name did not start" >&2
	cat "$WORK/$name.err" >&2
	exit 1
}

probe() {
	java -cp "$PROBE_CP" io.github.kcp.benchmarks.attack.HardeningProbe "$@"
}

report_server() {
	local name="$1"
	if kill -0 "$SERVER_PID" 2>/dev/null; then echo "server process: alive"; else echo "server process: gone"; fi
	grep -m1 -o 'OutOfMemoryError[^"]*' "$WORK/$name.err" | head -1 | sed 's/^/server log: /' || true
	stop_server
	# kcp-tool prints its counters at exit (this tree's kcp-tool; older ones print nothing of the kind)
	grep '^server: ' "$WORK/$name.err" | tail -1 || true
}

echo "server jar: $SERVER_JAR"
for attack in $ONLY; do
	echo "== $attack"
	case "$attack" in
		flood)
			start_server flood -- --stats 1
			probe flood --port "$PORT" --new-client-wait "${NEW_CLIENT_WAIT:-60}"
			report_server flood ;;
		window-fill)
			start_server window -Xmx256m -- --stats 1
			probe window-fill --port "$PORT" --sessions 1000 --segments 512 --hosts 8
			report_server window ;;
		amplify)
			start_server amplify -- --stats 1
			probe amplify --port "$PORT" --datagrams 50 --payload 100
			report_server amplify ;;
		replay)
			start_server replay -- --crypto aes-gcm --key hardening --salt figures --stats 1
			probe replay --port "$PORT" --key hardening --salt figures
			report_server replay ;;
	esac
done
