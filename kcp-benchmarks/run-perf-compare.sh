#!/usr/bin/env bash
# Before/after performance check on loopback, in one run: two or more kcp-tool builds and the kcp-go peer, each
# against itself, interleaved round by round so that they share the machine's load. Per implementation: bulk MB/s
# and CPU ms per MB (client and server together, measured over the timed transfer only), and echo p50/p99 at 0 %
# loss and at LOSS % loss each way.
#
#   kcp-benchmarks/run-perf-compare.sh after=kcp-benchmarks/target/kcp-tool.jar before=/tmp/base/kcp-tool.jar
#
# Each argument is LABEL=JAR, or 'LABEL=JAR FLAGS...' (kcp-tool flags for that build, e.g. 'gro=x.jar --gro 1',
# given to its servers and clients). The kcp-go peer (kcp-test-support/src/main/go/kcppeer) is built into
# kcp-benchmarks/$KCP_TARGET/kcppeer when Go and kcp-go are installed (GOPEER=path to use another binary).
# Loss: as root, a network namespace of this script's own (its loopback only) with an nftables rule dropping
# LOSS % of UDP datagrams at random at the input hook (each datagram crosses it once, so each direction loses LOSS %;
# a drop at the output hook would fail the sender's sendto with EPERM, which kcp-go treats as fatal); without root
# the lossy rows are left out. Fast mode everywhere (the defaults of both tools).
#
# Environment: ROUNDS (3), BULK_BYTES (134217728), WARMUP_BYTES (134217728), ECHO_COUNT (1000), LOSS_ECHO_COUNT
# (2000), ECHO_WARMUP (200), ECHO_SIZE (64), ECHO_INTERVAL_MS (10), LOSS (10), KCP_TARGET (target), ONLY (bulk or
# echo: run only those rows).
# Prints one Markdown table of medians over the rounds and the ratios to kcp-go, with the load average.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${KCP_TARGET:-target}"
ROUNDS="${ROUNDS:-3}"
BULK_BYTES="${BULK_BYTES:-134217728}"
WARMUP_BYTES="${WARMUP_BYTES:-134217728}"
ECHO_COUNT="${ECHO_COUNT:-1000}"
LOSS_ECHO_COUNT="${LOSS_ECHO_COUNT:-2000}"
ECHO_WARMUP="${ECHO_WARMUP:-200}"
ECHO_SIZE="${ECHO_SIZE:-64}"
ECHO_INTERVAL_MS="${ECHO_INTERVAL_MS:-10}"
LOSS="${LOSS:-10}"
ONLY="${ONLY:-}"
GOPEER="${GOPEER:-$ROOT/kcp-benchmarks/$TARGET/kcppeer}"
NS="kcpperf-$$"
WORK="$(mktemp -d)"
PIDS=()
HZ="$(getconf CLK_TCK)"

log() { printf '%s\n' "$*" >&2; }

cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	if [ -n "${NS_MADE:-}" ]; then ip netns del "$NS" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT

[ "$#" -ge 1 ] || { log "usage: $0 LABEL=KCP_TOOL_JAR ..."; exit 2; }
IMPLS=()
declare -A CMD XFLAGS
for arg in "$@"; do
	label="${arg%%=*}"; rest="${arg#*=}"; jar="${rest%% *}"; flags=""
	[ "$jar" != "$rest" ] && flags="${rest#* }"
	[ -f "$jar" ] || { log "no such jar: $jar"; exit 2; }
	IMPLS+=("$label"); CMD[$label]="java -jar $jar"; XFLAGS[$label]="$flags"
done
if [ ! -x "$GOPEER" ] && command -v go >/dev/null && [ -d /usr/share/gocode/src/github.com/xtaci/kcp-go ]; then
	log "building the kcp-go peer ..."
	mkdir -p "$(dirname "$GOPEER")"
	(cd "$ROOT/kcp-test-support/src/main/go/kcppeer" && env GO111MODULE=off GOPATH=/usr/share/gocode GOENV=off \
		GOCACHE="$ROOT/kcp-benchmarks/$TARGET/go-cache" CGO_ENABLED=0 GOTOOLCHAIN=local GOPROXY=off \
		go build -o "$GOPEER" main.go)
fi
if [ -x "$GOPEER" ]; then IMPLS+=("kcp-go"); CMD[kcp-go]="$GOPEER"; XFLAGS[kcp-go]=""; else log "no kcp-go peer: its rows are left out"; fi

