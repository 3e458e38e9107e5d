#!/usr/bin/env bash
# The figures of issue 13 (DTLS): plain KCP, the aes-gcm packet cipher and DTLS 1.2 side by side, in one run, on
# loopback, each against its own kcp-tool servers (one JVM per server, one per client run):
#   handshake   connect-client --count CONNECTS after --warmup 20: a new session's connect (the DTLS handshake,
#               4 round trips with the cookie gate, ECDSA P-256, client auth none) and its first echo; median, p90
#   bulk        bulk-client --bytes BULK_BYTES after --warmup-bytes WARMUP_BYTES: MB/s (best of ROUNDS)
#   echo        rtt-client --count ECHO_COUNT --size 64 --interval-ms 10 after --warmup 200: p50 and p99 (median of
#               ROUNDS)
# Certificates: an EC P-256 CA and a server certificate for 127.0.0.1, made with openssl (Debian's openssl) in a
# temporary directory and deleted at the end.
#
#   kcp-benchmarks/run-dtls-figures.sh
#
# Environment: SKIP_BUILD=1 skips the build; ROUNDS (3), CONNECTS (50), BULK_BYTES (67108864), WARMUP_BYTES
# (67108864), ECHO_COUNT (1000). Prints a Markdown table on stdout, progress on stderr. Everything it starts is
# stopped on exit (by PID).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ROUNDS="${ROUNDS:-3}"
CONNECTS="${CONNECTS:-50}"
BULK_BYTES="${BULK_BYTES:-67108864}"
WARMUP_BYTES="${WARMUP_BYTES:-67108864}"
ECHO_COUNT="${ECHO_COUNT:-1000}"
JAR="$ROOT/kcp-benchmarks/target/kcp-tool.jar"
WORK="$(mktemp -d)"
PIDS=()

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

cleanup() {
	for pid in "${PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
			for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			kill -9 "$pid" 2>/dev/null || true
		fi
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

command -v openssl >/dev/null || { echo "openssl is needed to make the test certificates" >&2; exit 1; }
if [ "${SKIP_BUILD:-0}" != 1 ]; then
	log "building kcp-tool"
	mvn -B -ntp -q -pl kcp-benchmarks -am package -DskipTests
fi

log "certificates (EC P-256) in $WORK"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/ca.key" -out "$WORK/ca.pem" \
	-subj /CN=dtls-figures-ca -days 1 -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/server.key" -out "$WORK/server.csr" \
	-subj /CN=dtls-figures-server 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nkeyUsage=critical,digitalSignature\n' >"$WORK/server.ext"
openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial -days 1 \
	-extfile "$WORK/server.ext" -out "$WORK/server.pem" 2>/dev/null

MODES=(none aes-gcm dtls)
declare -A SERVER_FLAGS CLIENT_FLAGS
SERVER_FLAGS[none]=""
CLIENT_FLAGS[none]=""
SERVER_FLAGS[aes-gcm]="--crypto aes-gcm --key dtls-figures-key --salt dtls-figures-salt"
CLIENT_FLAGS[aes-gcm]="${SERVER_FLAGS[aes-gcm]}"
SERVER_FLAGS[dtls]="--dtls --cert $WORK/server.pem --key $WORK/server.key"
CLIENT_FLAGS[dtls]="--dtls --ca $WORK/ca.pem"

# start ROLE MODE: a kcp-tool server on a free port; sets PORT (not in a subshell: its PID is kept for cleanup)
start() {
	local role="$1" mode="$2" out="$WORK/$1.$2.out"
	# shellcheck disable=SC2086
	java -jar "$JAR" "$role" --port 0 --new-sessions-per-address 0 --max-sessions-per-address 0 \
		${SERVER_FLAGS[$mode]} >"$out" 2>"$WORK/$role.$mode.err" &
	PIDS+=("$!")
	for _ in $(seq 1 200); do
		PORT="$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out")"
		if [ -n "$PORT" ]; then return 0; fi
		sleep 0.1
	done
	echo "$role ($mode) did not start: $(cat "$WORK/$role.$mode.err")" >&2
	exit 1
}

client() {
	local mode="$1"; shift
	# shellcheck disable=SC2086
	java -jar "$JAR" "$@" ${CLIENT_FLAGS[$mode]} --timeout-seconds 300 2>>"$WORK/clients.err"
}

declare -A ECHO_PORT BULK_PORT
for mode in "${MODES[@]}"; do
	start echo-server "$mode"; ECHO_PORT[$mode]="$PORT"
	start bulk-server "$mode"; BULK_PORT[$mode]="$PORT"
done

for mode in "${MODES[@]}"; do
	log "$mode: $CONNECTS connects"
	out="$(client "$mode" connect-client --port "${ECHO_PORT[$mode]}" --count "$CONNECTS" --size 64 \
		--warmup 20)"
	sed -n 's/^connect: median \(.*\) ms, p90 \(.*\) ms, max .*$/\1 \2/p' <<<"$out" >"$WORK/connect.$mode"
	sed -n 's/^first echo: median \(.*\) ms, p90 \(.*\) ms, max .*$/\1 \2/p' <<<"$out" >"$WORK/first.$mode"
done
for round in $(seq 1 "$ROUNDS"); do
	for mode in "${MODES[@]}"; do
		log "round $round: $mode bulk"
		out="$(client "$mode" bulk-client --port "${BULK_PORT[$mode]}" --bytes "$BULK_BYTES" \
			--warmup-bytes "$WARMUP_BYTES")"
		sed -n 's/^MB\/s: //p' <<<"$out" >>"$WORK/bulk.$mode"
	done
	for mode in "${MODES[@]}"; do
		log "round $round: $mode echo"
		out="$(client "$mode" rtt-client --port "${ECHO_PORT[$mode]}" --count "$ECHO_COUNT" --size 64 \
			--interval-ms 10 --warmup 200)"
		sed -n 's/^p50 \(.*\) ms, p90 .* ms, p99 \(.*\) ms, max .*$/\1 \2/p' <<<"$out" >>"$WORK/echo.$mode"
	done
done

# median of the column COL (1-based) of FILE
median() { sort -g -k"$2","$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print (NR ? v[int((NR + 1) / 2)] : "-") }'; }
best() { sort -g "$1" | tail -1; }

echo "| | none | aes-gcm | dtls |"
echo "|---|---|---|---|"
row() {
	local label="$1" file="$2" col="$3" fn="$4"
	printf '| %s |' "$label"
	for mode in "${MODES[@]}"; do
		if [ "$fn" = best ]; then printf ' %s |' "$(best "$WORK/$file.$mode")"
		else printf ' %s |' "$(median "$WORK/$file.$mode" "$col")"; fi
	done
	echo
}
row "connect, median (ms)" connect 1 median
row "connect, p90 (ms)" connect 2 median
row "connect + first echo, median (ms)" first 1 median
row "connect + first echo, p90 (ms)" first 2 median
row "bulk (MB/s, best of $ROUNDS)" bulk 1 best
row "echo p50 (ms, median of $ROUNDS)" echo 1 median
row "echo p99 (ms, median of $ROUNDS)" echo 2 median
echo
echo "$CONNECTS connects after 20, $((BULK_BYTES / 1048576)) MiB bulk after $((WARMUP_BYTES / 1048576)) MiB warm-up," \
	"$ECHO_COUNT echoes of 64 B every 10 ms after 200; $(nproc) cores, load average at the end: $(cut -d' ' -f1-3 /proc/loadavg);" \
	"$(java -version 2>&1 | head -1); $(date -u +%Y-%m-%d)"
