// Helpers shared by the kernel files: fused activations and vectorisation hints. Portable C++:
// no intrinsics. On x86-64 hosts (not in portable-only builds) hot loops are compiled for several
// ISA levels with GCC's target_clones and picked at load time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "edge/runtime/efm_generated.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(EDGE_NO_TARGET_CLONES)
#define EDGE_KERNEL_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define EDGE_KERNEL_CLONES
#endif

#if defined(__GNUC__)
#define EDGE_RESTRICT __restrict__
#else
#define EDGE_RESTRICT
#endif

namespace edge::runtime {

struct FusedAct {
  efm::FusedActivation kind = efm::FusedActivation::None;
  float lo = 0.0f;
  float hi = 0.0f;
};

inline void ApplyFusedActivation(const FusedAct& act, float* y, size_t n) {
  switch (act.kind) {
    case efm::FusedActivation::Relu:
      for (size_t i = 0; i < n; ++i) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
      break;
    case efm::FusedActivation::Clip:
      for (size_t i = 0; i < n; ++i) {
        float v = y[i] < act.lo ? act.lo : y[i];
        y[i] = v > act.hi ? act.hi : v;
      }
      break;
    default:
      break;
  }
}

}  // namespace edge::runtime
