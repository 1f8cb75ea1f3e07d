package dev.foundry.backend.runtime;

/**
 * The journal cannot be written (a full disk, a read-only or vanished data directory): the call was
 * refused, or its journal write failed, and nothing of it happened. HTTP answers 503 with the
 * reason; the server recovers by itself once the storage takes writes again.
 */
public final class StorageUnavailableException extends ActorException {
  public StorageUnavailableException(String reason) {
    super("storage_unavailable", "storage is not writable: " + reason + "; nothing was changed");
  }

  /** Restores one received from another node: same code and message as the original. */
  private StorageUnavailableException(String code, String message) {
    super(code, message);
  }

  static StorageUnavailableException restored(String message) {
    return new StorageUnavailableException("storage_unavailable", message);
  }
}
