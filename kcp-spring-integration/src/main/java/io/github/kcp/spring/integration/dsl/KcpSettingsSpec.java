package io.github.kcp.spring.integration.dsl;

import java.time.Duration;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.CipherMode;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.crypto.PacketCiphers;
import io.github.kcp.spring.integration.KcpEndpointSettings;
import io.github.kcp.spring.support.KcpMessageFormat;
import io.github.kcp.spring.support.KcpStreamFraming;

import org.springframework.core.serializer.Deserializer;
import org.springframework.core.serializer.Serializer;

/**
 * The KCP settings every {@link Kcp} spec offers. What a spec leaves out comes from the
 * {@link io.github.kcp.spring.integration.KcpIntegrationDefaults} (with Spring Boot: the {@code kcp.*} properties).
 *
 * @param <S> the spec type
 */
public interface KcpSettingsSpec<S extends KcpSettingsSpec<S>> {

	/**
	 * The settings the spec writes to.
	 * @return the endpoint's settings
	 */
	KcpEndpointSettings kcpSettings();

	/**
	 * Replaces the defaults' protocol settings as a whole (the single settings still apply on top).
	 * @param config the configuration
	 * @return the spec
	 */
	default S config(KcpConfig config) {
		kcpSettings().setConfig(config);
		return self();
	}

	/**
	 * Sets nodelay mode on or off (ikcp mode 1 or 0).
	 * @param nodelay whether to use nodelay mode (minimum RTO 30 ms, half the backoff)
	 * @return the spec
	 */
	default S nodelay(boolean nodelay) {
		kcpSettings().setNodelay(nodelay ? 1 : 0);
		return self();
	}

	/**
	 * Sets the internal update interval.
	 * @param interval 10 ms .. 5 s
	 * @return the spec
	 */
	default S interval(Duration interval) {
		kcpSettings().setInterval(interval);
		return self();
	}

	/**
	 * Sets the duplicate acknowledgements that trigger a fast retransmission.
	 * @param resend 0 = off
	 * @return the spec
	 */
	default S resend(int resend) {
		kcpSettings().setResend(resend);
		return self();
	}

	/**
	 * Sets whether the congestion window limits sending.
	 * @param congestionControl default true
	 * @return the spec
	 */
	default S congestionControl(boolean congestionControl) {
		kcpSettings().setCongestionControl(congestionControl);
		return self();
	}

	/**
	 * Sets both windows.
	 * @param sendWindow in segments
	 * @param receiveWindow in segments, at least 128
	 * @return the spec
	 */
	default S windowSize(int sendWindow, int receiveWindow) {
		kcpSettings().setSendWindow(sendWindow);
		kcpSettings().setReceiveWindow(receiveWindow);
		return self();
	}

	/**
	 * Sets the largest datagram.
	 * @param mtu in bytes, including the packet cipher's overhead
	 * @return the spec
	 */
	default S mtu(int mtu) {
		kcpSettings().setMtu(mtu);
		return self();
	}

	/**
	 * Sets whether sessions carry a byte stream instead of messages; see {@link #framing}.
	 * @param stream stream mode
	 * @return the spec
	 */
	default S stream(boolean stream) {
		kcpSettings().setStream(stream);
		return self();
	}

	/**
	 * Sets the idle timeout.
	 * @param idleTimeout close a session whose peer sent nothing for this long; zero for never
	 * @return the spec
	 */
	default S idleTimeout(Duration idleTimeout) {
		kcpSettings().setIdleTimeout(idleTimeout);
		return self();
	}

	/**
	 * Sets the packet cipher; both ends need the same.
	 * @param cipher the cipher, {@link PacketCipher#NONE} for plaintext
	 * @return the spec
	 */
	default S cipher(PacketCipher cipher) {
		kcpSettings().setPacketCipher(cipher);
		return self();
	}

	/**
	 * Sets packet encryption from a pass phrase, as {@code kcp.crypto.*} does.
	 * @param mode the cipher ({@code aes-cbc-hmac} is aiokcp's format)
	 * @param key the key (pass phrase) as UTF-8 text, or raw bytes as {@code hex:...} / {@code base64:...}
	 * @param salt the salt of the key derivation, same formats
	 * @return the spec
	 */
	default S crypto(CipherMode mode, String key, String salt) {
		kcpSettings().setPacketCipher(PacketCiphers.of(mode, PacketCiphers.parseKeyMaterial(key),
				PacketCiphers.parseKeyMaterial(salt)));
		return self();
	}

	/**
	 * Sets what the messages carry.
	 * @param messageFormat raw (every KCP peer) or the messaging envelope (Spring to Spring: routes, correlation
	 * ids, headers)
	 * @return the spec
	 */
	default S messageFormat(KcpMessageFormat messageFormat) {
		kcpSettings().setMessageFormat(messageFormat);
		return self();
	}

	/**
	 * Frames messages in stream mode with one spring-integration-ip codec ({@code TcpCodecs.lengthHeader4()},
	 * {@code crlf()}, {@code stxetx()}, {@code raw()} ...), which implies stream mode.
	 * @param <C> the codec type
	 * @param codec writes and reads messages
	 * @return the spec
	 */
	default <C extends Serializer<byte[]> & Deserializer<byte[]>> S framing(C codec) {
		kcpSettings().setStreamFraming(KcpStreamFraming.of(codec));
		return self();
	}

	/**
	 * Frames messages in stream mode with separate halves, which implies stream mode.
	 * @param serializer writes messages
	 * @param deserializer reads messages
	 * @return the spec
	 */
	default S framing(Serializer<byte[]> serializer, Deserializer<byte[]> deserializer) {
		kcpSettings().setStreamFraming(new KcpStreamFraming(serializer, deserializer));
		return self();
	}

	/**
	 * This spec.
	 * @return {@code this}
	 */
	@SuppressWarnings("unchecked")
	private S self() {
		return (S) this;
	}

}
