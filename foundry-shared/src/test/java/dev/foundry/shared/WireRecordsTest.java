package dev.foundry.shared;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every record of the wire contract round-trips through JSON, and its JSON field names are the
 * documented ones: {@code wire-fields.txt} pins them, so renaming a field (which breaks every
 * client) fails here instead of in production. A deliberate change updates that file and API.md.
 */
class WireRecordsTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Test
  void everyWireRecordRoundTripsThroughJson() throws Exception {
    List<Class<?>> records = wireRecords();
    assertThat(records).hasSizeGreaterThan(30);
    for (Class<?> type : records) {
      Object sample = sample(type, type, 0);

      String json = JSON.writeValueAsString(sample);
      Object back = JSON.readValue(json, type);

      assertThat(back).as("%s through %s", type.getSimpleName(), json).isEqualTo(sample);
    }
  }

  @Test
  void jsonFieldNamesAreTheRecordComponentsInDeclarationOrder() throws Exception {
    for (Class<?> type : wireRecords()) {
      JsonNode node = JSON.valueToTree(sample(type, type, 0));
      List<String> fields = new ArrayList<>();
      node.fieldNames().forEachRemaining(fields::add);
      List<String> components =
          Stream.of(type.getRecordComponents()).map(RecordComponent::getName).toList();
      assertThat(fields).as(type.getName()).containsExactlyElementsOf(components);
    }
  }

  @Test
  void theFieldNamesAreTheDocumentedOnes() throws Exception {
    String actual = fieldList();
    String documented;
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("wire-fields.txt")) {
      documented = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Path written = Path.of("target", "wire-fields.actual.txt");
    Files.writeString(written, actual);
    assertThat(actual)
        .as(
            "the wire contract changed; if that is meant, copy %s over"
                + " src/test/resources/wire-fields.txt and update API.md",
            written.toAbsolutePath())
        .isEqualTo(
            documented
                .lines()
                .filter(line -> !line.startsWith("#"))
                .map(line -> line + "\n")
                .collect(Collectors.joining()));
  }

  @Test
  void enumsTravelAsTheirSnakeCaseWireNames() throws Exception {
    for (Class<?> type : wireTypes()) {
      if (!type.isEnum()) {
        continue;
      }
      for (Object constant : type.getEnumConstants()) {
        String json = JSON.writeValueAsString(constant);
        assertThat(json)
            .as(type.getSimpleName())
            .isEqualTo('"' + ((Enum<?>) constant).name().toLowerCase() + '"');
        assertThat(JSON.readValue(json, type)).isEqualTo(constant);
      }
    }
  }

  private static String fieldList() throws Exception {
    StringBuilder text = new StringBuilder();
    for (Class<?> type : wireRecords()) {
      text.append(type.getName().substring("dev.foundry.shared.".length()))
          .append(": ")
          .append(
              Stream.of(type.getRecordComponents())
                  .map(
                      c ->
                          c.getName()
                              + " "
                              + c.getGenericType().getTypeName().replaceAll("[a-z.]+\\.", ""))
                  .collect(Collectors.joining(", ")))
          .append('\n');
    }
    return text.toString();
  }

  private static List<Class<?>> wireRecords() throws Exception {
    return wireTypes().stream().filter(Class::isRecord).toList();
  }

  /** Every top-level and nested public type compiled from this module's main sources. */
  private static List<Class<?>> wireTypes()
      throws IOException, URISyntaxException, ClassNotFoundException {
    Path classes =
        Path.of(
            dev.foundry.shared.realtime.RealtimeEvents.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
    List<String> names;
    try (Stream<Path> files = Files.walk(classes)) {
      names =
          files
              .map(p -> classes.relativize(p).toString())
              .filter(p -> p.endsWith(".class") && !p.endsWith("package-info.class"))
              .map(p -> p.substring(0, p.length() - ".class".length()).replace('/', '.'))
              .sorted()
              .toList();
    }
    List<Class<?>> types = new ArrayList<>();
    for (String name : names) {
      Class<?> type = Class.forName(name);
      if (java.lang.reflect.Modifier.isPublic(type.getModifiers())) {
        types.add(type);
      }
    }
    return types;
  }

  /** A value of {@code type} with every field set to something distinguishable. */
  private static Object sample(Type type, Class<?> owner, int depth) throws Exception {
    if (type instanceof ParameterizedType parameterized) {
      Class<?> raw = (Class<?>) parameterized.getRawType();
      Type[] arguments = parameterized.getActualTypeArguments();
      if (List.class.isAssignableFrom(raw)) {
        return depth > 3 ? List.of() : List.of(sample(arguments[0], owner, depth + 1));
      }
      if (Map.class.isAssignableFrom(raw)) {
        Map<Object, Object> map = new LinkedHashMap<>();
        map.put("key", sample(arguments[1], owner, depth + 1));
        return map;
      }
      throw new AssertionError("no sample for " + type + " in " + owner);
    }
    Class<?> raw = (Class<?>) type;
    if (raw == String.class) {
      return "text-" + depth;
    }
    if (raw == int.class || raw == Integer.class) {
      return 7 + depth;
    }
    if (raw == long.class || raw == Long.class) {
      return 1_700_000_000_000L + depth;
    }
    if (raw == boolean.class || raw == Boolean.class) {
      return true;
    }
    if (raw == double.class || raw == Double.class) {
      return 0.5;
    }
    if (raw == Object.class) {
      // A free-form payload reads back as a map.
      Map<String, Object> payload = new LinkedHashMap<>();
      payload.put("kind", "sample");
      return payload;
    }
    if (raw.isEnum()) {
      Object[] constants = raw.getEnumConstants();
      return constants[depth % constants.length];
    }
    if (raw.isRecord()) {
      RecordComponent[] components = raw.getRecordComponents();
      Object[] values = new Object[components.length];
      Class<?>[] types = new Class<?>[components.length];
      for (int i = 0; i < components.length; i++) {
        types[i] = components[i].getType();
        values[i] = sample(components[i].getGenericType(), raw, depth + 1);
      }
      Constructor<?> canonical = raw.getDeclaredConstructor(types);
      return canonical.newInstance(values);
    }
    throw new AssertionError("no sample for " + type + " in " + owner);
  }
}
