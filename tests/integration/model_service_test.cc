// ModelService over real gRPC on loopback: a real EdgedServer (the same assembly edged runs)
// on port 0, a TCP channel, and the generated stubs. Every bad input gets the right code, a
// message naming the problem, and leaves nothing behind in the store.
#include <dirent.h>
#include <stdlib.h>

#include <chrono>
#include <fstream>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "edge/client/model_client.h"
#include "edge/crypto/hex.h"
#include "edge/server/server.h"
#include "edge/testing/files.h"
#include "edgefleet/v1/models.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"

namespace edge {
namespace {

using ::edge::testing::CountFiles;

namespace v1 = edgefleet::v1;
using ::testing::HasSubstr;

std::string Sha(const std::string& b) {
  crypto::Sha256 h;
  h.Update(b.data(), b.size());
  return crypto::FinishHex(h);
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

class ModelServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/edge_svc_test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    StartServer(64 << 20);
  }
  void TearDown() override {
    server_.reset();
    (void)system(("rm -rf " + dir_).c_str());
  }
  void StartServer(uint64_t max_bytes, bool signed_only = false) {
    server_.reset();
    config::Config c;
    if (signed_only) c.trusted_keys = {EDGE_SOURCE_DIR "/tests/fixtures/image/pub.pem"};
    c.listen = "127.0.0.1:0";
    c.data_dir = dir_;
    c.max_model_bytes = max_bytes;
    c.shutdown_grace_ms = 500;
    c.allow_unsigned = !signed_only;  // most tests are about the registry; signed ones below
    absl::StatusOr<std::unique_ptr<server::EdgedServer>> s = server::EdgedServer::Start(c);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    ASSERT_GT(server_->port(), 0);
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    stub_ = v1::ModelService::NewStub(channel_);
  }

