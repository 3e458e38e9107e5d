// Command sessionpeer is the kcp-go (v5.6.1) side of the many-sessions
// benchmark: a KCP echo server built to hold thousands of sessions, with a
// small read buffer per session (kcppeer's echo-server keeps 64 KiB per
// session, which would be the tool's memory, not kcp-go's) and a memory
// report on demand, so that the benchmark can compare heap per idle session.
//
// Build it in GOPATH mode against the Debian package
// golang-github-xtaci-kcp-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o sessionpeer main.go
//
// Usage:
//
//	sessionpeer echo-server --port P [--host H] [--idle-seconds S] [--seconds S] [KCP knobs]
//
// The KCP knobs and their defaults are kcppeer's and kcp-tool's (fast mode:
// --nodelay 1 --interval 10 --resend 2 --nc 1 --sndwnd 1024 --rcvwnd 1024
// --mtu 1400). The server prints "listening on HOST:PORT" once bound. On
// SIGUSR1 it collects garbage and prints one line:
//
//	memory: sessions N, heap-alloc B bytes, heap-inuse B bytes, stack-inuse B bytes, sys B bytes, goroutines G
//
// It runs until killed, until --seconds elapse, or (--watch-stdin 1) until
// standard input ends.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	kcp "github.com/xtaci/kcp-go"
)

const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
	socketBuf  = 4 << 20
)

type options struct {
	host        string
	port        int
	nodelay     int
	interval    int
	resend      int
	nc          int
	sndwnd      int
	rcvwnd      int
	mtu         int
	stream      int
	idleSeconds int
	seconds     int
	bufferBytes int
	watchStdin  int
}

// sessions counts the sessions being served.
var sessions int64

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 || args[0] != "echo-server" {
		fmt.Fprintln(os.Stderr, "usage: sessionpeer echo-server --port P [flags]")
		return exitUsage
	}
	o := &options{}
	fs := flag.NewFlagSet("sessionpeer echo-server", flag.ContinueOnError)
	fs.StringVar(&o.host, "host", "127.0.0.1", "address to bind")
	fs.IntVar(&o.port, "port", -1, "UDP port; 0 picks a free one")
	fs.IntVar(&o.nodelay, "nodelay", 1, "KCP nodelay 0|1 (1 also enables ACK nodelay)")
	fs.IntVar(&o.interval, "interval", 10, "KCP update interval in ms")
	fs.IntVar(&o.resend, "resend", 2, "KCP fast resend threshold (0 disables)")
	fs.IntVar(&o.nc, "nc", 1, "1 disables KCP congestion control")
	fs.IntVar(&o.sndwnd, "sndwnd", 1024, "KCP send window in segments")
	fs.IntVar(&o.rcvwnd, "rcvwnd", 1024, "KCP receive window in segments")
	fs.IntVar(&o.mtu, "mtu", 1400, "KCP MTU in bytes")
	fs.IntVar(&o.stream, "stream", 0, "1 enables kcp-go stream mode")
	fs.IntVar(&o.idleSeconds, "idle-seconds", 300, "close a session idle for this many seconds")
	fs.IntVar(&o.seconds, "seconds", 0, "exit after this many seconds (0 = until killed)")
	fs.IntVar(&o.bufferBytes, "buffer-bytes", 2048, "read buffer per session")
	fs.IntVar(&o.watchStdin, "watch-stdin", 0, "1: exit when standard input reaches end of file")
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(os.Stderr, "unexpected arguments: %v\n", fs.Args())
		return exitUsage
	case o.port < 0 || o.port > 65535:
		fmt.Fprintln(os.Stderr, "--port is required (0..65535)")
		return exitUsage
	case o.idleSeconds <= 0 || o.seconds < 0 || o.bufferBytes <= 0:
		fmt.Fprintln(os.Stderr, "--idle-seconds and --buffer-bytes must be positive, --seconds not negative")
		return exitUsage
	}
	if o.watchStdin == 1 {
		go func() {
			io.Copy(io.Discard, os.Stdin)
			fmt.Fprintln(os.Stderr, "standard input closed, exiting")
			os.Exit(exitOK)
		}()
	}
	if o.seconds > 0 {
		time.AfterFunc(time.Duration(o.seconds)*time.Second, func() {
			fmt.Fprintf(os.Stderr, "echo-server: %d seconds elapsed, exiting\n", o.seconds)
			os.Exit(exitOK)
		})
	}
	reportMemoryOn(syscall.SIGUSR1)
	return serve(o)
}

// reportMemoryOn prints the memory line each time the signal arrives.
func reportMemoryOn(sig os.Signal) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sig)
	go func() {
		for range ch {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			fmt.Printf("memory: sessions %d, heap-alloc %d bytes, heap-inuse %d bytes, stack-inuse %d bytes, sys %d bytes, goroutines %d\n",
				atomic.LoadInt64(&sessions), m.HeapAlloc, m.HeapInuse, m.StackInuse, m.Sys, runtime.NumGoroutine())
		}
	}()
}

func serve(o *options) int {
	addr := net.JoinHostPort(o.host, strconv.Itoa(o.port))
	l, err := kcp.ListenWithOptions(addr, nil, 0, 0)
	if err != nil {
		fmt.Fprintf(os.Stderr, "listen on %s: %v\n", addr, err)
		return exitFailed
	}
	defer l.Close()
	if err := l.SetReadBuffer(socketBuf); err != nil {
		fmt.Fprintf(os.Stderr, "listener read buffer: %v\n", err)
	}
	if err := l.SetWriteBuffer(socketBuf); err != nil {
		fmt.Fprintf(os.Stderr, "listener write buffer: %v\n", err)
	}
	fmt.Printf("listening on %s\n", net.JoinHostPort(o.host, strconv.Itoa(l.Addr().(*net.UDPAddr).Port)))
	idle := time.Duration(o.idleSeconds) * time.Second
	for {
		s, err := l.AcceptKCP()
		if err != nil {
			fmt.Fprintf(os.Stderr, "accept: %v\n", err)
			return exitFailed
		}
		s.SetStreamMode(o.stream == 1)
		s.SetWriteDelay(false)
		s.SetNoDelay(o.nodelay, o.interval, o.resend, o.nc)
		s.SetWindowSize(o.sndwnd, o.rcvwnd)
		s.SetMtu(o.mtu)
		s.SetACKNoDelay(o.nodelay == 1)
		atomic.AddInt64(&sessions, 1)
		go echo(s, idle, o.bufferBytes)
	}
}

// echo writes back every byte it reads until the session goes idle or fails.
func echo(s *kcp.UDPSession, idle time.Duration, bufferBytes int) {
	defer atomic.AddInt64(&sessions, -1)
	defer s.Close()
	buf := make([]byte, bufferBytes)
	for {
		s.SetReadDeadline(time.Now().Add(idle))
		n, err := s.Read(buf)
		if err != nil {
			return
		}
		s.SetWriteDeadline(time.Now().Add(idle))
		if _, err := s.Write(buf[:n]); err != nil {
			return
		}
	}
}
