#!/usr/bin/env bash
# The benchmark suite: us (kcp-tool on kcp-core) vs kcp-go 5.6.1 vs TCP, in one window on this machine.
#
#   kcp-benchmarks/run-bench-suite.sh             # full run (~22 min): writes docs/benchmarks/results.md + PNG charts
#   QUICK=1 kcp-benchmarks/run-bench-suite.sh     # a few minutes, small transfers and short windows (a smoke run)
#
# Figures (fast mode on both ends: nodelay 1, interval 10, resend 2, nc 1, windows 1024, mtu 1400):
#   bulk      MB/s at 0 / 1 / 5 % loss each way; each client a fresh process that first moves WARMUP_BYTES on the
#             same session, untimed, then BULK_BYTES timed; us and kcp-go each against their own server; and the CPU
#             time of client and server over the timed transfer per MB (sampled from /proc every 100 ms)
#   echo      p50 / p99 of 64-byte messages every 10 ms at 0 / 5 / 10 / 20 % loss each way, after ECHO_WARMUP
#             untimed messages on the same session; the JVM clients (us, TCP) first send ECHO_JIT_WARMUP untimed
#             messages one after the other (each when the last came back) so that both JVMs run compiled code
#   sessions  1,000 and 10,000 sessions sending one 64-byte message per second each, joining over SESS_RAMP s:
#             server CPU (all active; then all idle), p50 / p99, memory per idle session (heap after a full GC and
#             RSS growth); one load generator (kcp-tool sessions-client) for every server, a fresh server each time
# Loss: run as root with ip and nft, the servers and clients live in two network namespaces made here, joined by a
# veth pair (10.213.0.1/30 - 10.213.0.2/30, inside those namespaces only), and nftables drops N % of the packets
# arriving in each namespace (numgen random mod 100 < N): N % each way, and TCP sees the same loss. Otherwise (LOSS_MODE=relay, or not
# root) everything runs on 127.0.0.1 and kcp-tool's relay drops UDP datagrams in-process; TCP has no lossy figures.
#
# Environment: QUICK=1; REPEAT (2, QUICK 1: each bulk/echo figure is the median of the runs, us and kcp-go
# interleaved and their order alternating); BULK_BYTES, WARMUP_BYTES; ECHO_COUNT, ECHO_WARMUP, ECHO_JIT_WARMUP
# (20000, at most 10 s; QUICK 2000); SESSIONS ("1000 10000");
# SESS_RAMP, SESS_WARMUP, SESS_MEASURE, SESS_SETTLE, SESS_IDLE (seconds); BULK_LOSSES ("0 1 5"); ECHO_LOSSES
# ("0 5 10 20"); LOSS_MODE (auto|netns|relay); OUT_DIR (docs/benchmarks); SKIP_BUILD=1; KCP_TARGET (target).
# Needs JDK 17+ (java, jcmd), Maven, Go with kcp-go in GOPATH mode for the kcp-go figures (apt-get install golang-go
# golang-github-xtaci-kcp-dev), and for lossy TCP and kernel-level loss: root, iproute2, nftables (apt-get install
# nftables). Everything it starts (processes by PID, namespaces, their veth and nftables tables) is removed on exit,
# also after a failure or Ctrl-C.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPEAT_SET="${REPEAT:-}"
TARGET="${KCP_TARGET:-target}"
QUICK="${QUICK:-0}"
MIB=$((1024 * 1024))
if [ "$QUICK" = 1 ]; then
	BULK_BYTES="${BULK_BYTES:-$((32 * MIB))}"
	WARMUP_BYTES="${WARMUP_BYTES:-$((32 * MIB))}"
	ECHO_COUNT="${ECHO_COUNT:-300}"
	ECHO_WARMUP="${ECHO_WARMUP:-100}"
	ECHO_JIT_WARMUP="${ECHO_JIT_WARMUP:-2000}"
	SESS_RAMP="${SESS_RAMP:-3}" SESS_WARMUP="${SESS_WARMUP:-5}" SESS_MEASURE="${SESS_MEASURE:-5}"
	SESS_SETTLE="${SESS_SETTLE:-4}" SESS_IDLE="${SESS_IDLE:-4}"
