package io.github.kcp.spring.integration;

import java.time.Duration;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.dtls.DtlsSettings;
import io.github.kcp.spring.support.KcpMessageFormat;
import io.github.kcp.spring.support.KcpStreamFraming;
import org.jspecify.annotations.Nullable;

/**
 * The KCP settings an endpoint was given explicitly (by its spec or setters); everything left unset comes from the
 * {@link KcpIntegrationDefaults} when the endpoint initializes. One instance per endpoint; not thread-safe (set it up
 * before the endpoint starts).
 */
public final class KcpEndpointSettings {

	private @Nullable KcpConfig config;

	private @Nullable Integer nodelay;

	private @Nullable Duration interval;

	private @Nullable Integer resend;

	private @Nullable Boolean congestionControl;

	private @Nullable Integer sendWindow;

	private @Nullable Integer receiveWindow;

	private @Nullable Integer mtu;

	private @Nullable Boolean stream;

	private @Nullable Duration idleTimeout;

	private @Nullable PacketCipher packetCipher;

	private @Nullable KcpMessageFormat messageFormat;

	private @Nullable KcpStreamFraming streamFraming;

	/**
	 * Replaces the defaults' protocol settings as a whole; the single settings below still apply on top.
	 * @param config the configuration
	 */
	public void setConfig(KcpConfig config) {
		this.config = config;
	}

	/**
	 * Sets ikcp's nodelay mode.
	 * @param nodelay 0 off, 1 on (minimum RTO 30 ms, half the backoff), 2 as 1 in the sessions' tuned engine
	 */
	public void setNodelay(int nodelay) {
		this.nodelay = nodelay;
	}

	/**
	 * Sets the internal update interval.
	 * @param interval 10 ms .. 5 s
	 */
	public void setInterval(Duration interval) {
		this.interval = interval;
	}

	/**
	 * Sets the duplicate acknowledgements that trigger a fast retransmission.
	 * @param resend 0 = off
	 */
	public void setResend(int resend) {
		this.resend = resend;
	}

	/**
	 * Sets whether the congestion window limits sending.
	 * @param congestionControl aiokcp's {@code not no_congestion_control}
	 */
	public void setCongestionControl(boolean congestionControl) {
		this.congestionControl = congestionControl;
	}

	/**
	 * Sets the send window.
	 * @param sendWindow in segments
	 */
	public void setSendWindow(int sendWindow) {
		this.sendWindow = sendWindow;
	}

	/**
	 * Sets the receive window.
	 * @param receiveWindow in segments, at least 128
	 */
	public void setReceiveWindow(int receiveWindow) {
		this.receiveWindow = receiveWindow;
	}

	/**
	 * Sets the largest datagram.
	 * @param mtu in bytes, including the packet cipher's overhead
	 */
	public void setMtu(int mtu) {
		this.mtu = mtu;
	}

	/**
	 * Sets whether sessions carry a byte stream instead of messages.
	 * @param stream stream mode; frame messages with {@link #setStreamFraming}
	 */
	public void setStream(boolean stream) {
		this.stream = stream;
	}

	/**
	 * Sets the idle timeout.
	 * @param idleTimeout close a session whose peer sent nothing for this long; zero for never
	 */
	public void setIdleTimeout(Duration idleTimeout) {
		this.idleTimeout = idleTimeout;
	}

	/**
	 * Sets the packet cipher; both ends need the same.
	 * @param packetCipher the cipher; {@link PacketCipher#NONE} for plaintext
	 */
	public void setPacketCipher(PacketCipher packetCipher) {
		this.packetCipher = packetCipher;
	}

	/**
	 * Sets what messages carry.
	 * @param messageFormat raw (what every KCP peer speaks) or the messaging envelope (Spring to Spring)
	 */
	public void setMessageFormat(KcpMessageFormat messageFormat) {
		this.messageFormat = messageFormat;
	}

	/**
	 * Sets how messages are cut out of the byte stream; implies stream mode unless stream mode was switched off
	 * (which then fails the initialization).
	 * @param streamFraming the framing
	 */
	public void setStreamFraming(KcpStreamFraming streamFraming) {
		this.streamFraming = streamFraming;
	}

	/**
	 * The protocol settings of the endpoint's sessions.
	 * @param base the defaults' settings for the endpoint's side
	 * @return {@code base} (or the configuration set) with the single settings set here on top
	 * @throws io.github.kcp.core.connection.InvalidKcpSettingException if a value breaks the setting's rule
	 * @throws IllegalStateException if a stream framing is set while stream mode is switched off
	 */
	public KcpConfig resolveConfig(KcpConfig base) {
		if (this.streamFraming != null && Boolean.FALSE.equals(this.stream)) {
			throw new IllegalStateException("A stream framing (" + this.streamFraming + ") was set on a KCP endpoint "
					+ "whose stream mode was switched off: framing cuts a byte stream into messages, so set "
					+ "stream(true) or leave the framing out");
		}
		KcpConfig.Builder builder = ((this.config != null) ? this.config : base).toBuilder();
		if (this.nodelay != null) {
			builder.nodelay(this.nodelay);
		}
		if (this.interval != null) {
			builder.interval((int) this.interval.toMillis());
		}
		if (this.resend != null) {
			builder.resend(this.resend);
		}
		if (this.congestionControl != null) {
			builder.congestionControl(this.congestionControl);
		}
		if (this.sendWindow != null) {
			builder.sendWindow(this.sendWindow);
		}
		if (this.receiveWindow != null) {
			builder.receiveWindow(this.receiveWindow);
		}
		if (this.mtu != null) {
			builder.mtu(this.mtu);
		}
		if (this.stream != null) {
			builder.stream(this.stream);
		}
		else if (this.streamFraming != null) {
			builder.stream(true);
		}
		if (this.idleTimeout != null) {
			builder.idleTimeout(this.idleTimeout);
		}
		return builder.build();
	}

	/**
	 * The packet cipher.
	 * @param defaults the defaults
	 * @return the one set here, else the defaults' ({@code null} for plaintext)
	 */
	public @Nullable PacketCipher resolvePacketCipher(KcpIntegrationDefaults defaults) {
		return (this.packetCipher != null) ? this.packetCipher : defaults.packetCipher();
	}

	/**
	 * The DTLS settings of an endpoint's sessions: the defaults' for its side, unless the endpoint sets its own packet
	 * cipher (which replaces DTLS).
	 * @param defaultDtls the defaults' DTLS settings for the endpoint's side
	 * @return the settings, or {@code null} for none
	 */
	public @Nullable DtlsSettings resolveDtls(@Nullable DtlsSettings defaultDtls) {
		return (this.packetCipher != null) ? null : defaultDtls;
	}

	/**
	 * The message format.
	 * @param fallback the defaults' format for the endpoint's side
	 * @return the one set here, else {@code fallback}
	 */
	public KcpMessageFormat resolveMessageFormat(KcpMessageFormat fallback) {
		return (this.messageFormat != null) ? this.messageFormat : fallback;
	}

	/**
	 * The stream framing.
	 * @param config the resolved protocol settings
	 * @param defaults the defaults
	 * @return the one set here; else the defaults' if the sessions are in stream mode; else {@code null}
	 */
	public @Nullable KcpStreamFraming resolveStreamFraming(KcpConfig config, KcpIntegrationDefaults defaults) {
		if (this.streamFraming != null) {
			return this.streamFraming;
		}
		return config.stream() ? defaults.streamFraming() : null;
	}

}
