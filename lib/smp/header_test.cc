// Tests for the SMP header against the byte layouts in smp_protocol.rst (research doc 2.1).
#include "edge/smp/header.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace edge::smp {
namespace {

TEST(SmpHeader, EncodesEchoRequestAsDocumented) {
  // v2 WRITE, 9 payload bytes, group 0, seq 0, command 0 (echo): 0a 00 00 09 00 00 00 00.
  Header h;
  h.op = Op::kWrite;
  h.version = kVersion2;
  h.length = 9;
  h.group = kGroupOs;
  h.command = kOsEcho;
  uint8_t out[kHeaderBytes];
  Encode(h, out);
  const uint8_t expected[] = {0x0a, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00};
  for (size_t i = 0; i < kHeaderBytes; ++i) EXPECT_EQ(out[i], expected[i]) << i;
}

TEST(SmpHeader, MultiByteFieldsAreBigEndian) {
  Header h;
  h.op = Op::kReadRsp;
  h.version = kVersionLegacy;
  h.flags = 0x5a;
  h.length = 0x1234;
  h.group = kGroupModel;  // 0x0040
  h.sequence = 0xfe;
  h.command = 0x07;
  uint8_t out[kHeaderBytes];
  Encode(h, out);
  const uint8_t expected[] = {0x01, 0x5a, 0x12, 0x34, 0x00, 0x40, 0xfe, 0x07};
  for (size_t i = 0; i < kHeaderBytes; ++i) EXPECT_EQ(out[i], expected[i]) << i;
}

TEST(SmpHeader, DecodesLegacyImageListAndV2Read) {
  const uint8_t legacy[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00};
  Result<Header> h = Decode(legacy, sizeof(legacy));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->op, Op::kRead);
  EXPECT_EQ(h->version, kVersionLegacy);
  EXPECT_EQ(h->group, kGroupImage);
  EXPECT_EQ(h->command, kImageState);

  const uint8_t v2_read[] = {0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x06};
  h = Decode(v2_read, sizeof(v2_read));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->op, Op::kRead);
  EXPECT_EQ(h->version, kVersion2);
  EXPECT_EQ(h->sequence, 0x2a);
  EXPECT_EQ(h->command, kOsMcumgrParams);
}

TEST(SmpHeader, ReservedVersionsArePassedThroughForTheServerToRefuse) {
  const uint8_t v3[] = {0x1b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};  // ver 3, op 3
  Result<Header> h = Decode(v3, sizeof(v3));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->version, 3);
  EXPECT_EQ(h->op, Op::kWriteRsp);
}

TEST(SmpHeader, ShortInputIsDataLoss) {
  const uint8_t bytes[kHeaderBytes] = {};
  for (size_t n = 0; n < kHeaderBytes; ++n) {
    EXPECT_EQ(Decode(bytes, n).status(), Status::DataLoss()) << n;
  }
  EXPECT_EQ(Decode(nullptr, 8).status(), Status::DataLoss());
}

TEST(SmpHeader, ReservedBitsOrUnknownOpAreDataLoss) {
  for (uint8_t bit : {0x20, 0x40, 0x80}) {
    const uint8_t bytes[] = {static_cast<uint8_t>(0x0a | bit), 0, 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(Decode(bytes, sizeof(bytes)).status(), Status::DataLoss()) << int{bit};
  }
  for (uint8_t op = 4; op < 8; ++op) {
    const uint8_t bytes[] = {static_cast<uint8_t>(0x08 | op), 0, 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(Decode(bytes, sizeof(bytes)).status(), Status::DataLoss()) << int{op};
  }
}

TEST(SmpHeader, DecodePacketRequiresExactLength) {
  const uint8_t packet[] = {0x0a, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x00};
  EXPECT_TRUE(DecodePacket(packet, 10).ok());
  EXPECT_EQ(DecodePacket(packet, 9).status(), Status::DataLoss());
  const uint8_t longer[] = {0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x00};
  EXPECT_EQ(DecodePacket(longer, 10).status(), Status::DataLoss());
}

}  // namespace
}  // namespace edge::smp
