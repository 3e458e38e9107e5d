#!/usr/bin/env bash
# Interop figures over loopback, all in one run: kcp-tool (our transport) against itself and against the kcp-go
# peer (kcp-test-support/src/main/go/kcppeer, kcp-go 5.6.1), kcp-go against itself, and kcp-tool's TCP roles for reference.
# Fast mode everywhere (the defaults of both tools): nodelay 1, interval 10, resend 2, nc 1, windows 1024, mtu 1400.
#
#   kcp-benchmarks/run-interop-bench.sh            # builds what it needs, prints the table
#
# Environment: BULK_BYTES (200000000), WARMUP_BYTES (50000000), RTT_COUNT (2000), RTT_SIZE (64), RTT_INTERVAL_MS (5),
# RTT_WARMUP (500), REPEAT (1; with more, each figure is the median of the runs), KCP_TARGET (Maven output folder
# name, default target), SKIP_BUILD=1 to reuse the jar and the Go binary.
# Needs JDK 17+, Maven, and for the kcp-go rows Go plus kcp-go in GOPATH mode
# (apt-get install golang-go golang-github-xtaci-kcp-dev); without Go those rows are left out.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${KCP_TARGET:-target}"
BULK_BYTES="${BULK_BYTES:-200000000}"
WARMUP_BYTES="${WARMUP_BYTES:-50000000}"
RTT_COUNT="${RTT_COUNT:-2000}"
RTT_SIZE="${RTT_SIZE:-64}"
RTT_INTERVAL_MS="${RTT_INTERVAL_MS:-5}"
RTT_WARMUP="${RTT_WARMUP:-500}"
REPEAT="${REPEAT:-1}"
FAST=(--nodelay 1 --interval 10 --resend 2 --nc 1 --sndwnd 1024 --rcvwnd 1024 --mtu 1400)
JAR="$ROOT/kcp-benchmarks/$TARGET/kcp-tool.jar"
GOPEER="$ROOT/kcp-benchmarks/$TARGET/kcppeer"
WORK="$(mktemp -d)"
PIDS=()

cleanup() {
	# only the servers this script started, by PID
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf '%s\n' "$*" >&2; }

# ------------------------------------------------------------------ build

HAVE_GO=0
if command -v go >/dev/null && [ -d /usr/share/gocode/src/github.com/xtaci/kcp-go ]; then
	HAVE_GO=1
fi
if [ "${SKIP_BUILD:-0}" != 1 ]; then
	log "building kcp-tool.jar ..."
	(cd "$ROOT" && mvn -B -ntp -q -pl kcp-benchmarks -am package -Dmaven.test.skip=true -Dkcp.target="$TARGET")
	if [ "$HAVE_GO" = 1 ]; then
		log "building the kcp-go peer ..."
		(cd "$ROOT/kcp-test-support/src/main/go/kcppeer" && env GO111MODULE=off GOPATH=/usr/share/gocode GOENV=off \
			GOCACHE="$ROOT/kcp-benchmarks/$TARGET/go-cache" CGO_ENABLED=0 GOTOOLCHAIN=local GOPROXY=off \
			go build -o "$GOPEER" main.go)
	fi
fi
[ -f "$JAR" ] || { log "missing $JAR"; exit 1; }
if [ "$HAVE_GO" = 0 ]; then
	log "Go / kcp-go not installed: kcp-go rows left out (apt-get install golang-go golang-github-xtaci-kcp-dev)"
fi

TOOL=(java -jar "$JAR")

# ------------------------------------------------------------------ servers

# start_server NAME COMMAND... : starts a server on a free port and sets PORT_<NAME>
start_server() {
	local name="$1"; shift
	"$@" --port 0 --seconds 0 >"$WORK/$name.out" 2>"$WORK/$name.err" &
	PIDS+=("$!")
	local port=""
	for _ in $(seq 1 200); do
		port="$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$WORK/$name.out")"
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { log "$name did not start:"; cat "$WORK/$name.err" >&2; exit 1; }
	printf -v "PORT_$name" '%s' "$port"
}

start_server us_bulk "${TOOL[@]}" bulk-server "${FAST[@]}"
start_server us_echo "${TOOL[@]}" echo-server "${FAST[@]}"
start_server tcp_bulk "${TOOL[@]}" tcp-bulk-server
start_server tcp_echo "${TOOL[@]}" tcp-echo-server
if [ "$HAVE_GO" = 1 ]; then
	start_server go_bulk "$GOPEER" bulk-server "${FAST[@]}"
	start_server go_echo "$GOPEER" echo-server "${FAST[@]}"
fi

# ------------------------------------------------------------------ measurements

median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }

# bulk LABEL PORT ROLE_PREFIX CLIENT... : prints MB/s (median of REPEAT runs)
bulk() {
	local label="$1" port="$2" prefix="$3"; shift 3
	local values=()
	for _ in $(seq 1 "$REPEAT"); do
		local out
		out="$("$@" "${prefix}bulk-client" --port "$port" --bytes "$BULK_BYTES" --warmup-bytes "$WARMUP_BYTES" \
			--timeout-seconds 300 "${FLAGS[@]}" 2>>"$WORK/clients.err")" || { log "$label bulk failed: $out"; values+=(n/a); continue; }
		values+=("$(sed -n 's/^MB\/s: //p' <<<"$out")")
	done
	printf '%s\n' "${values[@]}" | grep -v n/a | median
}

