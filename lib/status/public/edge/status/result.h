#pragma once
// edge.status: Result<T> (a value or an error) and StatusWithSize (an error plus a byte count).
//
// Result<T> is the portable counterpart of absl::StatusOr<T> and pw::Result<T>: it holds either
// a T or a non-OK Status. Storage is in place (std::optional<T>, no heap); nothing throws.
// StatusWithSize reports partial I/O: how many bytes were handled before the status happened.
//
// What it is NOT:
//   - Not a place for messages or payloads (see status.h).
//   - Not checked-on-destruction: [[nodiscard]] makes the compiler complain about an ignored
//     Result, but reading value() of an error Result is a programming error that traps
//     (__builtin_trap: HardFault on Cortex-M, SIGILL on the host). Check ok() first, or use
//     EDGE_TRY_ASSIGN (try.h).

#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

#include "edge/status/status.h"

namespace edge {
namespace internal {

// Reached only through misuse (value() of an error Result). Traps instead of reading garbage.
[[noreturn]] inline void CrashOnErrorResultAccess() { __builtin_trap(); }

}  // namespace internal

// Either a T or a non-OK Status.
//
//   Result<ImageHeader> ReadHeader(Flash& flash);
//   ...
//   Result<ImageHeader> header = ReadHeader(flash);
//   if (!header.ok()) return header.status();
//   Use(header->body_bytes);
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_reference_v<T>, "Result<T&> is not supported; use Result<T*>");
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Status>, "Result<Status> is meaningless");
  static_assert(!std::is_same_v<std::remove_cv_t<T>, std::in_place_t>, "Result<in_place_t>");

  template <typename U>
  using EnableIfValue = std::enable_if_t<
      std::is_constructible_v<T, U&&> &&
          !std::is_same_v<std::remove_cv_t<std::remove_reference_t<U>>, Result> &&
          !std::is_same_v<std::remove_cv_t<std::remove_reference_t<U>>, Status> &&
          !std::is_same_v<std::remove_cv_t<std::remove_reference_t<U>>, std::in_place_t>,
      int>;

 public:
  using value_type = T;

  // Holds the error `status`, which must not be OK. (A Result made from OkStatus() would hold no
  // value; it holds INTERNAL instead, like absl::StatusOr in optimised builds.)
  constexpr Result(Status status)  // NOLINT(google-explicit-constructor): `return Status::X();`
      : status_(status.ok() ? Status::Internal() : status) {}

  // Holds a value built from `value` (implicit, so `return header;` works).
  template <typename U = T, EnableIfValue<U> = 0>
  constexpr Result(U&& value)  // NOLINT(google-explicit-constructor): `return value;`
      : value_(std::in_place, std::forward<U>(value)) {}

  // Holds a value built in place from `args`.
  template <typename... Args>
  constexpr explicit Result(std::in_place_t, Args&&... args)
      : value_(std::in_place, std::forward<Args>(args)...) {}

  // True iff this holds a value.
  [[nodiscard]] constexpr bool ok() const { return status_.ok(); }
  // OK if this holds a value, otherwise the (non-OK) error.
  [[nodiscard]] constexpr Status status() const { return status_; }

  // The value. Precondition: ok(); otherwise traps (see the file comment).
  constexpr T& value() & {
    CheckOk();
    return *value_;
  }
  constexpr const T& value() const& {
    CheckOk();
    return *value_;
  }
  constexpr T&& value() && {
    CheckOk();
    return std::move(*value_);
  }
  constexpr const T&& value() const&& {
    CheckOk();
    return std::move(*value_);
  }

  constexpr T& operator*() & { return value(); }
  constexpr const T& operator*() const& { return value(); }
  constexpr T&& operator*() && { return std::move(*this).value(); }
  constexpr const T&& operator*() const&& { return std::move(*this).value(); }

  constexpr T* operator->() { return &value(); }
  constexpr const T* operator->() const { return &value(); }

  // The value if ok(), otherwise `fallback` converted to T. Never traps.
  template <typename U>
  constexpr T value_or(U&& fallback) const& {
    return ok() ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }
  template <typename U>
  constexpr T value_or(U&& fallback) && {
    return ok() ? std::move(*value_) : static_cast<T>(std::forward<U>(fallback));
  }

  // Explicitly discards this result. Use only where ignoring the error is correct.
  constexpr void IgnoreError() const {}

 private:
  constexpr void CheckOk() const {
    if (!ok()) {
      internal::CrashOnErrorResultAccess();
    }
  }

  Status status_;  // OK iff value_ holds a value.
  std::optional<T> value_;
};

// A Status plus a count (usually bytes) for partial I/O: `size()` is how much was read, written
// or consumed before `status()` happened, so it is meaningful for errors too.
//
//   StatusWithSize Uart::Write(ConstByteSpan data);
//   //   OK                 all data.size() bytes written
//   //   DEADLINE_EXCEEDED  size() bytes written before the timeout
class [[nodiscard]] StatusWithSize {
 public:
  // OK, size 0.
  constexpr StatusWithSize() = default;
  // OK with `size`.
  explicit constexpr StatusWithSize(size_t size) : size_(size) {}
  // `status` (any code) after `size` units were handled.
  constexpr StatusWithSize(Status status, size_t size) : status_(status), size_(size) {}

  [[nodiscard]] constexpr bool ok() const { return status_.ok(); }
  [[nodiscard]] constexpr Status status() const { return status_; }
  [[nodiscard]] constexpr StatusCode code() const { return status_.code(); }
  [[nodiscard]] constexpr size_t size() const { return size_; }

  // Explicitly discards this result. Use only where ignoring the error is correct.
  constexpr void IgnoreError() const {}

 private:
  Status status_;
  size_t size_ = 0;
};

}  // namespace edge
