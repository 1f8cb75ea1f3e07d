package dev.foundry.backend.billing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.stripe.net.Webhook;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stripe's API as a local HTTP server, for tests: the endpoints Foundry calls, form-encoded in,
 * Stripe's documented object shapes out (customer, checkout.session, subscription with its items
 * and expandable default payment method, invoice, billing_portal.session, error). Idempotency keys
 * replay the first answer, as Stripe does. Tests change the state behind Stripe's back (a completed
 * checkout, a cancellation) and sign events as Stripe would.
 */
public final class FakeStripe implements AutoCloseable {
  public static final String SECRET_KEY = "sk_test_foundry";
  public static final String WEBHOOK_SECRET = "whsec_foundry_test";
  public static final String PRICE_TEAM = "price_team_monthly";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<String, ObjectNode> customers = new ConcurrentHashMap<>();
  private final Map<String, ObjectNode> sessions = new ConcurrentHashMap<>();
  private final Map<String, ObjectNode> subscriptions = new ConcurrentHashMap<>();
  private final Map<String, ObjectNode> invoices = new ConcurrentHashMap<>();
  private final Map<String, String> idempotent = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

  public FakeStripe() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  public String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The environment that points a backend at this fake. */
  public Map<String, String> environment() {
    return Map.of(
        "STRIPE_SECRET_KEY", SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET,
        "STRIPE_PRICE_TEAM", PRICE_TEAM,
        "STRIPE_API_BASE", base());
  }

  /** How many requests {@code "METHOD /path"} had (path without the query). */
  public int calls(String methodAndPath) {
    AtomicInteger n = calls.get(methodAndPath);
    return n == null ? 0 : n.get();
  }

  public int customerCount() {
    return customers.size();
  }

  // --- what happens at Stripe without Foundry asking ------------------------------------------

  /** The customer pays on the hosted page: the session completes with an active subscription. */
  public synchronized String completeCheckout(String sessionId) {
    ObjectNode session = sessions.get(sessionId);
    String subId = "sub_" + next();
    long now = Instant.now().getEpochSecond();
    ObjectNode sub = JSON.createObjectNode();
    sub.put("id", subId);
    sub.put("object", "subscription");
    sub.put("customer", session.path("customer").asText());
    sub.put("status", "active");
    sub.put("cancel_at_period_end", false);
    sub.putNull("trial_end");
    sub.put("created", now);
    sub.put("livemode", false);
    sub.set("metadata", session.path("subscription_data_metadata").deepCopy());
    ObjectNode pm = sub.putObject("default_payment_method");
    pm.put("id", "pm_" + next());
    pm.put("object", "payment_method");
    pm.put("type", "card");
    pm.putObject("card").put("brand", "visa").put("last4", "4242");
    ObjectNode items = sub.putObject("items");
    items.put("object", "list");
    items.put("has_more", false);
    items.put("url", "/v1/subscription_items?subscription=" + subId);
    ObjectNode item = items.putArray("data").addObject();
    item.put("id", "si_" + next());
    item.put("object", "subscription_item");
    item.put("quantity", 1);
    item.put("current_period_start", now);
    item.put("current_period_end", now + 30L * 24 * 3600);
    item.putObject("price").put("id", PRICE_TEAM).put("object", "price");
    subscriptions.put(subId, sub);
    session.put("status", "complete");
    session.put("payment_status", "paid");
    session.put("subscription", subId);
    return subId;
  }

  /** The subscription as Stripe has it now (a copy; change it with {@link #updateSubscription}). */
  public ObjectNode subscription(String id) {
    return subscriptions.get(id).deepCopy();
  }

  /** Changes fields of the subscription behind Foundry's back (a dunning, a cancellation). */
  public synchronized void updateSubscription(String id, Map<String, Object> fields) {
    ObjectNode sub = subscriptions.get(id);
    fields.forEach((k, v) -> sub.set(k, JSON.valueToTree(v)));
  }

