package dev.foundry.backend.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.foundry.backend.organization.OrganizationIds;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class RepositoryRemoteTest {

  private static String sha1Prefix(String s) throws Exception {
    byte[] d = MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(d).substring(0, 16);
  }

  @Test
  void repoIdIsTheFirstSixteenHexOfTheSha1OfTheNormalisedUrl() throws Exception {
    RepositoryRemote r = RepositoryRemote.parse("https://github.com/rivet-dev/sandbox-agent");
    assertThat(r.normalized()).isEqualTo("https://github.com/rivet-dev/sandbox-agent.git");
    assertThat(r.repoId())
        .isEqualTo(sha1Prefix("https://github.com/rivet-dev/sandbox-agent.git"))
        .hasSize(16);
    assertThat(r.label()).isEqualTo("rivet-dev/sandbox-agent");
  }

  @Test
  void everySpellingOfOneGithubRepositoryGetsTheSameId() {
    String id = RepositoryRemote.parse("rivet-dev/sandbox-agent").repoId();
    assertThat(RepositoryRemote.parse("github.com/rivet-dev/sandbox-agent").repoId()).isEqualTo(id);
    assertThat(
            RepositoryRemote.parse("https://www.github.com/rivet-dev/sandbox-agent.git/").repoId())
        .isEqualTo(id);
    assertThat(
            RepositoryRemote.parse("https://github.com/rivet-dev/sandbox-agent/tree/main/foundry")
                .repoId())
        .isEqualTo(id);
  }

  @Test
  void localBareRepositoriesAndOtherHostsAreAccepted() throws Exception {
    RepositoryRemote file = RepositoryRemote.parse("file:///srv/git/acme/widgets.git/");
    assertThat(file.normalized()).isEqualTo("file:///srv/git/acme/widgets.git");
    assertThat(file.repoId()).isEqualTo(sha1Prefix("file:///srv/git/acme/widgets.git"));
    assertThat(file.label()).isEqualTo("acme/widgets");

    RepositoryRemote gitlab = RepositoryRemote.parse("https://GitLab.com/group/proj?x=1#frag");
    assertThat(gitlab.normalized()).isEqualTo("https://gitlab.com/group/proj");
    assertThat(RepositoryRemote.parse("git@github.com:acme/widgets.git").label())
        .isEqualTo("acme/widgets");
  }

  @Test
  void somethingThatIsNoRemoteIsRefused() {
    assertThatThrownBy(() -> RepositoryRemote.parse("  "))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RepositoryRemote.parse("not a url"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RepositoryRemote.parse("ftp://host/x"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void personalOrganizationIdsAreSluggedLogins() {
    assertThat(OrganizationIds.personal("Alice.Smith")).isEqualTo("personal-alice-smith");
    assertThat(OrganizationIds.slug("--Rivet__Dev--")).isEqualTo("rivet-dev");
    assertThat(OrganizationIds.forGithubOrganization("Rivet Dev")).isEqualTo("rivet-dev");
    assertThat(OrganizationIds.slug("!!!")).isEmpty();
  }
}
