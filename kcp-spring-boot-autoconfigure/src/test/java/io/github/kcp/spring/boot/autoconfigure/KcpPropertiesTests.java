package io.github.kcp.spring.boot.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.jayway.jsonpath.JsonPath;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.connection.KcpSetting;
import io.github.kcp.core.connection.KcpSettings;
import io.github.kcp.core.crypto.CipherMode;
import io.github.kcp.core.crypto.PacketCipher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.beans.BeanWrapperImpl;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link KcpProperties} defaults, {@link KcpConfigMapper} and the generated configuration metadata.
 */
@Timeout(30)
class KcpPropertiesTests {

	private final KcpProperties properties = new KcpProperties();

	@Test
	void defaultsAreAiokcps() {
		// aiokcp's default_kcp_kwargs and default_timeout, from its README
		assertThat(this.properties.getMtu()).as("max_transmission").isEqualTo(1400);
		assertThat(this.properties.getNodelay()).as("no_delay").isEqualTo(NodelayMode.ON);
		assertThat(this.properties.getInterval()).as("update_interval").isEqualTo(Duration.ofMillis(100));
		assertThat(this.properties.getResend()).as("resend_count").isEqualTo(2);
		assertThat(this.properties.isCongestionControl()).as("not no_congestion_control").isTrue();
		assertThat(this.properties.getSendWindow()).as("send_window_size").isEqualTo(32);
		assertThat(this.properties.getReceiveWindow()).as("receive_window_size").isEqualTo(128);
		assertThat(this.properties.isStream()).as("stream").isFalse();
		assertThat(this.properties.getIdleTimeout()).as("default_timeout").isEqualTo(Duration.ofSeconds(600));
		assertThat(this.properties.getCrypto().getMode()).isEqualTo(CipherMode.NONE);
	}

	@Test
	void defaultsAreTheCoresOnBothSides() {
		KcpConfigMapper mapper = new KcpConfigMapper(this.properties);
		assertSameSettings(mapper.serverConfig(null), KcpConfig.defaults());
		assertSameSettings(mapper.clientConfig(PacketCipher.NONE), KcpConfig.defaults());
	}

	/**
	 * Every setting of the core's catalogue has a property of the same name (kebab case) whose default is the core's
	 * — session settings at the top level and as server and client overrides, server settings under
	 * {@code kcp.server} — so a setting added to the core cannot be forgotten here, nor a default drift.
	 */
	@Test
	void everyCoreSettingHasAPropertyOfTheSameNameAndDefault() {
		BeanWrapperImpl top = new BeanWrapperImpl(this.properties);
		BeanWrapperImpl server = new BeanWrapperImpl(this.properties.getServer());
		BeanWrapperImpl client = new BeanWrapperImpl(this.properties.getClient());
		for (KcpSetting<?> setting : KcpSettings.all()) {
			if (setting.scope() == KcpSetting.Scope.SESSION) {
				assertThat(top.isReadableProperty(setting.name())).as("kcp.%s", setting.name()).isTrue();
				assertThat(coreValue(setting, top.getPropertyValue(setting.name()))).as("default of kcp.%s", setting.name())
					.isEqualTo(setting.defaultValue());
				assertThat(server.isWritableProperty(setting.name())).as("kcp.server.%s", setting.name()).isTrue();
				assertThat(client.isWritableProperty(setting.name())).as("kcp.client.%s", setting.name()).isTrue();
			}
			else {
				assertThat(server.isReadableProperty(setting.name())).as("kcp.server.%s", setting.name()).isTrue();
				assertThat(coreValue(setting, server.getPropertyValue(setting.name())))
					.as("default of kcp.server.%s", setting.name())
					.isEqualTo(setting.defaultValue());
			}
		}
	}

	/** A property value in the core's unit: milliseconds for the engine's times (ints there), bytes for sizes. */
	private static Object coreValue(KcpSetting<?> setting, Object value) {
		if (value instanceof DataSize size) {
			return (setting.type() == Long.class) ? size.toBytes() : (Object) (int) size.toBytes();
		}
		if (value instanceof NodelayMode mode) {
			return mode.mode();
		}
		if (value instanceof Duration duration && setting.type() == Integer.class) {
			return (int) duration.toMillis();
		}
		return value;
	}

	@Test
	void sideOverridesReplaceOnlyTheirSide() {
		this.properties.setInterval(Duration.ofMillis(40));
		this.properties.getServer().setInterval(Duration.ofMillis(10));
		this.properties.getServer().setSendWindow(512);
		this.properties.getClient().setNodelay(NodelayMode.OFF);
		this.properties.getClient().setSendBufferSize(DataSize.ofKilobytes(64));
		KcpConfigMapper mapper = new KcpConfigMapper(this.properties);
		KcpConfig server = mapper.serverConfig(null);
		KcpConfig client = mapper.clientConfig(null);
		assertThat(server.interval()).isEqualTo(10);
		assertThat(server.sendWindow()).isEqualTo(512);
		assertThat(server.nodelay()).isEqualTo(1);
		assertThat(server.sendBufferSize()).isEqualTo(4 << 20);
		assertThat(client.interval()).isEqualTo(40);
		assertThat(client.sendWindow()).isEqualTo(32);
		assertThat(client.nodelay()).isZero();
		assertThat(client.sendBufferSize()).isEqualTo(64 * 1024);
	}

