package dev.foundry.backend.http.rest;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.foundry.backend.http.auth.SessionCookie;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The OpenAPI 3.1 document of the REST table, built from the same {@link Endpoint} rows the router
 * serves: paths, methods, operation ids, parameters, success and error statuses, and JSON schemas
 * derived from the request and response records (required request fields are those marked
 * {@code @JsonProperty(required = true)}; request records refuse other fields).
 */
final class OpenApiDocument {
  private static final String ERROR = "#/components/responses/Error";

  private final Map<String, Object> schemas = new TreeMap<>();
  private final Map<String, Class<?>> schemaClasses = new LinkedHashMap<>();

  /** The session cookie's name as this server sets it (secure: {@code __Host-} prefixed). */
  private final String cookieName;

  private OpenApiDocument(String cookieName) {
    this.cookieName = cookieName;
  }

  static Map<String, Object> of(List<Endpoint> endpoints) {
    return of(endpoints, SessionCookie.NAME);
  }

  static Map<String, Object> of(List<Endpoint> endpoints, String cookieName) {
    return new OpenApiDocument(cookieName).build(endpoints);
  }

  private Map<String, Object> build(List<Endpoint> endpoints) {
    Map<String, Object> paths = new LinkedHashMap<>();
    for (Endpoint e : endpoints) {
      @SuppressWarnings("unchecked")
      Map<String, Object> item =
          (Map<String, Object>) paths.computeIfAbsent(e.path(), p -> new LinkedHashMap<>());
      item.put(e.method().toLowerCase(Locale.ROOT), operation(e));
    }
    schemas.put(
        "Error",
        object(
            Map.of(
                "error",
                object(
                    Map.of("code", Map.of("type", "string"), "message", Map.of("type", "string")),
                    List.of("code", "message"))),
            List.of("error")));

    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("openapi", "3.1.0");
    doc.put(
        "info",
        Map.of(
            "title",
            "Foundry API",
            "version",
            "1",
            "description",
            "REST API of Foundry for the JVM. Errors are {\"error\":{\"code\",\"message\"}};"
                + " docs/api.md explains the codes."));
    doc.put("paths", paths);
    Map<String, Object> components = new LinkedHashMap<>();
    components.put("schemas", schemas);
    components.put(
        "responses",
        Map.of(
            "Error",
            Map.of(
                "description", "An error in the API's one shape", "content", json(ref("Error")))));
    components.put(
        "securitySchemes",
        Map.of(
            "sessionCookie",
            Map.of(
                "type", "apiKey",
                "in", "cookie",
                "name", cookieName)));
    doc.put("components", components);
    return doc;
  }

