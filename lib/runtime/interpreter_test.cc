// Interpreter behaviour on hand-built .efm models: inputs/outputs, state swapping, Reset, state
// export/import, self-test, and refusal of malformed models (every truncation, every single-bit
// flip, out-of-range indices and offsets).
#include "edge/runtime/interpreter.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "edge/runtime/efm_generated.h"

namespace edge::runtime {
namespace {

// A 16-byte aligned copy of a model (the runtime requires alignment).
struct AlignedBytes {
  explicit AlignedBytes(const uint8_t* p, size_t n) : storage((n + 15) / 16 + 1), size(n) {
    std::memcpy(data(), p, n);
  }
  uint8_t* data() { return reinterpret_cast<uint8_t*>(storage.data()); }
  struct alignas(16) Block {
    uint8_t b[16];
  };
  std::vector<Block> storage;
  size_t size;
};

struct Arena {
  explicit Arena(size_t n) : blocks(n / 16 + 1) {}
  void* data() { return blocks.data(); }
  size_t size() const { return blocks.size() * 16; }
  std::vector<AlignedBytes::Block> blocks;
};

flatbuffers::Offset<efm::Tensor> MakeTensor(flatbuffers::FlatBufferBuilder& fbb, const char* name,
                                            std::vector<int32_t> shape, efm::TensorKind kind,
                                            int32_t buffer, uint32_t offset) {
  return efm::CreateTensorDirect(fbb, name, efm::DType::F32, &shape, kind, buffer, offset);
}

flatbuffers::Offset<efm::Buffer> MakeBuffer(flatbuffers::FlatBufferBuilder& fbb,
                                            const std::vector<float>& values) {
  fbb.ForceVectorAlignment(values.size() * 4, 1, 16);
  auto data = fbb.CreateVector(reinterpret_cast<const uint8_t*>(values.data()), values.size() * 4);
  return efm::CreateBuffer(fbb, data);
}

// acc: state_out = state_in + x; y = state_out * gain (gain = const [2,2,2]); x, y: [3].
// Tensors: 0 x (arena 0), 1 state_in, 2 state_out, 3 gain (const), 4 y (arena 16).
// Self-test: x = [1,2,3] from zero state -> y = [2,4,6].
std::string BuildAccumulator(bool with_self_test = true, float self_test_y0 = 2.0f) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<efm::Buffer>> buffers = {
      MakeBuffer(fbb, {2, 2, 2}),                   // 0: gain
      MakeBuffer(fbb, {10, 20, 30}),                // 1: initial state
      MakeBuffer(fbb, {1, 2, 3}),                   // 2: self-test x
      MakeBuffer(fbb, {self_test_y0 + 20, 44, 66})  // 3: self-test y (from initial state)
  };
  std::vector<flatbuffers::Offset<efm::Tensor>> tensors = {
      MakeTensor(fbb, "x", {3}, efm::TensorKind::Activation, -1, 0),
      MakeTensor(fbb, "acc_state_in", {3}, efm::TensorKind::StateIn, -1, 0),
      MakeTensor(fbb, "acc_state_out", {3}, efm::TensorKind::StateOut, -1, 0),
      MakeTensor(fbb, "gain", {3}, efm::TensorKind::Constant, 0, 0),
      MakeTensor(fbb, "y", {3}, efm::TensorKind::Activation, -1, 16),
  };
  std::vector<int32_t> add_in = {1, 0}, add_out = {2}, mul_in = {2, 3}, mul_out = {4};
  std::vector<flatbuffers::Offset<efm::Op>> ops = {
      efm::CreateOpDirect(fbb, efm::OpType::Add, &add_in, &add_out, efm::OpOptions::NONE, 0, 0, 0,
                          "add"),
      efm::CreateOpDirect(fbb, efm::OpType::Mul, &mul_in, &mul_out, efm::OpOptions::NONE, 0, 0, 0,
                          "mul"),
  };
  std::vector<int32_t> inputs = {0}, outputs = {4};
  std::vector<flatbuffers::Offset<efm::StatePair>> state = {efm::CreateStatePair(fbb, 1, 2, 1)};
  std::vector<uint8_t> op_set(1, 0);
  op_set[0] =
      (1u << static_cast<int>(efm::OpType::Add)) | (1u << static_cast<int>(efm::OpType::Mul));
  flatbuffers::Offset<efm::SelfTest> st = 0;
  if (with_self_test) {
    std::vector<int32_t> st_in = {2}, st_out = {3};
    st = efm::CreateSelfTestDirect(fbb, &st_in, &st_out, 1e-5f, 1e-3f);
  }
  auto model = efm::CreateModelDirect(fbb, 1, "acc", "test", &op_set, &tensors, &buffers, &ops,
                                      &inputs, &outputs, &state, 32, st, 6);
  efm::FinishModelBuffer(fbb, model);
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

class Loaded {
 public:
  explicit Loaded(const std::string& bytes)
      : model_(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), arena_(4096) {}
  Result<Interpreter> Create(Diagnostic* diag, size_t arena_size = 0) {
    return Interpreter::Create(model_.data(), model_.size, arena_.data(),
                               arena_size != 0 ? arena_size : arena_.size(), {}, diag);
  }
  AlignedBytes& model() { return model_; }

