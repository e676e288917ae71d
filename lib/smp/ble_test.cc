// Tests for SMP-over-BLE reassembly and fragmentation (research doc section 4).
#include "edge/smp/ble.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"

namespace edge::smp {
namespace {

using Bytes = std::vector<uint8_t>;

// An upload request header (v2 WRITE, length 300 = 0x012c, group 1, seq 1, command 1) plus 300
// payload bytes: 308 bytes in all.
Bytes UploadPacket() {
  Bytes p = {0x0a, 0x00, 0x01, 0x2c, 0x00, 0x01, 0x01, 0x01};
  for (size_t i = 0; i < 300; ++i) p.push_back(static_cast<uint8_t>(i * 13 + 5));
  return p;
}

const Bytes kEchoPacket = {0x0a, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0xa1,
                           0x61, 0x64, 0x65, 0x68, 0x65, 0x6c, 0x6c, 0x6f};

TEST(BleFragmenter, SplitsAtAttMtuMinusThree) {
  const Bytes packet = UploadPacket();
  struct Case {
    size_t mtu;
    size_t chunks;  // ceil(308 / (mtu - 3)), by hand
  } cases[] = {{23, 16}, {27, 13}, {185, 2}, {247, 2}, {498, 1}, {311, 1}, {310, 2}};
  for (const Case& c : cases) {
    Result<BleFragmenter> f = BleFragmenter::Create(packet.data(), packet.size(), c.mtu);
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->count(), c.chunks) << c.mtu;
    Bytes joined;
    size_t n = 0;
    ConstPacket chunk;
    while (f->Next(&chunk)) {
      EXPECT_LE(chunk.size, c.mtu - 3);
      EXPECT_GT(chunk.size, 0u);
      joined.insert(joined.end(), chunk.data, chunk.data + chunk.size);
      ++n;
    }
    EXPECT_EQ(n, c.chunks) << c.mtu;
    EXPECT_EQ(joined, packet);
    EXPECT_FALSE(f->Next(&chunk));
  }
}

TEST(BleFragmenter, RefusesMtuWithoutRoomForData) {
  const Bytes packet = UploadPacket();
  for (size_t mtu : {0, 1, 2, 3}) {
    EXPECT_EQ(BleFragmenter::Create(packet.data(), packet.size(), mtu).status(),
              Status::InvalidArgument());
  }
  EXPECT_EQ(BleFragmenter::Create(nullptr, 5, 23).status(), Status::InvalidArgument());
}

TEST(BleReassembler, ReassemblesOverFragmentsOfSeveralMtus) {
  const Bytes packet = UploadPacket();
  BleReassemblerBuffer<512> reassembler;
  for (size_t mtu : {23, 27, 185, 247, 498}) {
    Result<BleFragmenter> f = BleFragmenter::Create(packet.data(), packet.size(), mtu);
    ASSERT_TRUE(f.ok());
    const size_t count = f->count();
    ConstPacket chunk;
    size_t i = 0;
    while (f->Next(&chunk)) {
      ConstPacket out;
      const Status s = reassembler.Push(chunk.data, chunk.size, &out);
      if (++i < count) {
        EXPECT_EQ(s, Status::Unavailable()) << mtu << " fragment " << i;
        EXPECT_TRUE(reassembler.in_progress());
      } else {
        ASSERT_TRUE(s.ok()) << mtu;
        EXPECT_EQ(Bytes(out.data, out.data + out.size), packet) << mtu;
        EXPECT_FALSE(reassembler.in_progress());
      }
    }
  }
}

TEST(BleReassembler, SingleFragmentPacketsBackToBack) {
  BleReassemblerBuffer<64> reassembler;
  for (int i = 0; i < 3; ++i) {
    ConstPacket out;
    ASSERT_TRUE(reassembler.Push(kEchoPacket.data(), kEchoPacket.size(), &out).ok());
    EXPECT_EQ(Bytes(out.data, out.data + out.size), kEchoPacket);
  }
}

TEST(BleReassembler, FirstFragmentShorterThanHeaderIsDataLoss) {
  BleReassemblerBuffer<64> reassembler;
  ConstPacket out;
  for (size_t n = 1; n < kHeaderBytes; ++n) {
    EXPECT_EQ(reassembler.Push(kEchoPacket.data(), n, &out), Status::DataLoss()) << n;
    EXPECT_FALSE(reassembler.in_progress());
  }
  const uint8_t reserved[] = {0xea, 0, 0, 0, 0, 0, 0, 0};  // reserved bits set
  EXPECT_EQ(reassembler.Push(reserved, sizeof(reserved), &out), Status::DataLoss());
  EXPECT_EQ(reassembler.Push(kEchoPacket.data(), 0, &out), Status::Unavailable());
  EXPECT_EQ(reassembler.Push(nullptr, 3, &out), Status::InvalidArgument());
  ASSERT_TRUE(reassembler.Push(kEchoPacket.data(), kEchoPacket.size(), &out).ok());
}

TEST(BleReassembler, FragmentThatOverrunsThePacketIsDataLoss) {
  BleReassemblerBuffer<64> reassembler;
  ConstPacket out;
  // 17-byte echo, sent as 10 bytes then 10 (3 too many).
  Bytes overrun = kEchoPacket;
  overrun.insert(overrun.end(), {1, 2, 3});
  ASSERT_EQ(reassembler.Push(overrun.data(), 10, &out), Status::Unavailable());
  EXPECT_EQ(reassembler.Push(overrun.data() + 10, 10, &out), Status::DataLoss());
  EXPECT_FALSE(reassembler.in_progress());
  // A single first fragment longer than its header announces.
  EXPECT_EQ(reassembler.Push(overrun.data(), overrun.size(), &out), Status::DataLoss());
  ASSERT_TRUE(reassembler.Push(kEchoPacket.data(), kEchoPacket.size(), &out).ok());
  EXPECT_EQ(Bytes(out.data, out.data + out.size), kEchoPacket);
}

TEST(BleReassembler, TooLargeForBuffer_StaysWithinBufferBoundariesAndResyncs) {
  uint8_t storage[128];
  std::memset(storage, '?', sizeof(storage));
  BleReassembler reassembler(storage, 64);
  const Bytes packet = UploadPacket();  // 308 bytes
  Result<BleFragmenter> f = BleFragmenter::Create(packet.data(), packet.size(), 23);
  ASSERT_TRUE(f.ok());
  ConstPacket chunk;
  ConstPacket out;
  ASSERT_TRUE(f->Next(&chunk));
  EXPECT_EQ(reassembler.Push(chunk.data, chunk.size, &out), Status::ResourceExhausted());
  while (f->Next(&chunk)) {  // the rest of the too-large packet is swallowed
    EXPECT_EQ(reassembler.Push(chunk.data, chunk.size, &out), Status::Unavailable());
  }
  EXPECT_FALSE(reassembler.in_progress());
  for (size_t i = 64; i < sizeof(storage); ++i) EXPECT_EQ(storage[i], '?') << i;
  // The next packet decodes.
  ASSERT_TRUE(reassembler.Push(kEchoPacket.data(), kEchoPacket.size(), &out).ok());
  EXPECT_EQ(Bytes(out.data, out.data + out.size), kEchoPacket);
  // A too-large packet in a single fragment.
  EXPECT_EQ(reassembler.Push(packet.data(), packet.size(), &out), Status::ResourceExhausted());
  EXPECT_FALSE(reassembler.in_progress());
  for (size_t i = 64; i < sizeof(storage); ++i) EXPECT_EQ(storage[i], '?') << i;
}

TEST(BleReassembler, ResetDropsThePacketInProgress) {
  BleReassemblerBuffer<512> reassembler;
  const Bytes packet = UploadPacket();
  ConstPacket out;
  ASSERT_EQ(reassembler.Push(packet.data(), 100, &out), Status::Unavailable());
  reassembler.Reset();
  EXPECT_FALSE(reassembler.in_progress());
  ASSERT_TRUE(reassembler.Push(kEchoPacket.data(), kEchoPacket.size(), &out).ok());
}

}  // namespace
}  // namespace edge::smp
