package io.github.kcp.core.transport;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.function.Consumer;

import io.github.kcp.core.KcpException;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.PacketCipher;
import org.jspecify.annotations.Nullable;

/**
 * Opens {@link KcpStream}s: the counterparts of aiokcp's (asyncio's) {@code open_connection} and
 * {@code start_server}.
 *
 * <pre class="code">
 * KcpServer server = KcpStreams.startServer("127.0.0.1", 9000, config, (stream) -&gt; echo(stream));
 *
 * static void echo(KcpStream stream) {
 *     stream.read().thenAccept((data) -&gt; {
 *         if (data == null) {
 *             stream.close();
 *         }
 *         else {
 *             stream.write(data);
 *             echo(stream);
 *         }
 *     });
 * }
 *
 * KcpStream client = KcpStreams.connect("127.0.0.1", 9000, config);
 * client.write("hello".getBytes(UTF_8)).join();
 * byte[] reply = client.read().join();
 * </pre>
 */
public final class KcpStreams {

	private KcpStreams() {
	}

	/** Connects with the default configuration; see {@link #connect(InetSocketAddress, KcpConfig)}. */
	public static KcpStream connect(String host, int port) {
		return connect(host, port, KcpConfig.defaults());
	}

	/** Connects to {@code host:port}; see {@link #connect(InetSocketAddress, KcpConfig)}. */
	public static KcpStream connect(String host, int port, KcpConfig config) {
		return connect(new InetSocketAddress(host, port), config);
	}

	/**
	 * Opens a client session to {@code remoteAddress} and returns its stream. KCP has no handshake: this returns as
	 * soon as the local socket is bound, and the server learns of the session from the first write.
	 * @throws KcpException if the address is unresolved or no local socket can be bound
	 */
	public static KcpStream connect(InetSocketAddress remoteAddress, KcpConfig config) {
		return connect(KcpClient.builder().config(config), remoteAddress);
	}

	/**
	 * Opens a client session with a builder prepared for it (configuration, event loop group, conversation id,
	 * local address); its handler is set to the stream's.
	 */
	public static KcpStream connect(KcpClient.Builder client, InetSocketAddress remoteAddress) {
		KcpStream stream = new KcpStream(null);
		KcpSession session = client.handler(stream.handler()).connect(remoteAddress);
		stream.attach(session);
		return stream;
	}

	/** Starts a server on {@code host:port}; see {@link #startServer(KcpServer.Builder, InetSocketAddress, Consumer)}. */
	public static KcpServer startServer(String host, int port, KcpConfig config, Consumer<KcpStream> onConnection) {
		return startServer(new InetSocketAddress(host, port), config, onConnection);
	}

	/** Starts a server on {@code address}; see {@link #startServer(KcpServer.Builder, InetSocketAddress, Consumer)}. */
	public static KcpServer startServer(InetSocketAddress address, KcpConfig config,
			Consumer<KcpStream> onConnection) {
		return startServer(KcpServer.builder().config(config), address, onConnection);
	}

	/**
	 * Binds a server whose every session gets a {@link KcpStream}, handed to {@code onConnection} when the session
	 * opens (before its first data is read). The callback runs on the session's event loop: it must not block
	 * (chain on the stream's futures, or hand the stream to a thread). If it throws, the session is aborted.
	 * @param server a builder prepared with the configuration and limits; its handler is set here
	 * @param address where to bind (port 0 for any free port)
	 * @param onConnection receives the stream of each new session
	 * @return the bound server (close it to stop)
	 */
	public static KcpServer startServer(KcpServer.Builder server, InetSocketAddress address,
			Consumer<KcpStream> onConnection) {
		Objects.requireNonNull(onConnection, "onConnection");
		return server.handlerFactory(() -> new KcpStream(onConnection).handler()).bind(address);
	}

	/**
	 * Two plaintext streams connected to each other over loopback UDP, like aiokcp's {@code socket_pair}; see
	 * {@link KcpClient#pair}.
	 */
	public static StreamPair pair(KcpConfig config) {
		return pair(config, null);
	}

	/**
	 * Two streams connected to each other over loopback UDP, their datagrams protected by {@code cipher} ({@code null}
	 * for none); see {@link KcpClient#pair}.
	 */
	public static StreamPair pair(KcpConfig config, @Nullable PacketCipher cipher) {
		KcpStream first = new KcpStream(null);
		KcpStream second = new KcpStream(null);
		KcpClient.KcpSessionPair sessions = KcpClient.pair(config, cipher, first.handler(), second.handler());
		first.attach(sessions.first());
		second.attach(sessions.second());
		return new StreamPair(first, second);
	}

	/**
	 * Two connected streams; see {@link KcpStreams#pair}.
	 * @param first the first stream
	 * @param second the second stream
	 */
	public record StreamPair(KcpStream first, KcpStream second) {
	}

}
