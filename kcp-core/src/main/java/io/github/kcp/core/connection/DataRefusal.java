package io.github.kcp.core.connection;

import io.github.kcp.core.protocol.KcpCodec;

/**
 * Rewrites a received datagram so that the engine neither acknowledges nor stores its data: each data segment
 * (PUSH) becomes a bare window announcement (WINS) with the same header fields and no payload. The engine still
 * applies what every segment carries besides data — the peer's cumulative acknowledgement ({@code una}) and its
 * window — and the other segments (acknowledgements of our data, probes) unchanged, so our own sends go on
 * completing while the peer keeps its data for a retry elsewhere.
 */
final class DataRefusal {

	private DataRefusal() {
	}

	/**
	 * The datagram without data. Segments after a malformed one are copied as they are: the engine stops parsing
	 * there anyway, so nothing of them is applied.
	 */
	static byte[] withoutData(byte[] data, int offset, int length) {
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
			if (cmd == KcpCodec.CMD_PUSH) {
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
