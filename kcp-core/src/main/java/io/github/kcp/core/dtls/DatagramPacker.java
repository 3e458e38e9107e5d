package io.github.kcp.core.dtls;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Packs consecutive DTLS records into as few datagrams as the datagram size allows (RFC 6347 4.1.1 lets a
 * datagram carry several records): the JDK's engine emits one handshake message per record, and a flight
 * sent as one datagram per message would be lost more often.
 */
final class DatagramPacker {

	private final int maxDatagramSize;

	private final List<ByteBuffer> datagrams = new ArrayList<>();

	private ByteBuffer current;

	DatagramPacker(int maxDatagramSize) {
		this.maxDatagramSize = maxDatagramSize;
		this.current = ByteBuffer.allocate(maxDatagramSize);
	}

	/** Add one record, from its position to its limit; it must not exceed the datagram size. */
	void add(ByteBuffer record) {
		if (record.remaining() > current.remaining()) {
			flush();
		}
		current.put(record);
	}

	/** @return the packed datagrams, each flipped for reading */
	List<ByteBuffer> datagrams() {
		flush();
		return datagrams;
	}

	private void flush() {
		if (current.position() > 0) {
			datagrams.add(current.flip());
			current = ByteBuffer.allocate(maxDatagramSize);
		}
	}

}
