#!/usr/bin/env python3
"""Seed corpus for fuzz_feed from the real captures and binary ITCH files.

Each seed is a record stream (u8 kind, u16 little-endian length, bytes):
frames of a pcap as Ethernet-frame records, and ITCH messages of a binary
file wrapped into small MoldUDP64 packets as UDP-payload records.
Usage: make_seeds.py DATA_DIR OUT_DIR
"""
import os
import struct
import sys


def pcap_frames(path):
    d = open(path, "rb").read()
    if len(d) < 24 or d[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        return []
    off, out = 24, []
    while off + 16 <= len(d):
        incl = struct.unpack("<I", d[off + 8:off + 12])[0]
        out.append(d[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


def rec(kind, body):
    return struct.pack("<BH", kind, len(body)) + body


def mold_packets(msgs, per=4):
    out, seq = [], 1
    for i in range(0, len(msgs), per):
        chunk = msgs[i:i + per]
        body = b"FUZZSESS01" + struct.pack(">QH", seq, len(chunk))
        body += b"".join(struct.pack(">H", len(m)) + m for m in chunk)
        out.append(body)
        seq += len(chunk)
    return out


def main():
    data, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    n = 0
    for sub in ("pcap/nasdaq-itch50", "pcap/nasdaq-ouch50"):
        folder = os.path.join(data, sub)
        for name in sorted(os.listdir(folder)):
            frames = pcap_frames(os.path.join(folder, name))
            if frames:
                # kind 1: frame at a time; kind 5: through feed_on_burst
                for kind in (1, 5):
                    blob = b"".join(rec(kind, f) for f in frames)
                    open(os.path.join(out, "pcap%d-%s" % (kind, name)), "wb").write(blob)
                    n += 1
    snip = open(os.path.join(data, "itch/12302019_SNIPPET.NASDAQ_ITCH50"), "rb").read()
    msgs, off = [], 0
    while off < len(snip):
        ln = struct.unpack(">H", snip[off:off + 2])[0]
        msgs.append(snip[off + 2:off + 2 + ln])
        off += 2 + ln
    for i in range(0, len(msgs), 100):
        pk = mold_packets(msgs[i:i + 100])
        blob = b"".join(rec(2 * (j % 2 == 1 and j % 7 == 0), p) for j, p in enumerate(pk))
        open(os.path.join(out, "snippet-%04d" % i), "wb").write(blob)
        n += 1
    print("make_seeds: %d seeds in %s" % (n, out))


if __name__ == "__main__":
    main()
