package dev.magi.proxy.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import dev.magi.testkit.Await;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** An outcome completed on another event loop is delivered on the caller's. */
class CallerContextTest {

  @Test
  void anOutcomeFromAnotherEventLoopArrivesOnTheCallersThread() throws Exception {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    try {
      Context caller = contextOfNewVerticle(vertx);
      Context other = contextOfNewVerticle(vertx);
      CompletableFuture<Thread> callerThread = new CompletableFuture<>();
      CompletableFuture<Thread> completingThread = new CompletableFuture<>();
      CompletableFuture<Thread> deliveredOn = new CompletableFuture<>();
      Promise<String> foreign = Promise.promise();
      caller.runOnContext(ignored -> {
        callerThread.complete(Thread.currentThread());
        CallerContext.resume(foreign.future()).onComplete(outcome -> {
          assertEquals("done", outcome.result());
          deliveredOn.complete(Thread.currentThread());
        });
        other.runOnContext(later -> {
          completingThread.complete(Thread.currentThread());
          foreign.complete("done");
        });
      });
      assertNotSame(callerThread.get(), completingThread.get(), "the two contexts run on different loops");
      assertEquals(callerThread.get(), deliveredOn.get());
    } finally {
      Await.result(vertx.close());
    }
  }

  /** Each deployment is given the next event loop, round robin. */
  private static Context contextOfNewVerticle(Vertx vertx) {
    CompletableFuture<Context> deployed = new CompletableFuture<>();
    Await.result(vertx.deployVerticle(new AbstractVerticle() {
      @Override
      public void start() {
        deployed.complete(context);
      }
    }));
    return deployed.join();
  }
}
