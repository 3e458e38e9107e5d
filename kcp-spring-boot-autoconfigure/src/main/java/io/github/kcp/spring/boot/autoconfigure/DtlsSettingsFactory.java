package io.github.kcp.spring.boot.autoconfigure;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

import javax.net.ssl.SSLContext;

import io.github.kcp.core.crypto.CipherMode;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.dtls.DtlsSettings;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.ssl.NoSuchSslBundleException;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.util.StringUtils;

/**
 * Builds the {@link DtlsSettings} of the server or the client side from {@code kcp.ssl.*} and the Spring Boot SSL
 * bundle it names ({@code kcp.server.ssl.bundle} / {@code kcp.client.ssl.bundle} overriding {@code kcp.ssl.bundle}),
 * and keeps them current when the bundle is reloaded. Every problem is a {@link KcpSslConfigurationException} naming
 * the property to fix. Used by the configurers of the server container and the template and by the Spring Integration
 * defaults; useful to applications that secure KCP endpoints of their own the same way.
 */
public final class DtlsSettingsFactory {

	private static final Logger logger = LoggerFactory.getLogger(DtlsSettingsFactory.class);

	/** The protocol every DTLS context is created for; a bundle's {@code protocol} option is for TLS. */
	static final String PROTOCOL = "DTLS";

	/** The DTLS version the core's engine speaks; a bundle that restricts its protocols must allow it. */
	static final String DTLS_1_2 = "DTLSv1.2";

	/** A side of the application, with the property that names its own bundle. */
	public enum Side {

		/** The server side: {@code kcp.server.ssl.bundle}, client authentication. */

		SERVER("kcp.server.ssl.bundle", "kcp.server."),

		/** The client side: {@code kcp.client.ssl.bundle}, hostname verification. */
		CLIENT("kcp.client.ssl.bundle", "kcp.client.");

		private final String bundleProperty;

		private final String prefix;

		Side(String bundleProperty, String prefix) {
			this.bundleProperty = bundleProperty;
			this.prefix = prefix;
		}

	}

	/**
	 * The bundle a side uses and the property that named it.
	 * @param name the bundle's name
	 * @param property {@code kcp.ssl.bundle} or the side's own property
	 */
	record BundleChoice(String name, String property) {
	}

	private final KcpProperties properties;

	private final @Nullable SslBundles bundles;

	/**
	 * @param properties the KCP properties
	 * @param bundles Boot's SSL bundles, or {@code null} when the application has none (then DTLS cannot be used)
	 */
	public DtlsSettingsFactory(KcpProperties properties, @Nullable SslBundles bundles) {
		this.properties = Objects.requireNonNull(properties, "properties");
		this.bundles = bundles;
	}

	/**
	 * The bundle of a side: its own property if set, else {@code kcp.ssl.bundle}.
	 * @return the choice, or {@code null} when the side does not use DTLS
	 */
	@Nullable BundleChoice bundleFor(Side side) {
		String own = (side == Side.SERVER) ? this.properties.getServer().getSsl().getBundle()
				: this.properties.getClient().getSsl().getBundle();
		if (StringUtils.hasText(own)) {
			return new BundleChoice(own.trim(), side.bundleProperty);
		}
		String shared = this.properties.getSsl().getBundle();
		return StringUtils.hasText(shared) ? new BundleChoice(shared.trim(), "kcp.ssl.bundle") : null;
	}

	/**
	 * The DTLS settings of a side.
	 * @param side the side
	 * @param mtu the side's KCP mtu: no DTLS datagram is larger
	 * @param cipher the side's packet cipher, which must be none with DTLS
	 * @return the settings, or {@code null} when the side does not use DTLS
	 * @throws KcpSslConfigurationException naming the property to fix
	 */
	public @Nullable DtlsSettings create(Side side, int mtu, @Nullable PacketCipher cipher) {
		BundleChoice choice = bundleFor(side);
		if (choice == null) {
			return null;
		}
		requireNoPacketCipher(choice, cipher);
		return create(side, choice, bundle(choice), mtu);
	}

