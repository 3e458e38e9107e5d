// Command kcppeer is a kcp-go (v5.6.1) peer used by the kcp-spring interop
// tests and benchmarks. It speaks plain KCP: no encryption and no FEC, so
// every UDP datagram is a sequence of ikcp segments.
//
// Build it in GOPATH mode against the Debian package
// golang-github-xtaci-kcp-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o kcppeer main.go
//
// Usage: kcppeer ROLE [flags]. Roles:
//
//	echo-server   --port P            echo every byte read on each session
//	echo-client   --port P --count N --size S
//	sink-server   --port P            read length header + payload, reply SHA-256
//	source-client --port P --bytes N  send length header + payload, check SHA-256
//	source-server --port P            read length header, send payload, check SHA-256
//	sink-client   --port P --bytes N  send length header, read payload, reply SHA-256
//	bulk-server   --port P            read length header + payload, reply one byte
//	bulk-client   --port P --bytes N  send length header + payload, wait for the byte
//	rtt-client    --port P --count N --size S --interval-ms I
//
// bulk-client --warmup-bytes W and rtt-client --warmup W first run one
// untimed transfer of W bytes (or round of W messages) on the same session,
// as kcp-tool does, so that both ends are measured in steady state.
//
// Servers print "listening on HOST:PORT" once bound (port 0 picks a free
// port) and run until killed or until --seconds elapse. Clients exit 0 on
// success, 1 on a verification failure or timeout; usage errors exit 2.
//
// Bulk content: byte i of every bulk stream (counted from 0, after the
// 8-byte big-endian length header) is (i*31 + 7) & 0xff.
//
// Message content (echo-client, rtt-client): message k of S bytes is produced
// by xorshift32 seeded with x = uint32(k)*0x9E3779B1 + 0x7F4A7C15 (x = 1 if
// that is 0); for each byte: x ^= x << 13; x ^= x >> 17; x ^= x << 5;
// byte = x & 0xff. rtt-client then overwrites the first 8 bytes with k as a
// big-endian uint64.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	kcp "github.com/xtaci/kcp-go"
)

const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	socketBuf   = 4 << 20
	chunkSize   = 64 << 10
	headerBytes = 8
	digestBytes = sha256.Size
)

// options holds every flag; each role uses the ones it needs.
type options struct {
	role           string
	host           string
	port           int
	nodelay        int
	interval       int
	resend         int
	nc             int
	sndwnd         int
	rcvwnd         int
	mtu            int
	stream         int
	seconds        int
	timeoutSeconds int
	idleSeconds    int
	count          int
	size           int
	bytes          int64
	intervalMs     int
	warmup         int
	warmupBytes    int64
	lingerMs       int
	watchStdin     int
	stats          int
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(os.Stderr, "usage: kcppeer ROLE [flags]; roles: echo-server echo-client sink-server source-client source-server sink-client bulk-server bulk-client rtt-client")
		return exitUsage
	}
	o := &options{role: args[0]}
	fs := flag.NewFlagSet("kcppeer "+o.role, flag.ContinueOnError)
	fs.StringVar(&o.host, "host", "127.0.0.1", "address to bind (servers) or to connect to (clients)")
	fs.IntVar(&o.port, "port", -1, "UDP port; 0 lets a server pick a free one")
	fs.IntVar(&o.nodelay, "nodelay", 1, "KCP nodelay 0|1 (1 also enables ACK nodelay)")
	fs.IntVar(&o.interval, "interval", 10, "KCP update interval in ms")
	fs.IntVar(&o.resend, "resend", 2, "KCP fast resend threshold (0 disables)")
	fs.IntVar(&o.nc, "nc", 1, "1 disables KCP congestion control")
	fs.IntVar(&o.sndwnd, "sndwnd", 1024, "KCP send window in segments")
	fs.IntVar(&o.rcvwnd, "rcvwnd", 1024, "KCP receive window in segments")
	fs.IntVar(&o.mtu, "mtu", 1400, "KCP MTU in bytes (at most 1500)")
	fs.IntVar(&o.stream, "stream", 0, "1 enables kcp-go stream mode")
	fs.IntVar(&o.seconds, "seconds", 600, "servers: exit after this many seconds (0 = until killed)")
	fs.IntVar(&o.timeoutSeconds, "timeout-seconds", 60, "clients: overall deadline in seconds")
	fs.IntVar(&o.idleSeconds, "idle-seconds", 30, "servers: close a session idle for this many seconds")
	fs.IntVar(&o.count, "count", 100, "echo-client/rtt-client: number of messages")
	fs.IntVar(&o.size, "size", 1000, "echo-client/rtt-client: message size in bytes")
	fs.Int64Var(&o.bytes, "bytes", 1<<20, "source/sink/bulk clients: payload size in bytes")
	fs.IntVar(&o.intervalMs, "interval-ms", 10, "rtt-client: delay between messages in ms")
	fs.IntVar(&o.warmup, "warmup", 0, "rtt-client: untimed messages sent and echoed before the measured ones")
	fs.Int64Var(&o.warmupBytes, "warmup-bytes", 0, "bulk-client: untimed transfer of this many bytes before the measured one")
	fs.IntVar(&o.lingerMs, "linger-ms", 300, "sink-client: wait before closing so the digest gets acknowledged")
	fs.IntVar(&o.watchStdin, "watch-stdin", 0, "1: exit when standard input reaches end of file")
	fs.IntVar(&o.stats, "stats", 0, "1: print kcp-go SNMP counters to stderr on exit")
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "unexpected arguments: %v\n", fs.Args())
		return exitUsage
	}
	if err := o.validate(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitUsage
	}
	if o.watchStdin == 1 {
		go func() {
			io.Copy(io.Discard, os.Stdin)
			fmt.Fprintln(os.Stderr, "standard input closed, exiting")
			os.Exit(exitOK)
		}()
	}
	if o.stats == 1 {
		defer printStats()
	}

	switch o.role {
	case "echo-server":
		return serve(o, echoSession)
	case "sink-server":
		return serve(o, sinkSession)
	case "source-server":
		return serve(o, sourceSession)
	case "bulk-server":
		return serve(o, bulkSession)
	case "echo-client":
		return client(o, echoClient)
	case "source-client":
		return client(o, sourceClient)
	case "sink-client":
		return client(o, sinkClient)
	case "bulk-client":
		return client(o, bulkClient)
	case "rtt-client":
		return client(o, rttClient)
	}
	fmt.Fprintf(os.Stderr, "unknown role %q\n", o.role)
	return exitUsage
}

