package dev.magi.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.magi.registry.Catalog;
import dev.magi.registry.LaunchSettings;
import dev.magi.registry.ModelEntry;
import dev.magi.registry.ModelKind;
import dev.magi.servers.ServerInfo;
import dev.magi.servers.ServerSpec;
import dev.magi.servers.ServerState;
import dev.magi.testkit.Await;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** Planning and switching, against a recording fake of the supervisor. */
class ProfileSwitcherTest {

  private static final LaunchSettings BASE = new LaunchSettings(4096, 2, -1, List.of());
  private static final Catalog CATALOG = new Catalog(List.of(model("small", 1 << 20), model("big", 100 << 20),
      model("embed", 1 << 20)), Instant.EPOCH);

  private static ModelEntry model(String id, long size) {
    return new ModelEntry(id, List.of(), Path.of("/m/" + id + ".gguf"), id + ".gguf", size, 1, Optional.empty(),
        ModelKind.CHAT, Optional.empty(), Optional.empty(), BASE, size);
  }

  private static ProfileModel local(String model, int replicas) {
    return new ProfileModel(model, ModelSource.LOCAL, replicas, OptionalInt.empty(), OptionalInt.empty(),
        OptionalInt.empty(), Optional.empty(), false, Duration.ofMinutes(10));
  }

  private static ProfileModel withContext(String model, int context) {
    return new ProfileModel(model, ModelSource.LOCAL, 1, OptionalInt.of(context), OptionalInt.empty(),
        OptionalInt.empty(), Optional.empty(), false, Duration.ofMinutes(10));
  }

  private static ProfileModel onDemand(String model) {
    return new ProfileModel(model, ModelSource.LOCAL, 1, OptionalInt.empty(), OptionalInt.empty(),
        OptionalInt.empty(), Optional.empty(), true, Duration.ofMinutes(10));
  }

  private static ServerInfo running(String instance, String model, LaunchSettings launch) {
    return new ServerInfo(instance, model, launch, 8080, 1, ServerState.READY, Optional.empty(), 0, "");
  }

  /** Records what the switcher does; starts complete when the test says. */
  private static final class RecordingEffects implements ProfileSwitcher.Effects {
    final List<ServerInfo> servers = new ArrayList<>();
    final List<String> log = new ArrayList<>();
    final Map<String, Promise<ServerInfo>> starting = new LinkedHashMap<>();
    String saved;
    boolean holdStarts;

    @Override
    public Future<ServerInfo> start(ServerSpec spec) {
      log.add("start " + spec.instance());
      Promise<ServerInfo> promise = Promise.promise();
      starting.put(spec.instance(), promise);
      ServerInfo info = running(spec.instance(), spec.model().id(), spec.model().launch());
      promise.future().onSuccess(ready -> servers.add(info));
      if (!holdStarts) {
        promise.complete(info);
      }
      return promise.future();
    }

    @Override
    public Future<ServerInfo> stop(String instance) {
      log.add("stop " + instance);
      servers.removeIf(s -> s.name().equals(instance));
      return Future.succeededFuture();
    }

    @Override
    public List<ServerInfo> servers() {
      return List.copyOf(servers);
    }

    @Override
    public Future<Void> saveActive(String profile) {
      saved = profile;
      return Future.succeededFuture();
    }
  }

  @Test
  void fromNothingEveryReplicaStarts() {
    Plan plan = Planner.plan(new Profile("dev", "", 0, List.of(local("small", 2), local("embed", 1))), CATALOG,
        List.of());

    assertEquals(List.of("small", "small#2", "embed"), plan.start().stream().map(ServerSpec::instance).toList());
    assertEquals(List.of(), plan.stop());
    // Each server: its file plus 64 MiB of overhead (no header here, so no KV cache estimate).
    assertEquals(3 * ((1L << 20) + (64L << 20)), plan.memoryEstimate());
  }

  @Test
  void sharedServersAreKeptNewOnesStartLeavingOnesStop() {
    List<ServerInfo> now = List.of(running("small", "small", BASE), running("embed", "embed", BASE));

    Plan plan = Planner.plan(new Profile("prod", "", 0, List.of(local("small", 2), local("big", 1))), CATALOG, now);

    assertEquals(List.of("small"), plan.keep());
    assertEquals(List.of("small#2", "big"), plan.start().stream().map(ServerSpec::instance).toList());
    assertEquals(List.of("embed"), plan.stop());
  }

  @Test
  void newSettingsStartAReplacementUnderAnotherNameBeforeTheOldOneStops() {
    Plan plan = Planner.plan(new Profile("long", "", 0, List.of(withContext("small", 8192))), CATALOG,
        List.of(running("small", "small", BASE)));

    assertEquals(List.of("small#2"), plan.start().stream().map(ServerSpec::instance).toList());
    assertEquals(8192, plan.start().get(0).model().launch().context());
    assertEquals(List.of("small"), plan.stop());
  }

