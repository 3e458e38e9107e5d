package io.github.kcp.core.connection;

import java.util.Objects;
import java.util.function.Predicate;

import org.jspecify.annotations.Nullable;

/**
 * One setting, described once: its name, type, default, the rule its values obey and what it means. The catalogue
 * is {@link KcpSettings}; {@link KcpConfig} holds a value for each session setting, the server builder for each
 * server setting, and the Spring Boot properties are checked against the same descriptions, so names, defaults and
 * validation cannot drift apart between the layers.
 *
 * @param <T> the type of the values
 */
public final class KcpSetting<T> {

	/** Where a setting applies. */
	public enum Scope {

		/** A setting of each session (carried by {@link KcpConfig}). */
		SESSION,

		/** A setting of a server as a whole (set on its builder). */
		SERVER

	}

	private final String name;

	private final Class<T> type;

	private final T defaultValue;

	private final String rule;

	private final Predicate<T> check;

	private final String description;

	private final Scope scope;

	private final int index;

	KcpSetting(String name, Class<T> type, T defaultValue, String rule, Predicate<T> check, String description,
			Scope scope, int index) {
		this.name = name;
		this.type = type;
		this.defaultValue = defaultValue;
		this.rule = rule;
		this.check = check;
		this.description = description;
		this.scope = scope;
		this.index = index;
		if (!check.test(defaultValue)) {
			throw new IllegalStateException("The default of " + name + " breaks its own rule: " + rule);
		}
	}

	/** The name, as the builder method and accessor of {@link KcpConfig} spell it (camel case, e.g. {@code sendWindow}). */
	public String name() {
		return this.name;
	}

	/**
	 * The type of the values ({@code Integer}, {@code Long}, {@code Boolean}, {@code java.time.Duration} or an enum
	 * such as {@link io.github.kcp.core.protocol.EngineMode}).
	 */
	public Class<T> type() {
		return this.type;
	}

	/** The default value. */
	public T defaultValue() {
		return this.defaultValue;
	}

	/** The rule valid values obey, in words (for example {@code "10..5000 ms"}). */
	public String rule() {
		return this.rule;
	}

	/** What the setting means, in one sentence. */
	public String description() {
		return this.description;
	}

	/** Whether it is a per-session or a server-wide setting. */
	public Scope scope() {
		return this.scope;
	}

	/** Whether {@code value} is a valid value of this setting. */
	public boolean isValid(@Nullable T value) {
		return value != null && this.check.test(value);
	}

	/**
	 * Returns {@code value} if it is valid.
	 * @throws InvalidKcpSettingException naming this setting, the value and the rule otherwise
	 */
	public T validate(@Nullable T value) {
		if (!isValid(value)) {
			throw new InvalidKcpSettingException(this, value);
		}
		return value;
	}

	/** Casts a value of unknown type, failing with this setting's name if it has the wrong type. */
	T cast(@Nullable Object value) {
		if (value != null && !this.type.isInstance(value)) {
			throw new InvalidKcpSettingException(this, value, "a value of type " + this.type.getSimpleName());
		}
		return this.type.cast(value);
	}

	/** Position in {@link KcpSettings#all()}. */
	int index() {
		return this.index;
	}

	@Override
	public String toString() {
		return this.name;
	}

	@Override
	public boolean equals(@Nullable Object other) {
		return this == other;
	}

	@Override
	public int hashCode() {
		return Objects.hashCode(this.name);
	}

}
