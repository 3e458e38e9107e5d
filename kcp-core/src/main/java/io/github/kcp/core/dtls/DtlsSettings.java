package io.github.kcp.core.dtls;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import javax.net.ssl.SSLContext;

import org.jspecify.annotations.Nullable;

/**
 * What a {@link DtlsConnection} needs besides its peer: the {@link SSLContext} with the local certificate and
 * the trusted issuers, the client-authentication mode of a server, hostname verification on a client, the
 * largest datagram, the cipher suites and the handshake timers. Each setting is described, defaulted and
 * checked here only.
 * <p>
 * Immutable and safe to share between connections; build one with {@link #builder(SSLContext)}.
 */
public final class DtlsSettings {

	/** Default largest datagram, in bytes: the KCP default mtu. */
	public static final int DEFAULT_MAX_DATAGRAM_SIZE = 1400;

	/** Smallest datagram the JDK's DTLS record layer fragments its handshake into. */
	public static final int MIN_MAX_DATAGRAM_SIZE = 256;

	/** Largest UDP payload over IPv4. */
	public static final int MAX_MAX_DATAGRAM_SIZE = 65_507;

	/** Default first handshake retransmission timeout: 1 second, as RFC 6347 4.2.4.1 recommends. */
	public static final long DEFAULT_INITIAL_RETRANSMIT_TIMEOUT_MILLIS = 1_000;

	/** Default ceiling of the doubling retransmission timeout: 60 seconds (RFC 6347 4.2.4.1). */
	public static final long DEFAULT_MAX_RETRANSMIT_TIMEOUT_MILLIS = 60_000;

	/** Default time a handshake may take before it fails. */
	public static final long DEFAULT_HANDSHAKE_TIMEOUT_MILLIS = 30_000;

	private final SSLContext sslContext;

	private final DtlsClientAuth clientAuth;

	private final boolean verifyHostname;

	private final int maxDatagramSize;

	private final List<String> cipherSuites;

	private final long initialRetransmitTimeoutMillis;

	private final long maxRetransmitTimeoutMillis;

	private final long handshakeTimeoutMillis;

	private final int maxRecordOverhead;

	private DtlsSettings(Builder builder) {
		this.sslContext = builder.sslContext;
		this.clientAuth = builder.clientAuth;
		this.verifyHostname = builder.verifyHostname;
		this.maxDatagramSize = builder.maxDatagramSize;
		this.cipherSuites = (builder.cipherSuites != null) ? builder.cipherSuites : defaultCipherSuites(sslContext);
		this.initialRetransmitTimeoutMillis = builder.initialRetransmitTimeoutMillis;
		this.maxRetransmitTimeoutMillis = builder.maxRetransmitTimeoutMillis;
		this.handshakeTimeoutMillis = builder.handshakeTimeoutMillis;
		this.maxRecordOverhead = cipherSuites.stream().mapToInt(DtlsRecords::overheadOf).max().orElseThrow();
		if (maxDatagramSize - maxRecordOverhead < 1) {
			throw new IllegalArgumentException("maxDatagramSize " + maxDatagramSize
					+ " leaves no room for data after a record overhead of " + maxRecordOverhead + " bytes");
		}
	}

	/**
	 * Start settings for connections that use {@code sslContext}.
	 * @param sslContext a context of protocol {@code DTLS} or {@code DTLSv1.2}, initialised with the key
	 * managers (the local certificate; required on a server) and trust managers (the issuers the peer's
	 * certificate is checked against)
	 * @return a builder with every other setting at its default
	 * @throws IllegalArgumentException if the context is not a DTLS context
	 */
	public static Builder builder(SSLContext sslContext) {
		return new Builder(sslContext);
	}

	/** @return the context every engine is created from */
	public SSLContext sslContext() {
		return sslContext;
	}

	/** @return whether a server asks for, or requires, a client certificate; ignored by clients */
	public DtlsClientAuth clientAuth() {
		return clientAuth;
	}

	/**
	 * @return whether a client checks that the server's certificate names the host it connects to (RFC 2818
	 * rules, as HTTPS); ignored by servers
	 */
	public boolean verifyHostname() {
		return verifyHostname;
	}

	/** @return the largest datagram a connection sends, handshake and application records alike */
	public int maxDatagramSize() {
		return maxDatagramSize;
	}

	/** @return the cipher suites offered or accepted, most preferred first */
	public List<String> cipherSuites() {
		return cipherSuites;
	}

