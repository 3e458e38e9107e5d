package io.github.kcp.spring.boot.autoconfigure;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.spring.support.KcpStreamFraming;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.integration.ip.tcp.serializer.TcpCodecs;
import org.springframework.util.ClassUtils;

/**
 * Builds the {@link KcpStreamFraming} of {@code kcp.stream-framing.*} from spring-integration-ip's codecs. Loads
 * spring-integration-ip only when a codec is set.
 */
public final class StreamFramingFactory {

	static final String CODEC_PROPERTY = "kcp.stream-framing.codec";

	private static final boolean integrationIpPresent = ClassUtils.isPresent(
			"org.springframework.integration.ip.tcp.serializer.TcpCodecs", StreamFramingFactory.class.getClassLoader());

	private StreamFramingFactory() {
	}

	/**
	 * The framing of a side.
	 * @param properties the properties
	 * @param config the side's session configuration
	 * @return the framing, or {@code null} when the side is not in stream mode or no codec is set
	 * @throws InvalidConfigurationPropertyValueException if a codec is set without spring-integration-ip, or the
	 * maximum size is not positive
	 */
	public static @Nullable KcpStreamFraming framing(KcpProperties properties, KcpConfig config) {
		return config.stream() ? framing(properties) : null;
	}

	/**
	 * The framing the properties name, whatever the stream mode.
	 * @param properties the properties
	 * @return the framing, or {@code null} when no codec is set
	 * @throws InvalidConfigurationPropertyValueException if a codec is set without spring-integration-ip, or the
	 * maximum size is not positive
	 */
	public static @Nullable KcpStreamFraming framing(KcpProperties properties) {
		KcpProperties.StreamFraming settings = properties.getStreamFraming();
		StreamFramingCodec codec = settings.getCodec();
		if (codec == StreamFramingCodec.NONE) {
			return null;
		}
		if (!integrationIpPresent) {
			throw new InvalidConfigurationPropertyValueException(CODEC_PROPERTY, codec,
					"The stream framing codecs are spring-integration-ip's: add "
							+ "org.springframework.integration:spring-integration-ip to the application");
		}
		long max = settings.getMaxMessageSize().toBytes();
		if (max < 1 || max > Integer.MAX_VALUE) {
			throw new InvalidConfigurationPropertyValueException("kcp.stream-framing.max-message-size",
					settings.getMaxMessageSize(), "Expected 1B to 2GB");
		}
		return Codecs.framing(codec, (int) max);
	}

	/** Isolates the spring-integration-ip types. */
	private static final class Codecs {

		static KcpStreamFraming framing(StreamFramingCodec codec, int max) {
			return switch (codec) {
				case LENGTH_HEADER_1 -> KcpStreamFraming.of(TcpCodecs.lengthHeader1(max));
				case LENGTH_HEADER_2 -> KcpStreamFraming.of(TcpCodecs.lengthHeader2(max));
				case LENGTH_HEADER_4 -> KcpStreamFraming.of(TcpCodecs.lengthHeader4(max));
				case CRLF -> KcpStreamFraming.of(TcpCodecs.crlf(max));
				case LF -> KcpStreamFraming.of(TcpCodecs.lf(max));
				case STX_ETX -> KcpStreamFraming.of(TcpCodecs.stxetx(max));
				case RAW -> KcpStreamFraming.of(TcpCodecs.raw(max));
				case NONE -> throw new IllegalArgumentException("No codec");
			};
		}

	}

}
