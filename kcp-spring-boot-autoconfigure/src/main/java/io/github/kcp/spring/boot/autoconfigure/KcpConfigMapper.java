package io.github.kcp.spring.boot.autoconfigure;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

import io.github.kcp.core.connection.InvalidKcpSettingException;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.PacketCipher;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.util.unit.DataSize;

/**
 * Builds the {@link KcpConfig} of the server side or the client side from {@link KcpProperties}: the top-level
 * {@code kcp.*} protocol settings, overridden by those set under {@code kcp.server.*} or {@code kcp.client.*}.
 * <p>
 * Invalid values fail with an {@link InvalidConfigurationPropertyValueException} that names the property the value
 * came from (for example {@code kcp.server.mtu} when the server override is set, {@code kcp.mtu} otherwise), so
 * Spring Boot's start-up failure report points at the line to fix. Useful to applications that define their own
 * server or template beans and still want the properties applied.
 */
public final class KcpConfigMapper {

	private static final String PREFIX = "kcp.";

	private final KcpProperties properties;

	/**
	 * Create a mapper for the given properties.
	 * @param properties the bound properties
	 */
	public KcpConfigMapper(KcpProperties properties) {
		this.properties = Objects.requireNonNull(properties, "properties");
	}

	/**
	 * Build the configuration of the sessions the server accepts.
	 * @param cipher the packet cipher, {@code null} or {@link PacketCipher#NONE} for plaintext
	 * @return the validated configuration
	 * @throws InvalidConfigurationPropertyValueException naming the property of the first invalid value
	 */
	public KcpConfig serverConfig(@Nullable PacketCipher cipher) {
		return build("kcp.server.", this.properties.getServer(), cipher);
	}

	/**
	 * Build the configuration of the sessions the client side ({@code KcpTemplate}) opens.
	 * @param cipher the packet cipher, {@code null} or {@link PacketCipher#NONE} for plaintext
	 * @return the validated configuration
	 * @throws InvalidConfigurationPropertyValueException naming the property of the first invalid value
	 */
	public KcpConfig clientConfig(@Nullable PacketCipher cipher) {
		return build("kcp.client.", this.properties.getClient(), cipher);
	}

	private KcpConfig build(String sidePrefix, KcpProperties.ProtocolOverrides overrides,
			@Nullable PacketCipher cipher) {
		Resolver resolver = new Resolver(sidePrefix, overrides);
		KcpConfig.Builder builder = KcpConfig.builder()
			.mtu(resolver.resolve("mtu", "mtu", KcpProperties::getMtu, KcpProperties.ProtocolOverrides::getMtu))
			.nodelay(resolver.resolve("nodelay", "nodelay", KcpProperties::getNodelay,
					KcpProperties.ProtocolOverrides::getNodelay).mode())
			.interval(resolver.millis("interval", "interval", KcpProperties::getInterval,
					KcpProperties.ProtocolOverrides::getInterval))
			.resend(resolver.resolve("resend", "resend", KcpProperties::getResend,
					KcpProperties.ProtocolOverrides::getResend))
			.congestionControl(resolver.resolve("congestionControl", "congestion-control",
					KcpProperties::isCongestionControl, KcpProperties.ProtocolOverrides::getCongestionControl))
			.sendWindow(resolver.resolve("sendWindow", "send-window", KcpProperties::getSendWindow,
					KcpProperties.ProtocolOverrides::getSendWindow))
			.receiveWindow(resolver.resolve("receiveWindow", "receive-window", KcpProperties::getReceiveWindow,
					KcpProperties.ProtocolOverrides::getReceiveWindow))
			.stream(resolver.resolve("stream", "stream", KcpProperties::isStream,
					KcpProperties.ProtocolOverrides::getStream))
			.idleTimeout(resolver.duration("idleTimeout", "idle-timeout", KcpProperties::getIdleTimeout,
					KcpProperties.ProtocolOverrides::getIdleTimeout))
			.minRto(resolver.millis("minRto", "min-rto", KcpProperties::getMinRto,
					KcpProperties.ProtocolOverrides::getMinRto))
			.deadLink(resolver.resolve("deadLink", "dead-link", KcpProperties::getDeadLink,
					KcpProperties.ProtocolOverrides::getDeadLink))
			.fastLimit(resolver.resolve("fastLimit", "fast-limit", KcpProperties::getFastLimit,
					KcpProperties.ProtocolOverrides::getFastLimit))
			.sendBufferSize(resolver.bytes("sendBufferSize", "send-buffer-size", KcpProperties::getSendBufferSize,
					KcpProperties.ProtocolOverrides::getSendBufferSize))
			.readBufferSize(resolver.bytes("readBufferSize", "read-buffer-size", KcpProperties::getReadBufferSize,
					KcpProperties.ProtocolOverrides::getReadBufferSize))
			.closeTimeout(resolver.duration("closeTimeout", "close-timeout", KcpProperties::getCloseTimeout,
					KcpProperties.ProtocolOverrides::getCloseTimeout))
			.eagerFlush(resolver.resolve("eagerFlush", "eager-flush", KcpProperties::isEagerFlush,
					KcpProperties.ProtocolOverrides::getEagerFlush))
			.engineMode(resolver.resolve("engineMode", "engine-mode", KcpProperties::getEngineMode,
					KcpProperties.ProtocolOverrides::getEngineMode))
			.ackDelay(resolver.duration("ackDelay", "ack-delay", KcpProperties::getAckDelay,
					KcpProperties.ProtocolOverrides::getAckDelay));
		try {
			KcpConfig config = builder.build();
			// The cipher's overhead comes off the mtu: the cipher belongs to the endpoint, not to the settings.
			config.engineMtu((cipher != null) ? cipher.overhead() : 0);
			return config;
		}
		catch (InvalidKcpSettingException ex) {
			throw resolver.translate(ex);
		}
	}

