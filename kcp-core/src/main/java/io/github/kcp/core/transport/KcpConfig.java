package io.github.kcp.core.transport;

import java.time.Duration;
import java.util.Objects;

import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.protocol.Kcp;
import io.github.kcp.core.protocol.KcpCodec;
import org.jspecify.annotations.Nullable;

/**
 * Settings of a KCP session: the protocol knobs of the engine plus the transport's own (timeouts, buffers,
 * encryption). Immutable; derive variants with {@link #toBuilder()}.
 * <p>
 * The defaults are aiokcp's: mtu 1400, nodelay on, interval 100 ms, fast resend after 2 duplicate
 * acknowledgements, congestion control on, windows 32 (send) and 128 (receive), message mode, idle timeout 600 s.
 * For the lowest latency ("fast mode") use {@code nodelay(1).interval(10).resend(2).congestionControl(false)} and
 * larger windows.
 */
public final class KcpConfig {

	private static final KcpConfig DEFAULTS = builder().build();

	private final int mtu;

	private final int nodelay;

	private final int interval;

	private final int resend;

	private final boolean congestionControl;

	private final int sendWindow;

	private final int receiveWindow;

	private final boolean stream;

	private final int minRto;

	private final int deadLink;

	private final int fastLimit;

	private final Duration idleTimeout;

	private final Duration closeTimeout;

	private final int sendBufferBytes;

	private final int readBufferBytes;

	private final boolean eagerFlush;

	private final @Nullable PacketCipher cipher;

	private KcpConfig(Builder builder) {
		this.mtu = builder.mtu;
		this.nodelay = builder.nodelay;
		this.interval = builder.interval;
		this.resend = builder.resend;
		this.congestionControl = builder.congestionControl;
		this.sendWindow = builder.sendWindow;
		this.receiveWindow = builder.receiveWindow;
		this.stream = builder.stream;
		this.minRto = builder.minRto;
		this.deadLink = builder.deadLink;
		this.fastLimit = builder.fastLimit;
		this.idleTimeout = builder.idleTimeout;
		this.closeTimeout = builder.closeTimeout;
		this.sendBufferBytes = builder.sendBufferBytes;
		this.readBufferBytes = builder.readBufferBytes;
		this.eagerFlush = builder.eagerFlush;
		this.cipher = builder.cipher;
	}

	/** The defaults (aiokcp's). */
	public static KcpConfig defaults() {
		return DEFAULTS;
	}

	/** A builder starting from the defaults. */
	public static Builder builder() {
		return new Builder();
	}

	/** A builder starting from this configuration. */
	public Builder toBuilder() {
		return new Builder(this);
	}

	/** Maximum datagram size on the wire in bytes, including the cipher's overhead. Default 1400. */
	public int mtu() {
		return this.mtu;
	}

	/** The mtu the engine works with: {@link #mtu()} less the cipher's per-datagram overhead. */
	public int engineMtu() {
		return this.mtu - ((this.cipher != null) ? this.cipher.overhead() : 0);
	}

	/** Nodelay mode: 0 off, 1 on, 2 on with the gentlest RTO backoff. Default 1. */
	public int nodelay() {
		return this.nodelay;
	}

	/** Internal update interval in milliseconds (10..5000). Default 100. */
	public int interval() {
		return this.interval;
	}

	/** Fast retransmit after this many duplicate acknowledgements; 0 disables it. Default 2. */
	public int resend() {
		return this.resend;
	}

	/** Whether the congestion window limits sending (ikcp's {@code nc} off). Default true. */
	public boolean congestionControl() {
		return this.congestionControl;
	}

	/** Send window in segments. Default 32. */
	public int sendWindow() {
		return this.sendWindow;
	}

	/** Receive window in segments (at least 128). Default 128. */
	public int receiveWindow() {
		return this.receiveWindow;
	}

