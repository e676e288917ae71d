#pragma once
// edge.smp: SMP over BLE GATT (the SMP characteristic): fragment reassembly and fragmentation.
//
// There is no framing on BLE: a packet longer than ATT_MTU - 3 bytes is split across consecutive
// writes (client -> server) or notifications (server -> client), and the receiver learns the
// packet size (8 + header.length) from the SMP header in the first fragment. GATT delivers
// fragments in order on one ATT bearer (set BlueZ's EATT `Channels = 1`).
//
// BleReassembler collects fragments in a caller-owned buffer; BleFragmenter walks a packet in
// chunks. Neither allocates; every length from the air is checked against the buffer.
//
// What it is NOT: no GATT or D-Bus code, no timeouts (call Reset() when a link drops or a
// response times out), and no CBOR checks.
#include <array>
#include <cstddef>
#include <cstdint>

#include "edge/smp/header.h"
#include "edge/status/result.h"
#include "edge/status/status.h"

namespace edge::smp {

// ATT_MTU minus the 3-byte ATT header: the most SMP bytes one write or notification carries.
constexpr size_t BleMaxChunk(size_t att_mtu) { return att_mtu > 3 ? att_mtu - 3 : 0; }

// Reassembles one packet at a time in `buffer[0, capacity)`.
class BleReassembler {
 public:
  // `buffer` must outlive the reassembler.
  BleReassembler(uint8_t* buffer, size_t capacity) : buffer_(buffer), capacity_(capacity) {}
  BleReassembler(const BleReassembler&) = delete;
  BleReassembler& operator=(const BleReassembler&) = delete;

  // Feeds one ATT payload. Returns:
  //   OK                  *packet holds a complete packet (8 + header.length bytes) inside the
  //                       buffer; valid until the next Push() or Reset()
  //   UNAVAILABLE         need more fragments (also while discarding a too-large packet)
  //   DATA_LOSS           a first fragment shorter than 8 bytes or with an invalid header, or a
  //                       fragment that runs past the announced packet size; dropped, and the
  //                       next fragment is taken as a first fragment
  //   RESOURCE_EXHAUSTED  the announced packet is larger than the buffer; the rest of its
  //                       fragments (by the announced size) are consumed and discarded
  //   INVALID_ARGUMENT    `fragment` is null with a non-zero size
  // An empty fragment changes nothing (UNAVAILABLE).
  Status Push(const uint8_t* fragment, size_t size, ConstPacket* packet);

  // Drops any packet in progress; the next fragment is a first fragment.
  void Reset();

  // True while a packet is partly received (or being discarded).
  [[nodiscard]] bool in_progress() const { return expected_ != 0; }
  [[nodiscard]] size_t capacity() const { return capacity_; }

 private:
  uint8_t* buffer_;
  size_t capacity_;
  size_t received_ = 0;
  size_t expected_ = 0;  // 8 + header.length of the packet in progress, else 0
  bool discarding_ = false;
};

namespace internal {

template <size_t kBytes>
struct BleStorage {
  std::array<uint8_t, kBytes> storage{};
};

}  // namespace internal

// A BleReassembler that owns a buffer for packets of up to kMaxPacketBytes bytes.
template <size_t kMaxPacketBytes>
class BleReassemblerBuffer : private internal::BleStorage<kMaxPacketBytes>, public BleReassembler {
 public:
  static_assert(kMaxPacketBytes >= kHeaderBytes, "must hold at least an SMP header");

  BleReassemblerBuffer() : BleReassembler(this->storage.data(), kMaxPacketBytes) {}
};

// Splits a packet into chunks of at most BleMaxChunk(att_mtu) bytes, in order.
//
//   Result<BleFragmenter> f = BleFragmenter::Create(packet, size, mtu);
//   ConstPacket chunk;
//   while (f->Next(&chunk)) Notify(chunk.data, chunk.size);
class BleFragmenter {
 public:
  // `packet` must outlive the fragmenter. INVALID_ARGUMENT if att_mtu <= 3 or packet is null with
  // a non-zero size.
  static Result<BleFragmenter> Create(const uint8_t* packet, size_t size, size_t att_mtu);

  // Sets *chunk to the next chunk and returns true, or returns false when all were returned.
  bool Next(ConstPacket* chunk);

  // Number of chunks in total.
  [[nodiscard]] size_t count() const { return (size_ + chunk_ - 1) / chunk_; }

 private:
  BleFragmenter(const uint8_t* packet, size_t size, size_t chunk)
      : packet_(packet), size_(size), chunk_(chunk) {}

  const uint8_t* packet_;
  size_t size_;
  size_t chunk_;
  size_t offset_ = 0;
};

}  // namespace edge::smp
