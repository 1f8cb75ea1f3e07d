package dev.foundry.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.typesafe.config.ConfigFactory;
import dev.foundry.backend.config.FoundryConfig;
import dev.foundry.backend.config.FoundrySettings;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * {@code compose.dev.yaml} is checked against the Compose specification's structure, because no
 * Docker engine runs here to load it: the keys Compose knows, ports, dependencies, named volumes,
 * environment values, health checks and {@code ${VAR}} interpolation. The backend service's
 * environment is then run through our own configuration loader, so the container would start.
 */
class ComposeFileTest {
  /** Surefire runs in the module directory; the compose file is at the repository root. */
  private static final Path COMPOSE_FILE = Path.of("..", "compose.dev.yaml");

  private static final Set<String> TOP_LEVEL_KEYS =
      Set.of("name", "services", "volumes", "networks", "configs", "secrets", "include");

  /** The service attributes of the Compose specification. */
  private static final Set<String> SERVICE_KEYS =
      Set.of(
          """
          annotations attach blkio_config build cap_add cap_drop cgroup cgroup_parent command
          configs container_name cpu_count cpu_percent cpu_period cpu_quota cpu_rt_period
          cpu_rt_runtime cpu_shares cpus cpuset credential_spec depends_on deploy develop
          device_cgroup_rules devices dns dns_opt dns_search domainname driver_opts entrypoint
          env_file environment expose extends external_links extra_hosts gpus group_add
          healthcheck hostname image init ipc isolation labels label_file links logging
          mac_address mem_limit mem_reservation mem_swappiness memswap_limit models network_mode
          networks oom_kill_disable oom_score_adj pid pids_limit platform ports post_start
          pre_stop privileged profiles provider pull_policy read_only restart runtime scale
          secrets security_opt shm_size stdin_open stop_grace_period stop_signal storage_opt
          sysctls tmpfs tty ulimits use_api_socket user userns_mode uts volumes volumes_from
          working_dir
          """
              .strip()
              .split("\\s+"));

  private static final Set<String> HEALTHCHECK_KEYS =
      Set.of("test", "interval", "timeout", "retries", "start_period", "start_interval", "disable");

  private static final Set<String> DEPENDENCY_CONDITIONS =
      Set.of("service_started", "service_healthy", "service_completed_successfully");

