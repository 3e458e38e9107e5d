package io.github.kcp.core.transport;

import io.netty.channel.DefaultMaxMessagesRecvByteBufAllocator;

/**
 * Read buffers of one size that can grow while the channel lives. Netty asks the channel's allocator for a read
 * handle once, at the first read, and keeps it: a new allocator set afterwards never reaches the reads. So the
 * endpoint keeps this one allocator for the channel's life and tells it a larger size when a session's mtu is raised;
 * its handles read the size at every allocation.
 */
final class ResizableReadAllocator extends DefaultMaxMessagesRecvByteBufAllocator {

	private volatile int bufferSize;

	/**
	 * @param bufferSize the size of each read buffer (one datagram, or all the slots of one {@code recvmmsg})
	 * @param maxMessagesPerRead datagrams handed over per read burst at most
	 */
	ResizableReadAllocator(int bufferSize, int maxMessagesPerRead) {
		super(maxMessagesPerRead);
		bufferSize(bufferSize);
	}

	/** Changes the size of the read buffers from the next read on. */
	void bufferSize(int bufferSize) {
		if (bufferSize <= 0) {
			throw new IllegalArgumentException("bufferSize must be positive but was " + bufferSize);
		}
		this.bufferSize = bufferSize;
	}

	int bufferSize() {
		return this.bufferSize;
	}

	@Override
	public Handle newHandle() {
		return new MaxMessageHandle() {

			@Override
			public int guess() {
				return ResizableReadAllocator.this.bufferSize;
			}

		};
	}

}