NETNS_OK=0
if [ "$(id -u)" = 0 ] && command -v nft >/dev/null && [ "$LOSS" -gt 0 ]; then
	ip netns add "$NS" && NS_MADE=1
	ip -n "$NS" link set lo up
	ip netns exec "$NS" nft -f - <<EOF
table inet kcpperf {
	chain in {
		type filter hook input priority 0; policy accept;
		meta l4proto udp numgen random mod 100 < $LOSS drop
	}
}
EOF
	NETNS_OK=1
else
	log "not root (or no nft): the rows at $LOSS % loss are left out"
fi

# cpu_ticks PID : utime+stime of a process, in clock ticks (empty once it is gone)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || true; }

# start_server NAME PREFIX(cmd prefix, may be empty) IMPL ROLE : sets PORT_<NAME> and SPID_<NAME>
start_server() {
	local name="$1" prefix="$2" impl="$3" role="$4"
	: >"$WORK/$name.out"
	# shellcheck disable=SC2086
	$prefix ${CMD[$impl]} "$role" ${XFLAGS[$impl]} --port 0 --seconds 0 >"$WORK/$name.out" 2>"$WORK/$name.err" &
	local pid=$!
	PIDS+=("$pid")
	local port=""
	for _ in $(seq 1 300); do
		port="$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$WORK/$name.out")"
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { log "$name did not start:"; cat "$WORK/$name.err" >&2; exit 1; }
	# the server process itself (ip netns exec execs it, so the pid is the same)
	printf -v "PORT_$name" '%s' "$port"
	printf -v "SPID_$name" '%s' "$pid"
}

for impl in "${IMPLS[@]}"; do
	key="${impl//[^A-Za-z0-9]/_}"
	start_server "bulk_$key" "" "$impl" bulk-server
	start_server "echo_$key" "" "$impl" echo-server
	if [ "$NETNS_OK" = 1 ]; then start_server "lecho_$key" "ip netns exec $NS" "$impl" echo-server; fi
done

median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }

# bulk IMPL : appends "MB/s CPUms/MB" to $WORK/bulk.IMPL
bulk() {
	local impl="$1" key="${1//[^A-Za-z0-9]/_}"
	local port_var="PORT_bulk_$key" spid_var="SPID_bulk_$key"
	local err="$WORK/bulkclient.err"
	: >"$err"
	# shellcheck disable=SC2086
	${CMD[$impl]} bulk-client ${XFLAGS[$impl]} --port "${!port_var}" --bytes "$BULK_BYTES" --warmup-bytes "$WARMUP_BYTES" \
		--timeout-seconds 300 >"$WORK/bulkclient.out" 2>"$err" &
	local cpid=$! c0="" s0="" clast="" slast=""
	while kill -0 "$cpid" 2>/dev/null; do
		if [ -z "$c0" ] && grep -q 'warm-up of' "$err"; then
			c0="$(cpu_ticks "$cpid")"; s0="$(cpu_ticks "${!spid_var}")"
		fi
		local c; c="$(cpu_ticks "$cpid")"; [ -n "$c" ] && clast="$c"
		slast="$(cpu_ticks "${!spid_var}")"
		sleep 0.05
	done
	wait "$cpid" || { log "$impl bulk failed: $(cat "$WORK/bulkclient.out" "$err")"; return; }
	local mbs; mbs="$(sed -n 's/^MB\/s: //p' "$WORK/bulkclient.out")"
	awk -v mbs="$mbs" -v c0="$c0" -v c1="$clast" -v s0="$s0" -v s1="$slast" -v hz="$HZ" -v bytes="$BULK_BYTES" \
		'BEGIN { printf "%s %.2f\n", mbs, ((c1 - c0) + (s1 - s0)) * 1000 / hz / (bytes / 1e6) }' >>"$WORK/bulk.$key"
}