	/**
	 * Calls {@code target} with new settings each time the side's bundle is reloaded (for example by
	 * {@code spring.ssl.bundle.pem.<name>.reload-on-update=true} when its files change). A reloaded bundle that cannot
	 * secure DTLS is logged at ERROR and the previous settings stay. Settings the target no longer holds (a
	 * customizer replaced those of the bundle) are left as they are: a reload does not bring the bundle back.
	 * @param side the side
	 * @param mtu the side's KCP mtu
	 * @param applied the settings this factory gave the target
	 * @param current what the target holds now
	 * @param target takes the new settings
	 * @param what names the target in the log
	 */
	public void onReload(Side side, int mtu, DtlsSettings applied, Supplier<@Nullable DtlsSettings> current,
			Consumer<DtlsSettings> target, Object what) {
		BundleChoice choice = bundleFor(side);
		SslBundles registry = this.bundles;
		if (choice == null || registry == null) {
			return;
		}
		AtomicReference<DtlsSettings> lastApplied = new AtomicReference<>(applied);
		registry.addBundleUpdateHandler(choice.name(), (reloaded) -> {
			if (current.get() != lastApplied.get()) {
				logger.info("SSL bundle '{}' ({}) reloaded; {} no longer uses the DTLS settings made from it (they were "
						+ "replaced, by a customizer for example) and keeps its own", choice.name(), choice.property(),
						what);
				return;
			}
			try {
				DtlsSettings renewed = create(side, choice, reloaded, mtu);
				target.accept(renewed);
				lastApplied.set(renewed);
				logger.info("SSL bundle '{}' ({}) reloaded: new DTLS handshakes of {} use its certificate and trust; "
						+ "open sessions keep theirs", choice.name(), choice.property(), what);
			}
			catch (RuntimeException ex) {
				logger.error("SSL bundle '{}' ({}) was reloaded but cannot secure DTLS sessions of {}; new handshakes "
						+ "keep the previous certificate and trust", choice.name(), choice.property(), what, ex);
			}
		});
	}

	private DtlsSettings create(Side side, BundleChoice choice, SslBundle bundle, int mtu) {
		requireDtlsAllowed(choice, bundle);
		SSLContext context;
		try {
			context = bundle.getManagers().createSslContext(PROTOCOL);
		}
		catch (RuntimeException ex) {
			throw new KcpSslConfigurationException(choice.property(), choice.name(),
					"SSL bundle '" + choice.name() + "' cannot make a DTLS context: " + ex.getMessage(),
					"Check the key store and trust store of spring.ssl.bundle.(jks|pem)." + choice.name() + ".", ex);
		}
		KcpProperties.Ssl ssl = this.properties.getSsl();
		DtlsSettings.Builder builder = DtlsSettings.builder(context);
		try {
			builder.maxDatagramSize(mtu);
		}
		catch (IllegalArgumentException ex) {
			String mtuProperty = (mtuOverridden(side) ? side.prefix : "kcp.") + "mtu";
			throw new KcpSslConfigurationException(mtuProperty, mtu, ex.getMessage(),
					"Set " + mtuProperty + " to at least " + DtlsSettings.MIN_MAX_DATAGRAM_SIZE
							+ " for DTLS (each datagram is one DTLS record), or do not use DTLS on this side.",
					ex);
		}
		if (side == Side.SERVER) {
			builder.clientAuth(ssl.getClientAuth());
		}
		else {
			builder.verifyHostname(ssl.isVerifyHostname());
		}
		applyCipherSuites(builder, choice, bundle);
		long handshake = positiveMillis("kcp.ssl.handshake-timeout", ssl.getHandshakeTimeout());
		long retransmit = positiveMillis("kcp.ssl.retransmit-timeout", ssl.getRetransmitTimeout());
		if (retransmit > DtlsSettings.DEFAULT_MAX_RETRANSMIT_TIMEOUT_MILLIS) {
			throw new KcpSslConfigurationException("kcp.ssl.retransmit-timeout", ssl.getRetransmitTimeout(),
					"The first retransmission timeout exceeds its ceiling of "
							+ DtlsSettings.DEFAULT_MAX_RETRANSMIT_TIMEOUT_MILLIS / 1000 + "s",
					"Set kcp.ssl.retransmit-timeout to at most " + DtlsSettings.DEFAULT_MAX_RETRANSMIT_TIMEOUT_MILLIS / 1000
							+ "s (RFC 6347 recommends 1s).",
					null);
		}
		return builder.handshakeTimeoutMillis(handshake).initialRetransmitTimeoutMillis(retransmit).build();
	}

