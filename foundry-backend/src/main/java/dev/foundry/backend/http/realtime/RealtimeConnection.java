package dev.foundry.backend.http.realtime;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.foundry.backend.config.FoundrySettings;
import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.http.auth.SignedInUser;
import dev.foundry.backend.runtime.Failures;
import dev.foundry.backend.runtime.Publication;
import dev.foundry.backend.runtime.RealtimeHub;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One realtime socket of one signed-in user: its subscriptions and its outgoing buffer.
 *
 * <p><b>Bounded memory.</b> Frames for the client wait in one list of at most {@code
 * foundry.realtime.buffer-size}, which the socket's stream takes whole whenever the socket is ready
 * for more. Publishing never waits (the hub calls us on actor threads), so when the list is full
 * the client is not reading: the outgoing stream is cut at once, which discards what it buffered
 * and closes the socket, and its subscriptions are released. Frames are serialized when the socket
 * takes them, so a waiting frame is a reference to a payload all subscribers share; a publication's
 * event frame is rendered once for all of them ({@link Publication#rendered}).
 *
 * <p><b>Batched events.</b> A socket opened with {@code ?batch=true} gets the event frames that
 * waited together as one {@code events} frame ({@code {"type":"events","events":[event frames]}}):
 * a burst of changes then costs each socket one message instead of one per change, which is what
 * limits fan-out to many sockets. An event that finds the socket idle still goes at once, alone.
 *
 * <p><b>Ordering.</b> A subscribe first subscribes to the hub, then asks {@link TopicAccess} for
 * the snapshot. Publications that arrive meanwhile are held back and sent, in order, right after
 * the snapshot. The other order (snapshot first) would lose any change published between reading
 * the snapshot and subscribing. This order may instead repeat one: a held-back event whose change
 * the snapshot already contains is sent after it. Since every event fully replaces what it names
 * (the topic's state, or one task's whole summary on the organization topic) and events keep their
 * publish order, the client always ends at the newest state; no change is lost.
 *
 * <p>Client frames are handled one at a time by the socket's stream; hub callbacks and snapshot
 * answers arrive on other threads. All state is guarded by this object's lock, held only for
 * in-memory work (a queue offer never blocks).
 */
final class RealtimeConnection {
  private static final Logger log = LoggerFactory.getLogger(RealtimeConnection.class);

  static final Set<String> TOPICS =
      Set.of("app", "organization", "task", "session", "sandboxProcesses");

  /**
   * The one id of the {@code app} topic; who gets what is decided by each publication's audience.
   */
  static final String APP_ID = "app";

  /** Client frames are a few dozen bytes; a longer one is refused, not buffered. */
  static final int MAX_CLIENT_FRAME_CHARS = 16 * 1024;

  private static final int MAX_ID_CHARS = 512;

  private final SignedInUser user;
  private final FoundrySettings.Realtime settings;
  private final RealtimeHub hub;
  private final TopicAccess access;
  private final ObjectMapper json;
  private final RealtimeMeters meters;
  private final OpenSockets sockets;

  /** At most this many events in one {@code events} frame. */
  static final int MAX_EVENTS_PER_FRAME = 64;

  private final boolean batched;

  /** The endpoint's shared {@code events} frames. */
  private final EventsFrames eventsFrames;

  private final Map<String, Subscription> subscriptions = new HashMap<>();

  /** The frames waiting for the socket, in order; at most {@code buffer-size}. */
  private final ArrayDeque<Frame> waiting = new ArrayDeque<>();

  /**
   * Wakes the socket's stream: holds one signal while frames wait and the stream has not taken them
   * yet ({@link #signalled}), so a burst of frames costs one wake-up.
   */
  private BoundedSourceQueue<Boolean> wake;

  private boolean signalled;

  /** Ends the outgoing stream at once, discarding what is queued (the slow-client cut). */
  private final SharedKillSwitch cut = KillSwitches.shared("realtime-connection");

  private boolean closed;

  RealtimeConnection(
      SignedInUser user,
      FoundrySettings.Realtime settings,
      RealtimeHub hub,
      TopicAccess access,
      ObjectMapper json,
      RealtimeMeters meters,
      OpenSockets sockets,
      EventsFrames eventsFrames,
      boolean batched) {
    this.user = user;
    this.settings = settings;
    this.hub = hub;
    this.access = access;
    this.json = json;
    this.meters = meters;
    this.sockets = sockets;
    this.eventsFrames = eventsFrames;
    this.batched = batched;
  }

  String sessionId() {
    return user.sessionId();
  }

  String userId() {
    return user.userId();
  }

  /** One subscription; {@code held} collects publications until its snapshot is sent. */
  private static final class Subscription {
    final String topic;
    final String id;
    AutoCloseable handle;
    List<Publication> held = new ArrayList<>();
    boolean ended;

    Subscription(String topic, String id) {
      this.topic = topic;
      this.id = id;
    }

    boolean live() {
      return held == null;
    }
  }

  /**
   * The socket's handler. The wake-up queue is materialized here (before the upgrade answer is
   * sent) so a frame can be sent the moment the first client frame is handled.
   */
  Flow<Message, Message, NotUsed> flow(Materializer materializer) {
    // One signal at most is ever queued (see signalled); the second slot is slack.
    Pair<BoundedSourceQueue<Boolean>, Source<Boolean, NotUsed>> queue =
        Source.<Boolean>queue(2).preMaterialize(materializer);
    synchronized (this) {
      wake = queue.first();
    }
    Sink<Message, NotUsed> in =
        Flow.<Message>create()
            .mapAsync(1, m -> text(m, materializer))
            .to(Sink.foreach(this::onClientFrame));
    // A signal is taken only when the socket is ready for more; the frames that waited until then
    // are taken together (rendered outside the lock, so publishers never wait on JSON).
    Source<Message, NotUsed> outgoing =
        queue
            .second()
            .via(cut.flow())
            .takeWithin(untilSessionExpires())
            .mapConcat(signal -> messages(takeWaiting()));
    return Flow.fromSinkAndSourceCoupled(in, outgoing)
        .watchTermination(
            (notUsed, done) -> {
              // Counted (and findable by session) when the socket's stream runs, so an upgrade that
              // never ran leaves nothing behind.
              meters.connections.incrementAndGet();
              sockets.opened(this);
              done.whenComplete(
                  (d, failure) -> {
                    sockets.closed(this);
                    close();
                  });
              return NotUsed.getInstance();
            });
  }

  /**
   * How long the socket may stay open: until its session expires. Pekko's scheduler takes delays up
   * to about 248 days; a socket of a longer session is closed after 200 and simply reconnects.
   */
  private Duration untilSessionExpires() {
    Duration left = Duration.between(Instant.now(), user.expiresAt());
    Duration max = Duration.ofDays(200);
    return left.isNegative() ? Duration.ZERO : left.compareTo(max) > 0 ? max : left;
  }

  /** The text of a client frame; {@code null} for a binary or oversized one (after draining it). */
  private static CompletionStage<String> text(Message message, Materializer materializer) {
    if (!message.isText()) {
      return message
          .asBinaryMessage()
          .getStreamedData()
          .runWith(Sink.ignore(), materializer)
          .thenApply(done -> (String) null);
    }
    TextMessage text = message.asTextMessage();
    if (text.isStrict()) {
      String s = text.getStrictText();
      return CompletableFuture.completedFuture(s.length() > MAX_CLIENT_FRAME_CHARS ? null : s);
    }
    return text.getStreamedText()
        .runFold(
            new StringBuilder(),
            (b, part) -> b.length() > MAX_CLIENT_FRAME_CHARS ? b : b.append(part),
            materializer)
        .thenApply(b -> b.length() > MAX_CLIENT_FRAME_CHARS ? null : b.toString());
  }

  /** Everything that waits for the socket, in order; the next frame sent signals again. */
  private synchronized List<Frame> takeWaiting() {
    signalled = false;
    List<Frame> frames = new ArrayList<>(waiting);
    waiting.clear();
    return frames;
  }

  /**
   * The socket's messages for {@code frames}: one each, except that on a batched socket consecutive
   * events go together as {@code events} frames.
   */
  private List<Message> messages(List<Frame> frames) throws JsonProcessingException {
    List<Message> messages = new ArrayList<>(frames.size());
    List<Publication> events = new ArrayList<>();
    for (Frame frame : frames) {
      if (batched && frame instanceof Frame.Published published) {
        events.add(published.publication());
        if (events.size() == MAX_EVENTS_PER_FRAME) {
          messages.add(events(events));
          events.clear();
        }
        continue;
      }
      if (!events.isEmpty()) {
        messages.add(events(events));
        events.clear();
      }
      messages.add(message(frame));
    }
    if (!events.isEmpty()) {
      messages.add(events(events));
    }
    return messages;
  }

  /**
   * One {@code events} frame: the shared renderings of the events, joined (no JSON written again),
   * and shared with the sockets that take the same events ({@link EventsFrames}); a single event
   * goes as its own shared message.
   */
  private Message events(List<Publication> events) {
    if (events.size() == 1) {
      return events.get(0).rendered(this::eventMessage);
    }
    return eventsFrames.rendered(events, this::eventsMessage);
  }

  private Message eventsMessage(List<Publication> events) {
    StringBuilder text = new StringBuilder(32 + 512 * events.size());
    text.append("{\"type\":\"events\",\"events\":[");
    for (int i = 0; i < events.size(); i++) {
      if (i > 0) {
        text.append(',');
      }
      text.append(events.get(i).rendered(this::eventMessage).asTextMessage().getStrictText());
    }
    return TextMessage.create(text.append("]}").toString());
  }

  /**
   * The socket's message for {@code frame}. A publication's event frame is the same for every
   * subscriber (audience was checked when it was queued), so it is rendered once, by the first
   * socket that takes it, and that one message is shared by all of them.
   */
  private Message message(Frame frame) throws JsonProcessingException {
    if (frame instanceof Frame.Published published) {
      return published.publication().rendered(this::eventMessage);
    }
    return TextMessage.create(json.writeValueAsString(frame));
  }

  private Message eventMessage(Publication p) {
    try {
      return TextMessage.create(json.writeValueAsString(new Frame.Event(p)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("the " + p.event() + " event of " + p.topicKey(), e);
    }
  }

  // -- client frames ---------------------------------------------------------------------------

  private void onClientFrame(String text) {
    if (text == null) {
      send(
          new Frame.Error(
              "malformed_frame",
              "frames are JSON text messages of at most "
                  + MAX_CLIENT_FRAME_CHARS
                  + " characters"));
      return;
    }
    JsonNode frame;
    try {
      frame = json.readTree(text);
    } catch (JsonProcessingException e) {
      send(new Frame.Error("malformed_frame", "a frame is one JSON object"));
      return;
    }
    if (frame == null || !frame.isObject() || !frame.path("type").isTextual()) {
      send(new Frame.Error("malformed_frame", "a frame is a JSON object with a string \"type\""));
      return;
    }
    String type = frame.get("type").asText();
    switch (type) {
      case "ping" -> send(Frame.Pong.INSTANCE);
      case "subscribe", "unsubscribe" -> {
        String topic = frame.path("topic").isTextual() ? frame.get("topic").asText() : null;
        String id = frame.path("id").isTextual() ? frame.get("id").asText() : null;
        if (topic == null || !TOPICS.contains(topic)) {
          send(
              new Frame.Error(
                  "unknown_topic",
                  "\"topic\" must be one of app, organization, task, session, sandboxProcesses",
                  topic,
                  id));
          return;
        }
        if (topic.equals("app") && (id == null || id.isEmpty())) {
          id = APP_ID;
        }
        if (id == null || id.isEmpty() || id.length() > MAX_ID_CHARS) {
          send(
              new Frame.Error(
                  "malformed_frame", "\"id\" names what to " + type + " to", topic, id));
          return;
        }
        if (topic.equals("app") && !id.equals(APP_ID)) {
          send(new Frame.Error("not_found", "the app topic has the one id \"app\"", topic, id));
          return;
        }
        if (type.equals("subscribe")) {
          subscribe(topic, id);
        } else {
          unsubscribe(topic, id);
        }
      }
      default ->
          send(
              new Frame.Error(
                  "unknown_frame_type", "unknown frame type; send subscribe, unsubscribe or ping"));
    }
  }

  private void subscribe(String topic, String id) {
    Subscription sub = new Subscription(topic, id);
    synchronized (this) {
      if (closed) {
        return;
      }
      String key = topic + ":" + id;
      if (subscriptions.containsKey(key)) {
        send(new Frame.Error("already_subscribed", "already subscribed", topic, id));
        return;
      }
      if (subscriptions.size() >= settings.maxSubscriptions()) {
        send(
            new Frame.Error(
                "too_many_subscriptions",
                "at most " + settings.maxSubscriptions() + " subscriptions per connection",
                topic,
                id));
        return;
      }
      subscriptions.put(key, sub);
      meters.subscriptions.incrementAndGet();
      // The hub first, the snapshot second: see the class comment.
      sub.handle =
          hub.subscribe(
              topic,
              id,
              new RealtimeHub.Batched() {
                @Override
                public void accept(Publication p) {
                  onPublications(sub, List.of(p));
                }

                @Override
                public void acceptAll(List<Publication> publications) {
                  onPublications(sub, publications);
                }
              });
    }
    CompletionStage<Object> snapshot;
    try {
      snapshot = access.snapshot(user, topic, id);
    } catch (RuntimeException e) {
      snapshot = CompletableFuture.failedFuture(e);
    }
    snapshot.whenComplete((payload, failure) -> onSnapshot(sub, payload, failure));
  }

  private synchronized void unsubscribe(String topic, String id) {
    Subscription sub = subscriptions.remove(topic + ":" + id);
    if (sub != null) {
      end(sub);
    }
  }

  // -- hub and snapshots -----------------------------------------------------------------------

  /** Publications of one topic and id, in order: queued together, with one wake-up. */
  private synchronized void onPublications(Subscription sub, List<Publication> publications) {
    if (sub.ended || closed) {
      return;
    }
    boolean queued = false;
    for (Publication p : publications) {
      if (p.audience() != null && !p.audience().equals(user.userId())) {
        continue;
      }
      if (sub.live()) {
        if (!enqueue(new Frame.Published(p))) {
          return;
        }
        queued = true;
      } else if (sub.held.size() < settings.bufferSize()) {
        sub.held.add(p);
      } else {
        // As many changes while one snapshot is read as the client may have queued: it could not
        // take them either.
        overflow();
        return;
      }
    }
    if (queued) {
      signal();
    }
  }

  private synchronized void onSnapshot(Subscription sub, Object payload, Throwable failure) {
    if (sub.ended) {
      return; // unsubscribed or closed meanwhile
    }
    if (failure != null) {
      subscriptions.remove(sub.topic + ":" + sub.id);
      end(sub);
      send(refusal(sub, failure));
      return;
    }
    List<Publication> held = sub.held;
    sub.held = null;
    send(new Frame.Snapshot(sub.topic, sub.id, payload));
    for (Publication p : held) {
      send(new Frame.Published(p));
    }
  }

  private Frame.Error refusal(Subscription sub, Throwable failure) {
    Throwable cause = Failures.cause(failure);
    if (cause instanceof ApiException api) {
      return new Frame.Error(api.error().code(), api.error().message(), sub.topic, sub.id);
    }
    log.error("snapshot of {} {} failed", sub.topic, sub.id, cause);
    return new Frame.Error("internal_error", "the snapshot could not be read", sub.topic, sub.id);
  }

  // -- the outgoing buffer
  // -------------------------------------------------------------------------

  /**
   * Queues {@code frame} for the socket and wakes its stream if it is not woken yet; a full list
   * drops the whole connection.
   */
  private synchronized void send(Frame frame) {
    if (enqueue(frame)) {
      signal();
    }
  }

  /** Adds {@code frame} to what waits; false when the socket is closed or was dropped for it. */
  private boolean enqueue(Frame frame) {
    if (closed) {
      return false;
    }
    if (waiting.size() >= settings.bufferSize()) {
      overflow();
      return false;
    }
    waiting.add(frame);
    return true;
  }

  /** Wakes the socket's stream unless it is woken already. */
  private void signal() {
    if (signalled || closed) {
      return;
    }
    signalled = true;
    QueueOfferResult result = wake.offer(Boolean.TRUE);
    if (!result.isEnqueued()) {
      close(); // the socket is already gone; its termination will find nothing left to do
    }
  }

  private synchronized void overflow() {
    if (closed) {
      return;
    }
    meters.slowClientsDropped.increment();
    log.info(
        "realtime client of user {} dropped: {} frames waiting, it does not read",
        user.userId(),
        settings.bufferSize());
    releaseAll();
    // Cut, not complete: completing the queue would first wait for the client to read what is
    // queued. The socket then closes normally (no error: this is policy, not a fault).
    cut.shutdown();
  }

  /**
   * The session the socket was opened with ended (signed out, replaced, expired): the user is no
   * longer signed in here, so the socket closes now, dropping what is queued, and its subscriptions
   * are released.
   */
  synchronized void sessionEnded() {
    if (closed) {
      return;
    }
    log.debug("realtime client of user {} closed: its session ended", user.userId());
    releaseAll();
    cut.shutdown();
  }

  /**
   * This server stops: the socket closes normally now, rather than breaking when the process ends,
   * so the client reconnects at once (to another node in cluster mode) and gets fresh snapshots.
   */
  synchronized void serverStopping() {
    if (closed) {
      return;
    }
    releaseAll();
    cut.shutdown();
  }

  /** The socket ended (either side, any reason): release everything, once. */
  private synchronized void close() {
    releaseAll();
  }

  private void releaseAll() {
    if (closed) {
      return;
    }
    closed = true;
    waiting.clear();
    meters.connections.decrementAndGet();
    for (Subscription sub : subscriptions.values()) {
      end(sub);
    }
    subscriptions.clear();
  }

  private void end(Subscription sub) {
    sub.ended = true;
    sub.held = null;
    meters.subscriptions.decrementAndGet();
    try {
      sub.handle.close();
    } catch (Exception e) {
      log.warn("releasing the {} {} subscription failed", sub.topic, sub.id, e);
    }
  }
}
