package io.github.kcp.core.protocol;

/**
 * The KCP wire format: constants, little-endian field access and datagram validation.
 * <p>
 * A datagram is one or more segments back to back. A segment is a 24-byte little-endian header
 * {@code conv u32, cmd u8, frg u8, wnd u16, ts u32, sn u32, una u32, len u32} followed by {@code len} bytes of
 * payload. This is the format of skywind3000's ikcp, kcp-go, kcp-netty and aiokcp.
 */
public final class KcpCodec {

	/** Size of a segment header in bytes. */
	public static final int OVERHEAD = 24;

	/** Command of a data segment. */
	public static final int CMD_PUSH = 81;

	/** Command of an acknowledgement. */
	public static final int CMD_ACK = 82;

	/** Command of a window probe (ask the peer for its receive window). */
	public static final int CMD_WASK = 83;

	/** Command of a window announcement (answer to a probe, or sent when the receive queue drains). */
	public static final int CMD_WINS = 84;

	/**
	 * Extension command (not part of standard KCP) of the close signal: "I have closed; everything I sent before
	 * sequence number {@code sn} was acknowledged". Sent alone in a 24-byte datagram. Standard peers stop parsing
	 * at an unknown command without applying anything of it, so the signal is harmless to them.
	 */
	public static final int CMD_CLOSE = 90;

	/** Extension command confirming a {@link #CMD_CLOSE}. */
	public static final int CMD_CLOSE_ACK = 91;

	/**
	 * The fragment number that marks a window announcement ({@link #CMD_WINS}) as an offer of the close handshake:
	 * "I understand {@link #CMD_CLOSE}". Standard ends send 0 there on a window announcement and ignore it when they
	 * receive one, so the offer is an ordinary window announcement to them.
	 */
	public static final int CLOSE_OFFER_FRG = 0xC5;

	/** The sequence number that marks a close-handshake offer, with {@link #CLOSE_OFFER_FRG} ("KCPC" on the wire). */
	public static final int CLOSE_OFFER_SN = 0x4350434B;

	/**
	 * The sequence number that marks a window announcement, with {@link #CLOSE_OFFER_FRG}, as a server's address
	 * challenge ("KCPA" on the wire): its {@code ts} carries a secret value the peer echoes.
	 */
	public static final int ADDRESS_CHALLENGE_SN = 0x4150434B;

	/**
	 * The sequence number that marks a window announcement, with {@link #CLOSE_OFFER_FRG}, as the echo of an address
	 * challenge ("KCPV" on the wire): its {@code ts} carries the challenge's value.
	 */
	public static final int ADDRESS_ECHO_SN = 0x5650434B;

	private KcpCodec() {
	}

	/**
	 * Finds the first extension mark with sequence number {@code sn} in a datagram: a window announcement
	 * ({@link #CMD_WINS}) with frg {@link #CLOSE_OFFER_FRG}, among well-formed segments (the walk stops at the first
	 * segment whose length runs past the datagram).
	 * @return the position of the mark's header in {@code data}, or -1 if there is none
	 */
	public static int findMark(byte[] data, int offset, int length, int sn) {
		int position = offset;
		int end = offset + length;
		while (end - position >= OVERHEAD) {
			int len = readInt(data, position + 20);
			if (len < 0 || len > end - position - OVERHEAD) {
				return -1;
			}
			if ((data[position + 4] & 0xff) == CMD_WINS && (data[position + 5] & 0xff) == CLOSE_OFFER_FRG
					&& readInt(data, position + 12) == sn) {
				return position;
			}
			position += OVERHEAD + len;
		}
		return -1;
	}

	/**
	 * Appends an extension mark (see {@link #findMark}) to a datagram that has room for it, copying the window and
	 * cumulative acknowledgement of its first segment so that it tells a standard peer nothing new.
	 * @param buffer the datagram from index 0, with room after it
	 * @param length its length (at least one segment)
	 * @param mtu the largest datagram allowed
	 * @param sn the mark
	 * @param ts what the mark carries in its {@code ts} field
	 * @return the datagram's new length, or {@code length} when there was no room
	 */
	public static int appendMark(byte[] buffer, int length, int mtu, int sn, int ts) {
		if (length < OVERHEAD || length + OVERHEAD > Math.min(mtu, buffer.length)) {
			return length;
		}
		writeHeader(buffer, length, readInt(buffer, 0), CMD_WINS, CLOSE_OFFER_FRG, readShort(buffer, 6), ts, sn,
				readInt(buffer, 16), 0);
		return length + OVERHEAD;
	}

