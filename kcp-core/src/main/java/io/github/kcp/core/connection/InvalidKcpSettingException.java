package io.github.kcp.core.connection;

import io.github.kcp.core.KcpException;
import org.jspecify.annotations.Nullable;

/**
 * A setting was given a value its rule does not allow. Structured, so that a caller can report it against its own
 * name for the setting (Spring Boot names the property the value came from) without parsing the message.
 */
public class InvalidKcpSettingException extends KcpException {

	private static final long serialVersionUID = 1L;

	private final transient KcpSetting<?> setting;

	private final transient @Nullable Object value;

	private final String rule;

	/**
	 * Creates the exception for a value that breaks the setting's own rule.
	 * @param setting the setting
	 * @param value the rejected value
	 */
	public InvalidKcpSettingException(KcpSetting<?> setting, @Nullable Object value) {
		this(setting, value, setting.rule());
	}

	/**
	 * Creates the exception for a value that breaks a rule depending on more than the setting itself (for example an
	 * mtu too small for the packet cipher's overhead).
	 * @param setting the setting
	 * @param value the rejected value
	 * @param rule what was expected, in words
	 */
	public InvalidKcpSettingException(KcpSetting<?> setting, @Nullable Object value, String rule) {
		super("Invalid KCP setting '" + setting.name() + "': expected " + rule + " but was " + value);
		this.setting = setting;
		this.value = value;
		this.rule = rule;
	}

	/** The setting whose value was rejected. */
	public KcpSetting<?> setting() {
		return this.setting;
	}

	/** The rejected value. */
	public @Nullable Object value() {
		return this.value;
	}

	/** What was expected, in words (for example {@code "10..5000 ms"}). */
	public String rule() {
		return this.rule;
	}

}
