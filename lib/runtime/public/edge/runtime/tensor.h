// Tensor views used by the interpreter and the kernels: a dtype, a static shape and a pointer.
// Nothing here owns memory.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edge::runtime {

// Values equal edge::efm::DType.
enum class DType : uint8_t { kF32 = 0, kI8 = 1, kI32 = 2 };

inline constexpr size_t DTypeSize(DType t) { return t == DType::kI8 ? 1 : 4; }

inline constexpr int kMaxRank = 8;

struct Shape {
  int rank = 0;
  int32_t dims[kMaxRank] = {};

  // Product of the dims (1 for rank 0). Dims are validated non-negative and the product is
  // bounded by Interpreter::Create, so this cannot overflow for a model that loaded.
  int64_t elements() const {
    int64_t n = 1;
    for (int i = 0; i < rank; ++i) n *= dims[i];
    return n;
  }
  int32_t dim(int i) const { return dims[i]; }
  bool operator==(const Shape& o) const {
    if (rank != o.rank) return false;
    for (int i = 0; i < rank; ++i) {
      if (dims[i] != o.dims[i]) return false;
    }
    return true;
  }
  bool operator!=(const Shape& o) const { return !(*this == o); }
};

// A view of one tensor. `present` is false for an absent optional op input (ONNX ""), in which
// case the other fields are meaningless. During Prepare (shape checks) data is null.
struct Tensor {
  bool present = false;
  DType dtype = DType::kF32;
  Shape shape;
  void* data = nullptr;

  int64_t elements() const { return shape.elements(); }
  size_t bytes() const { return static_cast<size_t>(elements()) * DTypeSize(dtype); }
  float* f32() const { return static_cast<float*>(data); }
  int32_t* i32() const { return static_cast<int32_t*>(data); }
  int8_t* i8() const { return static_cast<int8_t*>(data); }
};

}  // namespace edge::runtime