func (o *options) isServer() bool { return strings.HasSuffix(o.role, "-server") }

func (o *options) validate() error {
	switch {
	case o.port < 0 || o.port > 65535 || (!o.isServer() && o.port == 0):
		return errors.New("--port is required (0 is allowed for servers only)")
	case o.mtu < 50 || o.mtu > 1500:
		return errors.New("--mtu must be within 50..1500")
	case o.sndwnd <= 0 || o.rcvwnd <= 0:
		return errors.New("--sndwnd and --rcvwnd must be positive")
	case o.count <= 0 || o.size <= 0:
		return errors.New("--count and --size must be positive")
	case o.role == "rtt-client" && o.size < 8:
		return errors.New("rtt-client needs --size >= 8 (the first 8 bytes carry the index)")
	case o.bytes < 0 || o.warmupBytes < 0 || o.warmup < 0:
		return errors.New("--bytes, --warmup-bytes and --warmup must not be negative")
	case o.timeoutSeconds <= 0 || o.idleSeconds <= 0 || o.seconds < 0:
		return errors.New("--timeout-seconds and --idle-seconds must be positive, --seconds not negative")
	}
	return nil
}

func (o *options) addr(port int) string { return net.JoinHostPort(o.host, strconv.Itoa(port)) }

// configure applies every knob with the kcp-go session setters.
func configure(s *kcp.UDPSession, o *options, dialed bool) {
	s.SetStreamMode(o.stream == 1)
	s.SetWriteDelay(false)
	s.SetNoDelay(o.nodelay, o.interval, o.resend, o.nc)
	s.SetWindowSize(o.sndwnd, o.rcvwnd)
	s.SetMtu(o.mtu)
	s.SetACKNoDelay(o.nodelay == 1)
	if dialed { // accepted sessions share the listener's socket: the setters would fail
		s.SetReadBuffer(socketBuf)
		s.SetWriteBuffer(socketBuf)
	}
}

// conn wraps a session so that every Read and Write carries a deadline:
// an absolute one for clients, an inactivity one for server sessions.
type conn struct {
	s        *kcp.UDPSession
	idle     time.Duration
	deadline time.Time
}

func (c *conn) next() time.Time {
	if c.idle > 0 {
		return time.Now().Add(c.idle)
	}
	return c.deadline
}

func (c *conn) Read(p []byte) (int, error) {
	c.s.SetReadDeadline(c.next())
	return c.s.Read(p)
}