 private:
  AlignedBytes model_;
  Arena arena_;
};

void SetInput(Interpreter& in, std::vector<float> v) {
  ASSERT_EQ(in.input(0).elements(), static_cast<int64_t>(v.size()));
  std::memcpy(in.input(0).data, v.data(), v.size() * 4);
}
std::vector<float> Output(const Interpreter& in, size_t i = 0) {
  const Tensor t = in.output(i);
  return std::vector<float>(t.f32(), t.f32() + t.elements());
}

TEST(Interpreter, CarriesStateAcrossInvokesAndResets) {
  Loaded l(BuildAccumulator());
  Diagnostic diag;
  auto interp = l.Create(&diag);
  ASSERT_TRUE(interp.ok()) << diag.text();
  ASSERT_EQ(interp->num_inputs(), 1u);
  EXPECT_STREQ(interp->input_name(0), "x");
  EXPECT_STREQ(interp->output_name(0), "y");
  EXPECT_EQ(interp->FindInput("x"), 0);
  EXPECT_EQ(interp->FindOutput("nope"), -1);
  ASSERT_EQ(interp->num_states(), 1u);
  EXPECT_STREQ(interp->state_input_name(0), "acc_state_in");
  EXPECT_EQ(interp->macs(), 6u);

  SetInput(*interp, {1, 1, 1});
  ASSERT_TRUE(interp->Invoke(&diag).ok()) << diag.text();
  EXPECT_EQ(Output(*interp), (std::vector<float>{22, 42, 62}));  // (10+1)*2 ...
  SetInput(*interp, {1, 1, 1});
  ASSERT_TRUE(interp->Invoke(&diag).ok());
  EXPECT_EQ(Output(*interp), (std::vector<float>{24, 44, 64}));  // state carried: 12, 22, 32
  const Tensor s = interp->state(0);
  EXPECT_EQ(s.f32()[0], 12.0f);

  interp->Reset();
  SetInput(*interp, {0, 0, 0});
  ASSERT_TRUE(interp->Invoke(&diag).ok());
  EXPECT_EQ(Output(*interp), (std::vector<float>{20, 40, 60}));
}

TEST(Interpreter, ExportsAndImportsStateBetweenInstances) {
  const std::string bytes = BuildAccumulator();
  Loaded a(bytes), b(bytes);
  auto ia = a.Create(nullptr);
  auto ib = b.Create(nullptr);
  ASSERT_TRUE(ia.ok() && ib.ok());
  SetInput(*ia, {5, 6, 7});
  ASSERT_TRUE(ia->Invoke().ok());
  std::vector<uint8_t> blob(ia->state_export_bytes());
  EXPECT_EQ(blob.size(), kStateHeaderBytes + 12);
  auto written = ia->ExportState(blob.data(), blob.size());
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(written.size(), blob.size());
  EXPECT_FALSE(ia->ExportState(blob.data(), blob.size() - 1).ok());

  Diagnostic diag;
  ASSERT_TRUE(ib->ImportState(blob.data(), blob.size(), &diag).ok()) << diag.text();
  SetInput(*ia, {1, 1, 1});
  SetInput(*ib, {1, 1, 1});
  ASSERT_TRUE(ia->Invoke().ok());
  ASSERT_TRUE(ib->Invoke().ok());
  EXPECT_EQ(Output(*ia), Output(*ib));

  EXPECT_EQ(ib->ImportState(blob.data(), blob.size() - 1, &diag).code(),
            StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(diag.text()).find("bytes"), std::string::npos) << diag.text();
  blob[0] = 'X';
  EXPECT_FALSE(ib->ImportState(blob.data(), blob.size(), &diag).ok());
}

TEST(Interpreter, SelfTestPassesAndDetectsAWrongExpectation) {
  Loaded good(BuildAccumulator(true, 2.0f));
  auto ig = good.Create(nullptr);
  ASSERT_TRUE(ig.ok());
  Diagnostic diag;
  EXPECT_TRUE(ig->RunSelfTest(&diag).ok()) << diag.text();

  Loaded bad(BuildAccumulator(true, 2.5f));
  auto ib = bad.Create(nullptr);
  ASSERT_TRUE(ib.ok());
  EXPECT_EQ(ib->RunSelfTest(&diag).code(), StatusCode::kDataLoss);
  EXPECT_NE(std::string(diag.text()).find("'y' element 0"), std::string::npos) << diag.text();

  Loaded none(BuildAccumulator(false));
  auto in = none.Create(nullptr);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->RunSelfTest(&diag).code(), StatusCode::kNotFound);
}

TEST(Interpreter, RefusesSmallOrMisalignedArenaWithTheSizeNeeded) {
  Loaded l(BuildAccumulator());
  auto need = Interpreter::RequiredArenaBytes(l.model().data(), l.model().size);
  ASSERT_TRUE(need.ok());
  Diagnostic diag;
  auto r = l.Create(&diag, *need - 1);
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(std::string(diag.text()).find("arena too small"), std::string::npos);
  EXPECT_TRUE(l.Create(&diag, *need).ok()) << diag.text();

  Arena arena(4096);
  auto mis = Interpreter::Create(l.model().data(), l.model().size,
                                 static_cast<uint8_t*>(arena.data()) + 4, 4000, {}, &diag);
  EXPECT_EQ(mis.status().code(), StatusCode::kInvalidArgument);
  auto mis_model = Interpreter::Create(l.model().data() + 1, l.model().size - 1, arena.data(),
                                       arena.size(), {}, &diag);
  EXPECT_FALSE(mis_model.ok());
  EXPECT_NE(std::string(diag.text()).find("aligned"), std::string::npos) << diag.text();
}

std::string CreateError(const std::string& bytes, StatusCode* code) {
  Loaded l(bytes);
  Diagnostic diag;
  auto r = l.Create(&diag);
  *code = r.status().code();
  return diag.text();
}

TEST(Interpreter, RefusesMalformedModelsWithAClearMessage) {
  StatusCode code;
  // Not an .efm at all.
  EXPECT_NE(CreateError(std::string(64, 'x'), &code).find("EFM0"), std::string::npos);
  EXPECT_EQ(code, StatusCode::kInvalidArgument);
  // Truncated.
  std::string bytes = BuildAccumulator();
  EXPECT_NE(CreateError(bytes.substr(0, bytes.size() / 2), &code).find("verification"),
            std::string::npos);
  // A future format version.
  std::string v2 = bytes;
  ASSERT_TRUE(efm::GetMutableModel(v2.data())->mutate_format_version(2));
  EXPECT_NE(CreateError(v2, &code).find("format version 2"), std::string::npos);
  EXPECT_EQ(code, StatusCode::kFailedPrecondition);

  // Arena offset beyond arena_bytes: y at 16 -> 4096.
  std::string off = bytes;
  ASSERT_TRUE(efm::GetMutableModel(off.data())
                  ->mutable_tensors()
                  ->GetMutableObject(4)
                  ->mutate_arena_offset(4096));
  EXPECT_NE(CreateError(off, &code).find("tensor 4 'y': arena offset"), std::string::npos)
      << CreateError(off, &code);

  // An op input index out of range: Mul reads tensor 3 -> 99.
  std::string idx = bytes;
  efm::GetMutableModel(idx.data())
      ->mutable_ops()
      ->GetMutableObject(1)
      ->mutable_inputs()
      ->Mutate(1, 99);
  EXPECT_NE(CreateError(idx, &code).find("op 1 (Mul 'mul'): input 1: tensor index out of range"),
            std::string::npos)
      << CreateError(idx, &code);

  // Reading a tensor before it is written: Add reads y (4) instead of x.
  std::string order = bytes;
  efm::GetMutableModel(order.data())
      ->mutable_ops()
      ->GetMutableObject(0)
      ->mutable_inputs()
      ->Mutate(1, 4);
  EXPECT_NE(CreateError(order, &code).find("before it is written"), std::string::npos)
      << CreateError(order, &code);

  // A state pair whose shapes differ is refused (checked before any op runs).
  std::string shape = bytes;
  efm::GetMutableModel(shape.data())
      ->mutable_tensors()
      ->GetMutableObject(2)
      ->mutable_shape()
      ->Mutate(0, 4);
  EXPECT_NE(CreateError(shape, &code).find("dtype or shape differ"), std::string::npos)
      << CreateError(shape, &code);
}

// Every prefix and every single-bit flip either loads (and then runs) or is refused; none may
// crash or read outside the buffer (the fuzz target and ASan builds check the same harder).
TEST(Interpreter, SurvivesEveryTruncationAndBitFlip) {
  const std::string bytes = BuildAccumulator();
  int refused = 0, loaded = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    StatusCode code;
    CreateError(bytes.substr(0, n), &code);
    // The builder may leave a few alignment bytes at the end that nothing references.
    if (n + 16 <= bytes.size()) {
      EXPECT_NE(code, StatusCode::kOk) << "prefix " << n;
    }
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string m = bytes;
      m[i] = static_cast<char>(m[i] ^ (1 << bit));
      Loaded l(m);
      auto r = l.Create(nullptr);
      if (r.ok()) {
        ++loaded;
        float x[3] = {1, 2, 3};
        const Tensor in = r->input(0);
        if (in.bytes() == sizeof(x)) std::memcpy(in.data, x, sizeof(x));
        r->Invoke().IgnoreError();
        r->RunSelfTest().IgnoreError();
      } else {
        ++refused;
      }
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(loaded, 0);  // flips in float constants still load
}

TEST(Interpreter, SupportedOpSetIncludesEveryImplementedOp) {
  uint8_t set[kOpSetBytes];
  SupportedOpSet(set);
  EXPECT_TRUE(set[0] & (1u << static_cast<int>(efm::OpType::Add)));
  EXPECT_TRUE(set[1] & 0x01);   // 8 = PRelu
  EXPECT_FALSE(set[1] & 0x02);  // 9 is unassigned
}

}  // namespace
}  // namespace edge::runtime

namespace edge::runtime {
namespace {

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(EDGE_SOURCE_DIR) + "/tests/fixtures/efm/malformed/" + name,
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Models that passed Create before these checks existed and then crashed Invoke.
TEST(Interpreter, RefusesAliasedBuffersAndOverflowingGeometry) {
  const struct {
    const char* file;
    const char* message;
  } cases[] = {
      {"conv_overflow.efm", "dimensions too large"},
      {"gather_alias.efm", "op 0 (Gather): output 0 overlaps input 1 in the arena"},
      {"resize_alias.efm", "op 1 (Resize): output 0 overlaps scratch"},
  };
  for (const auto& c : cases) {
    const std::string bytes = ReadFixture(c.file);
    ASSERT_FALSE(bytes.empty()) << c.file;
    StatusCode code;
    EXPECT_NE(CreateError(bytes, &code).find(c.message), std::string::npos)
        << c.file << ": " << CreateError(bytes, &code);
    EXPECT_EQ(code, StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace edge::runtime
