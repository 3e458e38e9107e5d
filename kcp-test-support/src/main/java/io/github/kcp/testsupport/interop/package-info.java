/**
 * Interop support: the kcp-go peer ({@link io.github.kcp.testsupport.interop.GoPeer}) built from
 * {@code src/main/go/kcppeer} and run as a child process, and the content generators
 * ({@link io.github.kcp.testsupport.interop.DeterministicContent}) that it, the interop tests and kcp-tool verify
 * transfers with.
 */
@NullMarked
package io.github.kcp.testsupport.interop;

import org.jspecify.annotations.NullMarked;