func (c *conn) Write(p []byte) (int, error) {
	c.s.SetWriteDeadline(c.next())
	return c.s.Write(p)
}

func (c *conn) String() string {
	return fmt.Sprintf("conv %d from %s", c.s.GetConv(), c.s.RemoteAddr())
}

// ---------------------------------------------------------------- content

// streamPattern holds the bulk stream for offsets 0..chunkSize+255; as the
// stream has a period of 256, any chunk is a slice of it.
var streamPattern = func() []byte {
	b := make([]byte, chunkSize+256)
	for i := range b {
		b[i] = byte(i*31 + 7)
	}
	return b
}()

// streamChunk returns bytes off..off+n-1 of the bulk stream (n <= chunkSize).
func streamChunk(off int64, n int) []byte {
	start := int(off & 0xff)
	return streamPattern[start : start+n]
}

// firstStreamMismatch returns the index in b of the first byte that differs
// from the bulk stream at offset off, or -1.
func firstStreamMismatch(b []byte, off int64) int {
	want := streamChunk(off, len(b))
	if bytes.Equal(b, want) {
		return -1
	}
	for i := range b {
		if b[i] != want[i] {
			return i
		}
	}
	return -1
}

// message returns message k of the echo and rtt clients.
func message(k int, size int) []byte {
	x := uint32(k)*0x9E3779B1 + 0x7F4A7C15
	if x == 0 {
		x = 1
	}
	b := make([]byte, size)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// indexedMessage is message k with k as a big-endian uint64 in its first 8 bytes.
func indexedMessage(k int, size int) []byte {
	b := message(k, size)
	binary.BigEndian.PutUint64(b, uint64(k))
	return b
}

func lengthHeader(n int64) []byte {
	var h [headerBytes]byte
	binary.BigEndian.PutUint64(h[:], uint64(n))
	return h[:]
}

// writeStream writes bytes 0..n-1 of the bulk stream, returning their SHA-256.
func writeStream(w io.Writer, n int64) ([]byte, error) {
	h := sha256.New()
	for off := int64(0); off < n; {
		k := chunkSize
		if n-off < int64(k) {
			k = int(n - off)
		}
		chunk := streamChunk(off, k)
		if _, err := w.Write(chunk); err != nil {
			return nil, fmt.Errorf("writing at offset %d of %d: %w", off, n, err)
		}
		h.Write(chunk)
		off += int64(k)
	}
	return h.Sum(nil), nil
}

// readStream reads exactly n bytes, returning their SHA-256 and the stream
// offset of the first byte that differs from the bulk stream (-1 if none).
func readStream(r io.Reader, n int64) ([]byte, int64, error) {
	h := sha256.New()
	buf := make([]byte, chunkSize)
	mismatch := int64(-1)
	for off := int64(0); off < n; {
		want := len(buf)
		if n-off < int64(want) {
			want = int(n - off)
		}
		k, err := r.Read(buf[:want])
		if k > 0 {
			if mismatch < 0 {
				if i := firstStreamMismatch(buf[:k], off); i >= 0 {
					mismatch = off + int64(i)
				}
			}
			h.Write(buf[:k])
			off += int64(k)
		}
		if err != nil && off < n {
			return nil, mismatch, fmt.Errorf("reading at offset %d of %d: %w", off, n, err)
		}
	}
	return h.Sum(nil), mismatch, nil
}

func readHeader(r io.Reader) (int64, error) {
	var h [headerBytes]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, err
	}
	n := binary.BigEndian.Uint64(h[:])
	if n > math.MaxInt64 {
		return 0, fmt.Errorf("length header %d is too large", n)
	}
	return int64(n), nil
}

// ---------------------------------------------------------------- servers

func serve(o *options, handle func(c *conn)) int {
	l, err := kcp.ListenWithOptions(o.addr(o.port), nil, 0, 0)
	if err != nil {
		fmt.Fprintf(os.Stderr, "listen on %s: %v\n", o.addr(o.port), err)
		return exitFailed
	}
	defer l.Close()
	if err := l.SetReadBuffer(socketBuf); err != nil {
		fmt.Fprintf(os.Stderr, "listener read buffer: %v\n", err)
	}
	if err := l.SetWriteBuffer(socketBuf); err != nil {
		fmt.Fprintf(os.Stderr, "listener write buffer: %v\n", err)
	}
	fmt.Printf("listening on %s\n", o.addr(l.Addr().(*net.UDPAddr).Port))
	if o.seconds > 0 {
		l.SetDeadline(time.Now().Add(time.Duration(o.seconds) * time.Second))
	}
	idle := time.Duration(o.idleSeconds) * time.Second
	for {
		s, err := l.AcceptKCP()
		if err != nil {
			if o.seconds > 0 && strings.Contains(err.Error(), "timeout") {
				fmt.Fprintf(os.Stderr, "%s: %d seconds elapsed, exiting\n", o.role, o.seconds)
				return exitOK
			}
			fmt.Fprintf(os.Stderr, "accept: %v\n", err)
			return exitFailed
		}
		configure(s, o, false)
		c := &conn{s: s, idle: idle}
		fmt.Fprintf(os.Stderr, "%s: accepted %s\n", o.role, c)
		go func() {
			defer s.Close()
			handle(c)
		}()
	}
}