# echo IMPL LOSSY(0|1) : appends "p50 p99" to $WORK/echo.LOSSY.IMPL
echo_rtt() {
	local impl="$1" lossy="$2" key="${1//[^A-Za-z0-9]/_}" prefix="" name="echo" count="$ECHO_COUNT"
	if [ "$lossy" = 1 ]; then prefix="ip netns exec $NS"; name="lecho"; count="$LOSS_ECHO_COUNT"; fi
	local port_var="PORT_${name}_$key"
	local out
	# shellcheck disable=SC2086
	out="$($prefix ${CMD[$impl]} rtt-client ${XFLAGS[$impl]} --port "${!port_var}" --count "$count" --size "$ECHO_SIZE" \
		--interval-ms "$ECHO_INTERVAL_MS" --warmup "$ECHO_WARMUP" --timeout-seconds 300 2>>"$WORK/echoclient.err")" \
		|| { log "$impl echo (loss $lossy) failed: $out"; return; }
	sed -n 's/^p50 \(.*\) ms, p90 .* ms, p99 \(.*\) ms, max .*$/\1 \2/p' <<<"$out" >>"$WORK/echo.$lossy.$key"
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$ROUNDS"); do
	if [ "$ONLY" != echo ]; then
		for impl in "${IMPLS[@]}"; do log "round $round: $impl bulk"; bulk "$impl"; done
	fi
	[ "$ONLY" = bulk ] && continue
	for impl in "${IMPLS[@]}"; do log "round $round: $impl echo"; echo_rtt "$impl" 0; done
	if [ "$NETNS_OK" = 1 ]; then
		for impl in "${IMPLS[@]}"; do log "round $round: $impl echo at $LOSS % loss"; echo_rtt "$impl" 1; done
	fi
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

col() { [ -f "$1" ] && awk -v c="$2" '{print $c}' "$1" | median || echo n/a; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo
echo "Loopback, fast mode; $(nproc) cores; medians of $ROUNDS interleaved rounds; load average before $LOAD_BEFORE,"
echo "after $LOAD_AFTER. Bulk: $BULK_BYTES bytes after a $WARMUP_BYTES-byte warm-up, CPU of client and server over the"
echo "timed transfer. Echo: $ECHO_SIZE B every $ECHO_INTERVAL_MS ms after $ECHO_WARMUP warm-up messages ($ECHO_COUNT at 0 %,"
echo "$LOSS_ECHO_COUNT at $LOSS % loss each way, nftables random drop in a network namespace)."
echo
printf '| %-10s | %9s | %9s | %9s | %9s | %11s | %11s |\n' "impl" "bulk MB/s" "CPU ms/MB" "p50 0 %" "p99 0 %" "p50 $LOSS %" "p99 $LOSS %"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' "------------" "----------:" "----------:" "----------:" "----------:" "------------:" "------------:"
declare -A V
for impl in "${IMPLS[@]}"; do
	key="${impl//[^A-Za-z0-9]/_}"
	V[$impl,mbs]="$(col "$WORK/bulk.$key" 1)"; V[$impl,cpu]="$(col "$WORK/bulk.$key" 2)"
	V[$impl,p50]="$(col "$WORK/echo.0.$key" 1)"; V[$impl,p99]="$(col "$WORK/echo.0.$key" 2)"
	V[$impl,lp50]="$(col "$WORK/echo.1.$key" 1)"; V[$impl,lp99]="$(col "$WORK/echo.1.$key" 2)"
	printf '| %-10s | %9s | %9s | %9s | %9s | %11s | %11s |\n' "$impl" "${V[$impl,mbs]}" "${V[$impl,cpu]}" \
		"${V[$impl,p50]}" "${V[$impl,p99]}" "${V[$impl,lp50]}" "${V[$impl,lp99]}"
done
if [ -n "${CMD[kcp-go]:-}" ]; then
	echo
	echo "Ratios to kcp-go (bulk: higher is better; CPU and latencies: lower is better):"
	for impl in "${IMPLS[@]}"; do
		[ "$impl" = kcp-go ] && continue
		printf '  %-10s bulk %s x, CPU/MB %s x, echo 0 %%: p50 %s x, p99 %s x; echo %s %%: p50 %s x, p99 %s x\n' "$impl" \
			"$(ratio "${V[$impl,mbs]}" "${V[kcp-go,mbs]}")" "$(ratio "${V[$impl,cpu]}" "${V[kcp-go,cpu]}")" \
			"$(ratio "${V[$impl,p50]}" "${V[kcp-go,p50]}")" "$(ratio "${V[$impl,p99]}" "${V[kcp-go,p99]}")" "$LOSS" \
			"$(ratio "${V[$impl,lp50]}" "${V[kcp-go,lp50]}")" "$(ratio "${V[$impl,lp99]}" "${V[kcp-go,lp99]}")"
	done
fi
echo
echo "Per-round values: bulk (MB/s, CPU ms/MB); echo (p50, p99) at 0 % and at $LOSS %:"
for impl in "${IMPLS[@]}"; do
	key="${impl//[^A-Za-z0-9]/_}"
	printf '  %-10s bulk: %s | echo 0: %s | echo %s: %s\n' "$impl" "$(paste -sd';' "$WORK/bulk.$key" 2>/dev/null)" \
		"$(paste -sd';' "$WORK/echo.0.$key" 2>/dev/null)" "$LOSS" "$(paste -sd';' "$WORK/echo.1.$key" 2>/dev/null)"
done
