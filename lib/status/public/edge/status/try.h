#pragma once
// edge.status: early-return macros for Status, Result<T> and StatusWithSize (STYLE.md P5).
//
//   Result<ImageHeader> ReadHeader(FlashRegion& slot) {
//     std::array<std::byte, ImageHeader::kSize> raw;
//     EDGE_TRY(slot.Read(0, raw));                                   // Status or StatusWithSize
//     EDGE_TRY_ASSIGN(const ImageHeader hdr, ImageHeader::Parse(raw));  // Result<ImageHeader>
//     return hdr;
//   }
//
// The enclosing function must return Status or Result<U> (a non-OK Status converts to both).
// These macros only return; they never log, allocate or throw.
//
// What it is NOT: no PW_TRY_WITH_SIZE equivalent yet (add one when a module needs it), and no
// macro that returns from a function returning StatusWithSize.

#include <utility>

#include "edge/status/result.h"
#include "edge/status/status.h"

namespace edge::internal {

constexpr Status ConvertToStatus(Status status) { return status; }
constexpr Status ConvertToStatus(StatusWithSize status_with_size) {
  return status_with_size.status();
}
template <typename T>
constexpr Status ConvertToStatus(const Result<T>& result) {
  return result.status();
}

// The value EDGE_TRY_ASSIGN assigns: the moved-out value of a Result, or the size of a
// StatusWithSize. Only called after ok() was checked.
template <typename T>
constexpr T&& ConvertToValue(Result<T>& result) {
  return std::move(result).value();
}
constexpr size_t ConvertToValue(StatusWithSize status_with_size) { return status_with_size.size(); }

}  // namespace edge::internal

// Evaluates `expr` (a Status, Result<T> or StatusWithSize) once; if it is not OK, returns its
// Status from the enclosing function.
#define EDGE_TRY(expr)                                                                   \
  do {                                                                                   \
    if (const ::edge::Status edge_try_status_ = ::edge::internal::ConvertToStatus(expr); \
        !edge_try_status_.ok()) {                                                        \
      return edge_try_status_;                                                           \
    }                                                                                    \
  } while (0)

// Evaluates `expr` (a Result<T>, or a StatusWithSize whose value is its size) once; if it is not
// OK, returns its Status from the enclosing function; otherwise assigns the value to `lhs`, which
// may be a declaration (`const Header hdr`, `auto n`) or an existing lvalue. Expands to several
// statements, so do not use it as the body of an unbraced if/else/for.
#define EDGE_TRY_ASSIGN(lhs, expr) \
  EDGE_STATUS_INTERNAL_TRY_ASSIGN_IMPL(EDGE_STATUS_INTERNAL_UNIQUE(edge_try_result_), lhs, expr)

// Implementation details; not API.
#define EDGE_STATUS_INTERNAL_TRY_ASSIGN_IMPL(result, lhs, expr) \
  auto result = (expr);                                         \
  if (!result.ok()) {                                           \
    return ::edge::internal::ConvertToStatus(result);           \
  }                                                             \
  lhs = ::edge::internal::ConvertToValue(result)

#define EDGE_STATUS_INTERNAL_UNIQUE(prefix) EDGE_STATUS_INTERNAL_CONCAT(prefix, __COUNTER__)
#define EDGE_STATUS_INTERNAL_CONCAT(a, b) EDGE_STATUS_INTERNAL_CONCAT_INNER(a, b)
#define EDGE_STATUS_INTERNAL_CONCAT_INNER(a, b) a##b
