package dev.foundry.backend.billing;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.stripe.net.Webhook;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The {@code Stripe-Signature} rules, with headers made by Stripe's own library. */
class StripeSignatureTest {
  private static final String SECRET = "whsec_test_secret";
  private static final String BODY = "{\"id\":\"evt_1\",\"type\":\"invoice.paid\"}";
  private static final long NOW = 1_800_000_000L;
  private static final StripeSignature CHECK =
      new StripeSignature(SECRET, Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC));

  private static String header(String body, String secret, long at) throws Exception {
    return Webhook.Signature.generateSignatureHeader(body, secret, at);
  }

  @Test
  void aHeaderStripeMadeForThisBodyPasses() throws Exception {
    assertThatCode(() -> CHECK.verify(BODY, header(BODY, SECRET, NOW))).doesNotThrowAnyException();
  }

  @Test
  void oneMatchingSignatureAmongSeveralPasses() throws Exception {
    String good = header(BODY, SECRET, NOW);
    String v1 = good.substring(good.indexOf("v1=") + 3);
    String rolled = "t=" + NOW + ",v1=" + "ab".repeat(32) + ",v1=" + v1 + ",v0=ignored";
    assertThatCode(() -> CHECK.verify(BODY, rolled)).doesNotThrowAnyException();
  }

  @Test
  void anotherSecretOrAnotherBodyIsRefused() throws Exception {
    assertThatThrownBy(() -> CHECK.verify(BODY, header(BODY, "whsec_other", NOW)))
        .isInstanceOf(StripeSignature.Refused.class)
        .hasFieldOrPropertyWithValue("code", "invalid_signature");
    assertThatThrownBy(() -> CHECK.verify(BODY + " ", header(BODY, SECRET, NOW)))
        .hasFieldOrPropertyWithValue("code", "invalid_signature");
  }

  @Test
  void aTimestampOlderThanFiveMinutesIsRefusedEvenWhenSigned() throws Exception {
    assertThatCode(() -> CHECK.verify(BODY, header(BODY, SECRET, NOW - 300)))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> CHECK.verify(BODY, header(BODY, SECRET, NOW - 301)))
        .hasFieldOrPropertyWithValue("code", "signature_expired");
  }

  @Test
  void missingOrMalformedHeadersAreRefused() {
    assertThatThrownBy(() -> CHECK.verify(BODY, null))
        .hasFieldOrPropertyWithValue("code", "missing_signature");
    assertThatThrownBy(() -> CHECK.verify(BODY, "  "))
        .hasFieldOrPropertyWithValue("code", "missing_signature");
    for (String bad : new String[] {"garbage", "t=abc,v1=00", "v1=00", "t=" + NOW}) {
      assertThatThrownBy(() -> CHECK.verify(BODY, bad))
          .as(bad)
          .isInstanceOf(StripeSignature.Refused.class)
          .hasFieldOrPropertyWithValue("code", "malformed_signature");
    }
  }
}