else
	BULK_BYTES="${BULK_BYTES:-$((256 * MIB))}"
	WARMUP_BYTES="${WARMUP_BYTES:-$((256 * MIB))}"
	ECHO_COUNT="${ECHO_COUNT:-2000}"
	ECHO_WARMUP="${ECHO_WARMUP:-500}"
	ECHO_JIT_WARMUP="${ECHO_JIT_WARMUP:-20000}"
	SESS_RAMP="${SESS_RAMP:-10}" SESS_WARMUP="${SESS_WARMUP:-15}" SESS_MEASURE="${SESS_MEASURE:-20}"
	SESS_SETTLE="${SESS_SETTLE:-8}" SESS_IDLE="${SESS_IDLE:-10}"
fi
ECHO_SIZE=64
ECHO_INTERVAL_MS=10
SESS_SIZE=64
SESS_INTERVAL_MS=1000
SESSIONS="${SESSIONS:-1000 10000}"
BULK_LOSSES="${BULK_LOSSES:-0 1 5}"
ECHO_LOSSES="${ECHO_LOSSES:-0 5 10 20}"
REPEAT="${REPEAT:-$([ "$QUICK" = 1 ] && echo 1 || echo 2)}"
OUT_DIR="${OUT_DIR:-$ROOT/docs/benchmarks}"
LOSS_MODE="${LOSS_MODE:-auto}"
FAST=(--nodelay 1 --interval 10 --resend 2 --nc 1 --sndwnd 1024 --rcvwnd 1024 --mtu 1400)
JAR="$ROOT/kcp-benchmarks/$TARGET/kcp-tool.jar"
REPORT_JAR="$ROOT/kcp-benchmarks/$TARGET/benchmarks.jar"
GOPEER="$ROOT/kcp-benchmarks/$TARGET/kcppeer"
SESSIONPEER="$ROOT/kcp-benchmarks/$TARGET/sessionpeer"
WORK="$(mktemp -d /tmp/kcp-bench-suite.XXXXXX)"
RESULTS="$WORK/results.tsv"
PIDS=()
NS_S="" NS_C=""
SUITE_START=$SECONDS

log() { printf '[%4ds] %s\n' "$((SECONDS - SUITE_START))" "$*" >&2; }