	/** Whether the session is a byte stream rather than a sequence of messages. Default false. */
	public boolean stream() {
		return this.stream;
	}

	/** Minimum retransmission timeout in ms; 0 means the nodelay mode's (30 ms with nodelay, else 100 ms). */
	public int minRto() {
		return this.minRto;
	}

	/** Transmissions of one segment after which the session closes as {@link CloseReason#DEAD_LINK}. Default 20. */
	public int deadLink() {
		return this.deadLink;
	}

	/** Cap on fast retransmissions of one segment; 0 = no cap. Default 5. */
	public int fastLimit() {
		return this.fastLimit;
	}

	/**
	 * Close the session when nothing has been received from the peer for this long; zero disables it. Default
	 * 600 s (aiokcp's).
	 */
	public Duration idleTimeout() {
		return this.idleTimeout;
	}

	/**
	 * How long a graceful close waits for sent data to be acknowledged (and for the peer to confirm the close)
	 * before closing anyway. Default 10 s.
	 */
	public Duration closeTimeout() {
		return this.closeTimeout;
	}

	/** Bound on bytes sent but not yet acknowledged. Default 4 MiB. */
	public int sendBufferBytes() {
		return this.sendBufferBytes;
	}

	/**
	 * Bound on received bytes buffered for a reader that has not consumed them (streams and blocking sockets);
	 * beyond it the receive window closes and the peer waits. Default 4 MiB.
	 */
	public int readBufferBytes() {
		return this.readBufferBytes;
	}

	/**
	 * Whether to flush right after each send and each batch of received datagrams instead of waiting for the
	 * next interval tick. Costs a few more datagrams, saves up to one interval of latency. Default true.
	 */
	public boolean eagerFlush() {
		return this.eagerFlush;
	}

	/** The packet cipher, or {@code null} for plaintext datagrams. */
	public @Nullable PacketCipher cipher() {
		return this.cipher;
	}

	/** Applies the protocol settings to an engine. */
	void applyTo(Kcp kcp) {
		kcp.setMtu(engineMtu());
		kcp.setNoDelay(this.nodelay, this.interval, this.resend, !this.congestionControl);
		if (this.minRto > 0) {
			kcp.setMinRto(this.minRto);
		}
		kcp.setWindowSize(this.sendWindow, this.receiveWindow);
		kcp.setStream(this.stream);
		kcp.setDeadLink(this.deadLink);
		kcp.setFastLimit(this.fastLimit);
	}

	/** The largest message a session with this configuration accepts in message mode. */
	public int maxMessageSize() {
		int fragments = Math.min(Kcp.MAX_FRAGMENTS, Math.max(this.receiveWindow, Kcp.DEFAULT_RECEIVE_WINDOW) - 1);
		return fragments * (engineMtu() - KcpCodec.OVERHEAD);
	}

	@Override
	public String toString() {
		return "KcpConfig{mtu=" + this.mtu + ", nodelay=" + this.nodelay + ", interval=" + this.interval + ", resend="
				+ this.resend + ", congestionControl=" + this.congestionControl + ", sendWindow=" + this.sendWindow
				+ ", receiveWindow=" + this.receiveWindow + ", stream=" + this.stream + ", minRto=" + this.minRto
				+ ", deadLink=" + this.deadLink + ", fastLimit=" + this.fastLimit + ", idleTimeout=" + this.idleTimeout
				+ ", closeTimeout=" + this.closeTimeout + ", sendBufferBytes=" + this.sendBufferBytes
				+ ", readBufferBytes=" + this.readBufferBytes + ", eagerFlush=" + this.eagerFlush + ", cipher="
				+ ((this.cipher != null) ? this.cipher.name() : "none") + "}";
	}

	/**
	 * Builds a {@link KcpConfig}; {@link #build()} validates every value and names the offending setting.
	 */
	public static final class Builder {

		private int mtu = Kcp.DEFAULT_MTU;

		private int nodelay = 1;