  // Sends raw UploadRequests and returns the final status.
  grpc::Status RawUpload(const std::vector<v1::UploadRequest>& msgs, v1::Model* out = nullptr) {
    grpc::ClientContext ctx;
    v1::Model reply;
    auto w = stub_->Upload(&ctx, &reply);
    for (const auto& m : msgs) {
      if (!w->Write(m)) break;
    }
    w->WritesDone();
    grpc::Status s = w->Finish();
    if (out != nullptr) *out = reply;
    return s;
  }
  static v1::UploadRequest Header(const std::string& name, uint64_t size,
                                  const std::string& sha = "", const std::string& version = "") {
    v1::UploadRequest r;
    r.mutable_header()->set_name(name);
    r.mutable_header()->set_size(size);
    r.mutable_header()->set_sha256(sha);
    r.mutable_header()->set_version(version);
    return r;
  }
  static v1::UploadRequest Chunk(const std::string& data) {
    v1::UploadRequest r;
    r.set_chunk(data);
    return r;
  }
  std::vector<v1::UploadRequest> Whole(const std::string& name, const std::string& data) {
    std::vector<v1::UploadRequest> msgs{Header(name, data.size(), Sha(data))};
    for (size_t off = 0; off < data.size(); off += 1 << 20)
      msgs.push_back(Chunk(data.substr(off, 1 << 20)));
    return msgs;
  }
  // Nothing left behind: no temp files, and blobs == rows.
  void ExpectClean(size_t models) {
    // Temp files of aborted calls are removed when their reactor finishes; allow it a moment.
    for (int i = 0; i < 100 && CountFiles(dir_ + "/tmp") > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(CountFiles(dir_ + "/tmp"), 0);
    EXPECT_EQ(CountFiles(dir_ + "/blobs/sha256"), static_cast<int>(models));
    grpc::ClientContext ctx;
    v1::ListModelsResponse resp;
    ASSERT_TRUE(stub_->List(&ctx, v1::ListModelsRequest(), &resp).ok());
    EXPECT_EQ(resp.models_size(), static_cast<int>(models));
    EXPECT_TRUE(server_->store().CheckConsistency().ok());
  }
  // Starts a 10 MiB upload, sends its first MiB, and waits until the server holds its temp file.
  std::unique_ptr<grpc::ClientWriter<v1::UploadRequest>> StartPartialUpload(
      grpc::ClientContext* ctx, v1::Model* reply) {
    auto w = stub_->Upload(ctx, reply);
    EXPECT_TRUE(w->Write(Header("m", 10 << 20)));
    EXPECT_TRUE(w->Write(Chunk(std::string(1 << 20, 'a'))));
    for (int i = 0; i < 200 && CountFiles(dir_ + "/tmp") == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(CountFiles(dir_ + "/tmp"), 1);
    return w;
  }
  void ExpectError(const grpc::Status& s, grpc::StatusCode code, const std::string& text) {
    EXPECT_EQ(s.error_code(), code) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(text));
  }

  std::string dir_;
  std::unique_ptr<server::EdgedServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ModelService::Stub> stub_;
};

TEST_F(ModelServiceTest, UploadGetListDownloadDelete) {
  const std::string data = RandomBytes(3 * (1 << 20) + 17, 1);
  v1::Model m;
  ASSERT_TRUE(RawUpload(Whole("mnist", data), &m).ok());
  EXPECT_EQ(m.id(), Sha(data));
  EXPECT_EQ(m.name(), "mnist");
  EXPECT_EQ(m.version(), "1");
  EXPECT_EQ(m.size(), data.size());
  EXPECT_GT(m.created().seconds(), 0);

  grpc::ClientContext gctx;
  v1::GetModelRequest get;
  get.set_ref("mnist@1");
  v1::Model got;
  ASSERT_TRUE(stub_->Get(&gctx, get, &got).ok());
  EXPECT_EQ(got.id(), m.id());

  grpc::ClientContext dctx;
  auto reader = stub_->Download(&dctx, get);
  v1::DataChunk chunk;
  std::string back;
  while (reader->Read(&chunk)) {
    EXPECT_EQ(chunk.offset(), back.size());
    back += chunk.data();
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(back, data);

  grpc::ClientContext xctx;
  v1::DeleteModelRequest del;
  del.set_ref(m.id().substr(0, 12));
  google::protobuf::Empty e;
  ASSERT_TRUE(stub_->Delete(&xctx, del, &e).ok());
  ExpectClean(0);
}

TEST_F(ModelServiceTest, IdenticalReuploadIsIdempotent) {
  const std::string data = RandomBytes(1000, 2);
  v1::Model a, b;
  ASSERT_TRUE(RawUpload(Whole("m", data), &a).ok());
  ASSERT_TRUE(RawUpload(Whole("m", data), &b).ok());
  EXPECT_EQ(a.id(), b.id());
  EXPECT_EQ(a.version(), b.version());
  ExpectClean(1);
}

TEST_F(ModelServiceTest, BadNamesAreInvalidArgument) {
  ExpectError(RawUpload({Header("", 3), Chunk("abc")}), grpc::StatusCode::INVALID_ARGUMENT,
              "header.name");
  ExpectError(RawUpload({Header(std::string(129, 'n'), 3), Chunk("abc")}),
              grpc::StatusCode::INVALID_ARGUMENT, "header.name");
  ExpectError(RawUpload({Header("has space", 3), Chunk("abc")}), grpc::StatusCode::INVALID_ARGUMENT,
              "header.name");
  ExpectClean(0);
}

TEST_F(ModelServiceTest, MissingOrRepeatedHeaderIsInvalidArgument) {
  ExpectError(RawUpload({Chunk("abc")}), grpc::StatusCode::INVALID_ARGUMENT,
              "first message must be an UploadHeader");
  ExpectError(RawUpload({}), grpc::StatusCode::INVALID_ARGUMENT, "before an UploadHeader");
  ExpectError(RawUpload({Header("m", 3), Header("m", 3)}), grpc::StatusCode::INVALID_ARGUMENT,
              "sent twice");
  ExpectError(RawUpload({v1::UploadRequest()}), grpc::StatusCode::INVALID_ARGUMENT,
              "empty UploadRequest");
  ExpectClean(0);
}

TEST_F(ModelServiceTest, SizeAndShaMismatchesAreInvalidArgument) {
  ExpectError(RawUpload({Header("m", 10), Chunk("abc")}), grpc::StatusCode::INVALID_ARGUMENT,
              "header.size");
  ExpectError(RawUpload({Header("m", 2), Chunk("abc")}), grpc::StatusCode::INVALID_ARGUMENT,
              "header.size");
  ExpectError(RawUpload({Header("m", 3, Sha("abd")), Chunk("abc")}),
              grpc::StatusCode::INVALID_ARGUMENT, "header.sha256");
  ExpectError(RawUpload({Header("m", 3, "nothex"), Chunk("abc")}),
              grpc::StatusCode::INVALID_ARGUMENT, "header.sha256");
  ExpectError(RawUpload({Header("m", 0)}), grpc::StatusCode::INVALID_ARGUMENT, "header.size");
  ExpectClean(0);
}

TEST_F(ModelServiceTest, OversizedChunkIsInvalidArgument) {
  const std::string big((1 << 20) + 1, 'x');
  ExpectError(RawUpload({Header("m", big.size()), Chunk(big)}), grpc::StatusCode::INVALID_ARGUMENT,
              "chunk: 1048577 bytes is larger than the maximum of 1048576");
  ExpectClean(0);
}

TEST_F(ModelServiceTest, FileOverLimitIsResourceExhausted) {
  StartServer(/*max_bytes=*/1000);
  ExpectError(RawUpload({Header("m", 1001), Chunk("x")}), grpc::StatusCode::RESOURCE_EXHAUSTED,
              "max_model_bytes");
  ExpectClean(0);
}

TEST_F(ModelServiceTest, NameVersionConflictIsAlreadyExists) {
  ASSERT_TRUE(RawUpload({Header("m", 3, Sha("abc"), "1.0"), Chunk("abc")}).ok());
  ExpectError(RawUpload({Header("m", 3, Sha("xyz"), "1.0"), Chunk("xyz")}),
              grpc::StatusCode::ALREADY_EXISTS, "m@1.0");
  ExpectClean(1);
}

TEST_F(ModelServiceTest, ClientCancelMidStreamLeavesNothing) {
  {
    grpc::ClientContext ctx;
    v1::Model reply;
    auto w = StartPartialUpload(&ctx, &reply);
    ctx.TryCancel();  // walk away mid-stream
    EXPECT_EQ(w->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  ExpectClean(0);
}

TEST_F(ModelServiceTest, ShutdownAbortsUploadsInFlight) {
  grpc::ClientContext ctx;
  v1::Model reply;
  auto w = StartPartialUpload(&ctx, &reply);
  std::thread stopper([&] { server_->Shutdown(); });
  // Keep writing until the server gives up on us.
  while (w->Write(Chunk(std::string(1 << 20, 'b')))) {
  }
  grpc::Status s = w->Finish();
  stopper.join();
  // Ended by the store's shutdown callback (not by the grace period's blanket cancel).
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("shutting down"));
  server_->Wait();
  EXPECT_EQ(CountFiles(dir_ + "/tmp"), 0);
  EXPECT_EQ(CountFiles(dir_ + "/blobs/sha256"), 0);
}

TEST_F(ModelServiceTest, UnknownRefsAreNotFound) {
  for (const std::string& ref :
       {std::string("nope"), std::string("nope@3"), std::string(64, 'a')}) {
    grpc::ClientContext g;
    v1::GetModelRequest req;
    req.set_ref(ref);
    v1::Model m;
    ExpectError(stub_->Get(&g, req, &m), grpc::StatusCode::NOT_FOUND, "no model matches");
    grpc::ClientContext d;
    v1::DeleteModelRequest del;
    del.set_ref(ref);
    google::protobuf::Empty e;
    ExpectError(stub_->Delete(&d, del, &e), grpc::StatusCode::NOT_FOUND, "no model matches");
    grpc::ClientContext dl;
    auto reader = stub_->Download(&dl, req);
    v1::DataChunk c;
    EXPECT_FALSE(reader->Read(&c));
    ExpectError(reader->Finish(), grpc::StatusCode::NOT_FOUND, "no model matches");
  }
  grpc::ClientContext g;
  v1::Model m;
  ExpectError(stub_->Get(&g, v1::GetModelRequest(), &m), grpc::StatusCode::INVALID_ARGUMENT, "ref");
}

TEST_F(ModelServiceTest, DeleteOfReferencedModelIsFailedPrecondition) {
  v1::Model m;
  ASSERT_TRUE(RawUpload(Whole("m", "model bytes"), &m).ok());
  ASSERT_TRUE(server_->store().AddReference(m.id(), "pipeline:lowpass").ok());
  grpc::ClientContext g;
  v1::GetModelRequest get;
  get.set_ref("m");
  v1::Model got;
  ASSERT_TRUE(stub_->Get(&g, get, &got).ok());
  EXPECT_THAT(got.referenced_by(), ::testing::ElementsAre("pipeline:lowpass"));
  grpc::ClientContext d;
  v1::DeleteModelRequest del;
  del.set_ref("m");
  google::protobuf::Empty e;
  ExpectError(stub_->Delete(&d, del, &e), grpc::StatusCode::FAILED_PRECONDITION,
              "pipeline:lowpass");
  ExpectClean(1);
  grpc::ClientContext f;
  del.set_force(true);
  ASSERT_TRUE(stub_->Delete(&f, del, &e).ok());
  ExpectClean(0);
}

TEST_F(ModelServiceTest, CorruptBlobIsDataLossAndNotServed) {
  const std::string data = RandomBytes(5000, 3);
  v1::Model m;
  ASSERT_TRUE(RawUpload(Whole("m", data), &m).ok());
  {
    std::fstream f(dir_ + "/blobs/sha256/" + m.id(),
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4000);
    f.put('\x5a' ^ data[4000]);
  }
  grpc::ClientContext ctx;
  v1::GetModelRequest req;
  req.set_ref("m");
  auto reader = stub_->Download(&ctx, req);
  v1::DataChunk c;
  EXPECT_FALSE(reader->Read(&c)) << "no byte of a corrupt blob may be served";
  ExpectError(reader->Finish(), grpc::StatusCode::DATA_LOSS, "corrupt");
}

TEST_F(ModelServiceTest, ListPagesWithTokens) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(RawUpload(Whole(i < 3 ? "cnn" : "mlp", RandomBytes(100, 10 + i))).ok());
  }
  v1::ListModelsRequest req;
  req.set_page_size(2);
  int pages = 0, total = 0;
  while (true) {
    grpc::ClientContext ctx;
    v1::ListModelsResponse resp;
    ASSERT_TRUE(stub_->List(&ctx, req, &resp).ok());
    ++pages;
    total += resp.models_size();
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(total, 5);
  grpc::ClientContext ctx;
  v1::ListModelsRequest f;
  f.set_name_filter("cn*");
  v1::ListModelsResponse resp;
  ASSERT_TRUE(stub_->List(&ctx, f, &resp).ok());
  EXPECT_EQ(resp.models_size(), 3);
  grpc::ClientContext bad;
  v1::ListModelsRequest b;
  b.set_page_token("forged");
  ExpectError(stub_->List(&bad, b, &resp), grpc::StatusCode::INVALID_ARGUMENT, "page_token");
}

TEST_F(ModelServiceTest, ClientLibraryRoundTripsAFile) {
  const std::string path = dir_ + "/../edge_client_rt.bin";
  const std::string data = RandomBytes((2 << 20) + 5, 4);
  std::ofstream(path, std::ios::binary) << data;
  client::ModelClient c(channel_, server_->address());
  uint64_t last = 0;
  absl::StatusOr<v1::Model> m = c.Upload(path, {}, [&](uint64_t d, uint64_t) { last = d; });
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(last, data.size());
  EXPECT_EQ(m->name(), "edge_client_rt");
  const std::string out = path + ".out";
  ASSERT_TRUE(c.Download(m->id(), out).ok());
  std::ifstream in(out, std::ios::binary);
  std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(back, data);
  unlink(path.c_str());
  unlink(out.c_str());
}

TEST_F(ModelServiceTest, TrustingGatewayAcceptsOnlyImagesSignedByItsKeys) {
  StartServer(64 << 20, /*signed_only=*/true);
  const std::string dir = EDGE_SOURCE_DIR "/tests/fixtures/image/";
  ExpectError(RawUpload(Whole("plain", "not an image")), grpc::StatusCode::PERMISSION_DENIED,
              "unsigned model refused");
  ExpectError(RawUpload(Whole("lowpass", testing::ReadFile(dir + "signed_other_key.bin"))),
              grpc::StatusCode::PERMISSION_DENIED, "not trusted");
  std::string tampered = testing::ReadFile(dir + "signed.bin");
  tampered[100] ^= 1;  // header padding: covered by the hash
  ExpectError(RawUpload(Whole("lowpass", tampered)), grpc::StatusCode::PERMISSION_DENIED,
              "SHA-256");
  ExpectClean(0);

  v1::Model m;
  ASSERT_TRUE(RawUpload(Whole("lowpass", testing::ReadFile(dir + "signed.bin")), &m).ok());
  EXPECT_EQ(m.kind(), v1::MODEL_KIND_IMAGE);
  EXPECT_EQ(m.version(), "1.2.3+4");
  EXPECT_EQ(m.signature().status(), v1::Signature::VERIFIED);
  EXPECT_EQ(m.signature().key_hash(), testing::ReadFile(dir + "keyhash.txt").substr(0, 64));
  EXPECT_TRUE(m.signature().has_security_counter());
  EXPECT_EQ(m.signature().security_counter(), 7u);
  EXPECT_EQ(m.info().model_name(), "lowpass");
  EXPECT_EQ(m.info().arena_bytes(), 4096u);
  EXPECT_EQ(m.info().opset(), std::string("\x05\x00\x00\x80", 4));
  grpc::ClientContext ctx;
  v1::ListModelsResponse resp;
  ASSERT_TRUE(stub_->List(&ctx, v1::ListModelsRequest(), &resp).ok());
  ASSERT_EQ(resp.models_size(), 1);
  EXPECT_EQ(resp.models(0).signature().security_counter(), 7u);
  ExpectClean(1);
}

}  // namespace
}  // namespace edge