# stop PID: TERM, up to 5 s, then KILL; only processes this script started
stop_pid() {
	local pid="$1"
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 50); do
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
	# deleting a namespace removes its veth end and its nftables table with it
	[ -n "$NS_C" ] && ip netns del "$NS_C" 2>/dev/null
	[ -n "$NS_S" ] && ip netns del "$NS_S" 2>/dev/null
	if [ "$status" != 0 ]; then
		log "failed (status $status); logs were in $WORK"
		[ -d "$WORK" ] && tail -n 20 "$WORK"/*.err 2>/dev/null | tail -n 60 >&2 || true
	fi
	rm -rf "$WORK"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ build

HAVE_GO=0
if command -v go >/dev/null && [ -d /usr/share/gocode/src/github.com/xtaci/kcp-go ]; then
	HAVE_GO=1
fi
KCPPEER_SRC=""
for dir in "$ROOT/kcp-test-support/src/main/go/kcppeer" "$ROOT/kcp-core/src/test/go/kcppeer"; do
	if [ -f "$dir/main.go" ]; then
		KCPPEER_SRC="$dir"
		break
	fi
done
go_build() { # go_build SOURCE_DIR OUTPUT
	(cd "$1" && env GO111MODULE=off GOPATH=/usr/share/gocode GOENV=off GOCACHE="$ROOT/kcp-benchmarks/$TARGET/go-cache" \
		CGO_ENABLED=0 GOTOOLCHAIN=local GOPROXY=off go build -o "$2" main.go)
}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
	log "building kcp-tool.jar and the report generator ..."
	(cd "$ROOT" && mvn -B -ntp -q -pl kcp-benchmarks -am package -Dmaven.test.skip=true -Dkcp.target="$TARGET")
	if [ "$HAVE_GO" = 1 ]; then
		log "building the kcp-go peers ..."
		go_build "$KCPPEER_SRC" "$GOPEER"
		go_build "$ROOT/kcp-benchmarks/src/main/go/sessionpeer" "$SESSIONPEER"
	fi
fi
for f in "$JAR" "$REPORT_JAR"; do
	[ -f "$f" ] || { log "missing $f"; exit 1; }
done
if [ "$HAVE_GO" = 0 ]; then
	log "Go / kcp-go not installed: kcp-go figures left out (apt-get install golang-go golang-github-xtaci-kcp-dev)"
fi
IMPLS=(us tcp)
[ "$HAVE_GO" = 1 ] && IMPLS=(us kcp-go tcp)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# ------------------------------------------------------------------ topology and loss

if [ "$LOSS_MODE" = auto ]; then
	if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && command -v nft >/dev/null; then
		LOSS_MODE=netns
	else
		LOSS_MODE=relay
	fi
fi
if [ "$LOSS_MODE" = netns ]; then
	NS_S="kcpb-s-$$" NS_C="kcpb-c-$$"
	VETH_S="kbs$$" VETH_C="kbc$$"
	ip netns add "$NS_S"
	ip netns add "$NS_C"
	ip link add "$VETH_S" netns "$NS_S" type veth peer name "$VETH_C" netns "$NS_C"
	ip -n "$NS_S" addr add 10.213.0.1/30 dev "$VETH_S"
	ip -n "$NS_C" addr add 10.213.0.2/30 dev "$VETH_C"
	for ns in "$NS_S" "$NS_C"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$NS_S" link set "$VETH_S" up
	ip -n "$NS_C" link set "$VETH_C" up
	SERVER_HOST=10.213.0.1
	IN_S=(ip netns exec "$NS_S")
	IN_C=(ip netns exec "$NS_C")
	EMULATION="network namespaces joined by a veth pair, nftables 'numgen random mod 100 < N drop' on each side's input (every packet, UDP and TCP)"
else
	SERVER_HOST=127.0.0.1
	IN_S=()
	IN_C=()
	EMULATION="loopback; kcp-tool's in-process relay drops N % of UDP datagrams each way (no lossy TCP figures)"
fi
log "loss emulation: $LOSS_MODE"

CURRENT_LOSS=0
# set_loss N: N % of the packets arriving in each namespace are dropped (netns mode). On arrival, not on departure:
# a packet dropped in the output hook fails the sender's sendto() with EPERM, which kcp-go takes as fatal.
set_loss() {
	CURRENT_LOSS="$1"
	[ "$LOSS_MODE" = netns ] || return 0
	local ns dev
	for ns in "$NS_S" "$NS_C"; do
		dev="$VETH_S"
		[ "$ns" = "$NS_C" ] && dev="$VETH_C"
		ip netns exec "$ns" nft -f - <<-EOF
			table inet kcpbench
			delete table inet kcpbench
			table inet kcpbench {
				chain in {
					type filter hook input priority 0; policy accept;
					iifname "$dev" numgen random mod 100 < $1 drop
				}
			}
		EOF
	done
}

# ------------------------------------------------------------------ processes

# start NAME NAMESPACE_ARRAY_NAME COMMAND... : starts a background process (by PID, recorded for cleanup) with its
# output in $WORK/NAME.out / .err; sets PID_<NAME>
start() {
	local name="$1" ns="$2"; shift 2
	local -n prefix="$ns"
	"${prefix[@]}" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null &
	PIDS+=("$!")
	printf -v "PID_${name//-/_}" '%s' "$!"
}

# await_line NAME REGEX SECONDS : waits (bounded) until NAME's output has a line matching REGEX; prints it
await_line() {
	local name="$1" regex="$2" seconds="$3" line=""
	for _ in $(seq 1 $((seconds * 10))); do
		line="$(grep -E -m1 "$regex" "$WORK/$name.out" 2>/dev/null || true)"
		[ -n "$line" ] && { echo "$line"; return 0; }
		sleep 0.1
	done
	return 1
}

# start_server NAME COMMAND... : starts a server in the server namespace on a free port; sets PORT_<NAME>
start_server() {
	local name="$1"; shift
	start "$name" IN_S "$@" --host "$SERVER_HOST" --port 0
	local line
	line="$(await_line "$name" '^listening on ' 30)" || { log "$name did not start:"; cat "$WORK/$name.err" >&2; exit 1; }
	printf -v "PORT_${name//-/_}" '%s' "${line##*:}"
}

forget_pid() { # forget_pid PID: drops a stopped process from the cleanup list
	local kept=() pid
	for pid in "${PIDS[@]}"; do
		[ "$pid" = "$1" ] || kept+=("$pid")
	done
	PIDS=("${kept[@]}")
}

TOOL=(java ${JAVA_OPTS:-} -jar "$JAR")

# relay_port PORT : in relay mode with loss, a relay in front of PORT (started once per loss level); else PORT
declare -A RELAYS
relay_port() {
	local port="$1"
	if [ "$LOSS_MODE" != relay ] || [ "$CURRENT_LOSS" = 0 ]; then
		echo "$port"
		return
	fi
	local key="$port-$CURRENT_LOSS"
	if [ -z "${RELAYS[$key]:-}" ]; then
		local name="relay-$port-$CURRENT_LOSS"
		start "$name" IN_S "${TOOL[@]}" relay --host 127.0.0.1 --listen 0 --target "127.0.0.1:$port" \
			--loss "$(awk -v n="$CURRENT_LOSS" 'BEGIN { printf "%.2f", n / 100 }')"
		local line
		line="$(await_line "$name" '^listening on ' 30)" || { log "relay did not start"; exit 1; }
		RELAYS[$key]="${line##*:}"
	fi
	echo "${RELAYS[$key]}"
}

record() { # record SECTION IMPL X METRIC VALUE
	printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"
}

median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }

# client_cmd IMPL : the client command for an implementation (run in the client namespace)
client_cmd() {
	case "$1" in
		us) CLIENT=("${IN_C[@]}" "${TOOL[@]}"); PREFIX=""; KNOBS=("${FAST[@]}"); JIT=(--jit-warmup "$ECHO_JIT_WARMUP") ;;
		kcp-go) CLIENT=("${IN_C[@]}" "$GOPEER"); PREFIX=""; KNOBS=("${FAST[@]}"); JIT=() ;;
		tcp) CLIENT=("${IN_C[@]}" "${TOOL[@]}"); PREFIX="tcp-"; KNOBS=(); JIT=(--jit-warmup "$ECHO_JIT_WARMUP") ;;
	esac
}

# round_order ROUND : the implementations, kcp-go before us in even rounds
round_order() {
	if [ $(($1 % 2)) = 0 ] && [ "$HAVE_GO" = 1 ]; then
		echo kcp-go us tcp
	else
		echo "${IMPLS[@]}"
	fi
}

# ------------------------------------------------------------------ servers for bulk and echo

echo -e "meta\tdate\t$(date -u '+%Y-%m-%d %H:%M UTC')" >"$RESULTS"
LOAD_BEFORE="$(cut -d' ' -f1 /proc/loadavg)"
log "starting the servers ..."
start_server us-bulk "${TOOL[@]}" bulk-server "${FAST[@]}" --idle-seconds 600
start_server us-echo "${TOOL[@]}" echo-server "${FAST[@]}" --idle-seconds 600
start_server tcp-bulk "${TOOL[@]}" tcp-bulk-server --idle-seconds 600
start_server tcp-echo "${TOOL[@]}" tcp-echo-server --idle-seconds 600
if [ "$HAVE_GO" = 1 ]; then
	start_server kcp-go-bulk "$GOPEER" bulk-server "${FAST[@]}" --idle-seconds 600 --seconds 0
	start_server kcp-go-echo "$GOPEER" echo-server "${FAST[@]}" --idle-seconds 600 --seconds 0
fi
server_port() { local var="PORT_${1//-/_}_$2"; echo "${!var}"; }

# ------------------------------------------------------------------ bulk

CLK_TCK="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; } # user + system time of a process, in ticks

# bulk_run NAME SERVER_PID CLIENT... : runs one bulk client in the background and samples the CPU time of client and
# server every 100 ms: from the client's "warm-up ... done" line to its last sample before it exits. Sets BULK_MBPS
# and BULK_CPU (CPU seconds of both processes over the timed transfer, or empty).
bulk_run() {
	local name="$1" server_pid="$2"; shift 2
	start "$name" IN_C "$@"
	local var="PID_${name//-/_}" c0="" s0="" c1="" s1="" c s samples=0
	local pid="${!var}"
	# bounded by the client's own timeout (it is killed by 'timeout' at the latest)
	for _ in $(seq 1 $((950 * 10))); do
		c="$(cpu_ticks "$pid")" s="$(cpu_ticks "$server_pid")"
		[ -n "$c" ] || break
		if [ -z "$c0" ] && grep -q 'warm-up of .* bytes done' "$WORK/$name.err"; then
			c0="$c" s0="$s"
		fi
		c1="$c" s1="$s"
		[ -n "$c0" ] && samples=$((samples + 1))
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "  $name still running after 950 s: stopping it"
		stop_pid "$pid"
	fi
	wait "$pid" || log "  failed: $(tail -n 1 "$WORK/$name.out")"
	forget_pid "$pid"
	BULK_MBPS="$(sed -n 's/^MB\/s: //p' "$WORK/$name.out")"
	BULK_CPU=""
	# under ten samples (a second) the clock ticks of /proc say too little: no figure rather than a wrong one
	if [ -n "$c0" ] && [ -n "$BULK_MBPS" ] && [ "$samples" -ge 10 ]; then
		BULK_CPU="$(awk -v t="$CLK_TCK" -v c="$((c1 - c0))" -v s="$((s1 - s0))" 'BEGIN { printf "%.3f", (c + s) / t }')"
	fi
}

for loss in $BULK_LOSSES; do
	set_loss "$loss"
	declare -A MBPS=() CPU_MS=()
	for round in $(seq 1 "$REPEAT"); do
		for impl in $(round_order "$round"); do
			if [ "$impl" = tcp ] && [ "$LOSS_MODE" = relay ] && [ "$loss" != 0 ]; then
				continue
			fi
			client_cmd "$impl"
			port="$(relay_port "$(server_port "$impl" bulk)")"
			server_pid_var="PID_${impl//-/_}_bulk"
			log "bulk, $loss % loss, $impl (round $round) ..."
			# no 'timeout' wrapper: the sampled PID must be the client itself (both clients end themselves past their
			# deadline; bulk_run stops one that did not)
			bulk_run "bulk-$impl-$loss-$round" "${!server_pid_var}" "${CLIENT[@]:${#IN_C[@]}}" \
				"${PREFIX}bulk-client" --host "$SERVER_HOST" --port "$port" --bytes "$BULK_BYTES" \
				--warmup-bytes "$WARMUP_BYTES" --timeout-seconds 840 "${KNOBS[@]}"
			if [ -n "$BULK_MBPS" ]; then
				MBPS[$impl]+="$BULK_MBPS "
				per_mb=""
				[ -n "$BULK_CPU" ] && per_mb="$(awk -v c="$BULK_CPU" -v b="$BULK_BYTES" 'BEGIN { printf "%.2f", c * 1000 / (b / 1e6) }')"
				[ -n "$per_mb" ] && CPU_MS[$impl]+="$per_mb "
				log "  $BULK_MBPS MB/s, ${per_mb:-n/a} ms CPU per MB (client + server)"
			fi
		done
	done
	for impl in "${IMPLS[@]}"; do
		record bulk "$impl" "$loss" mbps "$(tr ' ' '\n' <<<"${MBPS[$impl]:-}" | grep -v '^$' | median)"
		record bulk "$impl" "$loss" cpu_ms_per_mb "$(tr ' ' '\n' <<<"${CPU_MS[$impl]:-}" | grep -v '^$' | median)"
	done
done

# ------------------------------------------------------------------ echo

for loss in $ECHO_LOSSES; do
	set_loss "$loss"
	declare -A P50=() P99=()
	for round in $(seq 1 "$REPEAT"); do
		for impl in $(round_order "$round"); do
			if [ "$impl" = tcp ] && [ "$LOSS_MODE" = relay ] && [ "$loss" != 0 ]; then
				continue
			fi
			client_cmd "$impl"
			port="$(relay_port "$(server_port "$impl" echo)")"
			log "echo, $loss % loss, $impl (round $round) ..."
			seconds=$(( (ECHO_COUNT + ECHO_WARMUP) * ECHO_INTERVAL_MS / 1000 + 120 ))
			out="$(timeout --kill-after=10 $((seconds + 30)) "${CLIENT[@]}" "${PREFIX}rtt-client" --host "$SERVER_HOST" \
				--port "$port" --count "$ECHO_COUNT" --size "$ECHO_SIZE" --interval-ms "$ECHO_INTERVAL_MS" \
				--warmup "$ECHO_WARMUP" "${JIT[@]}" --timeout-seconds "$seconds" "${KNOBS[@]}" 2>>"$WORK/clients.err")" \
				|| log "  failed: $(tail -n 1 <<<"$out")"
			read -r p50 p99 < <(sed -n 's/^p50 \(.*\) ms, p90 .* ms, p99 \(.*\) ms, max .* ms$/\1 \2/p' <<<"$out") || true
			if [ -n "${p50:-}" ]; then
				P50[$impl]+="$p50 " P99[$impl]+="$p99 "
				log "  p50 $p50 ms, p99 $p99 ms"
			fi
			p50="" p99=""
		done
	done
	for impl in "${IMPLS[@]}"; do
		record echo "$impl" "$loss" p50 "$(tr ' ' '\n' <<<"${P50[$impl]:-}" | grep -v '^$' | median)"
		record echo "$impl" "$loss" p99 "$(tr ' ' '\n' <<<"${P99[$impl]:-}" | grep -v '^$' | median)"
	done
done
set_loss 0

# the bulk and echo servers are done: free the CPU for the sessions figures
for name in us-bulk us-echo tcp-bulk tcp-echo kcp-go-bulk kcp-go-echo; do
	var="PID_${name//-/_}"
	if [ -n "${!var:-}" ]; then
		stop_pid "${!var}"
		forget_pid "${!var}"
	fi
done

# ------------------------------------------------------------------ sessions

# memory NAME PID IMPL : prints "HEAP_BYTES RSS_BYTES" of a server (heap: JVM live heap after a full GC; Go heap and
# goroutine stacks after runtime.GC())
memory() {
	local name="$1" pid="$2" impl="$3" heap="n/a" rss
	if [ "$impl" = kcp-go ]; then
		local before
		before="$(grep -c '^memory:' "$WORK/$name.out" || true)"
		kill -USR1 "$pid"
		for _ in $(seq 1 100); do
			[ "$(grep -c '^memory:' "$WORK/$name.out" || true)" -gt "$before" ] && break
			sleep 0.1
		done
		heap="$(grep '^memory:' "$WORK/$name.out" | tail -n 1 \
			| sed -n 's/.*heap-alloc \([0-9]*\) bytes.*stack-inuse \([0-9]*\) bytes.*/\1 \2/p' | awk '{print $1 + $2}')"
	else
		heap="$(timeout 60 jcmd "$pid" GC.class_histogram 2>/dev/null | awk '/^Total/ {print $3}')"
	fi
	rss="$(awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$pid/status" 2>/dev/null)"
	echo "${heap:-n/a} ${rss:-n/a}"
}