// echoSession writes back every byte it reads, in the pieces it reads them.
func echoSession(c *conn) {
	buf := make([]byte, chunkSize)
	var total int64
	for {
		n, err := c.Read(buf)
		if err != nil {
			fmt.Fprintf(os.Stderr, "echo: %s closed after %d bytes: %v\n", c, total, err)
			return
		}
		if _, err := c.Write(buf[:n]); err != nil {
			fmt.Fprintf(os.Stderr, "echo: %s write failed: %v\n", c, err)
			return
		}
		total += int64(n)
	}
}

// sinkSession serves transfers until the session goes idle: read an 8-byte
// big-endian length N, then N bytes, then reply with their SHA-256.
func sinkSession(c *conn) {
	for {
		n, err := readHeader(c)
		if err != nil {
			fmt.Fprintf(os.Stderr, "sink: %s closed: %v\n", c, err)
			return
		}
		sum, mismatch, err := readStream(c, n)
		if err != nil {
			fmt.Fprintf(os.Stderr, "sink: %s: %v\n", c, err)
			return
		}
		if _, err := c.Write(sum); err != nil {
			fmt.Fprintf(os.Stderr, "sink: %s digest write failed: %v\n", c, err)
			return
		}
		content := "content ok"
		if mismatch >= 0 {
			content = fmt.Sprintf("content differs at offset %d", mismatch)
		}
		fmt.Printf("received %d bytes, sha256 %x, %s\n", n, sum, content)
	}
}

// sourceSession serves transfers until the session goes idle: read an
// 8-byte big-endian length N, send N bytes of the bulk stream, then read the
// client's 32-byte SHA-256 and compare it to the local one.
func sourceSession(c *conn) {
	for {
		n, err := readHeader(c)
		if err != nil {
			fmt.Fprintf(os.Stderr, "source: %s closed: %v\n", c, err)
			return
		}
		sum, err := writeStream(c, n)
		if err != nil {
			fmt.Fprintf(os.Stderr, "source: %s: %v\n", c, err)
			return
		}
		got := make([]byte, digestBytes)
		if _, err := io.ReadFull(c, got); err != nil {
			fmt.Fprintf(os.Stderr, "source: %s: reading digest: %v\n", c, err)
			fmt.Printf("mismatch %d bytes: no digest received\n", n)
			return
		}
		if bytes.Equal(got, sum) {
			fmt.Printf("verified %d bytes\n", n)
		} else {
			fmt.Printf("mismatch %d bytes: expected %x got %x\n", n, sum, got)
		}
	}
}

// bulkSession serves transfers until the session goes idle: read an 8-byte
// big-endian length N, then N bytes, then reply with the single byte 0x01.
func bulkSession(c *conn) {
	buf := make([]byte, chunkSize)
	for {
		n, err := readHeader(c)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bulk: %s closed: %v\n", c, err)
			return
		}
		start := time.Now()
		if _, err := io.CopyBuffer(io.Discard, io.LimitReader(c, n), buf); err != nil {
			fmt.Fprintf(os.Stderr, "bulk: %s: %v\n", c, err)
			return
		}
		if _, err := c.Write([]byte{1}); err != nil {
			fmt.Fprintf(os.Stderr, "bulk: %s reply failed: %v\n", c, err)
			return
		}
		fmt.Printf("received %d bytes in %d ms\n", n, time.Since(start).Milliseconds())
	}
}

// ---------------------------------------------------------------- clients

