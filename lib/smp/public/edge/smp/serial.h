#pragma once
// edge.smp: SMP over a serial console (UART, USB-CDC, shell): "SMP over console" framing, as
// Zephyr's serial_util.c, MCUboot serial recovery and newtmgr speak it.
//
// One SMP packet travels as raw = u16 BE total_len | packet | u16 BE CRC-16/XMODEM(packet), where
// total_len = packet bytes + 2. The raw bytes are base64-encoded (standard alphabet, '=' padding)
// and cut into lines of at most 127 bytes: the first `06 09 <base64> 0a`, the rest
// `04 14 <base64> 0a`. Every line's base64 decodes on its own (a multiple of 4 characters).
//
// SerialEncoder writes all lines of one packet into a caller buffer (93 raw bytes per line).
// SerialDecoder takes console bytes one at a time, ignores console text between frames, and
// reassembles and CRC-checks packets in a caller-owned buffer. Neither allocates nor asserts on
// input; every decoded length is checked against the buffer.
//
// What it is NOT: no I/O, no timeouts, no SMP header or CBOR checks (header.h, cbor.h), and not
// the raw (unframed) UART protocol.
#include <array>
#include <cstddef>
#include <cstdint>

#include "edge/smp/header.h"
#include "edge/status/result.h"
#include "edge/status/status.h"

namespace edge::smp {

inline constexpr size_t kSerialMaxLineBytes = 127;  // marker + base64 + '\n'
inline constexpr size_t kSerialMaxBase64PerLine = kSerialMaxLineBytes - 3;       // 124
inline constexpr size_t kSerialMaxRawPerLine = kSerialMaxBase64PerLine / 4 * 3;  // 93
// Raw bytes around the packet: the length prefix and the CRC.
inline constexpr size_t kSerialOverheadBytes = 4;
// The largest packet the u16 total_len can frame.
inline constexpr size_t kSerialMaxPacketBytes = 0xffff - 2;

// CRC-16/XMODEM (poly 0x1021, no reflection, xorout 0) of `data`, continuing from `crc` (0 to
// start). Check value: "123456789" -> 0x31C3.
uint16_t Crc16Xmodem(const uint8_t* data, size_t size, uint16_t crc = 0);

// Bytes SerialEncode() writes for a packet of `packet_size` bytes (all lines, markers, newlines).
constexpr size_t SerialEncodedSize(size_t packet_size) {
  const size_t raw = packet_size + kSerialOverheadBytes;
  const size_t full_lines = raw / kSerialMaxRawPerLine;
  const size_t rest = raw % kSerialMaxRawPerLine;
  return full_lines * kSerialMaxLineBytes + (rest == 0 ? 0 : 3 + 4 * ((rest + 2) / 3));
}

// Writes the framed lines of `packet` into `out[0, capacity)`. Returns:
//   OK                  size() bytes written (== SerialEncodedSize(size))
//   RESOURCE_EXHAUSTED  capacity < SerialEncodedSize(size); nothing written
//   INVALID_ARGUMENT    size > kSerialMaxPacketBytes
StatusWithSize SerialEncode(const uint8_t* packet, size_t size, uint8_t* out, size_t capacity);

// Incremental decoder over a caller-owned reassembly buffer of `capacity` bytes, which holds the
// raw bytes (length prefix + packet + CRC): packets up to capacity - 4 bytes fit. See
// SerialDecoderBuffer for one that owns its buffer.
//
// Line handling: a leading '\r' is stripped; '\r' inside a frame line is ignored and not counted. A
// line that starts with 06 09 starts a packet (dropping, silently, any packet in progress); 04 14
// continues the packet in progress (and is ignored when none is); any other line is console text
// and is ignored whatever its length. After an error the decoder ignores continuation lines until
// the next 06 09.
class SerialDecoder {
 public:
  // `buffer` must outlive the decoder.
  SerialDecoder(uint8_t* buffer, size_t capacity) : buffer_(buffer), capacity_(capacity) {}
  SerialDecoder(const SerialDecoder&) = delete;
  SerialDecoder& operator=(const SerialDecoder&) = delete;

  // Feeds one byte. Returns:
  //   OK                  *packet holds a complete, CRC-checked SMP packet (header + CBOR) inside
  //                       the buffer; valid until the next Push() or Reset()
  //   UNAVAILABLE         need more bytes
  //   RESOURCE_EXHAUSTED  the packet is longer than the buffer, or a frame line is longer than
  //                       127 bytes; dropped, resynchronises on the next 06 09
  //   DATA_LOSS           bad base64, CRC mismatch, or more data than total_len announced;
  //                       dropped, resynchronises on the next 06 09
  Status Push(uint8_t byte, ConstPacket* packet);

  // Drops any packet in progress and waits for the start of a line.
  void Reset();

  [[nodiscard]] size_t capacity() const { return capacity_; }

 private:
  enum class State : uint8_t { kLineStart, kMarker, kBody, kSkipLine };

  Status Fail(Status status);
  Status EndOfLine(ConstPacket* packet);
  Status DecodeQuad();

  uint8_t* buffer_;
  size_t capacity_;
  State state_ = State::kLineStart;
  bool in_packet_ = false;
  bool line_padded_ = false;  // current line already ended a quad with '='
  uint8_t marker_ = 0;
  uint8_t quad_[4] = {};
  size_t quad_size_ = 0;
  size_t line_bytes_ = 0;  // bytes of the current frame line, marker included, '\r' excluded
  size_t raw_size_ = 0;    // decoded bytes of the packet in progress
  size_t expected_ = 0;    // 2 + total_len once known, else 0
};

namespace internal {

// Holds SerialDecoderBuffer's storage in a base listed before SerialDecoder, so the storage is
// constructed before the decoder takes its address.
template <size_t kBytes>
struct SerialStorage {
  std::array<uint8_t, kBytes> storage{};
};

}  // namespace internal

// A SerialDecoder that owns a buffer for packets of up to kMaxPacketBytes bytes (header + CBOR).
// Not copyable or movable (the decoder points into it).
template <size_t kMaxPacketBytes>
class SerialDecoderBuffer : private internal::SerialStorage<kMaxPacketBytes + kSerialOverheadBytes>,
                            public SerialDecoder {
 public:
  static_assert(kMaxPacketBytes >= kHeaderBytes, "must hold at least an SMP header");
  static_assert(kMaxPacketBytes <= kSerialMaxPacketBytes, "larger than serial framing allows");

  SerialDecoderBuffer()
      : SerialDecoder(this->storage.data(), kMaxPacketBytes + kSerialOverheadBytes) {}
};

}  // namespace edge::smp