	/** @return the first handshake retransmission timeout, doubled after each retransmission */
	public long initialRetransmitTimeoutMillis() {
		return initialRetransmitTimeoutMillis;
	}

	/** @return the ceiling of the doubling retransmission timeout */
	public long maxRetransmitTimeoutMillis() {
		return maxRetransmitTimeoutMillis;
	}

	/** @return how long a handshake may take, from the connection's creation, before it fails */
	public long handshakeTimeoutMillis() {
		return handshakeTimeoutMillis;
	}

	/**
	 * Return the most bytes a DTLS record adds to a KCP datagram with any of the {@linkplain #cipherSuites()
	 * suites}: the KCP mtu must be at most {@code maxDatagramSize() - maxRecordOverhead()} before the
	 * handshake has chosen one; {@link DtlsConnection#maxPlaintextSize()} gives the exact figure after it.
	 * @return the worst-case record overhead in bytes (37 for AES-GCM suites)
	 */
	public int maxRecordOverhead() {
		return maxRecordOverhead;
	}

	/**
	 * Return the suites offered when none are configured: those of the context's defaults that have forward
	 * secrecy (ECDHE or DHE) and an AEAD cipher (GCM or ChaCha20-Poly1305), in the context's order.
	 */
	static List<String> defaultCipherSuites(SSLContext sslContext) {
		List<String> suites = Arrays.stream(sslContext.getDefaultSSLParameters().getCipherSuites())
			.filter((suite) -> suite.contains("_ECDHE_") || suite.contains("_DHE_"))
			.filter((suite) -> suite.contains("_GCM_") || suite.contains("_CHACHA20_POLY1305_"))
			.toList();
		if (suites.isEmpty()) {
			throw new IllegalArgumentException("The SSLContext enables no forward-secret AEAD cipher suite; "
					+ "configure the cipher suites explicitly");
		}
		return suites;
	}

	/**
	 * These settings with another largest datagram, for a transport whose mtu is smaller.
	 * @param size the largest datagram
	 * @return settings with {@code size} as {@link #maxDatagramSize()}, or these if it is that already
	 */
	public DtlsSettings withMaxDatagramSize(int size) {
		if (size == maxDatagramSize) {
			return this;
		}
		Builder builder = new Builder(sslContext).clientAuth(clientAuth)
			.verifyHostname(verifyHostname)
			.maxDatagramSize(size)
			.initialRetransmitTimeoutMillis(initialRetransmitTimeoutMillis)
			.maxRetransmitTimeoutMillis(maxRetransmitTimeoutMillis)
			.handshakeTimeoutMillis(handshakeTimeoutMillis);
		builder.cipherSuites = cipherSuites;
		return builder.build();
	}

	@Override
	public String toString() {
		return "DtlsSettings(clientAuth " + clientAuth + ", verifyHostname " + verifyHostname + ", maxDatagramSize "
				+ maxDatagramSize + ", " + cipherSuites.size() + " cipher suites, retransmit "
				+ initialRetransmitTimeoutMillis + ".." + maxRetransmitTimeoutMillis + " ms, handshake timeout "
				+ handshakeTimeoutMillis + " ms)";
	}

	/** Builds {@link DtlsSettings}; each setter checks its value at once. */
	public static final class Builder {

		private final SSLContext sslContext;

		private DtlsClientAuth clientAuth = DtlsClientAuth.NONE;

		private boolean verifyHostname = true;

		private int maxDatagramSize = DEFAULT_MAX_DATAGRAM_SIZE;

		private @Nullable List<String> cipherSuites;

		private long initialRetransmitTimeoutMillis = DEFAULT_INITIAL_RETRANSMIT_TIMEOUT_MILLIS;

		private long maxRetransmitTimeoutMillis = DEFAULT_MAX_RETRANSMIT_TIMEOUT_MILLIS;

		private long handshakeTimeoutMillis = DEFAULT_HANDSHAKE_TIMEOUT_MILLIS;

		private Builder(SSLContext sslContext) {
			Objects.requireNonNull(sslContext, "sslContext");
			if (!sslContext.getProtocol().toUpperCase(Locale.ROOT).startsWith("DTLS")) {
				throw new IllegalArgumentException("The SSLContext's protocol is " + sslContext.getProtocol()
						+ ", not DTLS: create it with SSLContext.getInstance(\"DTLS\")");
			}
			this.sslContext = sslContext;
		}

