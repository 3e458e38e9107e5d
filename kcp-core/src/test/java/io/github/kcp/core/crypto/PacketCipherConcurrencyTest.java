package io.github.kcp.core.crypto;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One cipher instance shared by several threads, as the transport's event loops share it.
 */
class PacketCipherConcurrencyTest {

	private static final int THREADS = 4;

	private static final int ROUND_TRIPS = 2000;

	static Stream<Arguments> ciphers() {
		return Stream.of(Arguments.of(CryptoTestVectors.fromKeys(CryptoTestVectors.load().get(0)), 16),
				Arguments.of(AesGcmCipher.withKey(new byte[32]), 12));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("ciphers")
	void sharedInstanceRoundTripsFromManyThreads(PacketCipher cipher, int ivLength) throws Exception {
		Set<String> ivs = ConcurrentHashMap.newKeySet();
		CountDownLatch start = new CountDownLatch(1);
		ExecutorService executor = Executors.newFixedThreadPool(THREADS);
		try {
			List<Future<Integer>> results = new ArrayList<>();
			for (int t = 0; t < THREADS; t++) {
				long seed = t;
				results.add(executor.submit(() -> {
					Random random = new Random(seed);
					start.await();
					int succeeded = 0;
					for (int i = 0; i < ROUND_TRIPS; i++) {
						byte[] plaintext = new byte[random.nextInt(1400)];
						random.nextBytes(plaintext);
						byte[] datagram = cipher.encrypt(plaintext);
						ivs.add(Arrays.toString(Arrays.copyOf(datagram, ivLength)));
						if (Arrays.equals(cipher.decrypt(datagram), plaintext)) {
							succeeded++;
						}
					}
					return succeeded;
				}));
			}
			// Released together so that the threads really use the instance at the same time
			start.countDown();
			for (Future<Integer> result : results) {
				assertThat(result.get(60, TimeUnit.SECONDS)).isEqualTo(ROUND_TRIPS);
			}
			assertThat(ivs).hasSize(THREADS * ROUND_TRIPS);
		}
		finally {
			executor.shutdownNow();
		}
	}

}
