package io.github.kcp.core.connection;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

import io.github.kcp.core.protocol.EngineMode;
import io.github.kcp.core.protocol.Kcp;
import io.github.kcp.core.protocol.KcpCodec;
import org.jspecify.annotations.Nullable;

/**
 * The settings of a KCP session: the engine's protocol knobs plus the connection's own (timeouts, buffers,
 * pacing). Immutable; derive variants with {@link #toBuilder()}. Each setting is described once in
 * {@link KcpSettings} (name, default, rule); this class holds a value for each of the
 * {@link KcpSetting.Scope#SESSION session} settings.
 * <p>
 * The defaults are aiokcp's: mtu 1400, nodelay mode 1, interval 100 ms, fast resend after 2 duplicate
 * acknowledgements, congestion control on, windows 32 (send) and 128 (receive), message mode, idle timeout 600 s.
 * For the lowest latency ("fast mode") use {@code nodelay(1, 10, 2, true)} and larger windows.
 * <p>
 * The packet cipher is not a session setting: it belongs to the endpoint (server or client builder), which takes
 * its overhead off the {@link #mtu()} for the engine.
 */
public final class KcpConfig {

	private static final KcpConfig DEFAULTS = builder().build();

	private final Object[] values;

	private KcpConfig(Object[] values) {
		this.values = values;
	}

	/** The defaults (aiokcp's). */
	public static KcpConfig defaults() {
		return DEFAULTS;
	}

	/** A builder starting from the defaults. */
	public static Builder builder() {
		return new Builder(null);
	}

	/** A builder starting from this configuration. */
	public Builder toBuilder() {
		return new Builder(this);
	}

	/**
	 * The value of a session setting.
	 * @throws IllegalArgumentException if {@code setting} is a server setting
	 */
	public <T> T get(KcpSetting<T> setting) {
		requireSessionScope(setting);
		return setting.type().cast(this.values[setting.index()]);
	}

	/** See {@link KcpSettings#MTU}. Default 1400. */
	public int mtu() {
		return get(KcpSettings.MTU);
	}

	/** See {@link KcpSettings#NODELAY}: 0 off, 1 on, 2 on (see {@link KcpSettings#NODELAY}). Default 1. */
	public int nodelay() {
		return get(KcpSettings.NODELAY);
	}

	/** See {@link KcpSettings#INTERVAL}, in milliseconds. Default 100. */
	public int interval() {
		return get(KcpSettings.INTERVAL);
	}

	/** See {@link KcpSettings#RESEND}. Default 2. */
	public int resend() {
		return get(KcpSettings.RESEND);
	}

	/** See {@link KcpSettings#CONGESTION_CONTROL}. Default true. */
	public boolean congestionControl() {
		return get(KcpSettings.CONGESTION_CONTROL);
	}

	/** See {@link KcpSettings#SEND_WINDOW}. Default 32. */
	public int sendWindow() {
		return get(KcpSettings.SEND_WINDOW);
	}

	/** See {@link KcpSettings#RECEIVE_WINDOW}. Default 128. */
	public int receiveWindow() {
		return get(KcpSettings.RECEIVE_WINDOW);
	}

	/** See {@link KcpSettings#STREAM}. Default false. */
	public boolean stream() {
		return get(KcpSettings.STREAM);
	}

	/** See {@link KcpSettings#MIN_RTO}, in milliseconds; 0 means the nodelay mode's. Default 0. */
	public int minRto() {
		return get(KcpSettings.MIN_RTO);
	}

	/** See {@link KcpSettings#DEAD_LINK}. Default 20. */
	public int deadLink() {
		return get(KcpSettings.DEAD_LINK);
	}

	/** See {@link KcpSettings#FAST_LIMIT}. Default 5. */
	public int fastLimit() {
		return get(KcpSettings.FAST_LIMIT);
	}

	/** See {@link KcpSettings#IDLE_TIMEOUT}; zero turns it off. Default 600 s (aiokcp's). */
	public Duration idleTimeout() {
		return get(KcpSettings.IDLE_TIMEOUT);
	}

	/** See {@link KcpSettings#CLOSE_TIMEOUT}. Default 10 s. */
	public Duration closeTimeout() {
		return get(KcpSettings.CLOSE_TIMEOUT);
	}

	/** See {@link KcpSettings#SEND_BUFFER_SIZE}, in bytes. Default 4 MiB. */
	public int sendBufferSize() {
		return get(KcpSettings.SEND_BUFFER_SIZE);
	}

	/** See {@link KcpSettings#READ_BUFFER_SIZE}, in bytes. Default 4 MiB. */
	public int readBufferSize() {
		return get(KcpSettings.READ_BUFFER_SIZE);
	}