  @Test
  void onDemandModelsAreNotStartedButKeptWhenAlreadyRunning() {
    Plan cold = Planner.plan(new Profile("p", "", 0, List.of(onDemand("big"))), CATALOG, List.of());
    Plan warm = Planner.plan(new Profile("p", "", 0, List.of(onDemand("big"))), CATALOG,
        List.of(running("big", "big", BASE)));

    assertEquals(List.of(), cold.start());
    assertEquals(List.of("big"), warm.keep());
    assertEquals(List.of(), warm.stop());
  }

  @Test
  void modelsTheRegistryLacksAreProblemsNotCrashes() {
    Plan plan = Planner.plan(new Profile("p", "", 0, List.of(local("nope", 1), local("small", 1))), CATALOG,
        List.of());

    assertEquals(List.of(new Plan.Problem("nope", "no model 'nope' in the registry")), plan.problems());
    assertEquals(1, plan.start().size());
  }

  @Test
  void activationStartsThenStopsAndRemembersTheProfile() {
    RecordingEffects effects = new RecordingEffects();
    effects.servers.add(running("embed", "embed", BASE));
    ProfileSwitcher switcher = new ProfileSwitcher(Map.of("prod", new Profile("prod", "", 0,
        List.of(local("small", 1)))), () -> CATALOG, effects);

    SwitchResult result = Await.result(switcher.activate("prod"));

    assertEquals(List.of("start small", "stop embed"), effects.log, "leaving servers stop only after starts");
    assertEquals(List.of("small"), result.started());
    assertEquals(List.of("embed"), result.stopped());
    assertEquals("prod", effects.saved);
    assertEquals("prod", switcher.active().orElseThrow().name());
    assertTrue(switcher.switching().isEmpty());
  }

  @Test
  void aProfileOverItsMemoryBudgetIsRefusedBeforeAnythingHappens() {
    RecordingEffects effects = new RecordingEffects();
    ProfileSwitcher switcher = new ProfileSwitcher(Map.of("fast-only", new Profile("fast-only", "", 50L << 20,
        List.of(local("small", 1), local("big", 1)))), () -> CATALOG, effects);

    ProfileException error = (ProfileException) Await.failure(switcher.activate("fast-only"));

    assertEquals(ProfileException.Reason.MEMORY_BUDGET_EXCEEDED, error.reason());
    assertEquals("Profile 'fast-only' needs about 229 MiB, more than its memory budget of 50 MiB: small ×1 65 MiB;"
        + " big ×1 164 MiB.", error.getMessage());
    assertEquals(List.of(), effects.log);
  }

  @Test
  void aSecondActivationDuringASwitchIsRefused() {
    RecordingEffects effects = new RecordingEffects();
    effects.holdStarts = true;
    ProfileSwitcher switcher = new ProfileSwitcher(Map.of("a", new Profile("a", "", 0, List.of(local("small", 1))),
        "b", new Profile("b", "", 0, List.of(local("big", 1)))), () -> CATALOG, effects);

    Future<SwitchResult> first = switcher.activate("a");
    ProfileException second = (ProfileException) Await.failure(switcher.activate("b"));
    assertEquals(ProfileException.Reason.SWITCH_IN_PROGRESS, second.reason());
    assertEquals(List.of("small"), switcher.switching().orElseThrow().pending());

    effects.starting.get("small").complete(running("small", "small", BASE));
    Await.result(first);
    effects.holdStarts = false;
    assertTrue(Await.result(switcher.activate("b")).started().contains("big"));
  }

  @Test
  void aFailedStartLeavesTheModelsOldServersServing() {
    RecordingEffects effects = new RecordingEffects();
    effects.holdStarts = true;
    effects.servers.add(running("small", "small", BASE));
    effects.servers.add(running("embed", "embed", BASE));
    ProfileSwitcher switcher = new ProfileSwitcher(Map.of("p", new Profile("p", "", 0,
        List.of(withContext("small", 8192), local("big", 1)))), () -> CATALOG, effects);

    Future<SwitchResult> switched = switcher.activate("p");
    effects.starting.get("small#2").fail("llama-server exited with code 1 while loading");
    effects.starting.get("big").complete(running("big", "big", BASE));
    SwitchResult result = Await.result(switched);

    assertEquals(List.of("big"), result.started());
    assertEquals(List.of("embed"), result.stopped(), "the old 'small' stays: its replacement failed");
    assertEquals("small#2", result.failed().get(0).model());
  }

  @Test
  void unknownProfilesAre404() {
    ProfileException error = (ProfileException) Await.failure(new ProfileSwitcher(Map.of("dev",
        new Profile("dev", "", 0, List.of())), () -> CATALOG, new RecordingEffects()).activate("prod"));

    assertEquals(ProfileException.Reason.PROFILE_NOT_FOUND, error.reason());
    assertEquals("No profile 'prod'; configured: dev.", error.getMessage());
  }
}