	@Test
	void invalidTopLevelValueNamesTheTopLevelProperty() {
		this.properties.setMtu(10);
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> new KcpConfigMapper(this.properties).serverConfig(null))
			.satisfies((ex) -> {
				assertThat(ex.getName()).isEqualTo("kcp.mtu");
				assertThat(ex.getValue()).isEqualTo(10);
				assertThat(ex.getReason()).startsWith("Expected 50..65507 bytes");
			});
	}

	@Test
	void invalidOverrideNamesTheOverride() {
		this.properties.getClient().setSendWindow(-1);
		KcpConfigMapper mapper = new KcpConfigMapper(this.properties);
		assertThat(mapper.serverConfig(null).sendWindow()).isEqualTo(32);
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> mapper.clientConfig(null))
			.satisfies((ex) -> assertThat(ex.getName()).isEqualTo("kcp.client.send-window"))
			.withMessageContaining("kcp.client.send-window");
	}

	@Test
	void outOfRangeDurationsAndSizesNameTheirProperty() {
		this.properties.getServer().setInterval(Duration.ofMillis(5));
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> new KcpConfigMapper(this.properties).serverConfig(null))
			.satisfies((ex) -> assertThat(ex.getName()).isEqualTo("kcp.server.interval"));
		this.properties.getServer().setInterval(null);
		this.properties.setIdleTimeout(Duration.ofSeconds(-1));
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> new KcpConfigMapper(this.properties).serverConfig(null))
			.satisfies((ex) -> assertThat(ex.getName()).isEqualTo("kcp.idle-timeout"));
		this.properties.setIdleTimeout(Duration.ofSeconds(1));
		this.properties.setSendBufferSize(DataSize.ofGigabytes(3));
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> new KcpConfigMapper(this.properties).clientConfig(null))
			.satisfies((ex) -> assertThat(ex.getName()).isEqualTo("kcp.send-buffer-size"));
	}

	@Test
	void encryptingModeWithoutKeyOrSaltNamesTheMissingProperty() {
		KcpProperties.Crypto crypto = this.properties.getCrypto();
		crypto.setMode(CipherMode.AES_GCM);
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> PacketCipherFactory.create(crypto))
			.satisfies((ex) -> assertThat(ex.getName()).isEqualTo("kcp.crypto.key"))
			.withMessageContaining("aes-gcm");
		crypto.setKey("secret");
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> PacketCipherFactory.create(crypto))
			.satisfies((ex) -> assertThat(ex.getName()).isEqualTo("kcp.crypto.salt"));
	}

	@Test
	void malformedKeyMaterialIsReportedWithoutTheSecret() {
		KcpProperties.Crypto crypto = this.properties.getCrypto();
		crypto.setMode(CipherMode.AES_CBC_HMAC);
		crypto.setKey("hex:abc");
		crypto.setSalt("salt");
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> PacketCipherFactory.create(crypto))
			.satisfies((ex) -> {
				assertThat(ex.getName()).isEqualTo("kcp.crypto.key");
				assertThat(ex.getValue()).isEqualTo("******");
			})
			.withMessageNotContaining("abc");
	}

	@Test
	void noneNeedsNoKey() {
		assertThat(PacketCipherFactory.create(this.properties.getCrypto())).isSameAs(PacketCipher.NONE);
	}

	@Test
	void metadataDescribesEveryPropertyAndHintsTheCryptoModes() throws IOException {
		try (InputStream json = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
			assertThat(json).as("metadata generated by spring-boot-configuration-processor").isNotNull();
			Object document = JsonPath.parse(json).json();
			List<Map<String, Object>> properties = JsonPath.read(document, "$.properties[*]");
			assertThat(properties).hasSizeGreaterThan(50);
			assertThat(properties).allSatisfy((property) -> assertThat(property.get("description"))
				.as("description of %s", property.get("name"))
				.isNotNull());
			assertThat(properties).filteredOn((property) -> "java.lang.Boolean".equals(property.get("type")))
				.allSatisfy((property) -> assertThat((String) property.get("description"))
					.as("description of %s", property.get("name"))
					.startsWith("Whether"));
			List<String> modes = JsonPath.read(document, "$.hints[?(@.name == 'kcp.crypto.mode')].values[*].value");
			assertThat(modes).containsExactly("none", "aes-cbc-hmac", "aes-gcm");
			List<Object> mtuDefault = JsonPath.read(document, "$.properties[?(@.name == 'kcp.mtu')].defaultValue");
			assertThat(mtuDefault).containsExactly(1400);
			List<Object> timeoutDefault = JsonPath.read(document,
					"$.properties[?(@.name == 'kcp.idle-timeout')].defaultValue");
			assertThat(timeoutDefault).containsExactly("600s");
		}
	}

	private static void assertSameSettings(KcpConfig actual, KcpConfig expected) {
		assertThat(actual.toString()).isEqualTo(expected.toString());
	}

}
