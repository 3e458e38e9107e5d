package io.github.kcp.testsupport.pki;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.jspecify.annotations.Nullable;

/**
 * A throw-away public-key infrastructure made at test time (EC P-256, SHA256withECDSA), so that no private
 * key is ever committed: certificate authorities, server and client certificates signed by them, and DTLS
 * {@link SSLContext}s or PEM files made from them. Needs Bouncy Castle's bcpkix on the class path (an optional
 * dependency of this module: add it test-scoped where this class is used).
 */
public final class TestPki {

	private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime());

	private static final char[] PASSWORD = "test".toCharArray();

	/** A certificate with its private key and the chain above it (leaf first). */
	public record Identity(PrivateKey key, X509Certificate[] chain) {

		public X509Certificate certificate() {
			return chain[0];
		}

	}

	private TestPki() {
	}

	/** A self-signed certificate authority valid for a day around now. */
	public static Identity authority(String commonName) {
		KeyPair pair = keyPair();
		X509Certificate certificate = sign(commonName, pair, commonName, pair.getPrivate(), true,
				Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(1)), null);
		return new Identity(pair.getPrivate(), new X509Certificate[] { certificate });
	}

	/** A server certificate for {@code localhost} and {@code 127.0.0.1}, valid for a day around now. */
	public static Identity server(Identity authority, String commonName) {
		return leaf(authority, commonName, Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(1)),
				new GeneralNames(new GeneralName[] { new GeneralName(GeneralName.dNSName, "localhost"),
						new GeneralName(GeneralName.iPAddress, "127.0.0.1") }));
	}

	/** A client certificate, valid for a day around now. */
	public static Identity client(Identity authority, String commonName) {
		return leaf(authority, commonName, Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(1)),
				null);
	}

	/** A server certificate for {@code localhost} that expired yesterday. */
	public static Identity expiredServer(Identity authority, String commonName) {
		return leaf(authority, commonName, Instant.now().minus(Duration.ofDays(3)), Instant.now().minus(Duration.ofDays(1)),
				new GeneralNames(new GeneralName[] { new GeneralName(GeneralName.dNSName, "localhost"),
						new GeneralName(GeneralName.iPAddress, "127.0.0.1") }));
	}

	/**
	 * A DTLS context with {@code identity} as its key (or none) and {@code trusted} as its only trust anchor
	 * (or none: then it trusts nothing).
	 */
	public static SSLContext context(@Nullable Identity identity, @Nullable Identity trusted) {
		try {
			KeyStore keys = KeyStore.getInstance("PKCS12");
			keys.load(null, null);
			if (identity != null) {
				keys.setKeyEntry("key", identity.key(), PASSWORD, identity.chain());
			}
			KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
			keyManagers.init(keys, PASSWORD);
			KeyStore trust = KeyStore.getInstance("PKCS12");
			trust.load(null, null);
			if (trusted != null) {
				trust.setCertificateEntry("ca", trusted.certificate());
			}
			TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
			trustManagers.init(trust);
			SSLContext context = SSLContext.getInstance("DTLS");
			context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), new SecureRandom());
			return context;
		}
		catch (GeneralSecurityException | IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** Write the certificate chain of {@code identity} as PEM. */
	public static Path writeCertificates(Path file, X509Certificate... certificates) throws IOException {
		StringWriter text = new StringWriter();
		try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
			for (X509Certificate certificate : certificates) {
				writer.writeObject(certificate);
			}
		}
		return Files.writeString(file, text.toString());
	}

	/** Write the private key of {@code identity} as PEM (PKCS#8). */
	public static Path writeKey(Path file, Identity identity) throws IOException {
		StringWriter text = new StringWriter();
		try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
			writer.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(identity.key(), null));
		}
		return Files.writeString(file, text.toString());
	}

	private static Identity leaf(Identity authority, String commonName, Instant notBefore, Instant notAfter,
			@Nullable GeneralNames names) {
		KeyPair pair = keyPair();
		X509Certificate certificate = sign(commonName, pair, authority.certificate().getSubjectX500Principal().getName(),
				authority.key(), false, notBefore, notAfter, names);
		return new Identity(pair.getPrivate(), new X509Certificate[] { certificate, authority.certificate() });
	}

	private static X509Certificate sign(String subject, KeyPair subjectKeys, String issuer, PrivateKey issuerKey,
			boolean authority, Instant notBefore, Instant notAfter, @Nullable GeneralNames names) {
		try {
			X500Name issuerName = issuer.contains("=") ? new X500Name(issuer) : new X500Name("CN=" + issuer);
			X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerName,
					BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(notBefore), Date.from(notAfter),
					new X500Name("CN=" + subject), subjectKeys.getPublic());
			builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(authority));
			builder.addExtension(Extension.keyUsage, true, authority
					? new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign) : new KeyUsage(KeyUsage.digitalSignature));
			if (names != null) {
				builder.addExtension(Extension.subjectAlternativeName, false, names);
			}
			return new JcaX509CertificateConverter()
				.getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
		}
		catch (GeneralSecurityException | OperatorCreationException | IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static KeyPair keyPair() {
		try {
			KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
			generator.initialize(new ECGenParameterSpec("secp256r1"));
			return generator.generateKeyPair();
		}
		catch (GeneralSecurityException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