  private Map<String, Object> operation(Endpoint e) {
    Map<String, Object> op = new LinkedHashMap<>();
    op.put("operationId", e.operationId());
    op.put("summary", e.summary());
    if (!e.tag().isEmpty()) {
      op.put("tags", List.of(e.tag()));
    }
    List<Object> parameters = new ArrayList<>();
    for (String name : e.pathParameters()) {
      Map<String, Object> schema = new LinkedHashMap<>();
      schema.put("type", "string");
      schema.put(
          "pattern", name.equals("org") ? "^[a-zA-Z0-9._-]{1,64}$" : "^[A-Za-z0-9._-]{1,128}$");
      parameters.add(Map.of("name", name, "in", "path", "required", true, "schema", schema));
    }
    for (Endpoint.QueryParameter q : e.query()) {
      parameters.add(
          Map.of(
              "name",
              q.name(),
              "in",
              "query",
              "required",
              false,
              "description",
              q.description(),
              "schema",
              Map.of("type", q.type())));
    }
    if (e.takesIdempotencyKey()) {
      parameters.add(
          Map.of(
              "name",
              IdempotencyKeys.HEADER,
              "in",
              "header",
              "required",
              false,
              "description",
              "A retry with the same key by the same user within 24 h answers the first result"
                  + " and creates nothing",
              "schema",
              Map.of(
                  "type",
                  "string",
                  "minLength",
                  1,
                  "maxLength",
                  IdempotencyKeys.MAX_LENGTH,
                  "pattern",
                  "^[\\x20-\\x7e]+$")));
    }
    if (!parameters.isEmpty()) {
      op.put("parameters", parameters);
    }
    if (e.requestType() == RawBody.class) {
      op.put(
          "requestBody",
          Map.of(
              "required",
              true,
              "description",
              "the event exactly as Stripe sent it; the Stripe-Signature header signs these bytes",
              "content",
              json(Map.of("type", "object"))));
      parameters.add(
          Map.of(
              "name",
              "Stripe-Signature",
              "in",
              "header",
              "required",
              true,
              "schema",
              Map.of("type", "string")));
      op.put("parameters", parameters);
    } else if (e.requestType() != null) {
      op.put(
          "requestBody",
          Map.of(
              "required", hasRequired(e.requestType()), "content", json(schema(e.requestType()))));
    }
    Map<String, Object> responses = new LinkedHashMap<>();
    Map<String, Object> success = new LinkedHashMap<>();
    success.put("description", e.summary());
    if (e.responseType() != Void.class && e.status() != 204) {
      Object schema =
          e.responseIsList()
              ? Map.of("type", "array", "items", schema(e.responseType()))
              : schema(e.responseType());
      success.put("content", json(schema));
    }
    responses.put(String.valueOf(e.status()), success);
    for (String status : errorStatuses(e)) {
      responses.put(status, Map.of("$ref", ERROR));
    }
    op.put("responses", responses);
    op.put("security", e.signedIn() ? List.of(Map.of("sessionCookie", List.of())) : List.of());
    return op;
  }

  /** The error statuses a row can answer, from what the router checks for it. */
  private static List<String> errorStatuses(Endpoint e) {
    List<String> out = new ArrayList<>();
    boolean body = e.requestType() != null;
    if (body || !e.query().isEmpty() || e.method().equals("POST") || e.method().equals("PUT")) {
      out.add("400");
    }
    if (e.signedIn()) {
      out.add("401");
    }
    List<String> params = e.pathParameters();
    if (params.contains("org") || e.operationId().equals("selectOrganization")) {
      out.add("403");
    }
    if (!params.isEmpty() || e.operationId().equals("devSignIn")) {
      out.add("404");
    }
    if (params.contains("taskId")
        || e.operationId().equals("createTask")
        || e.takesIdempotencyKey()) {
      out.add("409");
    }
    if (e.path().equals(BillingApi.CHECKOUT_COMPLETE)) {
      out.add("403");
      out.add("404");
    }
    if (body) {
      out.add("413");
      out.add("415");
      out.add("422");
    } else if (e.takesIdempotencyKey()) {
      out.add("422");
    }
    out.add("500");
    if (e.tag().equals("billing")) {
      out.add("502");
      out.add("503");
    }
    if (e.operationId().equals("syncGithub")) {
      out.add("503");
    }
    if (e.operationId().equals("githubWebhook")) {
      // 401: no or a wrong X-Hub-Signature-256; 503: no GITHUB_WEBHOOK_SECRET.
      out.add(out.indexOf("500"), "401");
      out.add("503");
    }
    if (!e.method().equals("GET") && e.signedIn()) {
      out.add("504");
    }
    return out;
  }

  private static Map<String, Object> json(Object schema) {
    return Map.of("application/json", Map.of("schema", schema));
  }

  private static Map<String, Object> ref(String name) {
    return Map.of("$ref", "#/components/schemas/" + name);
  }

