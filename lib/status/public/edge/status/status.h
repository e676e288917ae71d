#pragma once
// edge.status: the portable error type used by every lib/ and firmware/ module.
//
// `edge::Status` is a one-byte, zero-cost wrapper around the canonical google.rpc status codes
// (google/rpc/code.proto; the same set and values as absl::StatusCode and grpc::StatusCode).
// It is what portable code returns for recoverable errors (STYLE.md P4-P7).
//
// What it is NOT:
//   - It carries no message and no payload. Say what went wrong by picking the most specific code
//     (Abseil's rules); log details once, where the error is determined.
//   - It never allocates, never throws and needs no RTTI; it builds with arm-none-eabi
//     (-fno-exceptions -fno-rtti). StatusCodeName() returns string literals in .rodata.
//   - It is not absl::Status. Host code converts at the boundary with edge/status/absl_bridge.h.
//
// See also: edge/status/result.h (Result<T>, StatusWithSize) and edge/status/try.h (EDGE_TRY).

#include <cstdint>

namespace edge {

// The canonical codes, with the values of google/rpc/code.proto. Never renumber: values cross the
// wire (node protocol) and are static_assert-ed against absl::StatusCode in absl_bridge.h.
enum class StatusCode : uint8_t {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// The largest valid StatusCode value; anything above it is not a canonical code.
inline constexpr uint8_t kMaxStatusCode = static_cast<uint8_t>(StatusCode::kUnauthenticated);

// Returns the canonical upper-case name of `code` ("OK", "INVALID_ARGUMENT", ...), as in
// google/rpc/code.proto, or "INVALID_STATUS_CODE" for a value that is not a canonical code.
// The result is a string literal with static storage duration; never null.
constexpr const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kCancelled:
      return "CANCELLED";
    case StatusCode::kUnknown:
      return "UNKNOWN";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case StatusCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case StatusCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case StatusCode::kAborted:
      return "ABORTED";
    case StatusCode::kOutOfRange:
      return "OUT_OF_RANGE";
    case StatusCode::kUnimplemented:
      return "UNIMPLEMENTED";
    case StatusCode::kInternal:
      return "INTERNAL";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case StatusCode::kDataLoss:
      return "DATA_LOSS";
    case StatusCode::kUnauthenticated:
      return "UNAUTHENTICATED";
  }
  return "INVALID_STATUS_CODE";
}

// A status code. Cheap to copy (one byte); compare with == or test with ok().
//
//   Status Flash::Erase(uint32_t offset, uint32_t bytes) {
//     if (offset % sector_bytes() != 0) return Status::InvalidArgument();
//     ...
//     return OkStatus();
//   }
class [[nodiscard]] Status {
 public:
  // Default-constructs an OK status.
  constexpr Status() = default;
  // Wraps `code` as is (a non-canonical value stays non-canonical; see StatusFromRawCode()).
  explicit constexpr Status(StatusCode code) : code_(code) {}

  // Factories, one per canonical code. Prefer these to Status(StatusCode::k...).
  [[nodiscard]] static constexpr Status Cancelled() { return Status(StatusCode::kCancelled); }
  [[nodiscard]] static constexpr Status Unknown() { return Status(StatusCode::kUnknown); }
  [[nodiscard]] static constexpr Status InvalidArgument() {
    return Status(StatusCode::kInvalidArgument);
  }
  [[nodiscard]] static constexpr Status DeadlineExceeded() {
    return Status(StatusCode::kDeadlineExceeded);
  }
  [[nodiscard]] static constexpr Status NotFound() { return Status(StatusCode::kNotFound); }
  [[nodiscard]] static constexpr Status AlreadyExists() {
    return Status(StatusCode::kAlreadyExists);
  }
  [[nodiscard]] static constexpr Status PermissionDenied() {
    return Status(StatusCode::kPermissionDenied);
  }
  [[nodiscard]] static constexpr Status ResourceExhausted() {
    return Status(StatusCode::kResourceExhausted);
  }
  [[nodiscard]] static constexpr Status FailedPrecondition() {
    return Status(StatusCode::kFailedPrecondition);
  }
  [[nodiscard]] static constexpr Status Aborted() { return Status(StatusCode::kAborted); }
  [[nodiscard]] static constexpr Status OutOfRange() { return Status(StatusCode::kOutOfRange); }
  [[nodiscard]] static constexpr Status Unimplemented() {
    return Status(StatusCode::kUnimplemented);
  }
  [[nodiscard]] static constexpr Status Internal() { return Status(StatusCode::kInternal); }
  [[nodiscard]] static constexpr Status Unavailable() { return Status(StatusCode::kUnavailable); }
  [[nodiscard]] static constexpr Status DataLoss() { return Status(StatusCode::kDataLoss); }
  [[nodiscard]] static constexpr Status Unauthenticated() {
    return Status(StatusCode::kUnauthenticated);
  }

  [[nodiscard]] constexpr bool ok() const { return code_ == StatusCode::kOk; }
  [[nodiscard]] constexpr StatusCode code() const { return code_; }

  // StatusCodeName(code()). Defined in status.cc (not constexpr).
  [[nodiscard]] const char* str() const;

  // Keeps the first error: if this status is OK, it becomes `other`; otherwise it is unchanged.
  // For "try everything, report the first failure" loops (e.g. closing several resources).
  constexpr void Update(Status other) {
    if (ok()) {
      code_ = other.code_;
    }
  }

  // Explicitly discards this status. Use only where ignoring the error is correct, and say why.
  constexpr void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
};

// The OK status. (There is no Status::Ok(): OK is not an error.)
[[nodiscard]] constexpr Status OkStatus() { return Status(); }

constexpr bool operator==(Status lhs, Status rhs) { return lhs.code() == rhs.code(); }
constexpr bool operator!=(Status lhs, Status rhs) { return !(lhs == rhs); }

// Converts a raw code received from outside this program (wire, flash, another layer's int) into
// a Status. Values 0..16 map to that canonical code; any other value maps to UNKNOWN, never to OK,
// so a corrupted code cannot pass as success. Defined in status.cc.
[[nodiscard]] Status StatusFromRawCode(uint32_t raw);

static_assert(sizeof(Status) == 1, "edge::Status must stay one byte");

}  // namespace edge