  /** An invoice of the customer, paid or open. */
  public synchronized ObjectNode createInvoice(
      String customerId, String subscriptionId, String number, long cents, boolean paid) {
    ObjectNode inv = JSON.createObjectNode();
    String id = "in_" + next();
    inv.put("id", id);
    inv.put("object", "invoice");
    inv.put("customer", customerId);
    inv.put("number", number);
    inv.put("created", Instant.parse("2026-11-01T10:00:00Z").getEpochSecond());
    inv.put("amount_due", cents);
    inv.put("amount_paid", paid ? cents : 0);
    inv.put("currency", "usd");
    inv.put("status", paid ? "paid" : "open");
    inv.putObject("parent")
        .put("type", "subscription_details")
        .putObject("subscription_details")
        .put("subscription", subscriptionId);
    invoices.put(id, inv);
    return inv.deepCopy();
  }

  /** The id of the last Checkout Session created. */
  public String lastCheckoutSessionId() {
    return sessions.values().stream()
        .map(s -> s.path("id").asText())
        .max((a, b) -> Integer.compare(idNumber(a), idNumber(b)))
        .orElseThrow();
  }

  public ObjectNode checkoutSession(String id) {
    return sessions.get(id).deepCopy();
  }

  // --- events as Stripe sends them ------------------------------------------------------------

  /** A Stripe event around {@code object}, as JSON text. */
  public static String event(String id, String type, ObjectNode object) {
    ObjectNode e = JSON.createObjectNode();
    e.put("id", id);
    e.put("object", "event");
    e.put("api_version", "2025-11-17.clover");
    e.put("created", Instant.now().getEpochSecond());
    e.put("livemode", false);
    e.put("pending_webhooks", 1);
    e.put("type", type);
    e.putObject("data").set("object", object);
    return e.toString();
  }