	/** See {@link KcpSettings#EAGER_FLUSH}. Default true. */
	public boolean eagerFlush() {
		return get(KcpSettings.EAGER_FLUSH);
	}

	/** See {@link KcpSettings#ENGINE_MODE}. Default {@link EngineMode#TUNED}. */
	public EngineMode engineMode() {
		return get(KcpSettings.ENGINE_MODE);
	}

	/** See {@link KcpSettings#ACK_DELAY}; zero turns coalescing off. Default 1 ms. */
	public Duration ackDelay() {
		return get(KcpSettings.ACK_DELAY);
	}

	/**
	 * The largest message a session with this configuration accepts in message mode, when each datagram carries
	 * {@code packetOverhead} bytes of packet protection (the cipher's overhead; 0 for none).
	 */
	public int maxMessageSize(int packetOverhead) {
		int fragments = Math.min(Kcp.MAX_FRAGMENTS, Math.max(receiveWindow(), Kcp.DEFAULT_RECEIVE_WINDOW) - 1);
		return fragments * (engineMtu(packetOverhead) - KcpCodec.OVERHEAD);
	}

	/**
	 * The mtu the engine works with: {@link #mtu()} less the packet protection's overhead per datagram.
	 * @throws InvalidKcpSettingException if less than the engine's minimum mtu would remain
	 */
	public int engineMtu(int packetOverhead) {
		int engineMtu = mtu() - packetOverhead;
		if (engineMtu < Kcp.MIN_MTU) {
			throw new InvalidKcpSettingException(KcpSettings.MTU, mtu(), (Kcp.MIN_MTU + packetOverhead) + ".."
					+ Kcp.MAX_MTU + " bytes (" + Kcp.MIN_MTU + " plus the packet cipher's overhead of " + packetOverhead
					+ ")");
		}
		return engineMtu;
	}

	/** Applies the protocol settings to an engine whose datagrams carry {@code packetOverhead} extra bytes. */
	void applyTo(Kcp kcp, int packetOverhead) {
		kcp.setMtu(engineMtu(packetOverhead));
		kcp.setNoDelay(nodelay(), interval(), resend(), !congestionControl());
		if (minRto() > 0) {
			kcp.setMinRto(minRto());
		}
		kcp.setWindowSize(sendWindow(), receiveWindow());
		kcp.setStream(stream());
		kcp.setDeadLink(deadLink());
		kcp.setFastLimit(fastLimit());
		kcp.setMode(engineMode());
	}

	private static void requireSessionScope(KcpSetting<?> setting) {
		if (setting.scope() != KcpSetting.Scope.SESSION) {
			throw new IllegalArgumentException("'" + setting.name() + "' is a server setting, not a session "
					+ "setting: set it on the server builder");
		}
	}

	@Override
	public boolean equals(@Nullable Object other) {
		return this == other || (other instanceof KcpConfig config && Arrays.equals(this.values, config.values));
	}

	@Override
	public int hashCode() {
		return Arrays.hashCode(this.values);
	}

	@Override
	public String toString() {
		StringBuilder text = new StringBuilder("KcpConfig{");
		String separator = "";
		for (KcpSetting<?> setting : KcpSettings.of(KcpSetting.Scope.SESSION)) {
			text.append(separator).append(setting.name()).append('=').append(this.values[setting.index()]);
			separator = ", ";
		}
		return text.append('}').toString();
	}

	/**
	 * Builds a {@link KcpConfig}; {@link #build()} checks every value against its setting's rule.
	 */
	public static final class Builder {

		private final Object[] values;

		private Builder(@Nullable KcpConfig from) {
			if (from != null) {
				this.values = from.values.clone();
			}
			else {
				this.values = new Object[KcpSettings.all().size()];
				for (KcpSetting<?> setting : KcpSettings.of(KcpSetting.Scope.SESSION)) {
					this.values[setting.index()] = setting.defaultValue();
				}
			}
		}

		/**
		 * Sets a session setting (checked by {@link #build()}).
		 * @throws IllegalArgumentException if {@code setting} is a server setting
		 */
		public <T> Builder set(KcpSetting<T> setting, T value) {
			requireSessionScope(setting);
			this.values[setting.index()] = setting.cast(value);
			return this;
		}

		/** See {@link KcpSettings#MTU}. */
		public Builder mtu(int mtu) {
			return set(KcpSettings.MTU, mtu);
		}

		/**
		 * Sets the latency knobs at once, as ikcp's {@code ikcp_nodelay} and aiokcp's {@code set_nodelay}.
		 * @param nodelay 0 off, 1 on, 2 on (see {@link KcpSettings#NODELAY})
		 * @param interval update interval in milliseconds
		 * @param resend duplicate acknowledgements before a fast retransmission, 0 = off
		 * @param noCongestionControl whether to ignore the congestion window (ikcp's {@code nc})
		 */
		public Builder nodelay(int nodelay, int interval, int resend, boolean noCongestionControl) {
			return nodelay(nodelay).interval(interval).resend(resend).congestionControl(!noCongestionControl);
		}

