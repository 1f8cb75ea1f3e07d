package dev.foundry.sandbox.client;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * A setting an agent advertises (model, mode, thought level, ...). Its {@code id} is the {@code
 * configId} of ACP's {@code session/set_config_option}.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AgentConfigOption(
    String id,
    String name,
    String category,
    String type,
    String currentValue,
    List<Choice> options) {

  public AgentConfigOption {
    options = options == null ? List.of() : List.copyOf(options);
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Choice(String name, String value) {}
}
