// Tests for SMP-over-console framing. Reference bytes come from the research doc's worked example
// and from lib/smp/testdata/make_fixtures.py (Python's base64 and binascii.crc_hqx), never from
// the code under test.
#include "edge/smp/serial.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "edge/smp/cbor.h"
#include "edge/smp/header.h"
#include "gtest/gtest.h"

namespace edge::smp {
namespace {

using Bytes = std::vector<uint8_t>;

// Research doc section 3: v2 echo WRITE {"d":"hello"}.
const Bytes kEchoPacket = {0x0a, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0xa1,
                           0x61, 0x64, 0x65, 0x68, 0x65, 0x6c, 0x6c, 0x6f};
const std::string kEchoFrame =
    "\x06\x09"
    "ABMKAAAJAAAAAKFhZGVoZWxsb6J/\n";

// make_fixtures.py: a 282-byte image upload request (seq 7, off 0, len 1000, 200 data bytes),
// base64-encoded whole and cut at 124 characters as Go newtmgr does. CRC 0x9027.
const std::string kUploadLines[] = {
    "\x06\x09"
    "ARwKAAESAAEHAaZlaW1hZ2UAY2xlbhkD6GNvZmYAY3NoYVggAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9k"
    "ZGF0YVjIPbjzlgAHDhUcIyoxOD9GTVRb\n",
    "\x04\x14"
    "Ymlwd36FjJOaoaivtr3Ey9LZ4Ofu9fwDChEYHyYtNDtCSVBXXmVsc3qBiI+WnaSrsrnAx87V3OPq8fj/Bg0UGyIpMDc+"
    "RUxTWmFob3Z9hIuSmaCnrrW8w8rR2N/m\n",
    "\x04\x14"
    "7fT7AgkQFx4lLDM6QUhPVl1ka3J5gIeOlZyjqrG4v8bN1Nvi6fD3/gUMExohKC82PURLUllgZ251fIOKkZifpq20u8LJ"
    "0Nfe5ezz+gEIDxYdJCsyOUBHTlVndXBn\n",
    "\x04\x14"
    "cmFkZfSQJw==\n",
};

// Feeds `text`; returns the status of the last byte and every OK packet in *packets.
Status FeedLast(SerialDecoder& decoder, const std::string& text, std::vector<Bytes>* packets,
                std::vector<Status>* errors = nullptr) {
  Status last = Status::Unavailable();
  for (char c : text) {
    ConstPacket p;
    last = decoder.Push(static_cast<uint8_t>(c), &p);
    if (last.ok()) {
      packets->push_back(Bytes(p.data, p.data + p.size));
    } else if (last != Status::Unavailable() && errors != nullptr) {
      errors->push_back(last);
    }
  }
  return last;
}

// FeedLast() for callers that look only at *packets and *errors.
void Feed(SerialDecoder& decoder, const std::string& text, std::vector<Bytes>* packets,
          std::vector<Status>* errors = nullptr) {
  FeedLast(decoder, text, packets, errors).IgnoreError();
}

std::string Encode(const Bytes& packet) {
  std::string out(SerialEncodedSize(packet.size()), '\0');
  StatusWithSize s = SerialEncode(packet.data(), packet.size(),
                                  reinterpret_cast<uint8_t*>(out.data()), out.size());
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.size(), out.size());
  return out;
}

Bytes Pattern(size_t size) {
  Bytes b(size);
  for (size_t i = 0; i < size; ++i) b[i] = static_cast<uint8_t>(i * 31 + 7);
  return b;
}

TEST(Crc16Xmodem, MatchesCheckValue) {
  const char* check = "123456789";
  EXPECT_EQ(Crc16Xmodem(reinterpret_cast<const uint8_t*>(check), 9), 0x31C3);
  EXPECT_EQ(Crc16Xmodem(nullptr, 0), 0);
}

TEST(Crc16Xmodem, MatchesEchoVectorAndContinues) {
  EXPECT_EQ(Crc16Xmodem(kEchoPacket.data(), kEchoPacket.size()), 0xA27F);
  const uint16_t first = Crc16Xmodem(kEchoPacket.data(), 5);
  EXPECT_EQ(Crc16Xmodem(kEchoPacket.data() + 5, kEchoPacket.size() - 5, first), 0xA27F);
}

TEST(SerialEncode, ProducesTheDocumentedEchoFrame) {
  static_assert(SerialEncodedSize(17) == 31, "2 marker + 28 base64 + newline");
  EXPECT_EQ(Encode(kEchoPacket), kEchoFrame);
}

TEST(SerialEncode, SplitsA300BytePacketIntoFourIndependentFrames) {
  // 304 raw bytes: three lines of 93 (124 chars) and one of 25 (36 chars): 3 * 127 + 39.
  static_assert(SerialEncodedSize(300) == 420, "hand-computed");
  const std::string wire = Encode(Pattern(300));
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl = wire.find('\n'); nl != std::string::npos; nl = wire.find('\n', start)) {
    lines.push_back(wire.substr(start, nl + 1 - start));
    start = nl + 1;
  }
  EXPECT_EQ(start, wire.size());
  ASSERT_EQ(lines.size(), 4u);
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_LE(lines[i].size(), kSerialMaxLineBytes) << i;
    EXPECT_EQ(lines[i].substr(0, 2), i == 0 ? "\x06\x09" : "\x04\x14") << i;
    EXPECT_EQ((lines[i].size() - 3) % 4, 0u) << i;
  }
  EXPECT_EQ(lines[0].size(), 127u);
  EXPECT_EQ(lines[3].size(), 39u);

  SerialDecoderBuffer<512> decoder;
  std::vector<Bytes> packets;
  EXPECT_TRUE(FeedLast(decoder, wire, &packets).ok());
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0], Pattern(300));
}

