package io.github.kcp.benchmarks.tool;

/**
 * A command line kcp-tool cannot run: an unknown role or flag, a missing or malformed value, or settings that do
 * not go together. The message says which and what to write instead; the tool exits with status 2.
 */
public class ToolUsageException extends Exception {

	private static final long serialVersionUID = 1L;

	/**
	 * @param message what was wrong and what to do
	 */
	public ToolUsageException(String message) {
		super(message);
	}

}
