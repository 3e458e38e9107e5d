package io.github.kcp.spring.integration;

import java.time.Duration;
import java.util.Objects;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.dtls.DtlsSettings;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpMessageFormat;
import io.github.kcp.spring.support.KcpStreamFraming;
import org.jspecify.annotations.Nullable;

import org.springframework.messaging.converter.MessageConverter;

/**
 * What the KCP endpoints use for every setting their spec or setters leave out. An endpoint looks for a bean of
 * this type when it initializes; without one it uses {@link #standard()} (the core's defaults, plaintext, raw
 * messages). The Spring Boot starter defines the bean from the {@code kcp.*} properties, so that
 * {@code Kcp.inboundAdapter(port)} serves with the same protocol settings, cipher and message format as the rest of
 * the application.
 *
 * @param serverConfig protocol settings of sessions inbound endpoints accept
 * @param clientConfig protocol settings of sessions outbound endpoints open
 * @param packetCipher the packet cipher, {@code null} for plaintext
 * @param serverMessageFormat what inbound endpoints' messages carry
 * @param clientMessageFormat what outbound endpoints' messages carry
 * @param streamFraming how messages are cut out of a stream, for endpoints in stream mode; {@code null} for none
 * @param replyTimeout how long an outbound gateway waits for a reply
 * @param shutdownTimeout how long an inbound endpoint's graceful stop may take
 * @param messageConverter converts payloads that are not bytes (text in UTF-8, other objects as JSON)
 * @param serverDtls DTLS of the sessions inbound endpoints accept (instead of a packet cipher), {@code null} for
 * none; an endpoint that sets its own packet cipher does not use it
 * @param clientDtls DTLS of the sessions outbound endpoints open, {@code null} for none; likewise
 */
public record KcpIntegrationDefaults(KcpConfig serverConfig, KcpConfig clientConfig, @Nullable PacketCipher packetCipher,
		KcpMessageFormat serverMessageFormat, KcpMessageFormat clientMessageFormat,
		@Nullable KcpStreamFraming streamFraming, Duration replyTimeout, Duration shutdownTimeout,
		MessageConverter messageConverter, @Nullable DtlsSettings serverDtls, @Nullable DtlsSettings clientDtls) {

	/** The default reply timeout of outbound gateways: 10 s, as the template's. */
	public static final Duration DEFAULT_REPLY_TIMEOUT = Duration.ofSeconds(10);

	/** The default shutdown timeout of inbound endpoints: 10 s, as the container's. */
	public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

	/**
	 * Defaults without DTLS.
	 * @param serverConfig protocol settings of sessions inbound endpoints accept
	 * @param clientConfig protocol settings of sessions outbound endpoints open
	 * @param packetCipher the packet cipher, {@code null} for plaintext
	 * @param serverMessageFormat what inbound endpoints' messages carry
	 * @param clientMessageFormat what outbound endpoints' messages carry
	 * @param streamFraming how messages are cut out of a stream; {@code null} for none
	 * @param replyTimeout how long an outbound gateway waits for a reply
	 * @param shutdownTimeout how long an inbound endpoint's graceful stop may take
	 * @param messageConverter converts payloads that are not bytes
	 */
	public KcpIntegrationDefaults(KcpConfig serverConfig, KcpConfig clientConfig, @Nullable PacketCipher packetCipher,
			KcpMessageFormat serverMessageFormat, KcpMessageFormat clientMessageFormat,
			@Nullable KcpStreamFraming streamFraming, Duration replyTimeout, Duration shutdownTimeout,
			MessageConverter messageConverter) {
		this(serverConfig, clientConfig, packetCipher, serverMessageFormat, clientMessageFormat, streamFraming,
				replyTimeout, shutdownTimeout, messageConverter, null, null);
	}

	/** Checks the values. */
	public KcpIntegrationDefaults {
		Objects.requireNonNull(serverConfig, "serverConfig");
		Objects.requireNonNull(clientConfig, "clientConfig");
		Objects.requireNonNull(serverMessageFormat, "serverMessageFormat");
		Objects.requireNonNull(clientMessageFormat, "clientMessageFormat");
		Objects.requireNonNull(replyTimeout, "replyTimeout");
		Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
		Objects.requireNonNull(messageConverter, "messageConverter");
	}

	/**
	 * The defaults without Spring Boot: {@link KcpConfig#defaults()} on both sides (aiokcp's), no packet cipher, raw
	 * messages, no stream framing, 10 s reply and shutdown timeouts, kcp-spring's converter.
	 * @return the standard defaults
	 */
	public static KcpIntegrationDefaults standard() {
		return new KcpIntegrationDefaults(KcpConfig.defaults(), KcpConfig.defaults(), null, KcpMessageFormat.RAW,
				KcpMessageFormat.RAW, null, DEFAULT_REPLY_TIMEOUT, DEFAULT_SHUTDOWN_TIMEOUT,
				KcpMessageConverters.create());
	}

}