TEST(SerialEncode, RefusesSmallBuffersAndOversizedPackets) {
  uint8_t out[64];
  std::memset(out, '?', sizeof(out));
  StatusWithSize s = SerialEncode(kEchoPacket.data(), kEchoPacket.size(), out, 30);
  EXPECT_EQ(s.status(), Status::ResourceExhausted());
  EXPECT_EQ(s.size(), 0u);
  for (uint8_t b : out) EXPECT_EQ(b, '?');
  static uint8_t big[kSerialMaxPacketBytes + 1];
  EXPECT_EQ(SerialEncode(big, sizeof(big), out, sizeof(out)).status(), Status::InvalidArgument());
}

TEST(SerialDecoder, DecodesTheDocumentedEchoFrame) {
  SerialDecoderBuffer<64> decoder;
  ConstPacket p;
  for (size_t i = 0; i + 1 < kEchoFrame.size(); ++i) {
    EXPECT_EQ(decoder.Push(static_cast<uint8_t>(kEchoFrame[i]), &p), Status::Unavailable()) << i;
  }
  ASSERT_TRUE(decoder.Push('\n', &p).ok());
  EXPECT_EQ(Bytes(p.data, p.data + p.size), kEchoPacket);
}

TEST(SerialDecoder, DecodesNewtmgrStyleMultiFrameUpload) {
  SerialDecoderBuffer<512> decoder;
  std::vector<Bytes> packets;
  std::string wire;
  for (const std::string& line : kUploadLines) wire += line;
  EXPECT_TRUE(FeedLast(decoder, wire, &packets).ok());
  ASSERT_EQ(packets.size(), 1u);
  const Bytes& packet = packets[0];
  ASSERT_EQ(packet.size(), 282u);
  EXPECT_EQ(Crc16Xmodem(packet.data(), packet.size()), 0x9027);
  const Bytes header = {0x0a, 0x00, 0x01, 0x12, 0x00, 0x01, 0x07, 0x01};
  EXPECT_EQ(Bytes(packet.begin(), packet.begin() + 8), header);
  CborValue map;
  ASSERT_TRUE(DecodeMap(packet.data() + 8, packet.size() - 8, &map).ok());
  uint64_t len = 0;
  ASSERT_TRUE(FindUint(map, "len", &len).ok());
  EXPECT_EQ(len, 1000u);
  const uint8_t* data = nullptr;
  size_t size = 0;
  ASSERT_TRUE(FindBytes(map, "data", &data, &size).ok());
  ASSERT_EQ(size, 200u);
  EXPECT_EQ(data[0], 0x3d);
  EXPECT_EQ(data[199], static_cast<uint8_t>(195 * 7));
}