# rtt LABEL PORT ROLE_PREFIX CLIENT... : prints "p50 p90 p99 max" in ms (medians of REPEAT runs)
rtt() {
	local label="$1" port="$2" prefix="$3"; shift 3
	: >"$WORK/rtt"
	for _ in $(seq 1 "$REPEAT"); do
		local out
		out="$("$@" "${prefix}rtt-client" --port "$port" --count "$RTT_COUNT" --size "$RTT_SIZE" --interval-ms "$RTT_INTERVAL_MS" \
			--warmup "$RTT_WARMUP" --timeout-seconds 300 "${FLAGS[@]}" 2>>"$WORK/clients.err")" || { log "$label rtt failed: $out"; continue; }
		sed -n 's/^p50 \(.*\) ms, p90 \(.*\) ms, p99 \(.*\) ms, max \(.*\) ms$/\1 \2 \3 \4/p' <<<"$out" >>"$WORK/rtt"
	done
	local cols=()
	for c in 1 2 3 4; do
		cols+=("$(awk -v c="$c" '{print $c}' "$WORK/rtt" | median)")
	done
	echo "${cols[*]}"
}

declare -A BULK RTT LABEL
ROWS=()
FLAGS=()
# measure KEY LABEL BULK_PORT ECHO_PORT ROLE_PREFIX CLIENT... : one row of the table
measure() {
	local key="$1" label="$2" bulk_port="$3" echo_port="$4" prefix="$5"; shift 5
	log "measuring $label ..."
	ROWS+=("$key")
	LABEL[$key]="$label"
	BULK[$key]="$(bulk "$label" "$bulk_port" "$prefix" "$@")"
	RTT[$key]="$(rtt "$label" "$echo_port" "$prefix" "$@")"
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
FLAGS=("${FAST[@]}")
measure us_us "kcp-tool -> kcp-tool" "$PORT_us_bulk" "$PORT_us_echo" "" "${TOOL[@]}"
if [ "$HAVE_GO" = 1 ]; then
	measure us_go "kcp-tool -> kcp-go server" "$PORT_go_bulk" "$PORT_go_echo" "" "${TOOL[@]}"
	measure go_us "kcp-go -> kcp-tool server" "$PORT_us_bulk" "$PORT_us_echo" "" "$GOPEER"
	measure go_go "kcp-go -> kcp-go" "$PORT_go_bulk" "$PORT_go_echo" "" "$GOPEER"
fi
FLAGS=()
measure tcp "TCP (kcp-tool tcp-*)" "$PORT_tcp_bulk" "$PORT_tcp_echo" "tcp-" "${TOOL[@]}"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------------ table

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo
echo "Loopback, fast mode (nodelay 1, interval 10, resend 2, nc 1, windows 1024, mtu 1400); $(nproc) cores;"
echo "bulk: $BULK_BYTES bytes after a $WARMUP_BYTES-byte warm-up; rtt: $RTT_COUNT x $RTT_SIZE B every $RTT_INTERVAL_MS ms after $RTT_WARMUP warm-up messages;"
echo "median of $REPEAT run(s); load average before $LOAD_BEFORE, after $LOAD_AFTER"
echo
printf '| %-27s | %9s | %9s | %9s | %9s | %9s |\n' "client -> server" "bulk MB/s" "rtt p50" "rtt p90" "rtt p99" "rtt max"
printf '|%s|%s|%s|%s|%s|%s|\n' "-----------------------------" "----------:" "----------:" "----------:" "----------:" "----------:"
for key in "${ROWS[@]}"; do
	read -r p50 p90 p99 max <<<"${RTT[$key]}"
	printf '| %-27s | %9s | %9s | %9s | %9s | %9s |\n' "${LABEL[$key]}" "${BULK[$key]}" "$p50 ms" "$p90 ms" "$p99 ms" "$max ms"
done
echo
p99() { read -r _ _ p _ <<<"${RTT[$1]}"; echo "$p"; }
echo "Ratios (bulk: higher is better for us; rtt p99: lower is better for us):"
printf '  kcp-tool vs TCP:              bulk %s x, rtt p99 %s x\n' "$(ratio "${BULK[us_us]}" "${BULK[tcp]}")" \
	"$(ratio "$(p99 us_us)" "$(p99 tcp)")"
if [ "$HAVE_GO" = 1 ]; then
	printf '  kcp-tool vs kcp-go (same role pair, each against itself): bulk %s x, rtt p99 %s x\n' \
		"$(ratio "${BULK[us_us]}" "${BULK[go_go]}")" "$(ratio "$(p99 us_us)" "$(p99 go_go)")"
	printf '  kcp-tool client vs kcp-go client, both to the kcp-go server: bulk %s x, rtt p99 %s x\n' \
		"$(ratio "${BULK[us_go]}" "${BULK[go_go]}")" "$(ratio "$(p99 us_go)" "$(p99 go_go)")"
	printf '  kcp-tool server vs kcp-go server, both with the kcp-go client: bulk %s x, rtt p99 %s x\n' \
		"$(ratio "${BULK[go_us]}" "${BULK[go_go]}")" "$(ratio "$(p99 go_us)" "$(p99 go_go)")"
fi
