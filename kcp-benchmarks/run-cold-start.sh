#!/usr/bin/env bash
# Cold start with and without class-data sharing: JDK 17 AppCDS (-XX:ArchiveClassesAtExit / -XX:SharedArchiveFile)
# and JDK 25's AOT cache (-XX:AOTCacheOutput / -XX:AOTCache), for kcp-tool and the demo-app.
#
#   kcp-benchmarks/run-cold-start.sh          # writes docs/benchmarks/cold-start.md
#
# kcp-tool: cold bulk of COLD_BYTES (64 MiB) over loopback, fast mode, with a fresh server JVM and a fresh client
# JVM each time (no warm-up): MB/s, the client's wall time from launch to exit, and the server's time from launch to
# "listening". demo-app (extracted with -Djarmode=tools, as CDS and the AOT cache need): time from launch to
# "Started" (Spring's "process running for") and the first 20 round trips of a fresh kcp-tool rtt-client (1 KiB
# every 10 ms) against the fresh application.
# Each variant is trained once (archives in kcp-benchmarks/target/cold-start/): kcp-tool by one bulk transfer of
# COLD_BYTES between a recording server and a recording client; the demo by a run that serves rtt-client traffic and
# is then stopped (SIGTERM; the archive is written at exit). Every figure is the median of REPEAT (3) fresh runs.
# Environment: JAVA17 (java on the PATH), JAVA25 (/usr/lib/jvm/temurin-25-jdk-amd64/bin/java; its rows are left out
# if absent), COLD_BYTES, REPEAT, OUT (docs/benchmarks/cold-start.md), SKIP_BUILD=1, KCP_TARGET (target).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${KCP_TARGET:-target}"
JAVA17="${JAVA17:-$(command -v java)}"
JAVA25="${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}"
COLD_BYTES="${COLD_BYTES:-$((64 * 1024 * 1024))}"
REPEAT="${REPEAT:-3}"
OUT="${OUT:-$ROOT/docs/benchmarks/cold-start.md}"
JAR="$ROOT/kcp-benchmarks/$TARGET/kcp-tool.jar"
DEMO_JAR="$ROOT/demo-app/$TARGET/demo-app-0.1.0-SNAPSHOT.jar"
ARCHIVES="$ROOT/kcp-benchmarks/$TARGET/cold-start"
WORK="$(mktemp -d /tmp/kcp-cold-start.XXXXXX)"
PIDS=()
START=$SECONDS

log() { printf '[%4ds] %s\n' "$((SECONDS - START))" "$*" >&2; }