  private static final Pattern PROJECT_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]*");
  private static final Pattern SERVICE_NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]*");

  /** {@code [ip:]host:container[/protocol]}, the short syntax with both ports given. */
  private static final Pattern PORT_MAPPING =
      Pattern.compile("(?:(\\d{1,3}(?:\\.\\d{1,3}){3}):)?(\\d+):(\\d+)(?:/(tcp|udp))?");

  private static final Pattern DURATION = Pattern.compile("(\\d+(\\.\\d+)?(us|ms|s|m|h))+");

  /** {@code $$}, {@code $NAME}, or {@code ${NAME}} with an optional {@code :-}, {@code -}, ... */
  private static final Pattern INTERPOLATION =
      Pattern.compile(
          "\\$(?:\\$|([A-Za-z_][A-Za-z0-9_]*)|\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?})");

  private static Map<String, Object> compose;

  @BeforeAll
  static void load() throws IOException {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false); // Compose refuses duplicate keys too
    try (Reader reader = Files.newBufferedReader(COMPOSE_FILE, StandardCharsets.UTF_8)) {
      Object root = new Yaml(new SafeConstructor(options)).load(reader);
      assertThat(root).as("%s is a YAML mapping", COMPOSE_FILE).isInstanceOf(Map.class);
      compose = map(root, "the file");
    }
  }

  @Test
  void onlyTopLevelKeysOfTheComposeSpecAreUsed() {
    for (String key : compose.keySet()) {
      assertThat(TOP_LEVEL_KEYS.contains(key) || key.startsWith("x-"))
          .as("top-level key '%s' is not in the Compose spec", key)
          .isTrue();
    }
    if (compose.containsKey("name")) {
      assertThat(compose.get("name")).isInstanceOf(String.class);
      assertThat((String) compose.get("name")).matches(PROJECT_NAME);
    }
  }

  @Test
  void theBackendAndASandboxAgentAreServicesAndEachHasAnImageOrABuild() {
    Map<String, Object> services = services();
    assertThat(services).containsKeys("backend", "sandbox-agent");
    services.forEach(
        (name, service) -> {
          assertThat(name).as("service name").matches(SERVICE_NAME);
          Map<String, Object> s = map(service, "service " + name);
          for (String key : s.keySet()) {
            assertThat(SERVICE_KEYS.contains(key) || key.startsWith("x-"))
                .as("service %s: '%s' is not a Compose service attribute", name, key)
                .isTrue();
          }
          assertThat(s.containsKey("image") || s.containsKey("build"))
              .as("service %s has an image or a build", name)
              .isTrue();
        });
  }

  @Test
  void portsAreHostToContainerStringsWithValidPortNumbers() {
    eachService(
        (name, s) -> {
          for (Object entry : list(s.getOrDefault("ports", List.of()), name + ".ports")) {
            // YAML 1.1 reads an unquoted 22:22 as the base-60 number 1342: ports must be quoted.
            assertThat(entry)
                .as("%s.ports entry %s is a quoted string", name, entry)
                .isInstanceOf(String.class);
            Matcher m = PORT_MAPPING.matcher((String) entry);
            assertThat(m.matches()).as("%s.ports '%s' is host:container", name, entry).isTrue();
            assertThat(Integer.parseInt(m.group(2)))
                .as("host port of %s", entry)
                .isBetween(1, 65535);
            assertThat(Integer.parseInt(m.group(3)))
                .as("container port of %s", entry)
                .isBetween(1, 65535);
          }
        });
  }

  @Test
  void dependenciesNameExistingServicesWithKnownConditions() {
    Map<String, Object> services = services();
    eachService(
        (name, s) -> {
          Object dependsOn = s.get("depends_on");
          if (dependsOn == null) {
            return;
          }
          Map<String, String> conditions = new LinkedHashMap<>();
          if (dependsOn instanceof List<?> names) {
            names.forEach(n -> conditions.put(String.valueOf(n), "service_started"));
          } else {
            map(dependsOn, name + ".depends_on")
                .forEach(
                    (dep, spec) -> {
                      Map<String, Object> d = map(spec, name + ".depends_on." + dep);
                      conditions.put(
                          dep, String.valueOf(d.getOrDefault("condition", "service_started")));
                    });
          }
          conditions.forEach(
              (dep, condition) -> {
                assertThat(services).as("%s depends on %s", name, dep).containsKey(dep);
                assertThat(dep).as("%s depends on itself", name).isNotEqualTo(name);
                assertThat(DEPENDENCY_CONDITIONS)
                    .as("condition of %s -> %s", name, dep)
                    .contains(condition);
                if (condition.equals("service_healthy")) {
                  assertThat(map(services.get(dep), dep))
                      .as("%s waits for %s to be healthy, so %s has a healthcheck", name, dep, dep)
                      .containsKey("healthcheck");
                }
              });
        });
  }

  @Test
  void namedVolumesUsedByServicesAreDeclared() {
    Map<String, Object> declared =
        compose.get("volumes") == null ? Map.of() : map(compose.get("volumes"), "volumes");
    eachService(
        (name, s) -> {
          for (Object entry : list(s.getOrDefault("volumes", List.of()), name + ".volumes")) {
            String source;
            if (entry instanceof String shortSyntax) {
              String[] parts = shortSyntax.split(":");
              assertThat(parts.length)
                  .as("%s.volumes '%s' is source:target[:mode]", name, entry)
                  .isBetween(2, 3);
              assertThat(parts[1]).as("target of %s", entry).startsWith("/");
              if (parts.length == 3) {
                assertThat(parts[2])
                    .as("mode of %s", entry)
                    .matches("(ro|rw|z|Z|cached|delegated|consistent|nocopy)(,.*)?");
              }
              source = parts[0];
            } else {
              Map<String, Object> longSyntax = map(entry, name + ".volumes entry");
              assertThat(longSyntax)
                  .as("%s.volumes entry has type and target", name)
                  .containsKeys("type", "target");
              if (!"volume".equals(longSyntax.get("type"))) {
                continue;
              }
              source = String.valueOf(longSyntax.get("source"));
            }
            boolean bindMount =
                source.startsWith(".")
                    || source.startsWith("/")
                    || source.startsWith("~")
                    || source.startsWith("$");
            if (!bindMount) {
              assertThat(declared)
                  .as("%s uses volume '%s'; declare it under top-level volumes", name, source)
                  .containsKey(source);
            }
          }
        });
  }

  @Test
  void environmentIsAMappingOfStrings() {
    eachService(
        (name, s) -> {
          Object env = s.get("environment");
          if (env == null) {
            return;
          }
          // The mapping form; quote numbers and booleans so YAML keeps them as the text we mean.
          map(env, name + ".environment")
              .forEach(
                  (key, value) -> {
                    assertThat(key)
                        .as("variable name in %s", name)
                        .matches("[A-Za-z_][A-Za-z0-9_]*");
                    assertThat(value)
                        .as("%s.environment.%s is a string", name, key)
                        .isInstanceOf(String.class);
                  });
        });
  }

  @Test
  void healthchecksHaveATestAndValidTimings() {
    eachService(
        (name, s) -> {
          Object hc = s.get("healthcheck");
          if (hc == null) {
            return;
          }
          Map<String, Object> check = map(hc, name + ".healthcheck");
          assertThat(HEALTHCHECK_KEYS).as("%s.healthcheck keys", name).containsAll(check.keySet());
          Object test = check.get("test");
          assertThat(test).as("%s.healthcheck.test", name).isNotNull();
          if (test instanceof List<?> command) {
            assertThat(command).as("%s.healthcheck.test", name).isNotEmpty();
            assertThat(command.get(0))
                .as("%s.healthcheck.test form", name)
                .isIn("CMD", "CMD-SHELL", "NONE");
            if (!"NONE".equals(command.get(0))) {
              assertThat(command)
                  .as("%s.healthcheck.test runs something", name)
                  .hasSizeGreaterThan(1);
            }
          } else {
            assertThat(test).as("%s.healthcheck.test", name).isInstanceOf(String.class);
          }
          for (String timing : List.of("interval", "timeout", "start_period", "start_interval")) {
            if (check.containsKey(timing)) {
              assertThat(String.valueOf(check.get(timing)))
                  .as("%s.healthcheck.%s", name, timing)
                  .matches(DURATION);
            }
          }
          if (check.containsKey("retries")) {
            assertThat(check.get("retries"))
                .as("%s.healthcheck.retries", name)
                .isInstanceOf(Integer.class);
          }
        });
  }

  @Test
  void everyInterpolationIsWellFormedAndNeedsNoVariableToBeSet() {
    List<String> problems = new ArrayList<>();
    strings(
        compose,
        "",
        (where, text) -> {
          int i = 0;
          while ((i = text.indexOf('$', i)) >= 0) {
            Matcher m = INTERPOLATION.matcher(text).region(i, text.length());
            if (!m.lookingAt()) {
              problems.add(
                  where
                      + ": malformed interpolation at '"
                      + text.substring(i)
                      + "' (write $$ for a literal $)");
              break;
            }
            if (m.group(3) != null && m.group(3).endsWith("?")) {
              problems.add(
                  where
                      + ": ${"
                      + m.group(2)
                      + m.group(3)
                      + "...} makes the variable required; give it a :- default");
            }
            i = m.end();
          }
        });
    assertThat(problems).isEmpty();
  }

  @Test
  void theBackendPublishesItsPortAndBindsAllInterfacesOfItsContainer() {
    Map<String, String> env = backendEnvironment();
    assertThat(env).containsKeys("HOST", "PORT", "FOUNDRY_DATA_DIR");
    assertThat(env.get("HOST")).as("HOST inside the container").isEqualTo("0.0.0.0");
    assertThat(env.get("PORT")).isEqualTo("7741");
    List<Object> ports =
        list(map(services().get("backend"), "backend").get("ports"), "backend.ports");
    assertThat(ports)
        .as("backend publishes 7741")
        .anySatisfy(p -> assertThat(String.valueOf(p)).matches("(.*:)?\\d+:7741(/tcp)?"));
    Object healthcheck = map(services().get("backend"), "backend").get("healthcheck");
    assertThat(String.valueOf(map(healthcheck, "backend.healthcheck").get("test")))
        .as("the backend's healthcheck asks our readiness endpoint")
        .contains(":7741/v1/ready");
  }

  @Test
  void theBackendEnvironmentIsAConfigurationOurServerAcceptsWithNoVariableSet() {
    // Interpolated as `docker compose up` would on a machine with none of the variables set.
    Map<String, String> env = new LinkedHashMap<>();
    backendEnvironment().forEach((k, v) -> env.put(k, interpolateWithDefaults(v)));
    assertThatCode(() -> FoundrySettings.from(FoundryConfig.load(env, ConfigFactory.empty())))
        .as("FoundrySettings accepts the backend's environment %s", env)
        .doesNotThrowAnyException();
    FoundrySettings settings = FoundrySettings.from(FoundryConfig.load(env, ConfigFactory.empty()));
    assertThat(settings.http().port()).isEqualTo(7741);
    assertThat(settings.http().loopbackOnly()).isFalse();
    assertThat(settings.dataDir()).isEqualTo(Path.of(env.get("FOUNDRY_DATA_DIR")));
  }

  @Test
  void theClusterProfileRunsThreeNodesOurServerAcceptsAsOneClusterOnItsPostgres() {
    assertThat(services()).containsKeys("postgres", "node1", "node2", "node3");
    Set<String> hosts = new java.util.TreeSet<>();
    for (String node : List.of("node1", "node2", "node3")) {
      Map<String, Object> service = map(services().get(node), node);
      assertThat(String.valueOf(service.get("profiles"))).as(node).contains("cluster");
      Map<String, String> env = new LinkedHashMap<>();
      map(service.get("environment"), node + ".environment")
          .forEach((k, v) -> env.put(k, interpolateWithDefaults(String.valueOf(v))));
      FoundrySettings settings =
          FoundrySettings.from(FoundryConfig.load(env, ConfigFactory.empty()));
      assertThat(settings.cluster()).as("%s runs in cluster mode", node).isNotNull();
      assertThat(settings.cluster().seedNodes())
          .containsExactly("node1:7355", "node2:7355", "node3:7355");
      assertThat(settings.cluster().host()).isEqualTo(node);
      hosts.add(settings.cluster().host());
      assertThat(env.get("FOUNDRY_JOURNAL_URL")).startsWith("jdbc:postgresql://postgres:5432/");
      assertThat(settings.sandbox().remote()).as("%s sandboxes are remote", node).isNotNull();
    }
    assertThat(hosts).hasSize(3);
    assertThat(String.valueOf(map(services().get("postgres"), "postgres").get("profiles")))
        .contains("cluster");
    assertThat(map(services().get("backend"), "backend")).doesNotContainKey("profiles");
  }

  @Test
  void theBackendDataDirectoryIsAVolume() {
    String dataDir = backendEnvironment().get("FOUNDRY_DATA_DIR");
    List<Object> volumes =
        list(map(services().get("backend"), "backend").get("volumes"), "backend.volumes");
    assertThat(volumes)
        .as("a volume is mounted at FOUNDRY_DATA_DIR %s", dataDir)
        .anySatisfy(
            v ->
                assertThat(String.valueOf(v))
                    .matches("[^:]+:" + Pattern.quote(dataDir) + "(:rw)?"));
  }

  @Test
  void theBackendRunsItsSandboxesOnTheSandboxAgentServiceThroughTheRemoteProvider() {
    Map<String, String> env = new LinkedHashMap<>();
    backendEnvironment().forEach((k, v) -> env.put(k, interpolateWithDefaults(v)));
    FoundrySettings settings = FoundrySettings.from(FoundryConfig.load(env, ConfigFactory.empty()));
    assertThat(settings.sandbox().provider()).isEqualTo("remote");
    FoundrySettings.Remote remote = settings.sandbox().remote();
    assertThat(settings.sandbox().enabled()).as("sessions take messages").isTrue();

    // The URL names the sandbox-agent service and the port its server listens on.
    assertThat(remote.url().getHost()).isEqualTo("sandbox-agent");
    Map<String, Object> agent = map(services().get("sandbox-agent"), "sandbox-agent");
    String command = interpolateWithDefaults(String.join(" ", commandOf(agent)));
    assertThat(command)
        .contains("sandbox-agent server")
        .contains("--host 0.0.0.0")
        .contains("--port " + remote.url().getPort())
        .doesNotContain("--no-token");
    // The server's token is the one the backend sends.
    Matcher token = Pattern.compile("--token \"?([^\" ]+)\"?").matcher(command);
    assertThat(token.find()).as("the sandbox-agent's command passes --token: %s", command).isTrue();
    assertThat(token.group(1)).isEqualTo(remote.token());
    assertThat(String.valueOf(backendService().get("depends_on"))).contains("sandbox-agent");

    // The sandbox root lies on a volume of the sandbox-agent service, and the server creates it.
    assertThat(list(agent.get("volumes"), "sandbox-agent.volumes"))
        .as("a volume holds %s", remote.root())
        .anySatisfy(
            v -> assertThat(remote.root()).startsWith(String.valueOf(v).split(":")[1] + "/"));
    assertThat(command).contains("mkdir -p " + remote.root());

    // The offline agent's launcher runs the backend's java and jar: same image, same mount.
    assertThat(agent.get("image")).isEqualTo(backendService().get("image"));
    String checkout =
        list(backendService().get("volumes"), "backend.volumes").stream()
            .map(String::valueOf)
            .filter(v -> v.startsWith(".:"))
            .findFirst()
            .orElseThrow();
    assertThat(list(agent.get("volumes"), "sandbox-agent.volumes")).contains(checkout);
  }

  private static Map<String, Object> backendService() {
    return map(services().get("backend"), "backend");
  }

  private static List<String> commandOf(Map<String, Object> service) {
    Object command = service.get("command");
    if (command instanceof String s) {
      return List.of(s);
    }
    return list(command, "command").stream().map(String::valueOf).toList();
  }

  // --- helpers -------------------------------------------------------------------------------

  private static Map<String, Object> services() {
    assertThat(compose).containsKey("services");
    return map(compose.get("services"), "services");
  }

  private static void eachService(BiConsumer<String, Map<String, Object>> check) {
    services().forEach((name, service) -> check.accept(name, map(service, "service " + name)));
  }

  private static Map<String, String> backendEnvironment() {
    Map<String, String> out = new LinkedHashMap<>();
    map(map(services().get("backend"), "backend").get("environment"), "backend.environment")
        .forEach((k, v) -> out.put(k, String.valueOf(v)));
    return out;
  }

  /** Compose's interpolation with an empty environment: defaults apply, unset is empty. */
  private static String interpolateWithDefaults(String text) {
    Matcher m = INTERPOLATION.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement;
      if (m.group(0).equals("$$")) {
        replacement = "$";
      } else if (m.group(3) != null && m.group(3).endsWith("-")) {
        replacement = m.group(4);
      } else {
        replacement = "";
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static void strings(Object node, String where, BiConsumer<String, String> visit) {
    if (node instanceof String s) {
      visit.accept(where, s);
    } else if (node instanceof Map<?, ?> m) {
      m.forEach((k, v) -> strings(v, where + "/" + k, visit));
    } else if (node instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        strings(l.get(i), where + "[" + i + "]", visit);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object node, String what) {
    assertThat(node).as("%s is a mapping", what).isInstanceOf(Map.class);
    Map<Object, Object> raw = (Map<Object, Object>) node;
    raw.keySet()
        .forEach(
            k -> assertThat(k).as("key %s in %s is a string", k, what).isInstanceOf(String.class));
    return (Map<String, Object>) node;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object node, String what) {
    assertThat(node).as("%s is a list", what).isInstanceOf(List.class);
    return (List<Object>) node;
  }
}
