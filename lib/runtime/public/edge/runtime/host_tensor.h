// Host-side tensors (owning, heap) and the .npy file format (NumPy format version 1.0/2.0/3.0,
// C order). Used by the compiler (constants, self-test vectors), edgectl run, tests and benchmarks.
// Not portable code: edge.runtime.host.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "edge/runtime/tensor.h"

namespace edge::runtime {

struct HostTensor {
  DType dtype = DType::kF32;
  std::vector<int32_t> shape;  // empty = scalar
  std::string data;            // raw little-endian element bytes, C order

  int64_t elements() const;
  const float* f32() const { return reinterpret_cast<const float*>(data.data()); }
  float* f32() { return reinterpret_cast<float*>(data.data()); }
  // A view for the runtime (data points into this object).
  Tensor view();
  static HostTensor Zeros(DType dtype, std::vector<int32_t> shape);
  static HostTensor FromTensor(const Tensor& t);  // copies t's bytes
};

// Reads '<f4', '<i4', '|i1' as they are; converts '<f8' to f32, '<i8' / '<i2' / '|u1' / '|b1' to
// i32 (InvalidArgument if a value does not fit). Big-endian and Fortran order are refused with a
// message that says so. Errors name the file and the problem.
// Details: '<u2' / '<u4' / '<u8' are converted to i32 as well; '|b1' becomes 0/1. Fortran order
// is accepted when it is the same layout as C order (at most one dimension != 1). At most
// kMaxRank dimensions, each < 2^31. Bytes after the data are an error. Every format error is
// InvalidArgument; ReadNpy returns NotFound for a missing file.
absl::StatusOr<HostTensor> ParseNpy(absl::string_view bytes, absl::string_view what = "npy");
absl::StatusOr<HostTensor> ReadNpy(const std::string& path);
// Version 1.0, '<f4' / '<i4' / '|i1', byte-identical to numpy's np.save (64-byte aligned data).
// Requires t.data.size() == elements() * DTypeSize(dtype) (WriteNpy checks it).
std::string EncodeNpy(const HostTensor& t);
absl::Status WriteNpy(const std::string& path, const HostTensor& t);

}  // namespace edge::runtime