per_session() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { if (a == "n/a" || b == "n/a") print "n/a"; else printf "%.0f", (b - a) / n }'; }

for count in $SESSIONS; do
	for impl in "${IMPLS[@]}"; do
		name="sessions-$impl-$count"
		case "$impl" in
			# One load generator, one address: the server's limits per source address (256 sessions, 64 new a
			# second by default) would refuse most of it.
			us) start_server "$name" "${TOOL[@]}" echo-server "${FAST[@]}" --idle-seconds 600 \
				--max-sessions-per-address 0 --new-sessions-per-address 0; client_role=sessions-client ;;
			kcp-go) start_server "$name" "$SESSIONPEER" echo-server "${FAST[@]}" --idle-seconds 600; client_role=sessions-client ;;
			tcp) start_server "$name" "${TOOL[@]}" tcp-sessions-server; client_role=tcp-sessions-client ;;
		esac
		pid_var="PID_${name//-/_}"; port_var="PORT_${name//-/_}"
		server_pid="${!pid_var}"
		sleep 2 # let the fresh server finish starting before its baseline
		read -r heap0 rss0 < <(memory "$name" "$server_pid" "$impl")
		log "sessions: $count on $impl (baseline heap $heap0 B, RSS $rss0 B) ..."
		client="client-$name"
		seconds=$((SESS_WARMUP + SESS_MEASURE + SESS_SETTLE + SESS_IDLE + 120))
		knobs=("${FAST[@]}")
		[ "$impl" = tcp ] && knobs=()
		start "$client" IN_C timeout --kill-after=10 $((seconds + 30)) "${TOOL[@]}" "$client_role" --host "$SERVER_HOST" \
			--port "${!port_var}" --sessions "$count" --size "$SESS_SIZE" --interval-ms "$SESS_INTERVAL_MS" \
			--ramp-seconds "$SESS_RAMP" --warmup-seconds "$SESS_WARMUP" --measure-seconds "$SESS_MEASURE" \
			--settle-seconds "$SESS_SETTLE" --idle-measure-seconds "$SESS_IDLE" --server-pid "$server_pid" \
			--timeout-seconds "$seconds" "${knobs[@]}"
		client_var="PID_${client//-/_}"
		heap1="n/a" rss1="n/a"
		if await_line "$client" '^idle: ' "$seconds" >/dev/null; then
			read -r heap1 rss1 < <(memory "$name" "$server_pid" "$impl")
		fi
		wait "${!client_var}" || true
		forget_pid "${!client_var}"
		stop_pid "$server_pid"
		forget_pid "$server_pid"
		out="$(cat "$WORK/$client.out")"
		sed 's/^/  /' <<<"$out" >&2
		record sessions "$impl" "$count" answered "$(sed -n 's/^sessions: [0-9]* opened, \([0-9]*\) answered$/\1/p' <<<"$out")"
		record sessions "$impl" "$count" missing "$(sed -n 's/^sent [0-9]*, echoed [0-9]*, missing \([0-9]*\),.*/\1/p' <<<"$out")"
		read -r p50 p99 < <(sed -n 's/^p50 \(.*\) ms, p90 .* ms, p99 \(.*\) ms, max .* ms$/\1 \2/p' <<<"$out") || true
		record sessions "$impl" "$count" p50 "${p50:-n/a}"
		record sessions "$impl" "$count" p99 "${p99:-n/a}"
		p50="" p99=""
		record sessions "$impl" "$count" cpu_active "$(sed -n 's/^server cpu active: \(.*\) %$/\1/p' <<<"$out")"
		record sessions "$impl" "$count" cpu_idle "$(sed -n 's/^server cpu idle: \(.*\) %$/\1/p' <<<"$out")"
		record sessions "$impl" "$count" heap_per_session "$(per_session "$heap0" "$heap1" "$count")"
		record sessions "$impl" "$count" rss_per_session "$(per_session "$rss0" "$rss1" "$count")"
	done
