package io.github.kcp.spring.boot.autoconfigure;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.github.kcp.core.connection.DropReason;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link DecryptFailureReporter}: the first failure is reported at once with its source and the
 * properties to check; later ones are counted and reported at most once per interval.
 */
class DecryptFailureReporterTests {

	private final List<String> warnings = new ArrayList<>();

	private final AtomicLong now = new AtomicLong(1_000_000_000L);

	private final DecryptFailureReporter reporter = new DecryptFailureReporter("aes-gcm", this.warnings::add,
			this.now::get);

	@Test
	void reportsAtOnceThenAtMostOncePerIntervalWithCountsAndSources() {
		InetSocketAddress first = new InetSocketAddress("127.0.0.1", 5001);
		InetSocketAddress second = new InetSocketAddress("127.0.0.1", 5002);

		this.reporter.accept(DropReason.DECRYPT_FAILED, first);
		assertThat(this.warnings).singleElement()
			.asString()
			.contains("1 datagram(s) from [/127.0.0.1:5001]")
			.contains("aes-gcm")
			.contains("kcp.crypto.mode, kcp.crypto.key and kcp.crypto.salt");

		for (int i = 0; i < 50; i++) {
			this.now.addAndGet(DecryptFailureReporter.INTERVAL.toNanos() / 100);
			this.reporter.accept(DropReason.DECRYPT_FAILED, (i % 2 == 0) ? first : second);
		}
		assertThat(this.warnings).as("within the interval: counted, not logged").hasSize(1);

		this.now.addAndGet(DecryptFailureReporter.INTERVAL.toNanos());
		this.reporter.accept(DropReason.DECRYPT_FAILED, second);
		assertThat(this.warnings).hasSize(2);
		assertThat(this.warnings.get(1)).contains("51 datagram(s) from [/127.0.0.1:5001, /127.0.0.1:5002]")
			.contains("since the last report");
	}

	@Test
	void otherDropsSayNothingAboutTheKeyAndAreNotReported() {
		InetSocketAddress source = new InetSocketAddress("127.0.0.1", 5003);
		this.reporter.accept(DropReason.REPLAYED, source);
		this.reporter.accept(DropReason.MALFORMED, source);
		assertThat(this.warnings).isEmpty();

		this.reporter.accept(DropReason.DECRYPT_FAILED, source);
		assertThat(this.warnings).singleElement().asString().contains("1 datagram(s) from [/127.0.0.1:5003]");
	}

}
