#!/usr/bin/env python3
"""Seed corpus for fuzz_gw from the real SoupBinTCP / OUCH 5.0 captures and
a few synthetic sessions.

Each seed is a record stream (u8 kind, u16 little-endian length, bytes); the
kinds are those of tests/fuzz/fuzz_gw.c (low 3 bits; bits 3-7 a time step of
10 us each). Captured TCP payloads go in as codec records, as venue -> gw
bytes (server packets) or client -> venue bytes (client packets), and bare
OUCH messages; synthetic sessions drive gw's four orders (refs 1-4, tokens
1-4) through fills, replaces and cancels, and the paper venue through takes,
rests and book executions.
Usage: make_seeds_gw.py DATA_DIR OUT_DIR
"""
import os
import struct
import sys

from make_seeds import pcap_frames

CODEC, GW_WIRE, GW_INTENT, VENUE_RX, VENUE_POLL, VENUE_TX, MD, OUCH_RAW = range(8)
PX = 1000000
TICK = 100


def rec(kind, body, step=0):
    return struct.pack("<BH", kind | step << 3, len(body)) + body


def tcp_payload(frame):
    """TCP payload of an Ethernet (optionally VLAN-tagged) IPv4 frame."""
    off, etype = 14, struct.unpack(">H", frame[12:14])[0]
    while etype == 0x8100:
        etype = struct.unpack(">H", frame[off + 2:off + 4])[0]
        off += 4
    if etype != 0x0800 or len(frame) < off + 20 or frame[off + 9] != 6:
        return b""
    ihl = (frame[off] & 15) * 4
    total = struct.unpack(">H", frame[off + 2:off + 4])[0]
    tcp = off + ihl
    doff = (frame[tcp + 12] >> 4) * 4
    return frame[tcp + doff:off + total]


def soup(ptype, payload=b""):
    return struct.pack(">H", len(payload) + 1) + ptype + payload


def alpha(s, n):
    return s.encode().ljust(n, b" ")


# ---- OUCH 5.0 (PROTOCOLS.md section 4) ----

def app(*tvs):
    body = b"".join(struct.pack(">BB", len(v) + 1, t) + v for t, v in tvs)
    return struct.pack(">H", len(body)) + body


def enter(urn, side, qty, sym, px, display=b"P", tif=b"0", tok=1):
    return (b"O" + struct.pack(">I", urn) + side + struct.pack(">I", qty) + alpha(sym, 8) +
            struct.pack(">Q", px) + tif + display + b"P" + b"N" + b"N" +
            alpha(str(tok), 14) + app((2, b"FUZZ")))


def replace(orig, urn, qty, px, tok):
    return (b"U" + struct.pack(">IIIQ", orig, urn, qty, px) + b"0" + b"P" + b"N" +
            alpha(str(tok), 14) + app())


def cancel(urn, qty=0):
    return b"X" + struct.pack(">II", urn, qty)


def accepted(urn, side, qty, px, ts=1):
    return (b"A" + struct.pack(">QI", ts, urn) + side + struct.pack(">I", qty) +
            alpha("FUZZA", 8) + struct.pack(">Q", px) + b"0" + b"P" +
            struct.pack(">Q", urn) + b"P" + b"N" + b"N" + b"L" + alpha("", 14) +
            app((3, struct.pack(">I", 100))))


def replaced(orig, urn, side, qty, px, ts=1):
    return (b"U" + struct.pack(">QII", ts, orig, urn) + side + struct.pack(">I", qty) +
            alpha("FUZZA", 8) + struct.pack(">Q", px) + b"0" + b"P" +
            struct.pack(">Q", urn) + b"P" + b"N" + b"N" + b"L" + alpha("", 14) + app())


def executed(urn, qty, px, match, liq=b"A", ts=1):
    return b"E" + struct.pack(">QIIQ", ts, urn, qty, px) + liq + struct.pack(">Q", match) + app()


def canceled(urn, qty, reason=b"U", ts=1):
    return b"C" + struct.pack(">QII", ts, urn, qty) + reason


def rejected(urn, reason, ts=1):
    return b"J" + struct.pack(">QIH", ts, urn, reason) + alpha("", 14)


def urn_event(t, urn, ts=1):
    return t + struct.pack(">QI", ts, urn)