TEST(SerialDecoder, AcceptsPerFramePaddingAsZephyrSends) {
  // make_fixtures-style: the echo's 21 raw bytes as 10 + 11 bytes, each line encoded on its own:
  // 00 13 0a 00 00 09 00 00 00 00 -> "ABMKAAAJAAAAAA==", a1 .. 6f a2 7f -> "oWFkZWhlbGxvon8=".
  SerialDecoderBuffer<64> decoder;
  std::vector<Bytes> packets;
  EXPECT_TRUE(FeedLast(decoder,
                       "\x06\x09"
                       "ABMKAAAJAAAAAA==\n\x04\x14"
                       "oWFkZWhlbGxvon8=\n",
                       &packets)
                  .ok());
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0], kEchoPacket);
}

TEST(SerialDecoder, IgnoresConsoleTextAndCarriageReturns) {
  SerialDecoderBuffer<512> decoder;
  std::vector<Bytes> packets;
  std::vector<Status> errors;
  std::string wire = "*** Booting Zephyr OS ***\r\nuart:~$ \r\n\r\n";
  wire += "\r" + kUploadLines[0];
  wire += "[00:00:01.000,000] <inf> app: \x06 not a frame\r\n";
  wire += "\x04 neither\n";
  wire += kUploadLines[1];
  wire += std::string(500, 'x') + "\n";  // long console lines are not frames
  wire += kUploadLines[2].substr(0, kUploadLines[2].size() - 1) + "\r\n";
  wire += kUploadLines[3];
  wire += "uart:~$ \n" + kEchoFrame;
  Feed(decoder, wire, &packets, &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(packets.size(), 2u);
  EXPECT_EQ(packets[0].size(), 282u);
  EXPECT_EQ(packets[1], kEchoPacket);
}

TEST(SerialDecoder, ContinuationWithoutStartIsIgnored) {
  SerialDecoderBuffer<512> decoder;
  std::vector<Bytes> packets;
  std::vector<Status> errors;
  Feed(decoder, kUploadLines[1] + kUploadLines[2] + kEchoFrame, &packets, &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0], kEchoPacket);
}

TEST(SerialDecoder, NewStartFrameRestartsThePacket) {
  SerialDecoderBuffer<512> decoder;
  std::vector<Bytes> packets;
  std::vector<Status> errors;
  Feed(decoder, kUploadLines[0] + kUploadLines[1] + kEchoFrame + kUploadLines[2], &packets,
       &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0], kEchoPacket);
}

TEST(SerialDecoder, CorruptedByteIsDataLossThenNextPacketDecodes) {
  SerialDecoderBuffer<64> decoder;
  std::vector<Bytes> packets;
  std::string bad = kEchoFrame;
  bad[20] = bad[20] == 'A' ? 'B' : 'A';  // still valid base64: the CRC catches it
  EXPECT_EQ(FeedLast(decoder, bad, &packets), Status::DataLoss());
  EXPECT_TRUE(packets.empty());
  EXPECT_TRUE(FeedLast(decoder, kEchoFrame, &packets).ok());
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0], kEchoPacket);
}

TEST(SerialDecoder, ChangingAnyCharacterNeverYieldsAPacketAndDecoderRecovers) {
  for (size_t i = 2; i + 1 < kEchoFrame.size(); ++i) {
    for (char replacement : {'A', 'z', '+', '=', '*', '\r'}) {
      if (kEchoFrame[i] == replacement) continue;
      std::string bad = kEchoFrame;
      bad[i] = replacement;
      SerialDecoderBuffer<64> decoder;
      std::vector<Bytes> packets;
      Feed(decoder, bad, &packets);
      EXPECT_TRUE(packets.empty()) << "index " << i << " -> " << replacement;
      Feed(decoder, kEchoFrame, &packets);
      ASSERT_EQ(packets.size(), 1u) << "index " << i << " -> " << replacement;
      EXPECT_EQ(packets[0], kEchoPacket);
    }
  }
}

TEST(SerialDecoder, InvalidBase64IsDataLossAtOnce) {
  SerialDecoderBuffer<64> decoder;
  std::vector<Bytes> packets;
  std::vector<Status> errors;
  Feed(decoder,
       "\x06\x09"
       "AB*K\n",
       &packets, &errors);
  Feed(decoder,
       "\x06\x09"
       "AA==AAAA\n",
       &packets, &errors);  // data after padding
  Feed(decoder,
       "\x06\x09"
       "A===\n",
       &packets, &errors);  // too much padding
  Feed(decoder,
       "\x06\x09"
       "ABMKA\n",
       &packets, &errors);  // not a multiple of 4
  ASSERT_EQ(errors.size(), 4u);
  for (Status s : errors) EXPECT_EQ(s, Status::DataLoss());
  EXPECT_TRUE(packets.empty());
  Feed(decoder, kEchoFrame, &packets, &errors);
  EXPECT_EQ(packets.size(), 1u);
}

