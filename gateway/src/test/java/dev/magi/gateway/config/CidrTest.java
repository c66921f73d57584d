package dev.magi.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The networks {@code metrics.allowed_from} lists. */
class CidrTest {

  @Test
  void networksContainTheirAddressesOnly() {
    Cidr ten = Cidr.parse("k", "10.0.0.0/8");
    assertTrue(ten.contains("10.200.3.4"));
    assertTrue(ten.contains("::ffff:10.1.2.3"), "an IPv4 client seen on an IPv6 socket");
    assertFalse(ten.contains("11.0.0.1"));
    assertFalse(ten.contains("fd00::1"));
    assertFalse(ten.contains(null));
    assertFalse(ten.contains("example.com"), "never a name");
    assertTrue(Cidr.parse("k", "192.168.1.5").contains("192.168.1.5"));
    assertFalse(Cidr.parse("k", "192.168.1.5").contains("192.168.1.6"));
    assertTrue(Cidr.parse("k", "fd00::/8").contains("fd12:3456::1"));
    assertTrue(Cidr.parse("k", "0.0.0.0/0").contains("8.8.8.8"));
    assertEquals("10.0.0.0/8", Cidr.parse("k", "10.9.9.9/8").toString());
  }

  @Test
  void namesAndBadPrefixesAreRefusedWithTheKey() {
    ConfigException name = assertThrows(ConfigException.class, () -> Cidr.parse("allowed_from[0]", "intranet.lan"));
    assertTrue(name.getMessage().contains("allowed_from[0]"), name.getMessage());
    assertThrows(ConfigException.class, () -> Cidr.parse("k", "10.0.0.0/33"));
    assertThrows(ConfigException.class, () -> Cidr.parse("k", "10.0.0.0/x"));
    assertThrows(ConfigException.class, () -> ConfigLoader.fromYaml("metrics: {allowed_from: [nope]}", java.util.Map.of()));
    assertThrows(ConfigException.class, () -> ConfigLoader.fromYaml("metrics: {path: /v1/metrics}", java.util.Map.of()));
  }
}
