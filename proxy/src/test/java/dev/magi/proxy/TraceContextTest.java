package dev.magi.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** W3C trace context: only a well-formed version-00 traceparent is taken, and each hop gets its span id. */
class TraceContextTest {

  private static final String ID = "4bf92f3577b34da6a3ce929d0e0e4736";

  @Test
  void onlyWellFormedContextsAreTaken() {
    assertNull(TraceContext.parse(null, null));
    assertNull(TraceContext.parse("00-" + ID.toUpperCase() + "-00f067aa0ba902b7-01", null), "upper-case hex");
    assertNull(TraceContext.parse("ff-" + ID + "-00f067aa0ba902b7-01", null), "version ff is invalid");
    assertNull(TraceContext.parse("01-" + ID + "-00f067aa0ba902b7-01", null), "only version 00 is known");
    assertNull(TraceContext.parse("00-" + "0".repeat(32) + "-00f067aa0ba902b7-01", null), "all-zero trace id");
    assertNull(TraceContext.parse("00-" + ID + "-0000000000000000-01", null), "all-zero parent");
    assertNull(TraceContext.parse("00-" + ID + "-00f067aa0ba902b7-01-extra", null));
    TraceContext context = TraceContext.parse("00-" + ID + "-00f067aa0ba902b7-00", "a=1,b=2");
    assertEquals(ID, context.traceId());
    assertEquals("00f067aa0ba902b7", context.parentSpanId());
    assertEquals(false, context.sampled());
    assertEquals("a=1,b=2", context.state());
    assertNull(TraceContext.parse("00-" + ID + "-00f067aa0ba902b7-01", "x\u0001y").state(), "a state with control bytes");
    assertNull(TraceContext.parse("00-" + ID + "-00f067aa0ba902b7-01", "k=" + "v".repeat(600)).state(), "too long");
  }

  @Test
  void eachHopHasASpanIdOfItsOwnUnlessOneIsNamed() {
    TraceContext context = TraceContext.of(ID, true, null);
    String first = context.childHeader();
    String second = context.childHeader();
    assertTrue(first.matches("00-" + ID + "-[0-9a-f]{16}-01"), first);
    assertNotEquals(first, second);
    context.nextHop("1111222233334444");
    assertEquals("00-" + ID + "-1111222233334444-01", context.childHeader());
    assertNotEquals("00-" + ID + "-1111222233334444-01", context.childHeader(), "a named id serves one hop");
  }
}
