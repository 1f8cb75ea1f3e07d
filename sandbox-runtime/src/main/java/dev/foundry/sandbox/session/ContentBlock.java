package dev.foundry.sandbox.session;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * An ACP content block. Text is what agents stream; images and resources keep their type and leave
 * {@code text} null.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ContentBlock(String type, String text) {

  public static ContentBlock text(String text) {
    return new ContentBlock("text", text);
  }
}
