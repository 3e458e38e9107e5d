/**
 * Packet ciphers: the {@link io.github.kcp.core.crypto.PacketCipher} SPI that encrypts and
 * decrypts one whole UDP datagram, the built-in {@code aes-cbc-hmac} (wire-compatible with
 * aiokcp) and {@code aes-gcm} ciphers, and {@link io.github.kcp.core.crypto.PacketCiphers} to
 * create them from configuration.
 * <p>
 * Uses only the JDK ({@code javax.crypto}, {@code java.security}).
 */
@NullMarked
package io.github.kcp.core.crypto;

import org.jspecify.annotations.NullMarked;
