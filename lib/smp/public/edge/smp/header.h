#pragma once
// edge.smp: the 8-byte MCUmgr SMP header (Simple Management Protocol), as the gateway's SMP client
// and the node loader's SMP server both read and write it.
//
// Wire layout (multi-byte fields big-endian):
//   byte 0    [reserved:3 = 0][version:2][op:3]
//   byte 1    flags (none defined; send 0)
//   bytes 2-3 length: payload (CBOR) bytes after the header
//   bytes 4-5 group
//   byte 6    sequence (the response echoes the request's)
//   byte 7    command id within the group
//
// What it is NOT: no transport (serial.h, ble.h frame whole packets) and no payload codec (cbor.h).
// Portable: no heap, no exceptions; every byte it reads is checked, nothing asserts.
#include <cstddef>
#include <cstdint>

#include "edge/status/result.h"
#include "edge/status/status.h"

namespace edge::smp {

inline constexpr size_t kHeaderBytes = 8;
// The largest SMP packet the 16-bit length field can describe.
inline constexpr size_t kMaxPacketBytes = kHeaderBytes + 0xffff;

enum class Op : uint8_t {
  kRead = 0,
  kReadRsp = 1,
  kWrite = 2,
  kWriteRsp = 3,
};

// Header version field. kVersionLegacy ("SMP version 1") reports errors as a top-level "rc";
// kVersion2 adds "err": {"group", "rc"}. 2 and 3 are reserved; Decode() passes them through so a
// server can answer them with rc 13 (UNSUPPORTED_TOO_NEW).
inline constexpr uint8_t kVersionLegacy = 0;
inline constexpr uint8_t kVersion2 = 1;

// Groups (mgmt_defines.h). 64 and up are per-user; kGroupModel is ours.
inline constexpr uint16_t kGroupOs = 0;
inline constexpr uint16_t kGroupImage = 1;
inline constexpr uint16_t kGroupStat = 2;
inline constexpr uint16_t kGroupSettings = 3;
inline constexpr uint16_t kGroupLog = 4;
inline constexpr uint16_t kGroupCrash = 5;
inline constexpr uint16_t kGroupSplit = 6;
inline constexpr uint16_t kGroupRun = 7;
inline constexpr uint16_t kGroupFs = 8;
inline constexpr uint16_t kGroupShell = 9;
inline constexpr uint16_t kGroupEnum = 10;
inline constexpr uint16_t kGroupZephyrBasic = 63;
inline constexpr uint16_t kGroupPerUser = 64;
inline constexpr uint16_t kGroupModel = 64;

// OS group (0) commands.
inline constexpr uint8_t kOsEcho = 0;          // {"d": tstr} -> {"r": tstr}
inline constexpr uint8_t kOsTaskStats = 2;     // read
inline constexpr uint8_t kOsMempoolStats = 3;  // read
inline constexpr uint8_t kOsDatetime = 4;      // read/write
inline constexpr uint8_t kOsReset = 5;         // write {} -> {} (answers, then resets)
inline constexpr uint8_t kOsMcumgrParams = 6;  // read {} -> {"buf_size", "buf_count"}

// Image group (1) commands.
inline constexpr uint8_t kImageState = 0;     // read: list; write: {"hash", "confirm"}
inline constexpr uint8_t kImageUpload = 1;    // write {"image"?, "len", "off", "sha"?, "data", ...}
inline constexpr uint8_t kImageFile = 2;      // reserved
inline constexpr uint8_t kImageCorelist = 3;  // reserved
inline constexpr uint8_t kImageCoreload = 4;  // reserved
inline constexpr uint8_t kImageErase = 5;     // write {"slot"?}
inline constexpr uint8_t kImageSlotInfo = 6;  // read

// SMP-level "rc" values (mcumgr_err_t).
inline constexpr uint16_t kRcOk = 0;
inline constexpr uint16_t kRcUnknown = 1;
inline constexpr uint16_t kRcNoMem = 2;
inline constexpr uint16_t kRcInvalid = 3;
inline constexpr uint16_t kRcTimeout = 4;
inline constexpr uint16_t kRcNoEnt = 5;
inline constexpr uint16_t kRcBadState = 6;
inline constexpr uint16_t kRcMsgSize = 7;
inline constexpr uint16_t kRcNotSup = 8;
inline constexpr uint16_t kRcCorrupt = 9;
inline constexpr uint16_t kRcBusy = 10;
inline constexpr uint16_t kRcAccessDenied = 11;
inline constexpr uint16_t kRcUnsupportedTooOld = 12;
inline constexpr uint16_t kRcUnsupportedTooNew = 13;

struct Header {
  Op op = Op::kRead;
  uint8_t version = kVersion2;  // 2 bits on the wire
  uint8_t flags = 0;
  uint16_t length = 0;  // payload bytes after the header
  uint16_t group = 0;
  uint8_t sequence = 0;
  uint8_t command = 0;
};

// A read-only view of bytes owned by someone else (a decoder's buffer or the caller's packet).
// Says how long it stays valid wherever it is returned.
struct ConstPacket {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

// Writes `header` as 8 bytes. Only the low 2 bits of `version` and the low 3 bits of `op` are
// written; the reserved bits are always 0.
void Encode(const Header& header, uint8_t out[kHeaderBytes]);

// Decodes the first 8 bytes of `bytes` (more may follow: the payload). Returns:
//   OK         the header (any version 0-3: callers decide what they support)
//   DATA_LOSS  fewer than 8 bytes, a reserved bit set (byte 0 bits 7-5), or an op above 3
Result<Header> Decode(const uint8_t* bytes, size_t size);

// Decode() plus the check that `size` is exactly 8 + header.length (one whole packet, as the
// transports deliver it). DATA_LOSS otherwise.
Result<Header> DecodePacket(const uint8_t* packet, size_t size);

}  // namespace edge::smp
