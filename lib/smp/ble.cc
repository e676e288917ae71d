// edge.smp: SMP over BLE fragmentation (see public/edge/smp/ble.h).
#include "edge/smp/ble.h"

#include <cstring>

namespace edge::smp {

void BleReassembler::Reset() {
  received_ = 0;
  expected_ = 0;
  discarding_ = false;
}

Status BleReassembler::Push(const uint8_t* fragment, size_t size, ConstPacket* packet) {
  if (fragment == nullptr && size != 0) {
    return Status::InvalidArgument();
  }
  if (size == 0) {
    return Status::Unavailable();
  }
  if (expected_ == 0) {  // a first fragment
    Result<Header> header = Decode(fragment, size);
    if (!header.ok()) {
      return Status::DataLoss();
    }
    expected_ = kHeaderBytes + header->length;
    received_ = 0;
    discarding_ = expected_ > capacity_;
    if (discarding_) {
      if (size >= expected_) {
        Reset();  // the whole too-large packet was in this fragment
      } else {
        received_ = size;
      }
      return Status::ResourceExhausted();
    }
  }
  if (size > expected_ - received_) {
    Reset();
    return Status::DataLoss();
  }
  if (discarding_) {
    received_ += size;
    if (received_ == expected_) {
      Reset();
    }
    return Status::Unavailable();
  }
  std::memcpy(buffer_ + received_, fragment, size);
  received_ += size;
  if (received_ < expected_) {
    return Status::Unavailable();
  }
  *packet = ConstPacket{buffer_, received_};
  received_ = 0;
  expected_ = 0;
  return OkStatus();
}

Result<BleFragmenter> BleFragmenter::Create(const uint8_t* packet, size_t size, size_t att_mtu) {
  if (att_mtu <= 3 || (packet == nullptr && size != 0)) {
    return Status::InvalidArgument();
  }
  return BleFragmenter(packet, size, BleMaxChunk(att_mtu));
}

bool BleFragmenter::Next(ConstPacket* chunk) {
  if (offset_ >= size_) {
    return false;
  }
  const size_t n = size_ - offset_ < chunk_ ? size_ - offset_ : chunk_;
  *chunk = ConstPacket{packet_ + offset_, n};
  offset_ += n;
  return true;
}

}  // namespace edge::smp