  private static Map<String, Object> object(Map<String, Object> properties, List<String> required) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("type", "object");
    o.put("properties", new TreeMap<>(properties));
    if (!required.isEmpty()) {
      o.put("required", required);
    }
    return o;
  }

  private static boolean hasRequired(Class<?> type) {
    for (RecordComponent c : type.getRecordComponents()) {
      JsonProperty p = c.getAccessor().getAnnotation(JsonProperty.class);
      if (p != null && p.required()) {
        return true;
      }
    }
    return false;
  }

  /** The JSON schema of a Java type; records become named component schemas. */
  Object schema(Type type) {
    if (type instanceof ParameterizedType p) {
      Class<?> raw = (Class<?>) p.getRawType();
      Type[] args = p.getActualTypeArguments();
      if (Collection.class.isAssignableFrom(raw)) {
        return Map.of("type", "array", "items", schema(args[0]));
      }
      if (Map.class.isAssignableFrom(raw)) {
        return Map.of("type", "object", "additionalProperties", schema(args[1]));
      }
      if (raw == Optional.class) {
        return schema(args[0]);
      }
      return schema(raw);
    }
    if (type instanceof WildcardType w) {
      return schema(w.getUpperBounds()[0]);
    }
    if (type instanceof GenericArrayType g) {
      return Map.of("type", "array", "items", schema(g.getGenericComponentType()));
    }
    if (!(type instanceof Class<?> c)) {
      return Map.of();
    }
    if (c == String.class || c == char.class || c == Character.class) {
      return Map.of("type", "string");
    }
    if (c == boolean.class || c == Boolean.class) {
      return Map.of("type", "boolean");
    }
    if (c == int.class || c == Integer.class || c == short.class || c == Short.class) {
      return Map.of("type", "integer", "format", "int32");
    }
    if (c == long.class || c == Long.class) {
      return Map.of("type", "integer", "format", "int64");
    }
    if (c == double.class || c == Double.class || c == float.class || c == Float.class) {
      return Map.of("type", "number");
    }
    if (c.isEnum()) {
      return Map.of("type", "string", "enum", enumValues(c));
    }
    if (c.isArray()) {
      return Map.of("type", "array", "items", schema(c.getComponentType()));
    }
    if (Collection.class.isAssignableFrom(c)) {
      return Map.of("type", "array");
    }
    if (Map.class.isAssignableFrom(c)) {
      return Map.of("type", "object");
    }
    if (c.isRecord()) {
      return ref(recordSchema(c));
    }
    return Map.of();
  }

  private String recordSchema(Class<?> c) {
    String name = c.getSimpleName();
    Class<?> existing = schemaClasses.get(name);
    if (existing != null && existing != c) {
      name = c.getName().replace('.', '_').replace('$', '_');
    }
    if (schemaClasses.containsKey(name)) {
      return name;
    }
    schemaClasses.put(name, c);
    schemas.put(name, Map.of()); // placeholder: a record may refer to itself
    Map<String, Object> properties = new LinkedHashMap<>();
    List<String> required = new ArrayList<>();
    for (RecordComponent rc : c.getRecordComponents()) {
      JsonProperty p = rc.getAccessor().getAnnotation(JsonProperty.class);
      String field = p != null && !p.value().isEmpty() ? p.value() : rc.getName();
      properties.put(field, schema(rc.getGenericType()));
      if (p != null && p.required()) {
        required.add(field);
      }
    }
    Map<String, Object> schema = object(properties, required);
    if (c.getEnclosingClass() == RequestBodies.class) {
      schema.put("additionalProperties", false);
    }
    schemas.put(name, schema);
    return name;
  }

  private static List<String> enumValues(Class<?> c) {
    Method wire = null;
    for (Method m : c.getMethods()) {
      if (m.isAnnotationPresent(JsonValue.class) && m.getParameterCount() == 0) {
        wire = m;
      }
    }
    List<String> values = new ArrayList<>();
    for (Object constant : c.getEnumConstants()) {
      try {
        values.add(
            wire == null ? ((Enum<?>) constant).name() : String.valueOf(wire.invoke(constant)));
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
    return values;
  }
}