	private void applyCipherSuites(DtlsSettings.Builder builder, BundleChoice choice, SslBundle bundle) {
		List<String> configured = this.properties.getSsl().getCipherSuites();
		String property;
		List<String> suites;
		if (configured != null && !configured.isEmpty()) {
			property = "kcp.ssl.cipher-suites";
			suites = configured;
		}
		else {
			String[] ciphers = bundle.getOptions().getCiphers();
			if (ciphers == null || ciphers.length == 0) {
				return;
			}
			property = "spring.ssl.bundle.(jks|pem)." + choice.name() + ".options.ciphers";
			suites = Arrays.asList(ciphers);
		}
		try {
			builder.cipherSuites(suites);
		}
		catch (IllegalArgumentException ex) {
			throw new KcpSslConfigurationException(property, String.join(",", suites), ex.getMessage(),
					"Name cipher suites the JDK's DTLS supports, such as TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, in "
							+ property + ", or leave kcp.ssl.cipher-suites and the bundle's ciphers unset for the "
							+ "default forward-secret AEAD suites.",
					ex);
		}
	}

	private boolean mtuOverridden(Side side) {
		return ((side == Side.SERVER) ? this.properties.getServer().getMtu()
				: this.properties.getClient().getMtu()) != null;
	}

	private void requireNoPacketCipher(BundleChoice choice, @Nullable PacketCipher cipher) {
		CipherMode mode = this.properties.getCrypto().getMode();
		if (mode != null && mode != CipherMode.NONE) {
			throw new KcpSslConfigurationException(choice.property(), choice.name(),
					"DTLS protects every datagram itself and cannot be combined with packet encryption, but "
							+ "kcp.crypto.mode is '" + mode.modeName() + "'",
					"Use one or the other: set kcp.crypto.mode=none (and remove kcp.crypto.key and kcp.crypto.salt) "
							+ "for DTLS with certificates, or remove " + choice.property() + " for packet encryption.",
					null);
		}
		if (cipher != null && cipher != PacketCipher.NONE) {
			throw new KcpSslConfigurationException(choice.property(), choice.name(),
					"DTLS protects every datagram itself and cannot be combined with packet encryption, but the "
							+ "application defines the PacketCipher bean '" + cipher.name() + "'",
					"Remove the PacketCipher bean for DTLS with certificates, or remove " + choice.property() + ".",
					null);
		}
	}

	private SslBundle bundle(BundleChoice choice) {
		SslBundles registry = this.bundles;
		if (registry == null) {
			throw new KcpSslConfigurationException(choice.property(), choice.name(),
					"The application has no SslBundles (Spring Boot's SslAutoConfiguration is not active)",
					"Keep Spring Boot's SSL auto-configuration enabled, or define an SslBundles bean.", null);
		}
		try {
			return registry.getBundle(choice.name());
		}
		catch (NoSuchSslBundleException ex) {
			List<String> known = registry.getBundleNames();
			throw new KcpSslConfigurationException(choice.property(), choice.name(),
					"There is no SSL bundle named '" + choice.name() + "'"
							+ (known.isEmpty() ? " (none is defined)" : " (defined: " + String.join(", ", known) + ")"),
					"Define it under spring.ssl.bundle.pem." + choice.name() + ".* (PEM certificate and key files) or "
							+ "spring.ssl.bundle.jks." + choice.name() + ".* (a key store), or set " + choice.property()
							+ " to the name of a defined bundle.",
					ex);
		}
	}

	private static void requireDtlsAllowed(BundleChoice choice, SslBundle bundle) {
		String[] enabled = bundle.getOptions().getEnabledProtocols();
		if (enabled == null || enabled.length == 0) {
			return;
		}
		boolean allowed = Arrays.stream(enabled).anyMatch((protocol) -> protocol.equalsIgnoreCase(DTLS_1_2));
		if (!allowed) {
			String property = "spring.ssl.bundle.(jks|pem)." + choice.name() + ".options.enabled-protocols";
			throw new KcpSslConfigurationException(property, String.join(",", enabled),
					"SSL bundle '" + choice.name() + "' (named by " + choice.property() + ") enables only "
							+ String.join(", ", enabled) + ", not " + DTLS_1_2 + ", which KCP's DTLS speaks",
					"Add " + DTLS_1_2 + " to " + property + " (or remove the option), or set " + choice.property()
							+ " to a bundle meant for DTLS.",
					null);
		}
	}

	private static long positiveMillis(String property, @Nullable Duration value) {
		if (value == null || value.isNegative() || value.toMillis() < 1) {
			throw new KcpSslConfigurationException(property, value, "Expected a positive duration of 1ms or more",
					"Set " + property + " to a positive duration such as 30s or 500ms.", null);
		}
		return value.toMillis();
	}

}