		private int interval = 100;

		private int resend = 2;

		private boolean congestionControl = true;

		private int sendWindow = Kcp.DEFAULT_SEND_WINDOW;

		private int receiveWindow = Kcp.DEFAULT_RECEIVE_WINDOW;

		private boolean stream;

		private int minRto;

		private int deadLink = Kcp.DEFAULT_DEAD_LINK;

		private int fastLimit = Kcp.DEFAULT_FAST_LIMIT;

		private Duration idleTimeout = Duration.ofSeconds(600);

		private Duration closeTimeout = Duration.ofSeconds(10);

		private int sendBufferBytes = 4 << 20;

		private int readBufferBytes = 4 << 20;

		private boolean eagerFlush = true;

		private @Nullable PacketCipher cipher;

		private Builder() {
		}

		private Builder(KcpConfig config) {
			this.mtu = config.mtu;
			this.nodelay = config.nodelay;
			this.interval = config.interval;
			this.resend = config.resend;
			this.congestionControl = config.congestionControl;
			this.sendWindow = config.sendWindow;
			this.receiveWindow = config.receiveWindow;
			this.stream = config.stream;
			this.minRto = config.minRto;
			this.deadLink = config.deadLink;
			this.fastLimit = config.fastLimit;
			this.idleTimeout = config.idleTimeout;
			this.closeTimeout = config.closeTimeout;
			this.sendBufferBytes = config.sendBufferBytes;
			this.readBufferBytes = config.readBufferBytes;
			this.eagerFlush = config.eagerFlush;
			this.cipher = config.cipher;
		}

		/** See {@link KcpConfig#mtu()}. */
		public Builder mtu(int mtu) {
			this.mtu = mtu;
			return this;
		}

		/** Sets nodelay, interval, resend and congestion control at once, as aiokcp's {@code set_nodelay}. */
		public Builder nodelay(boolean nodelay, int interval, int resend, boolean noCongestionControl) {
			return nodelay(nodelay ? 1 : 0).interval(interval).resend(resend).congestionControl(!noCongestionControl);
		}

		/** See {@link KcpConfig#nodelay()}. */
		public Builder nodelay(int nodelay) {
			this.nodelay = nodelay;
			return this;
		}

		/** See {@link KcpConfig#interval()}. */
		public Builder interval(int interval) {
			this.interval = interval;
			return this;
		}

		/** See {@link KcpConfig#resend()}. */
		public Builder resend(int resend) {
			this.resend = resend;
			return this;
		}

		/** See {@link KcpConfig#congestionControl()}. */
		public Builder congestionControl(boolean congestionControl) {
			this.congestionControl = congestionControl;
			return this;
		}

		/** Sets both windows, as aiokcp's {@code set_wndsize}. */
		public Builder windowSize(int sendWindow, int receiveWindow) {
			this.sendWindow = sendWindow;
			this.receiveWindow = receiveWindow;
			return this;
		}

		/** See {@link KcpConfig#sendWindow()}. */
		public Builder sendWindow(int sendWindow) {
			this.sendWindow = sendWindow;
			return this;
		}

		/** See {@link KcpConfig#receiveWindow()}. */
		public Builder receiveWindow(int receiveWindow) {
			this.receiveWindow = receiveWindow;
			return this;
		}

		/** See {@link KcpConfig#stream()}. */
		public Builder stream(boolean stream) {
			this.stream = stream;
			return this;
		}

		/** See {@link KcpConfig#minRto()}. */
		public Builder minRto(int minRto) {
			this.minRto = minRto;
			return this;
		}

		/** See {@link KcpConfig#deadLink()}. */
		public Builder deadLink(int deadLink) {
			this.deadLink = deadLink;
			return this;
		}

		/** See {@link KcpConfig#fastLimit()}. */
		public Builder fastLimit(int fastLimit) {
			this.fastLimit = fastLimit;
			return this;
		}

