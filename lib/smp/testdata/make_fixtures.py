#!/usr/bin/env python3
"""Writes the SMP seed files (tests/fixtures/smp/) from independent references: Python's
base64 and binascii.crc_hqx (CRC-16/XMODEM) and CBOR written out by hand, not edge.smp.

Also prints the multi-frame lines that lib/smp/serial_test.cc embeds. Run from anywhere:
    python3 lib/smp/testdata/make_fixtures.py
"""
import base64
import binascii
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests", "fixtures", "smp")


def text(s):  # CBOR text string, length < 24
    b = s.encode()
    assert len(b) < 24
    return bytes([0x60 | len(b)]) + b


def bstr(b):  # CBOR byte string, length < 256
    if len(b) < 24:
        return bytes([0x40 | len(b)]) + b
    assert len(b) < 256
    return bytes([0x58, len(b)]) + b


def header(op, ver, length, group, seq, cmd):
    return struct.pack(">BBHHBB", (ver << 3) | op, 0, length, group, seq, cmd)


def raw(packet):
    return struct.pack(">H", len(packet) + 2) + packet + struct.pack(">H", binascii.crc_hqx(packet, 0))


def newtmgr_frames(packet):
    """Go newtmgr style: base64 the whole raw stream, cut into 124-character lines."""
    b64 = base64.b64encode(raw(packet))
    out = b""
    for i in range(0, len(b64), 124):
        out += (b"\x06\x09" if i == 0 else b"\x04\x14") + b64[i:i + 124] + b"\n"
    return out


def upload_request():
    data = bytes([0x3d, 0xb8, 0xf3, 0x96]) + bytes((i * 7) & 0xff for i in range(196))
    sha = bytes(range(32))
    payload = (bytes([0xa6]) + text("image") + b"\x00" + text("len") + b"\x19\x03\xe8" +
               text("off") + b"\x00" + text("sha") + bstr(sha) + text("data") + bstr(data) +
               text("upgrade") + b"\xf4")
    return header(2, 1, len(payload), 1, 7, 1) + payload, payload


def main():
    echo = header(2, 1, 9, 0, 0, 0) + b"\xa1" + text("d") + text("hello")
    assert echo.hex() == "0a00000900000000a16164656865" + "6c6c6f"
    assert binascii.crc_hqx(echo, 0) == 0xA27F
    echo_frame = newtmgr_frames(echo)
    assert echo_frame == b"\x06\x09ABMKAAAJAAAAAKFhZGVoZWxsb6J/\n"

    upload, upload_payload = upload_request()
    upload_frames = newtmgr_frames(upload)

    # An image state response as old mynewt servers send it: indefinite-length maps.
    state = (b"\xbf" + text("images") + b"\x9f\xbf" + text("slot") + b"\x00" + text("version") +
             text("1.0.0") + text("hash") + bstr(bytes(range(32))) + text("active") + b"\xf5" +
             b"\xff\xff" + text("splitStatus") + b"\x00\xff")

    files = {
        "echo_frame.bin": echo_frame,
        "upload_frames_with_console_text.bin":
            b"*** Booting Zephyr OS ***\r\n" + upload_frames.replace(b"\n\x04", b"\n[00:00:01] log line\r\n\x04", 1),
        "upload_map.cbor": upload_payload,
        "image_state_indefinite.cbor": state,
    }
    for name, content in files.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(content)

    print("upload packet (%d bytes): %s" % (len(upload), upload.hex()))
    print("upload crc: 0x%04X" % binascii.crc_hqx(upload, 0))
    for line in upload_frames.split(b"\n")[:-1]:
        print(repr(line))


if __name__ == "__main__":
    main()
