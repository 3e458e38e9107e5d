/**
 * Certificates made at test time (Bouncy Castle's bcpkix, an optional dependency), so that no private key is
 * committed.
 */
@NullMarked
package io.github.kcp.testsupport.pki;

import org.jspecify.annotations.NullMarked;
