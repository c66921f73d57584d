package dev.magi.gateway.api;
import dev.magi.proxy.api.ApiException;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.magi.models.ProfileException;
import dev.magi.servers.ServerException;
import org.junit.jupiter.api.Test;

/** Every reason of every room has its HTTP face, and the codes clients already rely on stay as they were. */
class DomainErrorsTest {

  @Test
  void everyServerReasonMapsToAStatusAndCode() {
    for (ServerException.Reason reason : ServerException.Reason.values()) {
      ApiException error = DomainErrors.of(new ServerException(reason, "m"));
      assertEquals(error.status() >= 500 ? "server_error" : "invalid_request_error", error.type(), reason.name());
      assertEquals("m", error.getMessage());
    }
    assertEquals(404, DomainErrors.of(new ServerException(ServerException.Reason.MODEL_NOT_FOUND, "m")).status());
    assertEquals("start_failed",
        DomainErrors.of(new ServerException(ServerException.Reason.EXITED_WHILE_LOADING, "m")).code());
    assertEquals(503, DomainErrors.of(new ServerException(ServerException.Reason.NO_PORT_AVAILABLE, "m")).status());
    assertEquals(504, DomainErrors.of(new ServerException(ServerException.Reason.START_TIMEOUT, "m")).status());
  }

  @Test
  void everyProfileReasonMapsToAStatusAndCode() {
    ApiException missing = DomainErrors.of(new ProfileException(ProfileException.Reason.PROFILE_NOT_FOUND, "m"));
    assertEquals(404, missing.status());
    assertEquals("profile_name", missing.param());
    assertEquals(409, DomainErrors.of(new ProfileException(ProfileException.Reason.MEMORY_BUDGET_EXCEEDED, "m"))
        .status());
    assertEquals("switch_in_progress",
        DomainErrors.of(new ProfileException(ProfileException.Reason.SWITCH_IN_PROGRESS, "m")).code());
  }
}
