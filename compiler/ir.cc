// Shared helpers of the compiler's graph (ir.h).
#include "ir.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace edge::compiler::internal {

const char* ElemName(int32_t elem) {
  switch (elem) {
    case kFloat:
      return "float";
    case kUint8:
      return "uint8";
    case kInt8:
      return "int8";
    case kUint16:
      return "uint16";
    case kInt16:
      return "int16";
    case kInt32:
      return "int32";
    case kInt64:
      return "int64";
    case kString:
      return "string";
    case kBool:
      return "bool";
    case kFloat16:
      return "float16";
    case kDouble:
      return "double";
    case kUint32:
      return "uint32";
    case kUint64:
      return "uint64";
    case kComplex64:
      return "complex64";
    case kComplex128:
      return "complex128";
    case kBfloat16:
      return "bfloat16";
    default:
      return "undefined";
  }
}

bool IsFloatElem(int32_t elem) {
  return elem == kFloat || elem == kDouble || elem == kFloat16 || elem == kBfloat16;
}

bool IsIntElem(int32_t elem) {
  switch (elem) {
    case kUint8:
    case kInt8:
    case kUint16:
    case kInt16:
    case kInt32:
    case kInt64:
    case kBool:
    case kUint32:
    case kUint64:
      return true;
    default:
      return false;
  }
}

bool RuntimeDType(int32_t elem, runtime::DType* out) {
  switch (elem) {
    case kFloat:
      *out = runtime::DType::kF32;
      return true;
    case kInt8:
      *out = runtime::DType::kI8;
      return true;
    case kUint8:
    case kUint16:
    case kInt16:
    case kInt32:
    case kInt64:
    case kBool:
    case kUint32:
    case kUint64:
      *out = runtime::DType::kI32;
      return true;
    default:
      return false;
  }
}

int64_t NumElements(const Dims& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

bool CheckedNumElements(const Dims& shape, int64_t* out) {
  int64_t n = 1;
  bool zero = false;
  for (int64_t d : shape) {
    if (d < 0) return false;
    if (d == 0) zero = true;
  }
  if (zero) {
    *out = 0;
    return true;
  }
  for (int64_t d : shape) {
    if (d > kMaxElements || n > kMaxElements / d) return false;
    n *= d;
  }
  *out = n;
  return true;
}

std::string DimsToString(const Dims& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ","), "]");
}

HostValue HostValue::Floats(Dims shape, std::vector<float> data) {
  HostValue v;
  v.elem = kFloat;
  v.shape = std::move(shape);
  v.f = std::move(data);
  return v;
}

HostValue HostValue::Ints(int32_t elem, Dims shape, std::vector<int64_t> data) {
  HostValue v;
  v.elem = elem;
  v.shape = std::move(shape);
  v.i = std::move(data);
  return v;
}

HostValue HostValue::Filled(int32_t elem, Dims shape, double x) {
  HostValue v;
  v.elem = elem;
  v.shape = std::move(shape);
  const size_t n = static_cast<size_t>(NumElements(v.shape));
  if (v.is_float()) {
    v.f.assign(n, static_cast<float>(x));
  } else {
    v.i.assign(n, static_cast<int64_t>(x));
  }
  return v;
}

int Graph::AddTensor(std::string name, int32_t elem, Dims shape) {
  Tensor t;
  t.name = std::move(name);
  t.elem = elem;
  t.shape = std::move(shape);
  tensors.push_back(std::move(t));
  return static_cast<int>(tensors.size()) - 1;
}

int Graph::AddConstant(std::string name, HostValue value) {
  const int id = AddTensor(std::move(name), value.elem, value.shape);
  tensors[id].value = std::make_shared<const HostValue>(std::move(value));
  return id;
}

bool Graph::IsStateIn(int id) const {
  for (const StatePair& s : state) {
    if (s.input == id) return true;
  }
  return false;
}

bool Graph::IsStateOut(int id) const {
  for (const StatePair& s : state) {
    if (s.output == id) return true;
  }
  return false;
}

bool BroadcastShapes(const Dims& a, const Dims& b, Dims* out) {
  const size_t r = a.size() > b.size() ? a.size() : b.size();
  Dims o(r);
  for (size_t k = 0; k < r; ++k) {
    const int64_t da = k < r - a.size() ? 1 : a[k - (r - a.size())];
    const int64_t db = k < r - b.size() ? 1 : b[k - (r - b.size())];
    if (da == db || db == 1) {
      o[k] = da;
    } else if (da == 1) {
      o[k] = db;
    } else {
      return false;
    }
  }
  *out = std::move(o);
  return true;
}

bool NormalizeAxis(int64_t axis, int64_t rank, int64_t* out) {
  if (axis < -rank || axis >= rank) return false;
  *out = axis < 0 ? axis + rank : axis;
  return true;
}

}  // namespace edge::compiler::internal
