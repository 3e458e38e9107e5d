package io.github.kcp.demo;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.transport.KcpClient;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionHandler;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@code kcp-tool echo-client --port 9700 --count N --size 512} does, from the core's client: one KCP session
 * to the raw desk, N binary messages one after the other, each echo checked. Plus junk datagrams, which the desk
 * drops and counts.
 */
final class EchoTraffic {

	private EchoTraffic() {
	}

	/**
	 * Sends {@code count} messages of {@code size} random bytes and checks each echo.
	 * @return the session, still open (close it)
	 */
	static KcpSession echo(int port, int count, int size, Duration timeout) throws Exception {
		BlockingQueue<byte[]> echoes = new LinkedBlockingQueue<>();
		KcpSessionHandler handler = (session, message) -> echoes.add(message);
		KcpSession session = KcpClient.builder()
			.config(KcpConfig.builder().nodelay(1, 10, 2, true).build())
			.handler(handler)
			.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
		Random random = new Random(port);
		for (int i = 0; i < count; i++) {
			byte[] message = new byte[size];
			random.nextBytes(message);
			// A first byte that is neither '{' nor '[' nor valid UTF-8 keeps it for the binary echo handler.
			message[0] = (byte) 0xff;
			session.send(message);
			byte[] echo = echoes.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
			assertThat(echo).as("echo %d", i).isEqualTo(message);
		}
		return session;
	}

	/** Sends {@code count} datagrams too short to be KCP. */
	static void junk(int port, int count) throws Exception {
		try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
			for (int i = 0; i < count; i++) {
				byte[] junk = { 1, 2, 3 };
				socket.send(new DatagramPacket(junk, junk.length, InetAddress.getLoopbackAddress(), port));
			}
		}
	}

}