def intent(op, idx=0, px_ticks=0, qty=100, side=0, flags=0, locate_b=False, cancel_all=False):
    """op 1 NEW, 2 CANCEL, 3 REPLACE, 4 CANCEL_ALL; idx: which issued token."""
    b0 = (op - 1) | flags
    b1 = (idx << 1) | (1 if locate_b else 0) | (0x80 if cancel_all else 0)
    return bytes([b0, b1 & 0xFF, px_ticks & 0xFF, qty & 0xFF, qty >> 8 & 0xFF, side, 0])


def md(mtype, ref=0, shares=100, px_ticks=0, sell=False):
    sel = {"A": 0, "E": 1, "X": 2, "D": 3, "C": 4, "P": 5, "U": 6}[mtype]
    return bytes([sel | (8 if sell else 0), ref, shares & 0xFF, shares >> 8, px_ticks & 0xFF])


def synthetic():
    seeds = {}
    # gw: fills, a replace, cancels, rejects, a cancel-all; packets split.
    s = soup(b"S", accepted(4, b"S", 100, PX + 3 * TICK))
    s += soup(b"S", executed(1, 30, PX - 3 * TICK, 1))
    s += soup(b"S", executed(1, 30, PX - 3 * TICK, 1))  # duplicate match
    s += soup(b"S", executed(2, 100, PX + 3 * TICK, 2, b"R"))
    s += soup(b"H") + soup(b"S", b"S" + struct.pack(">Q", 1) + b"S")
    stream = rec(GW_WIRE, s[:50], 1) + rec(GW_WIRE, s[50:], 7)
    stream += rec(GW_INTENT, intent(3, 0, -3, 50))          # replace token 1 -> ref 5
    s = soup(b"S", replaced(1, 5, b"B", 50, PX - 3 * TICK))
    s += soup(b"S", executed(5, 20, PX - 3 * TICK, 3))
    stream += rec(GW_WIRE, s, 2)
    stream += rec(GW_INTENT, intent(2, 4))                   # cancel token 5
    stream += rec(GW_WIRE, soup(b"S", urn_event(b"I", 5)), 1)  # cancel reject
    stream += rec(GW_INTENT, intent(4, cancel_all=True))     # cancel all
    s = soup(b"S", urn_event(b"P", 5)) + soup(b"S", canceled(5, 30))
    s += soup(b"S", canceled(3, 0)) + soup(b"S", rejected(4, 23))
    stream += rec(GW_WIRE, s, 3)
    seeds["gw-session"] = stream
    # gw: a replace refused by the venue, a cancel of a pending new.
    stream = rec(GW_INTENT, intent(3, 2, 1, 60, 0, 0, True))   # replace token 3 -> ref 5
    stream += rec(GW_WIRE, soup(b"S", rejected(5, 6)))
    stream += rec(GW_INTENT, intent(2, 3))                      # cancel token 4 (pending new)
    stream += rec(GW_WIRE, soup(b"S", accepted(4, b"S", 100, PX + 3 * TICK)) +
                  soup(b"S", executed(4, 10, PX + 3 * TICK, 9)) +
                  soup(b"S", canceled(4, 90)))
    seeds["gw-reject"] = stream
    # venue: a marketable order takes two levels; book trades fill a rest.
    stream = rec(VENUE_RX, soup(b"U", enter(100, b"B", 150, "FUZZA", PX + 2 * TICK, b"Y", b"0", 100)))
    stream += rec(VENUE_RX, soup(b"U", enter(101, b"S", 50, "FUZZA", PX + 1 * TICK, b"Y", b"3", 101)))
    stream += rec(VENUE_POLL, b"", 31)
    stream += rec(MD, md("E", 1, 100)) + rec(MD, md("P", 0, 400, -3))
    stream += rec(MD, md("A", 0, 50, -3)) + rec(MD, md("C", 5, 50, -3))
    stream += rec(VENUE_RX, soup(b"U", replace(102, 102, 10, PX - 2 * TICK, 5)))
    stream += rec(VENUE_RX, soup(b"U", cancel(3, 40)) + soup(b"U", cancel(999)))
    stream += rec(VENUE_POLL, b"", 31) + rec(MD, md("X", 2, 50)) + rec(MD, md("D", 3))
    stream += rec(MD, md("U", 4, 70, 2, True)) + rec(VENUE_POLL, b"", 31)
    seeds["venue-session"] = stream
    # end to end: intents -> venue -> OUCH reports -> gw.
    stream = rec(GW_INTENT, intent(1, 0, -1, 200))
    stream += rec(GW_INTENT, intent(1, 0, 2, 300, 1))
    stream += rec(VENUE_TX, b"", 31) + rec(MD, md("E", 1, 100)) + rec(MD, md("E", 1, 100))
    stream += rec(GW_INTENT, intent(3, 4, -2, 150))
    stream += rec(VENUE_TX, b"", 31) + rec(MD, md("P", 0, 500, -1))
    stream += rec(GW_INTENT, intent(4, cancel_all=True))
    stream += rec(VENUE_TX, b"", 31) + rec(VENUE_TX, b"", 31)
    seeds["e2e"] = stream
    # codec: every message type both ways, with appendages.
    msgs = [enter(7, b"B", 10, "FUZZA", PX, b"Y", b"3", 12345678901234), replace(7, 8, 5, PX, 9),
            cancel(8, 0), b"M" + struct.pack(">I", 8) + b"S" + struct.pack(">I", 3), b"Q",
            accepted(1, b"B", 10, PX), replaced(1, 2, b"B", 5, PX), canceled(2, 5),
            executed(2, 5, PX, 77), rejected(3, 6), urn_event(b"P", 2), urn_event(b"I", 2),
            b"S" + struct.pack(">Q", 1) + b"E",
            b"D" + struct.pack(">QIIBIQB", 1, 2, 3, 0x51, 4, PX, 0x41),
            b"B" + struct.pack(">QIQ", 1, 2, 77) + b"E" + alpha("", 14),
            b"F" + struct.pack(">QIIQ", 1, 2, 5, PX) + b"A" + struct.pack(">Q", 77) + b"C" +
            alpha("", 14),
            b"T" + struct.pack(">QIQ", 1, 2, PX) + b"Y" + struct.pack(">Q", 2),
            b"M" + struct.pack(">QI", 1, 2) + b"B" + struct.pack(">I", 4),
            b"R" + struct.pack(">QI", 1, 2) + b"P" + app((9, struct.pack(">Q", PX)), (4, b"R")),
            b"Q" + struct.pack(">QI", 1, 99)]
    stream = b"".join(rec(OUCH_RAW, m) for m in msgs)
    stream += rec(CODEC, b"".join(soup(b"S", m) for m in msgs[5:]) +
                  b"".join(soup(b"U", m) for m in msgs[:5]) +
                  soup(b"L", alpha("user", 6) + alpha("pass", 10) + alpha("", 10) +
                       b"1".rjust(20, b" ")) +
                  soup(b"A", alpha("SESSION1", 10) + b"12".rjust(20, b" ")) +
                  soup(b"J", b"A") + soup(b"+", b"debug") + soup(b"R") + soup(b"O") +
                  soup(b"Z"))
    seeds["codec-all"] = stream
    return seeds


def main():
    data, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    n = 0
    every = b""
    for sub in ("pcap/nasdaq-ouch50", "pcap/jnx-soupbintcp"):
        folder = os.path.join(data, sub)
        for name in sorted(os.listdir(folder)):
            for i, f in enumerate(pcap_frames(os.path.join(folder, name))):
                p = tcp_payload(f)
                if len(p) < 3:
                    continue
                client = p[2:3] in (b"U", b"L", b"R", b"O")
                blob = rec(CODEC, p) + rec(VENUE_RX if client else GW_WIRE, p, 1)
                blob += rec(OUCH_RAW, p[3:]) + rec(VENUE_POLL, b"", 31)
                base = os.path.splitext(name)[0]
                open(os.path.join(out, "pcap-%s-%d" % (base, i)), "wb").write(blob)
                every += p
                n += 1
    open(os.path.join(out, "pcap-all"), "wb").write(rec(CODEC, every))
    n += 1
    for name, blob in synthetic().items():
        open(os.path.join(out, name), "wb").write(blob)
        n += 1
    print("make_seeds_gw: %d seeds in %s" % (n, out))


if __name__ == "__main__":
    main()