	/**
	 * Whether the datagram is a close signal ({@link #CMD_CLOSE} or {@link #CMD_CLOSE_ACK}): exactly one
	 * 24-byte header with no payload. Returns the command, or 0 if it is not one.
	 */
	public static int closeSignal(byte[] data, int offset, int length) {
		if (length != OVERHEAD || readInt(data, offset + 20) != 0) {
			return 0;
		}
		int cmd = data[offset + 4] & 0xff;
		return (cmd == CMD_CLOSE || cmd == CMD_CLOSE_ACK) ? cmd : 0;
	}

	/** Writes a close signal datagram (24 bytes) into {@code data} at offset 0. */
	public static void writeCloseSignal(byte[] data, int conv, int cmd, int wnd, int ts, int sn, int una) {
		writeHeader(data, 0, conv, cmd, 0, wnd, ts, sn, una, 0);
	}

	/** Whether the datagram (assumed {@link #validate well formed}) holds at least one data segment. */
	public static boolean containsPush(byte[] data, int offset, int length) {
		int position = offset;
		int end = offset + length;
		while (end - position >= OVERHEAD) {
			if ((data[position + 4] & 0xff) == CMD_PUSH) {
				return true;
			}
			int len = readInt(data, position + 20);
			if (len < 0 || len > end - position - OVERHEAD) {
				return false;
			}
			position += OVERHEAD + len;
		}
		return false;
	}

	/** Whether {@code cmd} is one of the four commands of standard KCP. */
	public static boolean isKnownCommand(int cmd) {
		return cmd >= CMD_PUSH && cmd <= CMD_WINS;
	}

	/**
	 * Reads the conversation id of the first segment of a datagram; the caller must have checked that at least
	 * four bytes are present.
	 */
	public static int readConv(byte[] data, int offset) {
		return readInt(data, offset);
	}

	/**
	 * Checks that {@code length} bytes at {@code offset} form a well-formed KCP datagram: at least one segment,
	 * every header complete, every length within bounds, every command known, and every segment of the same
	 * conversation. Used to decide whether a datagram from an unknown peer may open a session.
	 */
	public static InputResult validate(byte[] data, int offset, int length) {
		if (length < OVERHEAD) {
			return InputResult.TRUNCATED;
		}
		int conv = readInt(data, offset);
		int position = offset;
		int end = offset + length;
		while (position < end) {
			if (end - position < OVERHEAD) {
				return InputResult.TRUNCATED;
			}
			if (readInt(data, position) != conv) {
				return InputResult.CONV_MISMATCH;
			}
			int len = readInt(data, position + 20);
			if (len < 0 || len > end - position - OVERHEAD) {
				return InputResult.BAD_LENGTH;
			}
			if (!isKnownCommand(data[position + 4] & 0xff)) {
				return InputResult.UNKNOWN_COMMAND;
			}
			position += OVERHEAD + len;
		}
		return InputResult.OK;
	}

	/** Reads an unsigned 16-bit little-endian value. */
	public static int readShort(byte[] data, int offset) {
		return (data[offset] & 0xff) | (data[offset + 1] & 0xff) << 8;
	}

	/** Reads a 32-bit little-endian value (sn, una, ts and conv are unsigned on the wire; keep them in an int). */
	public static int readInt(byte[] data, int offset) {
		return (data[offset] & 0xff) | (data[offset + 1] & 0xff) << 8 | (data[offset + 2] & 0xff) << 16
				| (data[offset + 3] & 0xff) << 24;
	}

	/** Writes the low 16 bits of {@code value} little-endian. */
	public static void writeShort(byte[] data, int offset, int value) {
		data[offset] = (byte) value;
		data[offset + 1] = (byte) (value >>> 8);
	}

	/** Writes a 32-bit value little-endian. */
	public static void writeInt(byte[] data, int offset, int value) {
		data[offset] = (byte) value;
		data[offset + 1] = (byte) (value >>> 8);
		data[offset + 2] = (byte) (value >>> 16);
		data[offset + 3] = (byte) (value >>> 24);
	}

	/**
	 * Writes a segment header at {@code offset} and returns the offset just after it.
	 */
	public static int writeHeader(byte[] data, int offset, int conv, int cmd, int frg, int wnd, int ts, int sn,
			int una, int len) {
		writeInt(data, offset, conv);
		data[offset + 4] = (byte) cmd;
		data[offset + 5] = (byte) frg;
		writeShort(data, offset + 6, wnd);
		writeInt(data, offset + 8, ts);
		writeInt(data, offset + 12, sn);
		writeInt(data, offset + 16, una);
		writeInt(data, offset + 20, len);
		return offset + OVERHEAD;
	}

}