func client(o *options, body func(o *options, c *conn) int) int {
	timeout := time.Duration(o.timeoutSeconds) * time.Second
	// Last resort: never outlive the deadline by more than a few seconds.
	watchdog := time.AfterFunc(timeout+5*time.Second, func() {
		fmt.Fprintf(os.Stderr, "%s: watchdog: still running %v after the deadline, exiting\n", o.role, 5*time.Second)
		fmt.Println("failed: watchdog expired")
		os.Exit(exitFailed)
	})
	defer watchdog.Stop()
	s, err := kcp.DialWithOptions(o.addr(o.port), nil, 0, 0)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dial %s: %v\n", o.addr(o.port), err)
		return exitFailed
	}
	defer s.Close()
	configure(s, o, true)
	c := &conn{s: s, deadline: time.Now().Add(timeout)}
	fmt.Fprintf(os.Stderr, "%s: dialed %s with conv %d\n", o.role, s.RemoteAddr(), s.GetConv())
	return body(o, c)
}

func fail(format string, args ...interface{}) int {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintln(os.Stderr, msg)
	fmt.Println("failed: " + msg)
	return exitFailed
}

func printThroughput(n int64, elapsed time.Duration) {
	secs := elapsed.Seconds()
	if secs <= 0 {
		secs = 1e-9
	}
	fmt.Printf("%d bytes in %d ms\n", n, elapsed.Milliseconds())
	fmt.Printf("MB/s: %.2f\n", float64(n)/1e6/secs)
}

// echoClient sends count messages of size bytes and checks the echoed stream.
func echoClient(o *options, c *conn) int {
	writeErr := make(chan error, 1)
	go func() {
		for k := 0; k < o.count; k++ {
			if _, err := c.Write(message(k, o.size)); err != nil {
				writeErr <- fmt.Errorf("writing message %d: %w", k, err)
				return
			}
		}
		writeErr <- nil
	}()
	ok := 0
	buf := make([]byte, o.size)
	var readErr error
	for k := 0; k < o.count; k++ {
		if _, err := io.ReadFull(c, buf); err != nil {
			readErr = fmt.Errorf("reading message %d: %w", k, err)
			break
		}
		if bytes.Equal(buf, message(k, o.size)) {
			ok++
		} else {
			fmt.Fprintf(os.Stderr, "echo-client: message %d came back altered\n", k)
		}
	}
	bad := o.count - ok
	if readErr != nil {
		fmt.Fprintf(os.Stderr, "echo-client: %v\n", readErr)
	}
	select {
	case err := <-writeErr:
		if err != nil {
			fmt.Fprintf(os.Stderr, "echo-client: %v\n", err)
		}
	default:
	}
	fmt.Printf("%d ok, %d bad\n", ok, bad)
	if bad != 0 {
		return exitFailed
	}
	return exitOK
}

// sourceClient sends the length header and n bytes, then checks the digest.
func sourceClient(o *options, c *conn) int {
	start := time.Now()
	if _, err := c.Write(lengthHeader(o.bytes)); err != nil {
		return fail("source-client: writing header: %v", err)
	}
	sum, err := writeStream(c, o.bytes)
	if err != nil {
		return fail("source-client: %v", err)
	}
	got := make([]byte, digestBytes)
	if _, err := io.ReadFull(c, got); err != nil {
		return fail("source-client: reading digest: %v", err)
	}
	elapsed := time.Since(start)
	if !bytes.Equal(got, sum) {
		fmt.Printf("mismatch: expected %s got %s\n", hex.EncodeToString(sum), hex.EncodeToString(got))
		return exitFailed
	}
	fmt.Printf("verified %d bytes\n", o.bytes)
	printThroughput(o.bytes, elapsed)
	return exitOK
}

// sinkClient sends the length header, reads and checks n bytes, then sends
// their digest back.
func sinkClient(o *options, c *conn) int {
	start := time.Now()
	if _, err := c.Write(lengthHeader(o.bytes)); err != nil {
		return fail("sink-client: writing header: %v", err)
	}
	sum, mismatch, err := readStream(c, o.bytes)
	if err != nil {
		return fail("sink-client: %v", err)
	}
	elapsed := time.Since(start)
	if _, err := c.Write(sum); err != nil {
		return fail("sink-client: writing digest: %v", err)
	}
	// kcp-go's Close flushes once and then drops whatever is unacknowledged:
	// give the digest time to be acknowledged (or retransmitted).
	time.Sleep(time.Duration(o.lingerMs) * time.Millisecond)
	if mismatch >= 0 {
		fmt.Printf("mismatch at offset %d\n", mismatch)
		return exitFailed
	}
	fmt.Printf("verified %d bytes\n", o.bytes)
	printThroughput(o.bytes, elapsed)
	return exitOK
}

