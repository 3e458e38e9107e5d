package io.github.kcp.benchmarks.tool;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.jspecify.annotations.Nullable;

/**
 * The DTLS {@link SSLContext} of kcp-tool's {@code --dtls} flags, from PEM files read with the JDK alone: a
 * certificate chain ({@code --cert}, leaf first), its private key ({@code --key}, unencrypted PKCS#8,
 * {@code BEGIN PRIVATE KEY}) and trusted certificates ({@code --ca}; without it the JDK's default trust store).
 * {@code --dtls-insecure} trusts any certificate, for tests only.
 */
final class DtlsFiles {

	private static final Pattern PRIVATE_KEY = Pattern
		.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

	private static final char[] NO_PASSWORD = new char[0];

	private DtlsFiles() {
	}

	/**
	 * The context for {@code --cert}/{@code --key} (either none or both) and {@code --ca} or {@code --dtls-insecure}.
	 * @throws ToolUsageException naming the file that could not be used and why
	 */
	static SSLContext context(@Nullable String certFile, @Nullable String keyFile, @Nullable String caFile,
			boolean insecure) throws ToolUsageException {
		try {
			KeyManager[] keyManagers = null;
			if (certFile != null && keyFile != null) {
				List<X509Certificate> chain = certificates(certFile);
				PrivateKey key = privateKey(keyFile);
				KeyStore keys = KeyStore.getInstance("PKCS12");
				keys.load(null, null);
				keys.setKeyEntry("key", key, NO_PASSWORD, chain.toArray(new Certificate[0]));
				KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
				factory.init(keys, NO_PASSWORD);
				keyManagers = factory.getKeyManagers();
			}
			TrustManager[] trustManagers = null;
			if (insecure) {
				trustManagers = new TrustManager[] { new TrustingAnything() };
			}
			else if (caFile != null) {
				KeyStore trust = KeyStore.getInstance("PKCS12");
				trust.load(null, null);
				int i = 0;
				for (X509Certificate certificate : certificates(caFile)) {
					trust.setCertificateEntry("ca-" + i++, certificate);
				}
				TrustManagerFactory factory = TrustManagerFactory
					.getInstance(TrustManagerFactory.getDefaultAlgorithm());
				factory.init(trust);
				trustManagers = factory.getTrustManagers();
			}
			SSLContext context = SSLContext.getInstance("DTLS");
			context.init(keyManagers, trustManagers, new SecureRandom());
			return context;
		}
		catch (GeneralSecurityException | IOException ex) {
			throw new ToolUsageException("--dtls: " + ex.getMessage());
		}
	}

	/** The certificates of a PEM file, in order. */
	static List<X509Certificate> certificates(String file) throws ToolUsageException {
		byte[] pem = read(file);
		try {
			Collection<? extends Certificate> read = CertificateFactory.getInstance("X.509")
				.generateCertificates(new ByteArrayInputStream(pem));
			if (read.isEmpty()) {
				throw new ToolUsageException("--dtls: no certificate in " + file);
			}
			return read.stream().map(X509Certificate.class::cast).toList();
		}
		catch (CertificateException ex) {
			throw new ToolUsageException("--dtls: " + file + " holds no PEM certificate: " + ex.getMessage());
		}
	}

	/** The unencrypted PKCS#8 private key (EC or RSA) of a PEM file. */
	static PrivateKey privateKey(String file) throws ToolUsageException {
		String pem = new String(read(file), StandardCharsets.US_ASCII);
		Matcher matcher = PRIVATE_KEY.matcher(pem);
		if (!matcher.find()) {
			throw new ToolUsageException("--dtls: " + file + " holds no unencrypted PKCS#8 key (BEGIN PRIVATE KEY); "
					+ "convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out " + file);
		}
		byte[] der = Base64.getMimeDecoder().decode(matcher.group(1));
		for (String algorithm : new String[] { "EC", "RSA", "Ed25519" }) {
			try {
				return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
			}
			catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException ex) {
				// try the next algorithm
			}
		}
		throw new ToolUsageException("--dtls: the key in " + file + " is neither EC, RSA nor Ed25519");
	}

	private static byte[] read(String file) throws ToolUsageException {
		try {
			return Files.readAllBytes(Path.of(file));
		}
		catch (IOException ex) {
			throw new ToolUsageException("--dtls: cannot read " + file + ": " + ex);
		}
	}

	/** {@code --dtls-insecure}: any certificate is accepted (the connection is encrypted, the peer unknown). */
	private static final class TrustingAnything implements X509TrustManager {

		@Override
		public void checkClientTrusted(X509Certificate[] chain, String authType) {
		}

		@Override
		public void checkServerTrusted(X509Certificate[] chain, String authType) {
		}

		@Override
		public X509Certificate[] getAcceptedIssuers() {
			return new X509Certificate[0];
		}

	}

}
