package io.github.kcp.spring.boot.autoconfigure;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;

import io.github.kcp.testsupport.pki.TestPki;
import io.github.kcp.testsupport.pki.TestPki.Identity;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslOptions;
import org.springframework.boot.ssl.SslStoreBundle;

/**
 * Spring Boot SSL bundles for DTLS tests, made from certificates generated at test time ({@link TestPki}): PEM files
 * or PKCS#12 key stores written to a temporary directory and the {@code spring.ssl.bundle.*} properties that name
 * them, or bundles built in memory for a registry update.
 */
public final class DtlsTestBundles {

	/** The password of the PKCS#12 stores; a test fixture, not a secret. */
	public static final String STORE_PASSWORD = "changeit";

	private DtlsTestBundles() {
	}

	/**
	 * The properties of a PEM bundle: {@code identity}'s chain and key (if any) and {@code trusted} as the only
	 * trusted issuer, written under {@code directory}.
	 * @param directory where the files go
	 * @param name the bundle's name
	 * @param identity the bundle's own certificate and key, or {@code null} for a trust-only bundle
	 * @param trusted the issuer to trust
	 * @param options further bundle properties, relative to {@code spring.ssl.bundle.pem.<name>.} (such as
	 * {@code options.ciphers=...})
	 * @return the properties
	 * @throws IOException if the files cannot be written
	 */
	public static List<String> pem(Path directory, String name, @Nullable Identity identity, Identity trusted,
			String... options) throws IOException {
		String prefix = "spring.ssl.bundle.pem." + name + ".";
		List<String> properties = new ArrayList<>();
		if (identity != null) {
			Path certificate = TestPki.writeCertificates(directory.resolve(name + "-chain.pem"), identity.chain());
			Path key = TestPki.writeKey(directory.resolve(name + "-key.pem"), identity);
			properties.add(prefix + "keystore.certificate=" + certificate.toUri());
			properties.add(prefix + "keystore.private-key=" + key.toUri());
		}
		Path trust = TestPki.writeCertificates(directory.resolve(name + "-trust.pem"), trusted.certificate());
		properties.add(prefix + "truststore.certificate=" + trust.toUri());
		for (String option : options) {
			properties.add(prefix + option);
		}
		return properties;
	}

	/**
	 * Writes new PEM files for an existing bundle of {@link #pem}, as a certificate renewal would.
	 * @param directory where the bundle's files are
	 * @param name the bundle's name
	 * @param identity the new certificate and key
	 * @throws IOException if the files cannot be written
	 */
	public static void renewPem(Path directory, String name, Identity identity) throws IOException {
		TestPki.writeKey(directory.resolve(name + "-key.pem"), identity);
		TestPki.writeCertificates(directory.resolve(name + "-chain.pem"), identity.chain());
	}

	/**
	 * The properties of a JKS-style bundle with PKCS#12 stores: {@code identity} in the key store, {@code trusted}
	 * in the trust store.
	 * @param directory where the stores go
	 * @param name the bundle's name
	 * @param identity the bundle's own certificate and key
	 * @param trusted the issuer to trust
	 * @return the properties
	 * @throws Exception if the stores cannot be made
	 */
	public static List<String> pkcs12(Path directory, String name, Identity identity, Identity trusted)
			throws Exception {
		Path keyStore = write(keyStore(identity), directory.resolve(name + "-keystore.p12"));
		Path trustStore = write(trustStore(trusted), directory.resolve(name + "-truststore.p12"));
		String prefix = "spring.ssl.bundle.jks." + name + ".";
		return List.of(prefix + "keystore.location=" + keyStore.toUri(), prefix + "keystore.type=PKCS12",
				prefix + "keystore.password=" + STORE_PASSWORD, prefix + "truststore.location=" + trustStore.toUri(),
				prefix + "truststore.type=PKCS12", prefix + "truststore.password=" + STORE_PASSWORD);
	}

	/**
	 * A bundle built in memory, for {@code SslBundleRegistry.updateBundle}.
	 * @param identity its certificate and key
	 * @param trusted the issuer it trusts
	 * @param options its options ({@link SslOptions#NONE} for none)
	 * @return the bundle
	 * @throws Exception if the stores cannot be made
	 */
	public static SslBundle bundle(Identity identity, Identity trusted, SslOptions options) throws Exception {
		return SslBundle.of(SslStoreBundle.of(keyStore(identity), STORE_PASSWORD, trustStore(trusted)), null, options);
	}

	private static KeyStore keyStore(Identity identity) throws GeneralSecurityException, IOException {
		KeyStore store = KeyStore.getInstance("PKCS12");
		store.load(null, null);
		store.setKeyEntry("kcp", identity.key(), STORE_PASSWORD.toCharArray(), identity.chain());
		return store;
	}

	private static KeyStore trustStore(Identity trusted) throws GeneralSecurityException, IOException {
		KeyStore store = KeyStore.getInstance("PKCS12");
		store.load(null, null);
		store.setCertificateEntry("ca", trusted.certificate());
		return store;
	}

	private static Path write(KeyStore store, Path file) throws GeneralSecurityException, IOException {
		try (OutputStream out = Files.newOutputStream(file)) {
			store.store(out, STORE_PASSWORD.toCharArray());
		}
		return file;
	}

}
