package dev.magi.router;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * Admission for one model: a request gets a backend only when that backend has a free slot, so no
 * backend ever runs more requests than its slots (llama-server would queue the excess invisibly and
 * ruin every request's latency). Requests beyond that wait here in arrival order, bounded in number
 * and in time; a full queue or an expired wait is an {@link AdmissionException}.
 *
 * <p>Shared by every event loop: the queue is guarded by this object's lock, and each grant is
 * handed to the waiting request on its own context.
 */
public final class AdmissionQueue {

  /**
   * @param maxLength most requests waiting at once (default 256)
   * @param maxWait longest a request waits for a slot (default 30 s)
   */
  public record Limits(int maxLength, Duration maxWait) {
    /** 256 requests, 30 seconds. */
    public static final Limits DEFAULTS = new Limits(256, Duration.ofSeconds(30));
  }

  private final String modelId;
  private volatile Limits limits;
  private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
  private volatile BackendPool pool;
  /** The model has no backend now (its pool is null) but one is expected back: requests wait rather than fail. */
  private boolean suspended;
  private final Signal empty = new Signal();

  /** @param modelId the model whose requests wait here, for messages */
  public AdmissionQueue(String modelId, Limits limits) {
    this.modelId = modelId;
    this.limits = limits;
  }

  /** New limits for requests that arrive from now on. */
  void limits(Limits limits) {
    this.limits = limits;
  }

  /** Requests waiting now. */
  public synchronized int waiting() {
    return waiting.size();
  }

  /**
   * Completes when no request waits here: at once if none does, else when the last one is granted
   * a slot, gives up or expires.
   */
  public Future<Void> whenEmpty() {
    return empty.await(() -> waiting() == 0);
  }

  /** Makes {@code pool} the current set of backends, then serves whoever can be served. */
  void pool(BackendPool pool) {
    synchronized (this) {
      this.pool = pool;
      suspended = false;
    }
    pump();
  }

  /**
   * The model has no backend for now, but one is expected back (a server restarting after a crash):
   * waiting requests keep their place, and new ones queue, until {@link #pool} gives it backends
   * again or their wait runs out.
   */
  synchronized void suspend() {
    pool = null;
    suspended = true;
  }

  /** The model is gone: every waiting request fails at once, and later requests find no backend. */
  void drop() {
    List<Waiter> dropped;
    synchronized (this) {
      pool = null;
      suspended = false;
      dropped = new ArrayList<>(waiting);
      waiting.clear();
    }
    empty.fire();
    dropped.forEach(waiter -> waiter.fail(new AdmissionException(AdmissionException.Reason.NO_BACKEND,
        "Model '" + modelId + "' is no longer served.")));
  }

  /**
   * Asks for a slot on a backend of this model other than those in {@code exclude}. Must be called on
   * a Vert.x context; the ticket's future completes on it.
   *
   * @return a ticket whose future holds the lease, or fails with an {@link AdmissionException}
   */
  public Ticket acquire(Collection<Backend> exclude, Vertx vertx) {
    Context context = vertx.getOrCreateContext();
    Waiter waiter = new Waiter(List.copyOf(exclude), context);
    synchronized (this) {
      BackendPool current = pool;
      boolean restarting = suspended;
      if (!restarting && (current == null || !current.hasCandidate(exclude))) {
        waiter.promise.fail(new AdmissionException(AdmissionException.Reason.NO_BACKEND,
            "No backend is available for model '" + modelId + "'."));
        return waiter;
      }
      if (!restarting && waiting.isEmpty()) {
        Optional<Backend> free = current.selectFree(exclude);
        if (free.isPresent()) {
          waiter.promise.complete(free.get().begin());
          return waiter;
        }
      }
      if (waiting.size() >= limits.maxLength()) {
        waiter.promise.fail(new AdmissionException(AdmissionException.Reason.QUEUE_FULL, "Model '" + modelId
            + (restarting ? "' is restarting and " : "' is busy: ") + waiting.size()
            + " requests are already waiting."));
        return waiter;
      }
      waiting.addLast(waiter);
    }
    waiter.timer = vertx.setTimer(Math.max(1, limits.maxWait().toMillis()), id -> expire(waiter));
    return waiter;
  }

  private void expire(Waiter waiter) {
    boolean removed;
    boolean restarting;
    synchronized (this) {
      removed = waiting.remove(waiter);
      restarting = suspended;
    }
    if (removed) {
      fireIfEmpty();
      waiter.promise.tryFail(restarting
          ? new AdmissionException(AdmissionException.Reason.NOT_BACK_IN_TIME, "Model '" + modelId
              + "' is restarting and was not ready again within " + readable(limits.maxWait()) + ".")
          : new AdmissionException(AdmissionException.Reason.WAIT_EXPIRED, "Model '" + modelId
              + "' had no free slot within " + readable(limits.maxWait()) + "."));
    }
  }

  /** {@code 250 ms}, {@code 30 s}. */
  static String readable(Duration duration) {
    return duration.toMillis() < 1000 ? duration.toMillis() + " ms" : duration.toSeconds() + " s";
  }

  /** Grants slots to waiting requests, in arrival order, as long as some backend has one free. */
  void pump() {
    List<Runnable> grants = new ArrayList<>();
    synchronized (this) {
      BackendPool current = pool;
      if (current == null) {
        return;
      }
      for (Iterator<Waiter> it = waiting.iterator(); it.hasNext(); ) {
        Waiter waiter = it.next();
        if (!current.hasCandidate(waiter.exclude)) {
          it.remove();
          grants.add(() -> waiter.fail(new AdmissionException(AdmissionException.Reason.NO_BACKEND,
              "No backend is available for model '" + modelId + "'.")));
          continue;
        }
        Optional<Backend> free = current.selectFree(waiter.exclude);
        if (free.isEmpty()) {
          continue;
        }
        it.remove();
        Backend.Lease lease = free.get().begin();
        grants.add(() -> waiter.grant(lease));
      }
    }
    grants.forEach(Runnable::run);
    if (!grants.isEmpty()) {
      fireIfEmpty();
    }
  }

  private boolean leave(Waiter waiter) {
    boolean left;
    synchronized (this) {
      left = waiting.remove(waiter);
    }
    if (left) {
      fireIfEmpty();
    }
    return left;
  }

  /** Tells those waiting for an empty queue, when it is. */
  private void fireIfEmpty() {
    if (waiting() == 0) {
      empty.fire();
    }
  }

  /** A request's place in the queue. */
  public interface Ticket {
    /** The lease once granted, or the admission failure. */
    Future<Backend.Lease> future();

    /** Gives up: leaves the queue at once; a slot granted meanwhile is handed back. */
    void cancel();
  }

  private final class Waiter implements Ticket {
    private final List<Backend> exclude;
    private final Context context;
    private final Promise<Backend.Lease> promise = Promise.promise();
    private long timer = -1;
    private boolean cancelled;

    Waiter(List<Backend> exclude, Context context) {
      this.exclude = exclude;
      this.context = context;
    }

    void grant(Backend.Lease lease) {
      context.runOnContext(v -> {
        if (timer >= 0) {
          context.owner().cancelTimer(timer);
        }
        if (cancelled || !promise.tryComplete(lease)) {
          lease.release();
        }
      });
    }

    void fail(AdmissionException failure) {
      context.runOnContext(v -> {
        if (timer >= 0) {
          context.owner().cancelTimer(timer);
        }
        promise.tryFail(failure);
      });
    }

    @Override
    public Future<Backend.Lease> future() {
      return promise.future();
    }

    @Override
    public void cancel() {
      cancelled = true;
      if (leave(this) && timer >= 0) {
        context.owner().cancelTimer(timer);
      }
    }
  }
}
