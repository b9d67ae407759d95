package gchat;

import com.google.protobuf.InvalidProtocolBufferException;
import gchat.client.v1.ClientApi.Config;
import gchat.client.v1.ClientApi.Output;
import gchat.client.v1.ClientApi.Request;
import gchat.client.v1.ClientApi.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One device's G-Chat client (its encrypted store, keys and relay connection) over the C ABI of
 * libgchat (gchat.h), through libgchat_jni. The same classes and native code run on Android.
 *
 * <p>Requests and outputs are the protobuf messages of client.proto (gchat.client.v1). Outputs
 * (the Response to each request, and Events) arrive in order, either to a {@link Listener} (on the
 * client's own thread: return quickly, hand work to your UI thread) or by {@link #poll}.
 *
 * <p>Thread-safety: every method may be called from any thread. {@link #close} releases the native
 * client deterministically (use try-with-resources); it must not be called from the listener.
 */
public final class GChatClient implements AutoCloseable {
  /** Receives every output, in order, on the client's thread. */
  public interface Listener {
    void onOutput(Output output);
  }

  static {
    String path = System.getProperty("gchat.jni.path");
    if (path != null) {
      System.load(path);
    } else {
      System.loadLibrary("gchat_jni");
    }
  }

  // Native calls hold the read lock; close() takes the write lock, so the native client is never
  // freed under a call in flight (a poll delays close() by at most its timeout).
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final Listener listener;
  private final Deque<Output> skipped = new ArrayDeque<>(); // outputs met by call(), kept for poll()
  private long handle; // the native client; 0 once closed

  /** A client whose outputs are read with {@link #poll} (or {@link #call}). */
  public GChatClient(Config config) throws GChatException {
    this(config, null);
  }

  /** A client whose outputs all go to {@code listener}. */
  public GChatClient(Config config, Listener listener) throws GChatException {
    this.listener = listener;
    this.handle = nativeCreate(config.toByteArray());
    if (listener != null) {
      nativeSetListener(handle, this);
    }
  }

  /** The library's version, e.g. "0.1.0". */
  public static String version() {
    return nativeVersion();
  }

  /** Queues a request; returns its request_id (the one set, or a fresh one when 0). */
  public long submit(Request request) throws GChatException {
    byte[] bytes = request.toByteArray();
    lock.readLock().lock();
    try {
      return nativeSubmit(live(), bytes);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The next output, waiting up to {@code timeout}; empty when none arrived. */
  public Optional<Output> poll(Duration timeout) throws GChatException {
    synchronized (skipped) {
      if (!skipped.isEmpty()) {
        return Optional.of(skipped.removeFirst());
      }
    }
    byte[] bytes = pollBytes((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    return bytes == null ? Optional.empty() : Optional.of(parse(bytes));
  }

  /**
   * For scripts and tests (not with a listener): submits and waits for the response; outputs met
   * on the way stay for {@link #poll}. Throws when no response came within {@code timeout}.
   */
  public Response call(Request request, Duration timeout) throws GChatException {
    if (listener != null) {
      throw new GChatException(4, "call() reads outputs; this client gives them to its listener");
    }
    long id = submit(request);
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      byte[] bytes = pollBytes(100);
      if (bytes == null) {
        continue;
      }
      Output output = parse(bytes);
      if (output.hasResponse() && output.getResponse().getRequestId() == id) {
        return output.getResponse();
      }
      synchronized (skipped) {
        skipped.addLast(output);
      }
    }
    throw new GChatException(3, "no response to request " + id + " within " + timeout);
  }

  /** Stops the client's thread and frees the native client. Idempotent. */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (handle != 0) {
        nativeDestroy(handle);
        handle = 0;
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  private byte[] pollBytes(int timeoutMs) throws GChatException {
    lock.readLock().lock();
    try {
      return nativePoll(live(), timeoutMs);
    } finally {
      lock.readLock().unlock();
    }
  }

  // Under the read lock.
  private long live() throws GChatException {
    if (handle == 0) {
      throw new GChatException(4, "the client is closed");
    }
    return handle;
  }

  private static Output parse(byte[] bytes) throws GChatException {
    try {
      return Output.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new GChatException(2, "an output did not parse: " + e.getMessage());
    }
  }

  // Called by the native callback on the client's thread.
  @SuppressWarnings("unused")
  private void deliver(byte[] bytes) {
    try {
      listener.onOutput(Output.parseFrom(bytes));
    } catch (InvalidProtocolBufferException e) {
      // Cannot happen with the library's own bytes; nothing to deliver.
    } catch (RuntimeException e) {
      // A listener that throws must not take the client's thread down.
    }
  }

  private static native String nativeVersion();

  private static native long nativeCreate(byte[] config) throws GChatException;

  private static native void nativeSetListener(long handle, GChatClient self) throws GChatException;

  private static native long nativeSubmit(long handle, byte[] request) throws GChatException;

  private static native byte[] nativePoll(long handle, int timeoutMs) throws GChatException;

  private static native void nativeDestroy(long handle);
}
