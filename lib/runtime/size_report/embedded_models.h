// Compiled example models embedded in edge_runtime_probe (the array definitions are generated at
// build time from tests/fixtures/efm/*.efm by embed_models.cmake).
#pragma once

#include <cstddef>

namespace edge::runtime::probe {

struct EmbeddedModel {
  const char* name;
  const unsigned char* data;  // 16-byte aligned
  size_t size;
};

extern const EmbeddedModel kEmbeddedModels[];
extern const size_t kEmbeddedModelCount;

}  // namespace edge::runtime::probe
