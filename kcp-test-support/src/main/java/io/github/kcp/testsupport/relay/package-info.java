/**
 * Tools for testing KCP over impaired links: an in-process UDP relay that loses,
 * delays, reorders, duplicates and rate-limits datagrams on purpose.
 *
 * <p>Nothing in this package is meant to carry production traffic. The relay trades
 * throughput and robustness for determinism and observability, and it exists so that
 * tests, benchmarks and diagnostic tools can reproduce bad networks on a single host.
 */
@NullMarked
package io.github.kcp.testsupport.relay;

import org.jspecify.annotations.NullMarked;
