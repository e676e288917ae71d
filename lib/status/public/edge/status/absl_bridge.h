#pragma once
// edge.status.absl: the one place where edge::Status meets absl::Status (STYLE.md P4).
//
// HOST ONLY. Include this only from host code (daemon/, compiler/, client/, host tests), through
// the CMake target `edge.status.absl`, which does not exist in portable (EDGE_PORTABLE_ONLY)
// builds. Portable code in lib/ and firmware/ must never include it: it pulls in Abseil,
// std::string and the heap.
//
// What it is NOT: not the gRPC mapping. The daemon owns absl::Status <-> grpc::Status (the codes
// are the same canonical set, so that mapping is a cast too).
//
// The static_asserts below are what makes every conversion here a plain cast: if Abseil ever
// renumbered a code, this header would stop compiling.

#include <cstdint>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "edge/status/result.h"
#include "edge/status/status.h"

namespace edge {
namespace internal {

constexpr bool SameCode(StatusCode edge_code, absl::StatusCode absl_code) {
  return static_cast<int>(edge_code) == static_cast<int>(absl_code);
}

static_assert(SameCode(StatusCode::kOk, absl::StatusCode::kOk));
static_assert(SameCode(StatusCode::kCancelled, absl::StatusCode::kCancelled));
static_assert(SameCode(StatusCode::kUnknown, absl::StatusCode::kUnknown));
static_assert(SameCode(StatusCode::kInvalidArgument, absl::StatusCode::kInvalidArgument));
static_assert(SameCode(StatusCode::kDeadlineExceeded, absl::StatusCode::kDeadlineExceeded));
static_assert(SameCode(StatusCode::kNotFound, absl::StatusCode::kNotFound));
static_assert(SameCode(StatusCode::kAlreadyExists, absl::StatusCode::kAlreadyExists));
static_assert(SameCode(StatusCode::kPermissionDenied, absl::StatusCode::kPermissionDenied));
static_assert(SameCode(StatusCode::kResourceExhausted, absl::StatusCode::kResourceExhausted));
static_assert(SameCode(StatusCode::kFailedPrecondition, absl::StatusCode::kFailedPrecondition));
static_assert(SameCode(StatusCode::kAborted, absl::StatusCode::kAborted));
static_assert(SameCode(StatusCode::kOutOfRange, absl::StatusCode::kOutOfRange));
static_assert(SameCode(StatusCode::kUnimplemented, absl::StatusCode::kUnimplemented));
static_assert(SameCode(StatusCode::kInternal, absl::StatusCode::kInternal));
static_assert(SameCode(StatusCode::kUnavailable, absl::StatusCode::kUnavailable));
static_assert(SameCode(StatusCode::kDataLoss, absl::StatusCode::kDataLoss));
static_assert(SameCode(StatusCode::kUnauthenticated, absl::StatusCode::kUnauthenticated));
static_assert(kMaxStatusCode == static_cast<int>(absl::StatusCode::kUnauthenticated),
              "edge::StatusCode and absl::StatusCode must cover the same canonical range");

// Debian's Abseil is built with ABSL_OPTION_USE_STD_STRING_VIEW 0, so absl::string_view is its own
// type and does not convert implicitly from std::string_view.
inline absl::string_view ToAbslStringView(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace internal

// Returns absl::OkStatus() if `status` is OK; otherwise an absl::Status with the same code and
// `context` as its message (say what was being done: "reading slot 1 header"). A non-canonical
// edge code becomes UNKNOWN. Never returns OK for a non-OK `status`.
inline absl::Status ToAbsl(Status status, std::string_view context) {
  if (status.ok()) {
    return absl::OkStatus();
  }
  if (static_cast<uint8_t>(status.code()) > kMaxStatusCode) {
    return absl::Status(absl::StatusCode::kUnknown, internal::ToAbslStringView(context));
  }
  return absl::Status(static_cast<absl::StatusCode>(status.code()),
                      internal::ToAbslStringView(context));
}

// Returns the value of `result` if it is OK; otherwise its status converted with ToAbsl().
template <typename T>
absl::StatusOr<T> ToAbsl(Result<T>&& result, std::string_view context) {
  if (!result.ok()) {
    return ToAbsl(result.status(), context);
  }
  return std::move(result).value();
}

// Returns the edge::Status with the same code as `status`. The message and payloads are dropped
// (edge::Status has none). A code outside the canonical range becomes UNKNOWN, never OK.
inline Status FromAbsl(const absl::Status& status) {
  return StatusFromRawCode(static_cast<uint32_t>(status.raw_code()));
}

}  // namespace edge
