// edge.status: out-of-line parts of edge::Status (see public/edge/status/status.h).
#include "edge/status/status.h"

namespace edge {

const char* Status::str() const { return StatusCodeName(code_); }

Status StatusFromRawCode(uint32_t raw) {
  if (raw > kMaxStatusCode) {
    return Status::Unknown();
  }
  return Status(static_cast<StatusCode>(raw));
}

}  // namespace edge
