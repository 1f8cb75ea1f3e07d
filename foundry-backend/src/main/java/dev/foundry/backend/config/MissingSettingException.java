package dev.foundry.backend.config;

/** A required setting has no value. The message names the environment variable to set. */
public final class MissingSettingException extends RuntimeException {
  public MissingSettingException(String envVariable, String path, String why) {
    super(
        "Missing required setting "
            + envVariable
            + " ("
            + path
            + "): "
            + why
            + ". Set the environment variable "
            + envVariable
            + " and start again.");
  }
}