TEST(SerialDecoder, MoreDataThanAnnouncedIsDataLoss) {
  // The echo raw bytes with total_len 0x0012 instead of 0x0013 (one byte too many follows).
  // base64(00 12 0a 00 00 09 00 00 00 00 a1 61 64 65 68 65 6c 6c 6f a2 7f) by hand.
  SerialDecoderBuffer<64> decoder;
  std::vector<Bytes> packets;
  std::vector<Status> errors;
  Feed(decoder,
       "\x06\x09"
       "ABIKAAAJAAAAAKFhZGVoZWxsb6J/\n",
       &packets, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], Status::DataLoss());
  // total_len 1 cannot hold a CRC.
  errors.clear();
  Feed(decoder,
       "\x06\x09"
       "AAEA\n",
       &packets, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], Status::DataLoss());
  EXPECT_TRUE(packets.empty());
}

TEST(SerialDecoder, OverlongLineIsResourceExhaustedThenRecovers) {
  SerialDecoderBuffer<512> decoder;
  std::vector<Bytes> packets;
  std::vector<Status> errors;
  // The first line of a valid 300-byte packet with 4 more characters: 131 bytes with the
  // newline, where a frame may have 127.
  const std::string first_line = kUploadLines[0].substr(0, kUploadLines[0].size() - 1);
  ASSERT_EQ(first_line.size() + 1, kSerialMaxLineBytes);
  Feed(decoder, first_line + "AAAA\n", &packets, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], Status::ResourceExhausted());
  errors.clear();
  Feed(decoder, first_line + std::string(1000, 'A') + "\n", &packets, &errors);
  ASSERT_EQ(errors.size(), 1u);  // reported once per line
  Feed(decoder, kEchoFrame, &packets, &errors);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0], kEchoPacket);
}

TEST(SerialDecoder, TooLargeForBuffer_StaysWithinBufferBoundaries) {
  uint8_t storage[64];
  std::memset(storage, '?', sizeof(storage));
  SerialDecoder decoder(storage, 24);  // raw capacity 24: packets up to 20 bytes
  std::vector<Bytes> packets;
  std::vector<Status> errors;
  Feed(decoder, Encode(Pattern(300)), &packets, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], Status::ResourceExhausted());
  EXPECT_TRUE(packets.empty());
  // A packet exactly one byte too large (21 bytes: 25 raw).
  errors.clear();
  Feed(decoder, Encode(Pattern(21)), &packets, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], Status::ResourceExhausted());
  for (size_t i = 24; i < sizeof(storage); ++i) EXPECT_EQ(storage[i], '?') << i;
  // Exactly fitting, and the echo, still decode.
  Feed(decoder, Encode(Pattern(20)) + kEchoFrame, &packets, &errors);
  ASSERT_EQ(packets.size(), 2u);
  EXPECT_EQ(packets[0], Pattern(20));
  EXPECT_EQ(packets[1], kEchoPacket);
  for (size_t i = 24; i < sizeof(storage); ++i) EXPECT_EQ(storage[i], '?') << i;
}

TEST(SerialDecoder, RoundTripsEverySizeAcrossLineBoundaries) {
  SerialDecoderBuffer<400> decoder;
  for (size_t size = 0; size <= 400; ++size) {
    std::vector<Bytes> packets;
    EXPECT_TRUE(FeedLast(decoder, Encode(Pattern(size)), &packets).ok()) << size;
    ASSERT_EQ(packets.size(), 1u) << size;
    EXPECT_EQ(packets[0], Pattern(size));
  }
}

TEST(SerialDecoder, ResetDropsThePacketInProgress) {
  SerialDecoderBuffer<512> decoder;
  std::vector<Bytes> packets;
  Feed(decoder, kUploadLines[0] + kUploadLines[1], &packets);
  decoder.Reset();
  Feed(decoder, kUploadLines[2] + kUploadLines[3], &packets);
  EXPECT_TRUE(packets.empty());
}

}  // namespace
}  // namespace edge::smp