  /** The {@code Stripe-Signature} header Stripe's own library makes for {@code payload} now. */
  public static String sign(String payload) {
    try {
      return Webhook.Signature.generateSignatureHeader(payload, WEBHOOK_SECRET);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The header Stripe's library makes for {@code payload} at {@code epochSeconds}. */
  public static String signAt(String payload, long epochSeconds) {
    try {
      return Webhook.Signature.generateSignatureHeader(payload, WEBHOOK_SECRET, epochSeconds);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  // --- the API --------------------------------------------------------------------------------

  private void handle(HttpExchange x) throws IOException {
    try (x) {
      String method = x.getRequestMethod();
      String path = x.getRequestURI().getPath();
      calls.computeIfAbsent(method + " " + path, k -> new AtomicInteger()).incrementAndGet();
      String auth = x.getRequestHeaders().getFirst("Authorization");
      if (auth == null || !auth.equals("Bearer " + SECRET_KEY)) {
        send(x, 401, error("invalid_request_error", "Invalid API Key provided"));
        return;
      }
      Map<String, String> form =
          parseForm(
              method.equals("GET")
                  ? x.getRequestURI().getRawQuery()
                  : new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      String key = x.getRequestHeaders().getFirst("Idempotency-Key");
      if (method.equals("POST") && key != null && idempotent.containsKey(path + key)) {
        send(x, 200, idempotent.get(path + key));
        return;
      }
      String answer = route(method, path, form);
      if (answer == null) {
        send(x, 404, error("invalid_request_error", "No such resource: " + path));
        return;
      }
      if (method.equals("POST") && key != null) {
        idempotent.put(path + key, answer);
      }
      send(x, 200, answer);
    }
  }

  private synchronized String route(String method, String path, Map<String, String> form) {
    String[] p = path.split("/");
    if (method.equals("POST") && path.equals("/v1/customers")) {
      ObjectNode c = JSON.createObjectNode();
      String id = "cus_" + next();
      c.put("id", id);
      c.put("object", "customer");
      c.put("name", form.get("name"));
      c.put("email", form.get("email"));
      c.set("metadata", metadata(form, "metadata"));
      customers.put(id, c);
      return c.toString();
    }
    if (method.equals("POST") && path.equals("/v1/checkout/sessions")) {
      if (!PRICE_TEAM.equals(form.get("line_items[0][price]"))
          || !"subscription".equals(form.get("mode"))
          || !customers.containsKey(form.get("customer"))) {
        return null;
      }
      ObjectNode s = JSON.createObjectNode();
      String id = "cs_test_" + next();
      s.put("id", id);
      s.put("object", "checkout.session");
      s.put("mode", "subscription");
      s.put("status", "open");
      s.put("payment_status", "unpaid");
      s.put("customer", form.get("customer"));
      s.putNull("subscription");
      s.put("success_url", form.get("success_url"));
      s.put("cancel_url", form.get("cancel_url"));
      s.put("url", "https://checkout.stripe.test/c/pay/" + id);
      s.set("metadata", metadata(form, "metadata"));
      s.set("subscription_data_metadata", metadata(form, "subscription_data[metadata]"));
      sessions.put(id, s);
      return visible(s).toString();
    }
    if (method.equals("GET") && path.startsWith("/v1/checkout/sessions/") && p.length == 5) {
      ObjectNode s = sessions.get(p[4]);
      if (s == null) {
        return null;
      }
      ObjectNode out = visible(s);
      if (form.containsValue("subscription") && s.path("subscription").isTextual()) {
        out.set("subscription", subscriptions.get(s.path("subscription").asText()).deepCopy());
      }
      return out.toString();
    }
    if (path.startsWith("/v1/subscriptions/") && p.length == 4) {
      ObjectNode sub = subscriptions.get(p[3]);
      if (sub == null) {
        return null;
      }
      if (method.equals("POST") && form.containsKey("cancel_at_period_end")) {
        sub.put("cancel_at_period_end", Boolean.parseBoolean(form.get("cancel_at_period_end")));
      }
      ObjectNode out = sub.deepCopy();
      if (!form.containsValue("default_payment_method")) {
        out.put("default_payment_method", sub.path("default_payment_method").path("id").asText());
      }
      return out.toString();
    }
    if (method.equals("POST") && path.equals("/v1/billing_portal/sessions")) {
      if (!customers.containsKey(form.get("customer"))) {
        return null;
      }
      ObjectNode s = JSON.createObjectNode();
      String id = "bps_" + next();
      s.put("id", id);
      s.put("object", "billing_portal.session");
      s.put("customer", form.get("customer"));
      s.put("return_url", form.get("return_url"));
      s.put("url", "https://billing.stripe.test/p/session/" + id);
      return s.toString();
    }
    if (method.equals("GET") && path.startsWith("/v1/invoices/") && p.length == 4) {
      ObjectNode inv = invoices.get(p[3]);
      return inv == null ? null : inv.toString();
    }
    return null;
  }

  /** The session without the fake's own bookkeeping fields. */
  private static ObjectNode visible(ObjectNode session) {
    ObjectNode out = session.deepCopy();
    out.remove("subscription_data_metadata");
    return out;
  }

  private static ObjectNode metadata(Map<String, String> form, String prefix) {
    ObjectNode m = JSON.createObjectNode();
    form.forEach(
        (k, v) -> {
          if (k.startsWith(prefix + "[") && k.indexOf(']', prefix.length()) == k.length() - 1) {
            m.put(k.substring(prefix.length() + 1, k.length() - 1), v);
          }
        });
    return m;
  }

  private static Map<String, String> parseForm(String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.put(k, v);
    }
    return out;
  }

  private static String error(String type, String message) {
    ObjectNode e = JSON.createObjectNode();
    e.putObject("error").put("type", type).put("message", message);
    return e.toString();
  }

  private static void send(HttpExchange x, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().set("Content-Type", "application/json");
    x.getResponseHeaders().set("Request-Id", "req_fake");
    x.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = x.getResponseBody()) {
      out.write(bytes);
    }
  }

  private int next() {
    return ids.incrementAndGet();
  }

  private static int idNumber(String id) {
    return Integer.parseInt(id.replaceAll("\\D", ""));
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