// bulkClient sends the length header and n bytes, then waits for one byte.
func bulkClient(o *options, c *conn) int {
	if o.warmupBytes > 0 {
		if err := bulkTransfer(c, o.warmupBytes); err != nil {
			return fail("bulk-client: warm-up transfer: %v", err)
		}
		fmt.Fprintf(os.Stderr, "bulk-client: warm-up of %d bytes done\n", o.warmupBytes)
	}
	start := time.Now()
	if err := bulkTransfer(c, o.bytes); err != nil {
		return fail("bulk-client: %v", err)
	}
	printThroughput(o.bytes, time.Since(start))
	return exitOK
}

// bulkTransfer sends the length header and n bytes, then reads the one-byte reply.
func bulkTransfer(c *conn, n int64) error {
	if _, err := c.Write(lengthHeader(n)); err != nil {
		return fmt.Errorf("writing header: %w", err)
	}
	if _, err := writeStream(c, n); err != nil {
		return err
	}
	var reply [1]byte
	if _, err := io.ReadFull(c, reply[:]); err != nil {
		return fmt.Errorf("waiting for the reply: %w", err)
	}
	return nil
}

// rttClient sends one message every interval-ms and times each echo; with
// --warmup W a first, untimed round of W messages comes before.
func rttClient(o *options, c *conn) int {
	if o.warmup > 0 {
		if _, ok := rttRound(o, c, o.warmup); ok != o.warmup {
			fmt.Printf("0 ok, %d bad\n", o.count)
			return fail("rtt-client: warm-up: only %d of %d messages came back intact", ok, o.warmup)
		}
		fmt.Fprintf(os.Stderr, "rtt-client: warm-up of %d messages done\n", o.warmup)
	}
	rtts, ok := rttRound(o, c, o.count)
	fmt.Printf("%d ok, %d bad\n", ok, o.count-ok)
	if len(rtts) == 0 {
		fmt.Println("failed: no round trip measured")
		return exitFailed
	}
	sort.Float64s(rtts)
	fmt.Printf("p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n",
		percentile(rtts, 50), percentile(rtts, 90), percentile(rtts, 99), rtts[len(rtts)-1])
	if ok != o.count {
		return exitFailed
	}
	return exitOK
}

// rttRound sends count indexed messages, one every interval-ms, and reads
// their echoes in order; it returns the round-trip times in ms of those that
// came back intact.
func rttRound(o *options, c *conn, count int) ([]float64, int) {
	start := time.Now()
	sent := make([]int64, count) // ns since start, set before each write
	var wg sync.WaitGroup
	wg.Add(1)
	stop := make(chan struct{})
	go func() {
		defer wg.Done()
		ticker := time.NewTicker(time.Duration(o.intervalMs) * time.Millisecond)
		defer ticker.Stop()
		for k := 0; k < count; k++ {
			if k > 0 {
				select {
				case <-ticker.C:
				case <-stop:
					return
				}
			}
			msg := indexedMessage(k, o.size)
			atomic.StoreInt64(&sent[k], int64(time.Since(start)))
			if _, err := c.Write(msg); err != nil {
				fmt.Fprintf(os.Stderr, "rtt-client: writing message %d: %v\n", k, err)
				return
			}
		}
	}()
	rtts := make([]float64, 0, count)
	ok := 0
	buf := make([]byte, o.size)
	for k := 0; k < count; k++ {
		if _, err := io.ReadFull(c, buf); err != nil {
			fmt.Fprintf(os.Stderr, "rtt-client: reading message %d: %v\n", k, err)
			break
		}
		now := int64(time.Since(start))
		idx := binary.BigEndian.Uint64(buf)
		if idx != uint64(k) || !bytes.Equal(buf, indexedMessage(k, o.size)) {
			fmt.Fprintf(os.Stderr, "rtt-client: message %d came back altered (index field %d)\n", k, idx)
			continue
		}
		ok++
		rtts = append(rtts, float64(now-atomic.LoadInt64(&sent[k]))/1e6)
	}
	close(stop)
	wg.Wait()
	return rtts, ok
}

// percentile uses the nearest-rank method on sorted values.
func percentile(sorted []float64, p float64) float64 {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

func printStats() {
	snmp := kcp.DefaultSnmp.Copy()
	header, values := snmp.Header(), snmp.ToSlice()
	parts := make([]string, len(header))
	for i := range header {
		parts[i] = header[i] + "=" + values[i]
	}
	fmt.Fprintln(os.Stderr, "snmp: "+strings.Join(parts, " "))
}
