package io.github.kcp.core.socket;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * A {@link KcpRequestHandler} that works with text lines, the counterpart of socketserver's
 * {@code StreamRequestHandler} ({@code rfile} / {@code wfile}): the reader decodes the received bytes as UTF-8 (its
 * {@code readLine()} returns {@code null} once the peer closed), the writer encodes as UTF-8 and flushes at every
 * {@code println}, waiting until the peer acknowledged the line. Best used with sessions in stream mode.
 *
 * <pre class="code">
 * KcpStreamRequestHandler echo = (reader, writer, socket) -&gt; {
 *     String line;
 *     while ((line = reader.readLine()) != null) {
 *         writer.println(line);
 *     }
 * };
 * </pre>
 */
@FunctionalInterface
public interface KcpStreamRequestHandler extends KcpRequestHandler {

	/**
	 * Serves one peer with line-oriented text. The writer is flushed after this returns.
	 * @param reader UTF-8 text from the peer
	 * @param writer UTF-8 text to the peer; flushes (and waits for acknowledgement) at each {@code println}; check
	 * {@link PrintWriter#checkError()} to learn about send failures, as PrintWriter swallows them
	 * @param socket the accepted socket
	 * @throws IOException if the conversation failed
	 */
	void handle(BufferedReader reader, PrintWriter writer, KcpSocket socket) throws IOException;

	/** Wraps the socket's streams in a reader and a writer and calls {@link #handle(BufferedReader, PrintWriter, KcpSocket)}. */
	@Override
	default void handle(KcpSocket socket) throws IOException {
		BufferedReader reader = new BufferedReader(
				new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
		PrintWriter writer = new PrintWriter(
				new BufferedWriter(new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.UTF_8)), true);
		handle(reader, writer, socket);
		writer.flush();
		if (writer.checkError() && !socket.isClosed()) {
			throw new IOException("Writing to " + socket.getRemoteSocketAddress() + " failed");
		}
	}

}
