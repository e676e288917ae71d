// edge.smp: SMP over console framing (see public/edge/smp/serial.h).
#include "edge/smp/serial.h"

namespace edge::smp {
namespace {

constexpr uint8_t kFirstMarker[2] = {0x06, 0x09};
constexpr uint8_t kContinuationMarker[2] = {0x04, 0x14};
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int kInvalid = -1;
constexpr int kPad = -2;

int Base64Value(uint8_t c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  if (c == '=') return kPad;
  return kInvalid;
}

// Encodes raw[0, size) (size <= 3) as 4 characters at out.
void EncodeQuad(const uint8_t* raw, size_t size, uint8_t* out) {
  const uint32_t v = (uint32_t{raw[0]} << 16) | (size > 1 ? uint32_t{raw[1]} << 8 : 0) |
                     (size > 2 ? uint32_t{raw[2]} : 0);
  out[0] = static_cast<uint8_t>(kBase64[(v >> 18) & 0x3f]);
  out[1] = static_cast<uint8_t>(kBase64[(v >> 12) & 0x3f]);
  out[2] = size > 1 ? static_cast<uint8_t>(kBase64[(v >> 6) & 0x3f]) : '=';
  out[3] = size > 2 ? static_cast<uint8_t>(kBase64[v & 0x3f]) : '=';
}

}  // namespace

uint16_t Crc16Xmodem(const uint8_t* data, size_t size, uint16_t crc) {
  for (size_t i = 0; i < size; ++i) {
    crc = static_cast<uint16_t>(crc ^ (uint16_t{data[i]} << 8));
    for (int bit = 0; bit < 8; ++bit) {
      crc = static_cast<uint16_t>((crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
  }
  return crc;
}

StatusWithSize SerialEncode(const uint8_t* packet, size_t size, uint8_t* out, size_t capacity) {
  if (size > kSerialMaxPacketBytes) {
    return StatusWithSize(Status::InvalidArgument(), 0);
  }
  const size_t needed = SerialEncodedSize(size);
  if (capacity < needed) {
    return StatusWithSize(Status::ResourceExhausted(), 0);
  }
  const uint16_t total = static_cast<uint16_t>(size + 2);
  const uint16_t crc = Crc16Xmodem(packet, size);
  const uint8_t prefix[2] = {static_cast<uint8_t>(total >> 8), static_cast<uint8_t>(total)};
  const uint8_t suffix[2] = {static_cast<uint8_t>(crc >> 8), static_cast<uint8_t>(crc)};
  const size_t raw_size = size + kSerialOverheadBytes;
  // The raw byte at offset i of prefix | packet | suffix.
  auto raw_at = [&](size_t i) -> uint8_t {
    if (i < 2) return prefix[i];
    if (i - 2 < size) return packet[i - 2];
    return suffix[i - 2 - size];
  };

  size_t o = 0;
  for (size_t line_start = 0; line_start < raw_size; line_start += kSerialMaxRawPerLine) {
    const uint8_t* marker = line_start == 0 ? kFirstMarker : kContinuationMarker;
    out[o++] = marker[0];
    out[o++] = marker[1];
    const size_t line_end =
        raw_size - line_start < kSerialMaxRawPerLine ? raw_size : line_start + kSerialMaxRawPerLine;
    for (size_t i = line_start; i < line_end; i += 3) {
      const size_t n = line_end - i < 3 ? line_end - i : 3;
      uint8_t group[3] = {};
      for (size_t k = 0; k < n; ++k) group[k] = raw_at(i + k);
      EncodeQuad(group, n, out + o);
      o += 4;
    }
    out[o++] = '\n';
  }
  return StatusWithSize(o);
}

void SerialDecoder::Reset() {
  state_ = State::kLineStart;
  in_packet_ = false;
  quad_size_ = 0;
  raw_size_ = 0;
  expected_ = 0;
}

Status SerialDecoder::Fail(Status status) {
  in_packet_ = false;
  raw_size_ = 0;
  expected_ = 0;
  quad_size_ = 0;
  state_ = State::kSkipLine;
  return status;
}

Status SerialDecoder::Push(uint8_t byte, ConstPacket* packet) {
  switch (state_) {
    case State::kLineStart:
      if (byte == kFirstMarker[0] || byte == kContinuationMarker[0]) {
        marker_ = byte;
        state_ = State::kMarker;
      } else if (byte != '\r' && byte != '\n') {
        state_ = State::kSkipLine;
      }
      return Status::Unavailable();

    case State::kMarker:
      if (marker_ == kFirstMarker[0] && byte == kFirstMarker[1]) {
        in_packet_ = true;  // (re)start; a packet in progress is dropped
        raw_size_ = 0;
        expected_ = 0;
      } else if (!(marker_ == kContinuationMarker[0] && byte == kContinuationMarker[1] &&
                   in_packet_)) {
        state_ = byte == '\n' ? State::kLineStart : State::kSkipLine;
        return Status::Unavailable();
      }
      state_ = State::kBody;
      line_bytes_ = 2;
      quad_size_ = 0;
      line_padded_ = false;
      return Status::Unavailable();

    case State::kSkipLine:
      if (byte == '\n') {
        state_ = State::kLineStart;
      }
      return Status::Unavailable();

    case State::kBody:
      break;
  }

  if (byte == '\r') {
    return Status::Unavailable();
  }
  if (byte == '\n') {
    return EndOfLine(packet);
  }
  if (++line_bytes_ > kSerialMaxLineBytes - 1) {  // the '\n' still has to fit
    return Fail(Status::ResourceExhausted());
  }
  if (line_padded_) {
    return Fail(Status::DataLoss());  // characters after '=' padding
  }
  quad_[quad_size_++] = byte;
  if (quad_size_ == 4) {
    return DecodeQuad();
  }
  return Status::Unavailable();
}

Status SerialDecoder::DecodeQuad() {
  quad_size_ = 0;
  int v[4];
  for (size_t i = 0; i < 4; ++i) {
    v[i] = Base64Value(quad_[i]);
    if (v[i] == kInvalid) {
      return Fail(Status::DataLoss());
    }
  }
  // '=' only as "xx==" or "xxx=".
  if (v[0] == kPad || v[1] == kPad || (v[2] == kPad && v[3] != kPad)) {
    return Fail(Status::DataLoss());
  }
  const size_t n = v[2] == kPad ? 1 : v[3] == kPad ? 2 : 3;
  line_padded_ = n < 3;
  const uint32_t bits = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) |
                        (n > 1 ? static_cast<uint32_t>(v[2]) << 6 : 0) |
                        (n > 2 ? static_cast<uint32_t>(v[3]) : 0);
  if (n > capacity_ - raw_size_) {  // raw_size_ <= capacity_ always
    return Fail(Status::ResourceExhausted());
  }
  for (size_t i = 0; i < n; ++i) {
    buffer_[raw_size_++] = static_cast<uint8_t>(bits >> (16 - 8 * i));
  }
  if (expected_ == 0 && raw_size_ >= 2) {
    const size_t total = (size_t{buffer_[0]} << 8) | buffer_[1];
    if (total < 2) {
      return Fail(Status::DataLoss());  // no room for the CRC
    }
    expected_ = 2 + total;
    if (expected_ > capacity_) {
      return Fail(Status::ResourceExhausted());
    }
  }
  if (expected_ != 0 && raw_size_ > expected_) {
    return Fail(Status::DataLoss());  // more data than total_len announced
  }
  return Status::Unavailable();
}

Status SerialDecoder::EndOfLine(ConstPacket* packet) {
  if (quad_size_ != 0) {
    const Status s = Fail(Status::DataLoss());  // not a multiple of 4 characters
    state_ = State::kLineStart;
    return s;
  }
  state_ = State::kLineStart;
  if (expected_ == 0 || raw_size_ != expected_) {
    return Status::Unavailable();
  }
  const size_t packet_size = expected_ - kSerialOverheadBytes;
  const uint16_t received =
      static_cast<uint16_t>((buffer_[expected_ - 2] << 8) | buffer_[expected_ - 1]);
  in_packet_ = false;
  raw_size_ = 0;
  expected_ = 0;
  if (Crc16Xmodem(buffer_ + 2, packet_size) != received) {
    return Status::DataLoss();
  }
  *packet = ConstPacket{buffer_ + 2, packet_size};
  return OkStatus();
}

}  // namespace edge::smp
