package dev.dfc.cli.worker;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * Which destinations an HTTP step may reach: the same classes as the C worker's (bgworker/dfc.c,
 * address_class). Loopback and unspecified addresses need {@code allowLoopback}; private,
 * link-local, shared, special-purpose and multicast ones need {@code allowPrivate}, including IPv4
 * addresses inside IPv4-mapped, IPv4-compatible, NAT64 and 6to4 IPv6 addresses.
 */
public record AddressPolicy(boolean allowLoopback, boolean allowPrivate) {
    /** What kind of address, when it is not public; {@code loopback} says which setting allows it. */
    record AddressClass(String what, boolean loopback) {}

    /** Why the address is refused, or null when it is allowed. */
    public String refusal(InetAddress address) {
        AddressClass c = classify(address);
        if (c == null) return null;
        if (c.loopback() ? allowLoopback : allowPrivate) return null;
        return "HTTP destination " + address.getHostAddress() + " is " + c.what() + ": refused ("
                + (c.loopback() ? "dfc.http_allow_loopback" : "dfc.http_allow_private") + " is off)";
    }

    static AddressClass classify(InetAddress address) {
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) return ipv4(b, 0);
        if (!(address instanceof Inet6Address)) return new AddressClass("not an internet address", false);
        boolean zero96 = allZero(b, 0, 12);
        if (allZero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) return ipv4(b, 12); // IPv4-mapped
        if (allZero(b, 0, 15) && b[15] == 1) return new AddressClass("a loopback address", true);
        if (allZero(b, 0, 16)) return new AddressClass("an unspecified address", true);
        if (zero96) return ipv4(b, 12); // IPv4-compatible ::a.b.c.d (deprecated)
        int u0 = b[0] & 0xff, u1 = b[1] & 0xff;
        if (u0 == 0x00 && u1 == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b && allZero(b, 4, 12)) return ipv4(b, 12);
        if (u0 == 0x20 && u1 == 0x02) return ipv4(b, 2);
        if ((u0 == 0x20 && u1 == 0x01 && b[2] == 0 && b[3] == 0)
                || (u0 == 0x00 && u1 == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b && b[4] == 0 && b[5] == 1)
                || (u0 == 0x01 && u1 == 0x00 && allZero(b, 2, 8))) {
            return new AddressClass("a special-purpose address", false);
        }
        if (u0 == 0xfe && (u1 & 0xc0) == 0x80) return new AddressClass("a link-local address", false);
        if (u0 == 0xfe && (u1 & 0xc0) == 0xc0) return new AddressClass("a site-local address", false);
        if ((u0 & 0xfe) == 0xfc) return new AddressClass("a private (unique local) address", false);
        if (u0 == 0xff) return new AddressClass("a multicast address", false);
        return null;
    }

    private static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) if (b[i] != 0) return false;
        return true;
    }

    private static AddressClass ipv4(byte[] b, int at) {
        int a0 = b[at] & 0xff, a1 = b[at + 1] & 0xff, a2 = b[at + 2] & 0xff;
        if (a0 == 127) return new AddressClass("a loopback address", true);
        if (a0 == 0) return new AddressClass("an unspecified address", true);
        if (a0 == 10 || (a0 == 172 && (a1 & 0xf0) == 16) || (a0 == 192 && a1 == 168)) return new AddressClass("a private address", false);
        if (a0 == 169 && a1 == 254) return new AddressClass("a link-local address", false);
        if (a0 == 100 && (a1 & 0xc0) == 64) return new AddressClass("a shared (carrier-grade NAT) address", false);
        if ((a0 == 192 && a1 == 0 && a2 == 0) || (a0 == 198 && (a1 & 0xfe) == 18)) return new AddressClass("a special-purpose address", false);
        if (a0 >= 224) return new AddressClass("a multicast or reserved address", false);
        return null;
    }
}
