package dev.foundry.backend.http.rest;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.module.paramnames.ParameterNamesModule;
import dev.foundry.backend.http.ApiException;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * JSON of the REST API: one lenient writer for responses and one strict reader for request bodies.
 * The reader refuses unknown fields, trailing data, duplicate keys and type coercions ("1" for a
 * number, 1 for a string, 1.5 for an integer), so nothing reaches an actor by accident. Request
 * records mark their required components with {@code @JsonProperty(required = true)}; a missing or
 * null required field is a 400, a {@link Validated#validate()} refusal a 422.
 */
public final class ApiJson {
  private static final ObjectMapper WRITER =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .addModule(new Jdk8Module())
          .addModule(new ParameterNamesModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .build();

  private static final ObjectMapper STRICT = strictMapper();

  private ApiJson() {}

  /** A request body that checks its own values after binding; throws a 422 {@link ApiException}. */
  public interface Validated {
    void validate();
  }

  private static ObjectMapper strictMapper() {
    JsonMapper mapper =
        JsonMapper.builder()
            .addModule(new ParameterNamesModule())
            .addModule(new Jdk8Module())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    refuse(
        mapper,
        LogicalType.Textual,
        CoercionInputShape.Integer,
        CoercionInputShape.Float,
        CoercionInputShape.Boolean);
    refuse(
        mapper,
        LogicalType.Integer,
        CoercionInputShape.String,
        CoercionInputShape.EmptyString,
        CoercionInputShape.Float,
        CoercionInputShape.Boolean);
    refuse(
        mapper,
        LogicalType.Float,
        CoercionInputShape.String,
        CoercionInputShape.EmptyString,
        CoercionInputShape.Boolean);
    refuse(
        mapper,
        LogicalType.Boolean,
        CoercionInputShape.String,
        CoercionInputShape.EmptyString,
        CoercionInputShape.Integer,
        CoercionInputShape.Float);
    for (LogicalType structured :
        new LogicalType[] {
          LogicalType.POJO, LogicalType.Collection, LogicalType.Array, LogicalType.Map
        }) {
      refuse(
          mapper,
          structured,
          CoercionInputShape.String,
          CoercionInputShape.EmptyString,
          CoercionInputShape.Integer,
          CoercionInputShape.Float,
          CoercionInputShape.Boolean);
    }
    return mapper;
  }

  private static void refuse(
      ObjectMapper mapper, LogicalType target, CoercionInputShape... shapes) {
    for (CoercionInputShape shape : shapes) {
      mapper.coercionConfigFor(target).setCoercion(shape, CoercionAction.Fail);
    }
  }

  public static ObjectMapper writer() {
    return WRITER;
  }

  public static String write(Object value) {
    try {
      return WRITER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + value.getClass().getName(), e);
    }
  }

  /**
   * Binds {@code body} to {@code type} strictly, then checks required fields and the record's own
   * rules.
   *
   * @throws ApiException 400 for malformed JSON, an unknown field, a wrong type or a missing field;
   *     422 for a value the record refuses
   */
  public static <T> T read(byte[] body, Class<T> type) {
    if (body.length == 0 || new String(body, StandardCharsets.UTF_8).isBlank()) {
      body = "{}".getBytes(StandardCharsets.UTF_8);
    }
    T value;
    try {
      JsonNode tree = STRICT.readTree(body);
      if (tree == null || !tree.isObject()) {
        throw ApiErrors.badRequest("invalid_body", "the request body must be a JSON object");
      }
      // Unknown fields first: they explain a "missing" field better than the missing one does.
      refuseUnknownFields(tree, type, "");
      value = STRICT.treeToValue(tree, type);
    } catch (UnrecognizedPropertyException e) {
      throw ApiErrors.badRequest(
          "unknown_field",
          "unknown field '"
              + e.getPropertyName()
              + "'; allowed: "
              + e.getKnownPropertyIds().stream()
                  .map(String::valueOf)
                  .sorted()
                  .collect(Collectors.joining(", ")));
    } catch (MismatchedInputException e) {
      String field = fieldPath(e);
      String message = e.getOriginalMessage();
      if (message != null && message.startsWith("Missing required creator property")) {
        throw ApiErrors.badRequest("missing_field", "field '" + field + "' is required");
      }
      if (message != null && message.startsWith("Trailing token")) {
        throw ApiErrors.badRequest(
            "malformed_json", "the request body has data after its JSON object");
      }
      if (field.isEmpty()) {
        throw ApiErrors.badRequest("invalid_body", "the request body must be a JSON object");
      }
      throw ApiErrors.badRequest(
          "invalid_field", "field '" + field + "' has the wrong type" + expected(e));
    } catch (StreamReadException e) {
      throw ApiErrors.badRequest(
          "malformed_json", "the request body is not valid JSON: " + e.getOriginalMessage());
    } catch (JsonMappingException e) {
      throw ApiErrors.badRequest("invalid_body", "the request body does not fit: " + fieldPath(e));
    } catch (IOException e) {
      throw ApiErrors.badRequest("malformed_json", "the request body cannot be read");
    }
    if (value == null) {
      throw ApiErrors.badRequest("invalid_body", "the request body must be a JSON object");
    }
    requireFields(value, "");
    if (value instanceof Validated v) {
      v.validate();
    }
    return value;
  }

  /**
   * What the strict checks need of a request record, read by reflection once per class (the
   * annotations and accessors of every component, on every request, cost more than the binding).
   */
  private record Shape(Map<String, Class<?>> fields, List<Component> components) {
    record Component(String name, Method accessor, boolean required) {}

    static Shape of(Class<?> type) {
      Map<String, Class<?>> fields = new TreeMap<>();
      List<Component> components = new ArrayList<>();
      for (RecordComponent c : type.getRecordComponents()) {
        JsonProperty p = c.getAccessor().getAnnotation(JsonProperty.class);
        fields.put(p != null && !p.value().isEmpty() ? p.value() : c.getName(), c.getType());
        components.add(new Component(c.getName(), c.getAccessor(), p != null && p.required()));
      }
      return new Shape(Collections.unmodifiableMap(fields), List.copyOf(components));
    }
  }

  private static final ClassValue<Shape> SHAPES =
      new ClassValue<>() {
        @Override
        protected Shape computeValue(Class<?> type) {
          return Shape.of(type);
        }
      };

  private static void refuseUnknownFields(JsonNode node, Class<?> type, String prefix) {
    if (!type.isRecord() || !node.isObject()) {
      return;
    }
    Map<String, Class<?>> known = SHAPES.get(type).fields();
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      Class<?> fieldType = known.get(name);
      if (fieldType == null) {
        throw ApiErrors.badRequest(
            "unknown_field",
            "unknown field '"
                + prefix
                + ResourceAccess.abbreviate(name)
                + "'; allowed: "
                + String.join(", ", known.keySet()));
      }
      refuseUnknownFields(node.get(name), fieldType, prefix + name + ".");
    }
  }

  /** Null in a required component (explicit {@code null} passes Jackson's own check). */
  private static void requireFields(Object value, String prefix) {
    if (value == null || !value.getClass().isRecord()) {
      return;
    }
    for (Shape.Component c : SHAPES.get(value.getClass()).components()) {
      Object v;
      try {
        v = c.accessor().invoke(value);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
      if (v == null && c.required()) {
        throw ApiErrors.badRequest(
            "missing_field", "field '" + prefix + c.name() + "' is required");
      }
      requireFields(v, prefix + c.name() + ".");
    }
  }

  private static String fieldPath(JsonMappingException e) {
    StringBuilder b = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        if (b.length() > 0) {
          b.append('.');
        }
        b.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        b.append('[').append(r.getIndex()).append(']');
      }
    }
    return b.toString();
  }

  private static String expected(MismatchedInputException e) {
    Class<?> t = e.getTargetType();
    if (t == null) {
      return "";
    }
    String name =
        t == String.class
            ? "a string"
            : t == Boolean.class || t == boolean.class
                ? "a boolean"
                : Number.class.isAssignableFrom(t) || t.isPrimitive()
                    ? "a number"
                    : Collection.class.isAssignableFrom(t) ? "an array" : "an object";
    return " (expected " + name + ")";
  }
}