done

# ------------------------------------------------------------------ report

LOAD_AFTER="$(cut -d' ' -f1 /proc/loadavg)"
CORES="$(nproc)"
{
	echo -e "meta\tcommand\t$( [ "$QUICK" = 1 ] && echo 'QUICK=1 ')$( [ -n "${REPEAT_SET:-}" ] && echo "REPEAT=$REPEAT ")kcp-benchmarks/run-bench-suite.sh"
	echo -e "meta\tmachine\t$CORES cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), Linux $(uname -r), $(java -version 2>&1 | head -n 1), $([ "$HAVE_GO" = 1 ] && go version | cut -d' ' -f3)"
	echo -e "meta\tload_before\t$LOAD_BEFORE"
	echo -e "meta\tload_after\t$LOAD_AFTER"
	echo -e "meta\temulation\t$EMULATION"
	echo -e "meta\tkcp\tfast mode: nodelay 1, interval 10, resend 2, nc 1, windows 1024, mtu 1400; kcp-go 5.6.1 with 4 MiB socket buffers"
	echo -e "meta\tbulk\t$BULK_BYTES bytes timed after $WARMUP_BYTES untimed on the same session; median of $REPEAT run(s)"
	echo -e "meta\techo\t$ECHO_COUNT x $ECHO_SIZE B every $ECHO_INTERVAL_MS ms after $ECHO_WARMUP untimed (JVM clients: $ECHO_JIT_WARMUP unpaced untimed round trips before); median of $REPEAT run(s)"
	echo -e "meta\tsessions\t$SESS_SIZE B every $SESS_INTERVAL_MS ms per session, joining over $SESS_RAMP s; $SESS_WARMUP s warm-up, $SESS_MEASURE s measured; idle CPU over $SESS_IDLE s after $SESS_SETTLE s"
	echo -e "meta\tmode\t$([ "$QUICK" = 1 ] && echo 'QUICK (smoke run: small transfers, short windows)' || echo full)"
	if awk -v a="$LOAD_BEFORE" -v b="$LOAD_AFTER" -v c="$CORES" 'BEGIN { exit !(a > c / 2 || b > c / 2) }'; then
		echo -e "meta\tnote\tTaken on a loaded machine (load average $LOAD_BEFORE before, $LOAD_AFTER after, on $CORES cores; other builds were running): read the ratios within this run, not the absolute figures."
	fi
} >>"$RESULTS"
mkdir -p "$OUT_DIR"
cp "$RESULTS" "$OUT_DIR/results.tsv"
java -Djava.awt.headless=true -cp "$REPORT_JAR" io.github.kcp.benchmarks.report.BenchReport "$RESULTS" "$OUT_DIR" >&2
log "done in $((SECONDS - SUITE_START)) s; report in $OUT_DIR/results.md"
cat "$OUT_DIR/results.md"
