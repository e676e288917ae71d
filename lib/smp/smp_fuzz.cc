// libFuzzer target for the SMP codec (STYLE.md P13): the same untrusted bytes go to the serial
// console decoder, the CBOR reader (walking and skipping everything) and the BLE reassembler,
// each working in a buffer with guard bytes after it. Built with clang
// -fsanitize=fuzzer,address,undefined by the `fuzz` preset; smp_fuzz_seed_test.cc runs the same
// function over tests/fixtures/smp and mutations of it in every ordinary test run.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "edge/smp/ble.h"
#include "edge/smp/cbor.h"
#include "edge/smp/header.h"
#include "edge/smp/serial.h"

namespace {

using namespace edge::smp;  // NOLINT(google-build-using-namespace): test code

constexpr size_t kGuardBytes = 32;
constexpr uint8_t kGuard = 0xa5;

void Check(bool condition) {
  if (!condition) std::abort();
}

bool Within(const uint8_t* p, size_t n, const uint8_t* begin, size_t size) {
  return p >= begin && p <= begin + size && n <= static_cast<size_t>(begin + size - p);
}

void CheckGuard(const uint8_t* guard) {
  for (size_t i = 0; i < kGuardBytes; ++i) Check(guard[i] == kGuard);
}

// Walks every item (and every item inside containers) of `reader`, checking views stay inside
// [begin, begin + size) and container counts match. Recursion is bounded: the reader refuses
// nesting deeper than kCborMaxDepth.
void Walk(CborReader reader, const uint8_t* begin, size_t size, size_t depth) {
  Check(depth <= kCborMaxDepth);
  CborValue v;
  // Bounded: each Read consumes at least one byte.
  while (reader.Read(&v).ok()) {
    if (v.type == CborType::kBytes || v.type == CborType::kText || v.type == CborType::kArray ||
        v.type == CborType::kMap) {
      Check(Within(v.data, v.size, begin, size));
    }
    if (v.type == CborType::kArray || v.type == CborType::kMap) {
      // Items were validated when the container was read, so they read back exactly.
      CborReader items = v.items();
      uint64_t n = 0;
      CborValue item;
      while (items.Read(&item).ok()) ++n;
      Check(items.done());
      Check(n == (v.type == CborType::kMap ? 2 * v.arg : v.arg));
      Walk(v.items(), begin, size, depth + 1);
      if (v.type == CborType::kMap) {
        CborValue found;
        for (const char* key : {"off", "len", "data", "sha", "rc", "err"}) {
          const edge::Status s = FindInMap(v, key, &found);
          Check(s.ok() || s == edge::Status::NotFound());
          if (s.ok())
            Check(found.type != CborType::kBytes || Within(found.data, found.size, begin, size));
        }
      }
    }
  }
}

void FuzzCbor(const uint8_t* data, size_t size) {
  Walk(CborReader(data, size), data, size, 0);
  CborReader skipper(data, size);
  size_t last = 0;
  while (skipper.Skip().ok()) {
    Check(skipper.position() > last);
    last = skipper.position();
  }
  CborValue map;
  if (DecodeMap(data, size, &map).ok()) {
    Check(map.type == CborType::kMap);
    uint64_t u = 0;
    const edge::Status s = FindUint(map, "off", &u);
    Check(s.ok() || s == edge::Status::NotFound() || s == edge::Status::InvalidArgument());
  }
}

void CheckPacket(const ConstPacket& p) {
  // Anything a transport yields is safe to hand to the header and CBOR decoders.
  edge::Result<Header> h = DecodePacket(p.data, p.size);
  if (h.ok() && p.size > kHeaderBytes) FuzzCbor(p.data + kHeaderBytes, p.size - kHeaderBytes);
}

void FuzzSerial(const uint8_t* data, size_t size) {
  constexpr size_t kCapacity = 300;
  static uint8_t storage[kCapacity + kGuardBytes];
  std::memset(storage, kGuard, sizeof(storage));
  SerialDecoder decoder(storage, kCapacity);
  for (size_t i = 0; i < size; ++i) {
    ConstPacket p;
    const edge::Status s = decoder.Push(data[i], &p);
    if (s.ok()) {
      Check(Within(p.data, p.size, storage, kCapacity));
      Check(p.size <= kCapacity - kSerialOverheadBytes);
      // Re-encoding and decoding gives the same packet back.
      static uint8_t wire[SerialEncodedSize(kCapacity)];
      edge::StatusWithSize e = SerialEncode(p.data, p.size, wire, sizeof(wire));
      Check(e.ok() && e.size() == SerialEncodedSize(p.size));
      static uint8_t copy[kCapacity];
      std::memcpy(copy, p.data, p.size);
      const size_t copy_size = p.size;
      SerialDecoderBuffer<kCapacity> again;
      size_t yielded = 0;
      for (size_t k = 0; k < e.size(); ++k) {
        ConstPacket q;
        if (again.Push(wire[k], &q).ok()) {
          ++yielded;
          Check(q.size == copy_size && std::memcmp(q.data, copy, copy_size) == 0);
        }
      }
      Check(yielded == 1);
      CheckPacket(p);
    } else {
      Check(s == edge::Status::Unavailable() || s == edge::Status::DataLoss() ||
            s == edge::Status::ResourceExhausted());
    }
  }
  CheckGuard(storage + kCapacity);
}

void FuzzBle(const uint8_t* data, size_t size) {
  if (size == 0) return;
  constexpr size_t kCapacity = 128;
  static uint8_t storage[kCapacity + kGuardBytes];
  std::memset(storage, kGuard, sizeof(storage));
  BleReassembler reassembler(storage, kCapacity);
  // The first byte picks the fragment size (an ATT payload of 1..64 bytes).
  const size_t chunk = 1 + data[0] % 64;
  for (size_t off = 1; off < size; off += chunk) {
    const size_t n = size - off < chunk ? size - off : chunk;
    ConstPacket p;
    const edge::Status s = reassembler.Push(data + off, n, &p);
    if (s.ok()) {
      Check(p.data == storage && p.size <= kCapacity && p.size >= kHeaderBytes);
      Check(DecodePacket(p.data, p.size).ok());
      CheckPacket(p);
    } else {
      Check(s == edge::Status::Unavailable() || s == edge::Status::DataLoss() ||
            s == edge::Status::ResourceExhausted());
    }
  }
  CheckGuard(storage + kCapacity);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  edge::Result<Header> h = Decode(data, size);
  Check(h.ok() || size < kHeaderBytes || (data[0] & 0xe0) != 0 || (data[0] & 7) > 3);
  FuzzSerial(data, size);
  FuzzCbor(data, size);
  FuzzBle(data, size);
  return 0;
}