	/** Picks each value from the override or the top level, remembering which property it came from. */
	private final class Resolver {

		private final String sidePrefix;

		private final KcpProperties.ProtocolOverrides overrides;

		/** Setting name in KcpConfig → [property name, configured value]. */
		private final Map<String, Object[]> origins = new LinkedHashMap<>();

		Resolver(String sidePrefix, KcpProperties.ProtocolOverrides overrides) {
			this.sidePrefix = sidePrefix;
			this.overrides = overrides;
		}

		<T> T resolve(String setting, String property, Function<KcpProperties, T> top,
				Function<KcpProperties.ProtocolOverrides, @Nullable T> override) {
			T overridden = override.apply(this.overrides);
			T value = (overridden != null) ? overridden : top.apply(KcpConfigMapper.this.properties);
			String name = ((overridden != null) ? this.sidePrefix : PREFIX) + property;
			if (value == null) {
				throw new InvalidConfigurationPropertyValueException(name, null, "A value is required");
			}
			this.origins.put(setting, new Object[] { name, value });
			return value;
		}

		Duration duration(String setting, String property, Function<KcpProperties, Duration> top,
				Function<KcpProperties.ProtocolOverrides, @Nullable Duration> override) {
			return resolve(setting, property, top, override);
		}

		int millis(String setting, String property, Function<KcpProperties, Duration> top,
				Function<KcpProperties.ProtocolOverrides, @Nullable Duration> override) {
			Duration value = resolve(setting, property, top, override);
			try {
				return Math.toIntExact(value.toMillis());
			}
			catch (ArithmeticException ex) {
				throw invalid(setting, "Too long; it must fit in an int of milliseconds");
			}
		}

		int bytes(String setting, String property, Function<KcpProperties, DataSize> top,
				Function<KcpProperties.ProtocolOverrides, @Nullable DataSize> override) {
			DataSize value = resolve(setting, property, top, override);
			if (value.toBytes() > Integer.MAX_VALUE) {
				throw invalid(setting, "Too large; the limit is " + Integer.MAX_VALUE + " bytes");
			}
			return (int) value.toBytes();
		}

		private InvalidConfigurationPropertyValueException invalid(String setting, String reason) {
			Object[] origin = this.origins.get(setting);
			return new InvalidConfigurationPropertyValueException((String) origin[0], origin[1], reason);
		}

		/**
		 * Turn the core's complaint about a setting into one about the property its value came from: the structured
		 * error names the setting, the value and the rule.
		 */
		RuntimeException translate(InvalidKcpSettingException ex) {
			Object[] origin = this.origins.get(ex.setting().name());
			if (origin == null) {
				return ex;
			}
			return new InvalidConfigurationPropertyValueException((String) origin[0], origin[1],
					"Expected " + ex.rule(), ex);
		}

	}

}
