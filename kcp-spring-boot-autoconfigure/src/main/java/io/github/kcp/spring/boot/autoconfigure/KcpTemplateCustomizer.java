package io.github.kcp.spring.boot.autoconfigure;

import io.github.kcp.spring.core.KcpTemplate;

/**
 * Callback to customize the auto-configured {@link KcpTemplate} before it is used: its default timeout, callback
 * executor, default target, push handlers ... Every bean of this type is applied, in
 * {@link org.springframework.core.annotation.Order @Order}, after the {@code kcp.client.*} properties.
 *
 * <pre class="code">
 * &#64;Bean
 * KcpTemplateCustomizer shortTimeouts() {
 *     return (template) -&gt; template.setReplyTimeout(Duration.ofSeconds(2));
 * }
 * </pre>
 */
@FunctionalInterface
public interface KcpTemplateCustomizer {

	/**
	 * Customize the template.
	 * @param template the template to customize
	 */
	void customize(KcpTemplate template);

}