		/** See {@link KcpConfig#idleTimeout()}. */
		public Builder idleTimeout(Duration idleTimeout) {
			this.idleTimeout = Objects.requireNonNull(idleTimeout, "idleTimeout");
			return this;
		}

		/** See {@link KcpConfig#closeTimeout()}. */
		public Builder closeTimeout(Duration closeTimeout) {
			this.closeTimeout = Objects.requireNonNull(closeTimeout, "closeTimeout");
			return this;
		}

		/** See {@link KcpConfig#sendBufferBytes()}. */
		public Builder sendBufferBytes(int sendBufferBytes) {
			this.sendBufferBytes = sendBufferBytes;
			return this;
		}

		/** See {@link KcpConfig#readBufferBytes()}. */
		public Builder readBufferBytes(int readBufferBytes) {
			this.readBufferBytes = readBufferBytes;
			return this;
		}

		/** See {@link KcpConfig#eagerFlush()}. */
		public Builder eagerFlush(boolean eagerFlush) {
			this.eagerFlush = eagerFlush;
			return this;
		}

		/** See {@link KcpConfig#cipher()}; {@code null} for none. */
		public Builder cipher(@Nullable PacketCipher cipher) {
			this.cipher = (cipher == PacketCipher.NONE) ? null : cipher;
			return this;
		}

		/**
		 * Validates and builds.
		 * @throws IllegalArgumentException naming the first invalid setting
		 */
		public KcpConfig build() {
			int overhead = (this.cipher != null) ? this.cipher.overhead() : 0;
			require(this.mtu >= Kcp.MIN_MTU + overhead && this.mtu <= Kcp.MAX_MTU, "mtu",
					Kcp.MIN_MTU + overhead + ".." + Kcp.MAX_MTU + " bytes (" + Kcp.MIN_MTU
							+ " plus the cipher overhead of " + overhead + ")",
					this.mtu);
			require(this.nodelay >= 0 && this.nodelay <= 2, "nodelay", "0, 1 or 2", this.nodelay);
			require(this.interval >= Kcp.MIN_INTERVAL && this.interval <= Kcp.MAX_INTERVAL, "interval",
					Kcp.MIN_INTERVAL + ".." + Kcp.MAX_INTERVAL + " ms", this.interval);
			require(this.resend >= 0, "resend", "0 (off) or more", this.resend);
			require(this.sendWindow >= 1 && this.sendWindow <= Kcp.MAX_WINDOW, "sendWindow", "1.." + Kcp.MAX_WINDOW,
					this.sendWindow);
			require(this.receiveWindow >= 1 && this.receiveWindow <= Kcp.MAX_WINDOW, "receiveWindow",
					"1.." + Kcp.MAX_WINDOW + " (values below 128 are raised to 128)", this.receiveWindow);
			require(this.minRto >= 0 && this.minRto <= Kcp.RTO_MAX, "minRto",
					"0 (the nodelay default) .. " + Kcp.RTO_MAX + " ms", this.minRto);
			require(this.deadLink >= 1, "deadLink", "1 or more", this.deadLink);
			require(this.fastLimit >= 0, "fastLimit", "0 (no cap) or more", this.fastLimit);
			require(!this.idleTimeout.isNegative(), "idleTimeout", "zero (off) or positive", this.idleTimeout);
			require(!this.closeTimeout.isNegative(), "closeTimeout", "zero or positive", this.closeTimeout);
			require(this.sendBufferBytes >= 1, "sendBufferBytes", "positive", this.sendBufferBytes);
			require(this.readBufferBytes >= 1, "readBufferBytes", "positive", this.readBufferBytes);
			return new KcpConfig(this);
		}

		private static void require(boolean valid, String name, String expected, Object actual) {
			if (!valid) {
				throw new IllegalArgumentException(
						"Invalid KCP setting '" + name + "': expected " + expected + " but was " + actual);
			}
		}

	}

}
