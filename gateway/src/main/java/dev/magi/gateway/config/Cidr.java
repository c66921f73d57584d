package dev.magi.gateway.config;

import io.netty.util.NetUtil;
import java.util.Arrays;

/**
 * A network given as an address and a prefix length ({@code 10.0.0.0/8}, {@code fd00::/8}), or a
 * single address. Only literal addresses: no name is ever looked up.
 *
 * @param network the network's address bytes (4 or 16), host bits cleared
 * @param prefix how many leading bits of an address must match
 */
public record Cidr(byte[] network, int prefix) {

  /** Copies the bytes and clears the host bits. */
  public Cidr {
    network = masked(network, prefix);
  }

  /**
   * Parses {@code text}.
   *
   * @param key the configuration key, for the error
   * @throws ConfigException when it is not an IPv4 or IPv6 literal with an optional prefix length
   */
  static Cidr parse(String key, String text) {
    String value = text.trim();
    int slash = value.indexOf('/');
    String address = slash < 0 ? value : value.substring(0, slash);
    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address);
    if (bytes == null) {
      throw new ConfigException(key, "must be an IP address or network such as 10.0.0.0/8, got '" + text + "'");
    }
    int bits = bytes.length * 8;
    int prefix = bits;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(value.substring(slash + 1));
      } catch (NumberFormatException e) {
        prefix = -1;
      }
      if (prefix < 0 || prefix > bits) {
        throw new ConfigException(key, "has a prefix length outside 0-" + bits + ": '" + text + "'");
      }
    }
    return new Cidr(bytes, prefix);
  }

  /** Whether the literal address {@code address} (as a socket reports it) is in this network. */
  public boolean contains(String address) {
    byte[] bytes = address == null ? null : NetUtil.createByteArrayFromIpAddressString(address);
    if (bytes == null) {
      return false;
    }
    if (bytes.length == 16 && network.length == 4 && isMappedV4(bytes)) {
      bytes = Arrays.copyOfRange(bytes, 12, 16);
    }
    return bytes.length == network.length && Arrays.equals(masked(bytes, prefix), network);
  }

  private static boolean isMappedV4(byte[] v6) {
    for (int i = 0; i < 10; i++) {
      if (v6[i] != 0) {
        return false;
      }
    }
    return v6[10] == (byte) 0xff && v6[11] == (byte) 0xff;
  }

  private static byte[] masked(byte[] address, int prefix) {
    byte[] copy = address.clone();
    for (int i = 0; i < copy.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - i * 8));
      copy[i] = (byte) (copy[i] & (0xff << (8 - keep)));
    }
    return copy;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Cidr that && prefix == that.prefix && Arrays.equals(network, that.network);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(network) + prefix;
  }

  @Override
  public String toString() {
    return NetUtil.bytesToIpAddress(network) + "/" + prefix;
  }
}
