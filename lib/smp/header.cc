// edge.smp: the SMP header (see public/edge/smp/header.h).
#include "edge/smp/header.h"

namespace edge::smp {

void Encode(const Header& header, uint8_t out[kHeaderBytes]) {
  out[0] =
      static_cast<uint8_t>(((header.version & 0x3) << 3) | (static_cast<uint8_t>(header.op) & 0x7));
  out[1] = header.flags;
  out[2] = static_cast<uint8_t>(header.length >> 8);
  out[3] = static_cast<uint8_t>(header.length);
  out[4] = static_cast<uint8_t>(header.group >> 8);
  out[5] = static_cast<uint8_t>(header.group);
  out[6] = header.sequence;
  out[7] = header.command;
}

Result<Header> Decode(const uint8_t* bytes, size_t size) {
  if (bytes == nullptr || size < kHeaderBytes) {
    return Status::DataLoss();
  }
  if ((bytes[0] & 0xe0) != 0) {
    return Status::DataLoss();  // reserved bits
  }
  const uint8_t op = bytes[0] & 0x7;
  if (op > static_cast<uint8_t>(Op::kWriteRsp)) {
    return Status::DataLoss();
  }
  Header h;
  h.op = static_cast<Op>(op);
  h.version = static_cast<uint8_t>((bytes[0] >> 3) & 0x3);
  h.flags = bytes[1];
  h.length = static_cast<uint16_t>((bytes[2] << 8) | bytes[3]);
  h.group = static_cast<uint16_t>((bytes[4] << 8) | bytes[5]);
  h.sequence = bytes[6];
  h.command = bytes[7];
  return h;
}

Result<Header> DecodePacket(const uint8_t* packet, size_t size) {
  Result<Header> h = Decode(packet, size);
  if (!h.ok()) {
    return h.status();
  }
  if (size - kHeaderBytes != h->length) {
    return Status::DataLoss();
  }
  return h;
}

}  // namespace edge::smp
