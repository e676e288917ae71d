// A fixed-size, heap-free error message that travels next to an edge::Status (which is one byte).
// Runtime entry points take an optional Diagnostic* and, on failure, fill it with one line that
// names what was wrong, e.g. "op 3 (Conv '/conv1/Conv'): weight has 3 dims, expected 4".
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "edge/status/status.h"

namespace edge::runtime {

class Diagnostic {
 public:
  static constexpr size_t kCapacity = 200;

  const char* text() const { return text_; }
  size_t size() const { return len_; }
  bool empty() const { return len_ == 0; }
  void Clear() {
    len_ = 0;
    text_[0] = '\0';
  }

  // Appends; silently truncates at kCapacity - 1 characters.
  Diagnostic& Append(const char* s);
  template <typename T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
  Diagnostic& Append(T v) {
    return AppendInt(static_cast<long long>(v));
  }

 private:
  Diagnostic& AppendInt(long long v);

  char text_[kCapacity] = {};
  size_t len_ = 0;
};

inline void DiagClear(Diagnostic* diag) {
  if (diag != nullptr) diag->Clear();
}

// Replaces the diagnostic's text with the concatenation of `parts` (strings and integers) and
// returns `status`; a null Diagnostic is allowed. Usage:
//   return Fail(diag, Status::InvalidArgument(), "weight has ", rank, " dims, expected 4");
template <typename... Parts>
Status Fail(Diagnostic* diag, Status status, const Parts&... parts) {
  if (diag != nullptr) {
    diag->Clear();
    (diag->Append(parts), ...);
  }
  return status;
}

}  // namespace edge::runtime