		/**
		 * Set whether a server asks for a client certificate (default {@link DtlsClientAuth#NONE}).
		 * @param clientAuth the mode
		 * @return this builder
		 */
		public Builder clientAuth(DtlsClientAuth clientAuth) {
			this.clientAuth = Objects.requireNonNull(clientAuth, "clientAuth");
			return this;
		}

		/**
		 * Set whether a client checks the server's certificate against the host it connects to (default true).
		 * @param verifyHostname true to check
		 * @return this builder
		 */
		public Builder verifyHostname(boolean verifyHostname) {
			this.verifyHostname = verifyHostname;
			return this;
		}

		/**
		 * Set the largest datagram (default {@value DtlsSettings#DEFAULT_MAX_DATAGRAM_SIZE}): the KCP mtu.
		 * @param maxDatagramSize bytes, from {@value DtlsSettings#MIN_MAX_DATAGRAM_SIZE} to
		 * {@value DtlsSettings#MAX_MAX_DATAGRAM_SIZE}
		 * @return this builder
		 * @throws IllegalArgumentException if out of range
		 */
		public Builder maxDatagramSize(int maxDatagramSize) {
			if (maxDatagramSize < MIN_MAX_DATAGRAM_SIZE || maxDatagramSize > MAX_MAX_DATAGRAM_SIZE) {
				throw new IllegalArgumentException("maxDatagramSize must be between " + MIN_MAX_DATAGRAM_SIZE + " and "
						+ MAX_MAX_DATAGRAM_SIZE + ", not " + maxDatagramSize);
			}
			this.maxDatagramSize = maxDatagramSize;
			return this;
		}

		/**
		 * Set the cipher suites, most preferred first (default: the context's forward-secret AEAD suites).
		 * @param cipherSuites standard suite names, supported by the context
		 * @return this builder
		 * @throws IllegalArgumentException if empty or if the context does not support one of them
		 */
		public Builder cipherSuites(List<String> cipherSuites) {
			List<String> supported = Arrays.asList(sslContext.getSupportedSSLParameters().getCipherSuites());
			if (cipherSuites.isEmpty()) {
				throw new IllegalArgumentException("cipherSuites must not be empty");
			}
			for (String suite : cipherSuites) {
				if (!supported.contains(suite)) {
					throw new IllegalArgumentException("Cipher suite " + suite + " is not supported by the SSLContext");
				}
			}
			this.cipherSuites = List.copyOf(cipherSuites);
			return this;
		}

		/**
		 * Set the first handshake retransmission timeout (default 1 s), doubled after each retransmission.
		 * @param millis milliseconds, at least 1 and at most the maximum timeout
		 * @return this builder
		 * @throws IllegalArgumentException if not positive
		 */
		public Builder initialRetransmitTimeoutMillis(long millis) {
			this.initialRetransmitTimeoutMillis = positive("initialRetransmitTimeoutMillis", millis);
			return this;
		}

		/**
		 * Set the ceiling of the retransmission timeout (default 60 s).
		 * @param millis milliseconds, at least the initial timeout
		 * @return this builder
		 * @throws IllegalArgumentException if not positive
		 */
		public Builder maxRetransmitTimeoutMillis(long millis) {
			this.maxRetransmitTimeoutMillis = positive("maxRetransmitTimeoutMillis", millis);
			return this;
		}

		/**
		 * Set how long a handshake may take before it fails (default 30 s).
		 * @param millis milliseconds
		 * @return this builder
		 * @throws IllegalArgumentException if not positive
		 */
		public Builder handshakeTimeoutMillis(long millis) {
			this.handshakeTimeoutMillis = positive("handshakeTimeoutMillis", millis);
			return this;
		}

		/**
		 * @return the settings
		 * @throws IllegalArgumentException if the initial retransmission timeout exceeds the maximum, or the
		 * datagram size leaves no room after the record overhead
		 */
		public DtlsSettings build() {
			if (initialRetransmitTimeoutMillis > maxRetransmitTimeoutMillis) {
				throw new IllegalArgumentException("initialRetransmitTimeoutMillis " + initialRetransmitTimeoutMillis
						+ " exceeds maxRetransmitTimeoutMillis " + maxRetransmitTimeoutMillis);
			}
			return new DtlsSettings(this);
		}

		private static long positive(String name, long millis) {
			if (millis <= 0) {
				throw new IllegalArgumentException(name + " must be positive, not " + millis);
			}
			return millis;
		}

	}

}
