/**
 * {@code kcp-tool}: a command-line KCP peer for interop checks and benchmarks against any standard KCP
 * implementation. Its roles, flags, wire protocols and output lines are those of the kcp-go test peer
 * ({@code kcp-test-support/src/main/go/kcppeer/main.go}), so the two can stand in for each other; {@code tcp-} roles run
 * the same protocols over TCP for reference figures. Entry point: {@link io.github.kcp.benchmarks.tool.KcpTool}.
 */
@NullMarked
package io.github.kcp.benchmarks.tool;

import org.jspecify.annotations.NullMarked;
