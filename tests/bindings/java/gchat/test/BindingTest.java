package gchat.test;

import com.google.protobuf.ByteString;
import gchat.GChatClient;
import gchat.GChatException;
import gchat.client.v1.ClientApi.Config;
import gchat.client.v1.ClientApi.ConnectionState;
import gchat.client.v1.ClientApi.Event;
import gchat.client.v1.ClientApi.Output;
import gchat.client.v1.ClientApi.Request;
import gchat.client.v1.ClientApi.Response;
import gchat.client.v1.ClientApi.ErrorCode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The JNI binding on the host JVM against a real relay (the Android app loads the same classes and
 * native code): a device enrols with a code, a command-line user adds it to a group, it reads and
 * answers, it subscribes to a channel and reads a post. Started by java_binding.sh.
 */
public final class BindingTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String PASSPHRASE = "รหัสผ่านโทรศัพท์แอนดรอยด์";

  private static String env(String name) {
    String v = System.getenv(name);
    if (v == null || v.isEmpty()) {
      throw new IllegalStateException("missing " + name + " (run through java_binding.sh)");
    }
    return v;
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new AssertionError(what);
    }
  }

  private static String run(String... command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(new java.io.File(env("GCHAT_TEST_WORLD")));
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    check(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "command failed: " + String.join(" ", command));
    return out;
  }

  private static String gchat(String... args) throws IOException, InterruptedException {
    String[] command = new String[args.length + 3];
    command[0] = env("GCHAT_TEST_CLI");
    command[1] = "--data";
    command[2] = "alice";
    System.arraycopy(args, 0, command, 3, args.length);
    return run(command);
  }

  private static Config config() {
    return Config.newBuilder()
        .setDataDir(env("GCHAT_TEST_WORLD") + "/somsak-android")
        .addEndpoints("127.0.0.1:" + env("GCHAT_TEST_PORT"))
        .setCaFile(env("GCHAT_TEST_WORLD") + "/tls/ca.pem")
        .setRootKey(ByteString.copyFrom(HexFormat.of().parseHex(env("GCHAT_TEST_ROOT"))))
        .setDeviceName("somsak-android")
        .setKdf("interactive")
        .build();
  }

  private static Request open() {
    return Request.newBuilder().setOpen(gchat.client.v1.ClientApi.Open.newBuilder().setPassphrase(PASSPHRASE)).build();
  }

  /** Phase 1, polling: open, enrol with the code, wait for the administrator, connect. */
  private static void enrol() throws Exception {
    try (GChatClient client = new GChatClient(config())) {
      check(client.call(open(), WAIT).hasOpened(), "open");
      Request enrol = Request.newBuilder()
          .setEnrol(gchat.client.v1.ClientApi.Enrol.newBuilder().setCode(env("GCHAT_TEST_CODE")).setWaitMs(0))
          .build();
      Response pending = client.call(enrol, WAIT);
      check(pending.getError().getCode() == ErrorCode.PENDING, "PENDING first: " + pending);
      run("bash", "-c", env("GCHAT_TEST_COMPLETE"));
      Request collect = enrol.toBuilder()
          .setEnrol(enrol.getEnrol().toBuilder().setWaitMs(10000))
          .build();
      Response enrolled = client.call(collect, WAIT);
      check(enrolled.hasEnrolled(), "enrolled: " + enrolled);
      check(enrolled.getEnrolled().getPerson().getNameTh().equals("สมศักดิ์"), "name");
      Instant deadline = Instant.now().plus(WAIT);
      boolean connected = false;
      while (!connected && Instant.now().isBefore(deadline)) {
        Optional<Output> o = client.poll(Duration.ofMillis(200));
        connected = o.isPresent() && o.get().hasEvent() && o.get().getEvent().hasConnection()
            && o.get().getEvent().getConnection().getState() == ConnectionState.State.CONNECTED;
      }
      check(connected, "connected");
      Thread.sleep(500); // key packages uploaded once connected
    }
  }

  /** Phase 2, a listener: the same store again; a group, a reply, a channel. */
  private static void talk() throws Exception {
    BlockingQueue<Output> outputs = new LinkedBlockingQueue<>();
    GChatClient closed;
    try (GChatClient client = new GChatClient(config(), outputs::add)) {
      closed = client;
      long openId = client.submit(open());
      check(take(outputs, o -> o.hasResponse() && o.getResponse().getRequestId() == openId).getResponse().hasOpened(),
          "reopened");
      take(outputs, o -> o.hasEvent() && o.getEvent().hasConnection()
          && o.getEvent().getConnection().getState() == ConnectionState.State.CONNECTED);

      gchat("create", "--kind", "group", "--title", "ทีมจาวา", "--member", "moi/somsak");
      gchat("send", "ทีมจาวา", "สวัสดีจากอลิซ");
      Event message = take(outputs, o -> o.hasEvent() && o.getEvent().hasMessage()
          && o.getEvent().getMessage().getText().equals("สวัสดีจากอลิซ")).getEvent();
      check(message.getMessage().getSender().getPerson().getUserId().equals("alice"), "verified sender");
      ByteString conversation = message.getMessage().getConversationId();

      long sendId = client.submit(Request.newBuilder()
          .setSendText(gchat.client.v1.ClientApi.SendText.newBuilder()
              .setConversationId(conversation).setText("ได้รับแล้วจากแอนดรอยด์"))
          .build());
      check(take(outputs, o -> o.hasResponse() && o.getResponse().getRequestId() == sendId).getResponse().hasMessage(),
          "sent");
      String heard = gchat("sync", "--seconds", "4");
      check(heard.contains("ได้รับแล้วจากแอนดรอยด์"), "alice heard the reply: " + heard);

      long listId = client.submit(Request.newBuilder()
          .setListChannels(gchat.client.v1.ClientApi.ListChannels.getDefaultInstance()).build());
      Response channels = take(outputs, o -> o.hasResponse() && o.getResponse().getRequestId() == listId).getResponse();
      ByteString channel = channels.getChannels().getChannelsList().stream()
          .filter(c -> c.getTitle().equals("ประกาศจาวา")).findFirst()
          .orElseThrow(() -> new AssertionError("channel offered: " + channels)).getChannelId();
      long subId = client.submit(Request.newBuilder()
          .setSubscribe(gchat.client.v1.ClientApi.Subscribe.newBuilder().setChannelId(channel)).build());
      check(take(outputs, o -> o.hasResponse() && o.getResponse().getRequestId() == subId).getResponse()
          .hasConversation(), "subscribed");
      gchat("send", "ประกาศจาวา", "ประกาศถึงผู้ใช้แอนดรอยด์");
      gchat("sync", "--seconds", "3"); // the publisher wraps the channel key for the new subscriber
      take(outputs, o -> o.hasEvent() && o.getEvent().hasMessage()
          && o.getEvent().getMessage().getText().equals("ประกาศถึงผู้ใช้แอนดรอยด์"));
    }
    try {
      closed.submit(open());
      throw new AssertionError("a closed client accepted a request");
    } catch (GChatException e) {
      check(e.status() == 4, "closed: status 4");
    }
  }

  private static Output take(BlockingQueue<Output> outputs, Predicate<Output> wanted) throws InterruptedException {
    Instant deadline = Instant.now().plus(WAIT);
    while (Instant.now().isBefore(deadline)) {
      Output o = outputs.poll(200, TimeUnit.MILLISECONDS);
      if (o != null && wanted.test(o)) {
        return o;
      }
    }
    throw new AssertionError("no such output within " + WAIT);
  }

  public static void main(String[] args) throws Exception {
    check(!GChatClient.version().isEmpty(), "version");
    enrol();
    talk();
    System.out.println("JNI binding scenario passed (library " + GChatClient.version() + ")");
  }
}