stop_pid() { # stop_pid PID [SECONDS]: TERM, up to SECONDS (10) for it to exit, then KILL; only processes started here
	local pid="$1"
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 $((${2:-10} * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	local status=$?
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		stop_pid "$pid"
	done
	[ "$status" != 0 ] && tail -n 30 "$WORK"/*.err 2>/dev/null >&2
	rm -rf "$WORK"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "${SKIP_BUILD:-0}" != 1 ]; then
	log "building kcp-tool.jar and the demo-app ..."
	(cd "$ROOT" && mvn -B -ntp -q -pl kcp-benchmarks,demo-app -am package -Dmaven.test.skip=true -Dkcp.target="$TARGET")
fi
mkdir -p "$ARCHIVES"
rm -rf "$ARCHIVES/demo"
"$JAVA17" -Djarmode=tools -jar "$DEMO_JAR" extract --destination "$ARCHIVES/demo" >/dev/null
DEMO="$ARCHIVES/demo/$(basename "$DEMO_JAR")"

# ------------------------------------------------------------------ processes

# await_line FILE REGEX SECONDS : waits (bounded) for a line matching REGEX; prints it
await_line() {
	local line=""
	for _ in $(seq 1 $(($3 * 20))); do
		line="$(grep -E -m1 "$2" "$1" 2>/dev/null || true)"
		[ -n "$line" ] && { echo "$line"; return 0; }
		sleep 0.05
	done
	return 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# server JAVA FLAGS... : starts a kcp-tool bulk-server that exits (writing any archive) when its stdin closes;
# sets SERVER_PID, SERVER_PORT, SERVER_START_MS (launch to "listening"), SERVER_STDIN (a descriptor to close)
server() {
	local java="$1"; shift
	rm -f "$WORK/stdin" && mkfifo "$WORK/stdin"
	local t0
	t0="$(now_ms)"
	"$java" "$@" -jar "$JAR" bulk-server --port 0 --watch-stdin 1 --idle-seconds 600 <"$WORK/stdin" \
		>"$WORK/server.out" 2>"$WORK/server.err" &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	exec {SERVER_STDIN}>"$WORK/stdin"
	local line
	line="$(await_line "$WORK/server.out" '^listening on ' 60)" || { log "server did not start"; cat "$WORK/server.err" >&2; exit 1; }
	SERVER_START_MS=$(($(now_ms) - t0))
	SERVER_PORT="${line##*:}"
}

server_stop() { # closes the server's stdin and waits for it to exit (it writes its archive first)
	exec {SERVER_STDIN}>&-
	for _ in $(seq 1 1800); do
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	stop_pid "$SERVER_PID"
}

# client JAVA FLAGS... : one cold bulk; sets MBPS and CLIENT_MS (launch to exit)
client() {
	local java="$1"; shift
	local t0 out
	t0="$(now_ms)"
	out="$(timeout --kill-after=10 600 "$java" "$@" -jar "$JAR" bulk-client --port "$SERVER_PORT" --bytes "$COLD_BYTES" \
		--timeout-seconds 500 2>>"$WORK/client.err")" || log "client failed: $out"
	CLIENT_MS=$(($(now_ms) - t0))
	MBPS="$(sed -n 's/^MB\/s: //p' <<<"$out")"
}

# demo JAVA FLAGS... : starts the extracted demo on a free port; sets DEMO_PID, DEMO_PORT, DEMO_STARTED (s)
demo() {
	local java="$1"; shift
	(cd "$ARCHIVES/demo" && exec "$java" "$@" -jar "$DEMO" --kcp.server.port=0 --demo.raw.port=0 \
		--demo.telemetry.port=0 --server.port=0 --demo.client.enabled=false) \
		>"$WORK/demo.out" 2>"$WORK/demo.err" </dev/null &
	DEMO_PID=$!
	PIDS+=("$DEMO_PID")
	local line
	line="$(await_line "$WORK/demo.out" 'Started DemoApplication' 120)" || { log "demo did not start"; tail "$WORK/demo.out" >&2; exit 1; }
	DEMO_STARTED="$(sed -n 's/.*process running for \([0-9.]*\)).*/\1/p' <<<"$line")"
	# The raw desk (any KCP peer, binary echo) is the one kcp-tool's rtt-client talks to.
	DEMO_PORT="$(sed -n 's/.*Raw desk (any KCP peer) on UDP port \([0-9]*\),.*/\1/p' "$WORK/demo.out" | head -n 1)"
}

# first_rtts : 20 round trips of 1 KiB against the demo from a fresh (plain JDK 17) kcp-tool; sets RTT_P50, RTT_MAX
first_rtts() {
	local out
	out="$(timeout --kill-after=10 120 "$JAVA17" -jar "$JAR" rtt-client --port "$DEMO_PORT" --count 20 --size 1024 \
		--interval-ms 10 --timeout-seconds 60 2>>"$WORK/client.err")" || log "rtt-client failed: $out"
	read -r RTT_P50 RTT_MAX < <(sed -n 's/^p50 \(.*\) ms, p90 .* ms, p99 .* ms, max \(.*\) ms$/\1 \2/p' <<<"$out") || true
}

median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }

# ------------------------------------------------------------------ variants

# VARIANT = label, java, training flags (with @ROLE@ for the archive name), run flags
VARIANTS=("JDK 17|$JAVA17||")
VARIANTS+=("JDK 17 + AppCDS|$JAVA17|-XX:ArchiveClassesAtExit=$ARCHIVES/@ROLE@-17.jsa|-XX:SharedArchiveFile=$ARCHIVES/@ROLE@-17.jsa")
if [ -x "$JAVA25" ]; then
	VARIANTS+=("JDK 25|$JAVA25||")
	VARIANTS+=("JDK 25 + AOT cache|$JAVA25|-XX:AOTCacheOutput=$ARCHIVES/@ROLE@-25.aot|-XX:AOTCache=$ARCHIVES/@ROLE@-25.aot")
else
	log "no JDK 25 at $JAVA25: its rows are left out"
fi
flags() { [ -n "$2" ] && echo "${2//@ROLE@/$1}"; true; }

LOAD_BEFORE="$(cut -d' ' -f1 /proc/loadavg)"
ROWS=()
for variant in "${VARIANTS[@]}"; do
	IFS='|' read -r label java train run <<<"$variant"
	if [ -n "$train" ]; then
		log "$label: training kcp-tool ..."
		for role in server client demo; do
			archive="$(flags "$role" "$train")"
			rm -f "${archive#*=}"
		done
		server "$java" $(flags server "$train")
		client "$java" $(flags client "$train")
		server_stop
		log "$label: training the demo ..."
		demo "$java" $(flags demo "$train")
		first_rtts
		# SIGTERM: the JVM exits normally and writes the archive (JDK 25 assembles its cache in a child JVM)
		stop_pid "$DEMO_PID" 180
	fi
	mbps=() client_ms=() server_ms=() started=() p50=() max=()
	for round in $(seq 1 "$REPEAT"); do
		server "$java" $(flags server "$run")
		client "$java" $(flags client "$run")
		server_stop
		log "$label, kcp-tool round $round: ${MBPS:-n/a} MB/s, client ${CLIENT_MS} ms, server up in ${SERVER_START_MS} ms"
		[ -n "$MBPS" ] && mbps+=("$MBPS")
		client_ms+=("$CLIENT_MS") server_ms+=("$SERVER_START_MS")
		demo "$java" $(flags demo "$run")
		first_rtts
		stop_pid "$DEMO_PID"
		log "$label, demo round $round: started in ${DEMO_STARTED:-n/a} s, first round trips p50 ${RTT_P50:-n/a} ms, max ${RTT_MAX:-n/a} ms"
		[ -n "${DEMO_STARTED:-}" ] && started+=("$DEMO_STARTED")
		[ -n "${RTT_P50:-}" ] && p50+=("$RTT_P50") max+=("$RTT_MAX")
		RTT_P50="" RTT_MAX=""
	done
	m() { printf '%s\n' "$@" | grep -v '^$' | median; }
	ROWS+=("| $label | $(m "${mbps[@]}") | $(m "${client_ms[@]}") | $(m "${server_ms[@]}") | $(m "${started[@]}") | $(m "${p50[@]}") | $(m "${max[@]}") |")
done
LOAD_AFTER="$(cut -d' ' -f1 /proc/loadavg)"

# ------------------------------------------------------------------ report

mkdir -p "$(dirname "$OUT")"
{
	echo "# Cold start: class-data sharing and the AOT cache"
	echo
	echo "Generated by \`kcp-benchmarks/run-cold-start.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores, load average"
	echo "$LOAD_BEFORE before and $LOAD_AFTER after$(awk -v a="$LOAD_BEFORE" -v c="$(nproc)" 'BEGIN { if (a > c / 2) printf " (a loaded machine: other builds were running; compare the rows with each other)" }')."
	echo "Medians of $REPEAT fresh runs per row. kcp-tool: a cold bulk transfer of $COLD_BYTES bytes over loopback"
	echo "(fast mode), fresh server and client JVMs, no warm-up. demo-app: extracted jar, own client off."
	echo
	echo "| JVM | kcp-tool cold bulk MB/s | client launch to exit ms | server launch to listening ms | demo started s | demo first 20 RTT p50 ms | max ms |"
	echo "|---|--:|--:|--:|--:|--:|--:|"
	printf '%s\n' "${ROWS[@]}"
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "done in $((SECONDS - START)) s: $OUT"
cat "$OUT"
