#include "edge/runtime/diagnostic.h"

namespace edge::runtime {

Diagnostic& Diagnostic::Append(const char* s) {
  if (s == nullptr) s = "(null)";
  while (*s != '\0' && len_ + 1 < kCapacity) text_[len_++] = *s++;
  text_[len_] = '\0';
  return *this;
}

Diagnostic& Diagnostic::AppendInt(long long v) {
  char buf[24];
  int n = 0;
  unsigned long long u =
      v < 0 ? 0ull - static_cast<unsigned long long>(v) : static_cast<unsigned long long>(v);
  do {
    buf[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0) buf[n++] = '-';
  char out[24];
  for (int i = 0; i < n; ++i) out[i] = buf[n - 1 - i];
  out[n] = '\0';
  return Append(out);
}

}  // namespace edge::runtime
