package io.github.kcp.core.connection;

import io.github.kcp.core.protocol.KcpCodec;

/**
 * Rewrites a received datagram so that the engine neither acknowledges nor stores new data: each data segment
 * (PUSH) at or beyond {@code rcv_nxt} becomes a bare window announcement (WINS) with the same header fields and no
 * payload. The engine still applies what every segment carries besides data — the peer's cumulative
 * acknowledgement ({@code una}) and its window — and the other segments (acknowledgements of our data, probes)
 * unchanged, so our own sends go on completing while the peer keeps its new data for a retry elsewhere. Data below
 * {@code rcv_nxt} was received (and acknowledged) before: its retransmissions pass, so that the engine acknowledges
 * them again — their first acknowledgement may have been lost, and the peer must not retry elsewhere what we
 * delivered.
 */
final class DataRefusal {

	private DataRefusal() {
	}

	/**
	 * The datagram without new data. Segments after a malformed one are copied as they are: the engine stops
	 * parsing there anyway, so nothing of them is applied.
	 */
	static byte[] withoutNewData(byte[] data, int offset, int length, int receiveNext) {
		byte[] out = new byte[length];
		int in = offset;
		int end = offset + length;
		int written = 0;
		while (end - in >= KcpCodec.OVERHEAD) {
			int len = KcpCodec.readInt(data, in + 20);
			if (len < 0 || len > end - in - KcpCodec.OVERHEAD) {
				break;
			}
			int cmd = data[in + 4] & 0xff;
			int sn = KcpCodec.readInt(data, in + 12);
			if (cmd == KcpCodec.CMD_PUSH && sn - receiveNext >= 0) {
				System.arraycopy(data, in, out, written, KcpCodec.OVERHEAD);
				out[written + 4] = (byte) KcpCodec.CMD_WINS;
				// Fragment number and payload length go: a window announcement carries neither.
				out[written + 5] = 0;
				KcpCodec.writeInt(out, written + 20, 0);
				written += KcpCodec.OVERHEAD;
			}
			else {
				System.arraycopy(data, in, out, written, KcpCodec.OVERHEAD + len);
				written += KcpCodec.OVERHEAD + len;
			}
			in += KcpCodec.OVERHEAD + len;
		}
		System.arraycopy(data, in, out, written, end - in);
		written += end - in;
		return (written == length) ? out : java.util.Arrays.copyOf(out, written);
	}

}
