#pragma once
// Private: hardware SHA-256 block functions (x86-64 SHA extensions). Elsewhere
// Sha256AccelAvailable() is false and Sha256AccelBlocks must not be called.
#include <cstddef>
#include <cstdint>

namespace edge::crypto::internal {

bool Sha256AccelAvailable();
// Runs `blocks` 64-byte blocks through the compression function. `state` is H0..H7.
void Sha256AccelBlocks(uint32_t state[8], const uint8_t* data, size_t blocks);

}  // namespace edge::crypto::internal