		/** See {@link KcpSettings#NODELAY}: 0 off, 1 on, 2 on (see {@link KcpSettings#NODELAY}). */
		public Builder nodelay(int nodelay) {
			return set(KcpSettings.NODELAY, nodelay);
		}

		/** See {@link KcpSettings#INTERVAL}, in milliseconds. */
		public Builder interval(int interval) {
			return set(KcpSettings.INTERVAL, interval);
		}

		/** See {@link KcpSettings#RESEND}. */
		public Builder resend(int resend) {
			return set(KcpSettings.RESEND, resend);
		}

		/** See {@link KcpSettings#CONGESTION_CONTROL}. */
		public Builder congestionControl(boolean congestionControl) {
			return set(KcpSettings.CONGESTION_CONTROL, congestionControl);
		}

		/** Sets both windows, as aiokcp's {@code set_wndsize}. */
		public Builder windowSize(int sendWindow, int receiveWindow) {
			return sendWindow(sendWindow).receiveWindow(receiveWindow);
		}

		/** See {@link KcpSettings#SEND_WINDOW}. */
		public Builder sendWindow(int sendWindow) {
			return set(KcpSettings.SEND_WINDOW, sendWindow);
		}

		/** See {@link KcpSettings#RECEIVE_WINDOW}. */
		public Builder receiveWindow(int receiveWindow) {
			return set(KcpSettings.RECEIVE_WINDOW, receiveWindow);
		}

		/** See {@link KcpSettings#STREAM}. */
		public Builder stream(boolean stream) {
			return set(KcpSettings.STREAM, stream);
		}

		/** See {@link KcpSettings#MIN_RTO}, in milliseconds. */
		public Builder minRto(int minRto) {
			return set(KcpSettings.MIN_RTO, minRto);
		}

		/** See {@link KcpSettings#DEAD_LINK}. */
		public Builder deadLink(int deadLink) {
			return set(KcpSettings.DEAD_LINK, deadLink);
		}

		/** See {@link KcpSettings#FAST_LIMIT}. */
		public Builder fastLimit(int fastLimit) {
			return set(KcpSettings.FAST_LIMIT, fastLimit);
		}

		/** See {@link KcpSettings#IDLE_TIMEOUT}. */
		public Builder idleTimeout(Duration idleTimeout) {
			return set(KcpSettings.IDLE_TIMEOUT, Objects.requireNonNull(idleTimeout, "idleTimeout"));
		}

		/** See {@link KcpSettings#CLOSE_TIMEOUT}. */
		public Builder closeTimeout(Duration closeTimeout) {
			return set(KcpSettings.CLOSE_TIMEOUT, Objects.requireNonNull(closeTimeout, "closeTimeout"));
		}

		/** See {@link KcpSettings#SEND_BUFFER_SIZE}, in bytes. */
		public Builder sendBufferSize(int sendBufferSize) {
			return set(KcpSettings.SEND_BUFFER_SIZE, sendBufferSize);
		}

		/** See {@link KcpSettings#READ_BUFFER_SIZE}, in bytes. */
		public Builder readBufferSize(int readBufferSize) {
			return set(KcpSettings.READ_BUFFER_SIZE, readBufferSize);
		}

		/** See {@link KcpSettings#EAGER_FLUSH}. */
		public Builder eagerFlush(boolean eagerFlush) {
			return set(KcpSettings.EAGER_FLUSH, eagerFlush);
		}

		/** See {@link KcpSettings#ENGINE_MODE}. */
		public Builder engineMode(EngineMode engineMode) {
			return set(KcpSettings.ENGINE_MODE, Objects.requireNonNull(engineMode, "engineMode"));
		}

		/** See {@link KcpSettings#ACK_DELAY}. */
		public Builder ackDelay(Duration ackDelay) {
			return set(KcpSettings.ACK_DELAY, Objects.requireNonNull(ackDelay, "ackDelay"));
		}

		/**
		 * Checks every value and builds.
		 * @throws InvalidKcpSettingException naming the first setting (in the order of {@link KcpSettings#all()})
		 * whose value breaks its rule
		 */
		public KcpConfig build() {
			for (KcpSetting<?> setting : KcpSettings.of(KcpSetting.Scope.SESSION)) {
				check(setting);
			}
			return new KcpConfig(this.values.clone());
		}

		private <T> void check(KcpSetting<T> setting) {
			setting.validate(setting.cast(this.values[setting.index()]));
		}

	}

}
