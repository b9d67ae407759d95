package gchat;

/**
 * A failure at the library boundary (bad arguments, bytes that do not parse, a closed client).
 * Problems inside a request (wrong passphrase, not cleared, offline...) are not exceptions: they
 * come back in the Response's error field with their ErrorCode.
 */
public final class GChatException extends Exception {
  private static final long serialVersionUID = 1L;

  /** The gchat_status of gchat.h: 1 invalid argument, 2 parse, 3 timeout, 4 state, 99 internal. */
  private final int status;

  public GChatException(int status, String message) {
    super(message);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
