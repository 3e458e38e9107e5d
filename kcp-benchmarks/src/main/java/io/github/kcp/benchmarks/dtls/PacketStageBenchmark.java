package io.github.kcp.benchmarks.dtls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import io.github.kcp.core.crypto.EndpointRole;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.crypto.PacketCiphers;
import io.github.kcp.core.dtls.DtlsConnection;
import io.github.kcp.core.dtls.DtlsCookieGate;
import io.github.kcp.core.dtls.DtlsSettings;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The packet stage per datagram: one KCP datagram protected by one side and opened by the other, in memory — a DTLS
 * 1.2 application record (AES-256-GCM, between two {@link DtlsConnection}s after a real handshake) against the
 * {@code aes-gcm} and {@code aes-cbc-hmac} packet ciphers. Sizes: a 64-byte datagram and a full one (1363 bytes:
 * the 1400-byte mtu less DTLS's 37-byte record overhead). The certificate is a self-signed EC P-256 one made with
 * the JDK's {@code keytool} at setup (no key is committed, no Bouncy Castle at run time).
 * <p>
 * Run: {@code java -jar kcp-benchmarks/target/benchmarks.jar PacketStage}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PacketStageBenchmark {

	@Param({ "dtls", "aes-gcm", "aes-cbc-hmac" })
	public String stage;

	@Param({ "64", "1363" })
	public int size;

	private byte[] datagram;

	private DtlsConnection client;

	private DtlsConnection server;

	private PacketCipher sealing;

	private PacketCipher opening;

	private Path directory;

	@Setup(Level.Trial)
	public void setUp() throws Exception {
		this.datagram = new byte[this.size];
		new SecureRandom().nextBytes(this.datagram);
		if (this.stage.equals("dtls")) {
			this.directory = Files.createTempDirectory("kcp-dtls-bench");
			SSLContext context = selfSignedContext(this.directory);
			DtlsSettings settings = DtlsSettings.builder(context).verifyHostname(false).build();
			DtlsConnection[] pair = handshake(settings);
			this.client = pair[0];
			this.server = pair[1];
		}
		else {
			PacketCipher cipher = PacketCiphers.create(this.stage,
					"benchmark key material".getBytes(StandardCharsets.UTF_8),
					"benchmark salt".getBytes(StandardCharsets.UTF_8));
			this.sealing = cipher.forRole(EndpointRole.CLIENT);
			this.opening = cipher.forRole(EndpointRole.SERVER);
		}
	}

	@TearDown(Level.Trial)
	public void tearDown() throws IOException {
		if (this.directory != null) {
			try (var files = Files.walk(this.directory)) {
				for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
					Files.delete(file);
				}
			}
		}
	}

	/** Protect one datagram and open it on the other side; returns the opened bytes. */
	@Benchmark
	public int sealAndOpen() {
		if (this.client != null) {
			this.client.send(ByteBuffer.wrap(this.datagram));
			this.server.handleDatagram(0, this.client.pollTransmit());
			return this.server.pollReceived().remaining();
		}
		byte[] sealed = this.sealing.encrypt(this.datagram, 0, this.datagram.length);
		return this.opening.decrypt(sealed, 0, sealed.length).length;
	}

	/** A client and a server connection after a complete handshake through a cookie gate, in memory. */
	static DtlsConnection[] handshake(DtlsSettings settings) {
		DtlsCookieGate gate = DtlsCookieGate.create(new SecureRandom());
		byte[] source = { 127, 0, 0, 1, 0, 1 };
		DtlsConnection client = DtlsConnection.client(settings, "localhost", 1, 0);
		DtlsConnection server = null;
		for (int round = 0; round < 20 && (server == null || client.state() != DtlsConnection.State.ESTABLISHED
				|| server.state() != DtlsConnection.State.ESTABLISHED); round++) {
			for (ByteBuffer out = client.pollTransmit(); out != null; out = client.pollTransmit()) {
				if (server != null) {
					server.handleDatagram(0, out);
					continue;
				}
				DtlsCookieGate.Verdict verdict = gate.verify(0, source, out);
				switch (verdict.outcome()) {
					case REPLY -> client.handleDatagram(0, verdict.reply());
					case ACCEPT -> server = DtlsConnection.accept(settings, verdict, 0);
					case DROP -> throw new IllegalStateException("The gate dropped our hello: " + verdict);
				}
			}
			if (server != null) {
				for (ByteBuffer out = server.pollTransmit(); out != null; out = server.pollTransmit()) {
					client.handleDatagram(0, out);
				}
			}
		}
		if (server == null || client.state() != DtlsConnection.State.ESTABLISHED
				|| server.state() != DtlsConnection.State.ESTABLISHED) {
			throw new IllegalStateException("The handshake did not complete: " + client + ", " + server);
		}
		return new DtlsConnection[] { client, server };
	}

	/** A DTLS context whose key is a fresh self-signed EC certificate and whose only trust is that certificate. */
	static SSLContext selfSignedContext(Path directory) throws Exception {
		Path store = directory.resolve("bench.p12");
		String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
		Process process = new ProcessBuilder(keytool, "-genkeypair", "-keystore", store.toString(), "-storetype",
				"PKCS12", "-storepass", "benchmark", "-alias", "bench", "-keyalg", "EC", "-groupname", "secp256r1",
				"-sigalg", "SHA256withECDSA", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
				"-validity", "2")
			.redirectErrorStream(true)
			.start();
		String output;
		try (InputStream in = process.getInputStream()) {
			output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
		if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
			process.destroyForcibly();
			throw new IllegalStateException("keytool failed: " + output);
		}
		char[] password = "benchmark".toCharArray();
		KeyStore keys = KeyStore.getInstance("PKCS12");
		try (InputStream in = Files.newInputStream(store)) {
			keys.load(in, password);
		}
		KeyStore trust = KeyStore.getInstance("PKCS12");
		trust.load(null, null);
		trust.setCertificateEntry("bench", keys.getCertificate("bench"));
		KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
		keyManagers.init(keys, password);
		TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
		trustManagers.init(trust);
		SSLContext context = SSLContext.getInstance("DTLS");
		context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), new SecureRandom());
		return context;
	}

}
