package dev.foundry.backend.config;

/** A setting has a value this server cannot use. The message names the variable and the value. */
public final class InvalidSettingException extends RuntimeException {
  public InvalidSettingException(String envVariable, String path, String value, String expected) {
    super(
        "Invalid setting "
            + envVariable
            + " ("
            + path
            + ") = '"
            + value
            + "': expected "
            + expected
            + ".");
  }
}
