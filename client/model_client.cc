#include "edge/client/model_client.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "edge/crypto/hex.h"
#include "edge/crypto/sha256_pipeline.h"
#include "edge/image/image.h"
#include "edge/proto/grpc_status.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace edge::client {
namespace v1 = edgefleet::v1;
namespace {

constexpr auto kUnaryTimeout = std::chrono::seconds(30);

void SetDeadline(grpc::ClientContext& ctx) {
  ctx.set_deadline(std::chrono::system_clock::now() + kUnaryTimeout);
}

}  // namespace

std::shared_ptr<grpc::Channel> Connect(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(8 << 20);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

std::string NameFromPath(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  size_t dot = base.find('.');
  if (dot != std::string::npos && dot > 0) base = base.substr(0, dot);
  for (char& c : base) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) c = '-';
  }
  if (base.size() > 128) base.resize(128);
  return base;
}

absl::StatusOr<std::string> Sha256File(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  crypto::Sha256 hash;
  std::string buf(1 << 20, '\0');
  while (true) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return absl::UnavailableError(absl::StrCat("read ", path, ": ", std::strerror(errno)));
    }
    if (n == 0) break;
    hash.Update(buf.data(), static_cast<size_t>(n));
  }
  close(fd);
  return crypto::FinishHex(hash);
}

std::string DefaultName(const std::string& path) {
  // A signed image carries its model name; the gateway insists the two agree.
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  if (in.read(magic, 4) && static_cast<uint8_t>(magic[0]) == 0x3d &&
      static_cast<uint8_t>(magic[1]) == 0xb8 && static_cast<uint8_t>(magic[2]) == 0xf3 &&
      static_cast<uint8_t>(magic[3]) == 0x96) {
    image::ImageVerifier v;
    (void)v.Update(reinterpret_cast<const uint8_t*>(magic), 4);
    std::string buf(1 << 16, '\0');
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
      if (!v.Update(reinterpret_cast<const uint8_t*>(buf.data()), static_cast<size_t>(in.gcount()))
               .ok()) {
        break;
      }
    }
    (void)v.Finish(nullptr, 0);  // no keys: only the parsed TLVs are wanted
    if (v.parsed().model.has_name) return v.parsed().model.name;
  }
  return NameFromPath(path);
}

ModelClient::ModelClient(std::shared_ptr<grpc::Channel> channel, std::string address)
    : stub_(v1::ModelService::NewStub(std::move(channel))), address_(std::move(address)) {}

absl::Status ModelClient::Annotate(const grpc::Status& s) const {
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE &&
      s.error_message().find("connect") != std::string::npos) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach edged at ", address_.empty() ? "the server" : address_,
                     " (is it running? start it with `edged` or pass --server HOST:PORT)"));
  }
  return proto::FromGrpc(s);
}

absl::StatusOr<v1::Model> ModelClient::Upload(const std::string& path, const UploadOptions& options,
                                              const ProgressFn& progress) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  off_t size = lseek(fd, 0, SEEK_END);
  lseek(fd, 0, SEEK_SET);

  grpc::ClientContext ctx;
  v1::Model reply;
  std::unique_ptr<grpc::ClientWriter<v1::UploadRequest>> writer = stub_->Upload(&ctx, &reply);
  v1::UploadRequest req;
  v1::UploadHeader* h = req.mutable_header();
  h->set_name(options.name.empty() ? DefaultName(path) : options.name);
  h->set_version(options.version);
  h->set_size(static_cast<uint64_t>(size));
  // The SHA-256 is computed while streaming (one read of the file, not two; on a worker
  // thread) and compared with the id the server derived from what it received.
  crypto::Sha256Pipeline hash;
  h->set_kind(options.kind);
  bool ok = writer->Write(req);
  uint64_t sent = 0;
  std::string* chunk = req.mutable_chunk();
  while (ok) {
    chunk->resize(options.chunk_bytes);
    ssize_t n = read(fd, chunk->data(), chunk->size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ctx.TryCancel();
      close(fd);
      return absl::UnavailableError(absl::StrCat("read ", path, ": ", std::strerror(errno)));
    }
    if (n == 0) break;
    chunk->resize(static_cast<size_t>(n));
    ok = writer->Write(req);
    hash.Push(std::move(*chunk));  // Write() has serialised it; the next read gets a new buffer
    sent += static_cast<uint64_t>(n);
    if (progress) progress(sent, static_cast<uint64_t>(size));
  }
  close(fd);
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  if (!s.ok()) return Annotate(s);
  if (sent != static_cast<uint64_t>(size) || reply.id() != hash.FinishHex()) {
    return absl::DataLossError(
        absl::StrCat(path, " changed while it was being uploaded; the server stored ", reply.name(),
                     "@", reply.version(), " (id ", reply.id(),
                     ") from the bytes it received; check the file and "
                     "upload again"));
  }
  return reply;
}

absl::StatusOr<v1::ListModelsResponse> ModelClient::List(const v1::ListModelsRequest& req) {
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  v1::ListModelsResponse resp;
  grpc::Status s = stub_->List(&ctx, req, &resp);
  if (!s.ok()) return Annotate(s);
  return resp;
}

absl::StatusOr<std::vector<v1::Model>> ModelClient::ListAll(const std::string& name_filter) {
  std::vector<v1::Model> out;
  v1::ListModelsRequest req;
  req.set_name_filter(name_filter);
  req.set_page_size(1000);
  while (true) {
    absl::StatusOr<v1::ListModelsResponse> page = List(req);
    if (!page.ok()) return page.status();
    for (v1::Model& m : *page->mutable_models()) out.push_back(std::move(m));
    if (page->next_page_token().empty()) return out;
    req.set_page_token(page->next_page_token());
  }
}

absl::StatusOr<v1::Model> ModelClient::Get(const std::string& ref) {
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  v1::GetModelRequest req;
  req.set_ref(ref);
  v1::Model m;
  grpc::Status s = stub_->Get(&ctx, req, &m);
  if (!s.ok()) return Annotate(s);
  return m;
}

absl::Status ModelClient::Delete(const std::string& ref, bool force) {
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  v1::DeleteModelRequest req;
  req.set_ref(ref);
  req.set_force(force);
  google::protobuf::Empty e;
  return Annotate(stub_->Delete(&ctx, req, &e));
}

absl::StatusOr<v1::Model> ModelClient::Download(const std::string& ref, const std::string& path,
                                                const ProgressFn& progress) {
  absl::StatusOr<v1::Model> model = Get(ref);
  if (!model.ok()) return model.status();
  const std::string part = path + ".part";
  int fd = open(part.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot create ", part, ": ", std::strerror(errno)));
  }
  auto fail = [&](absl::Status s) {
    close(fd);
    unlink(part.c_str());
    return s;
  };
  grpc::ClientContext ctx;
  v1::GetModelRequest req;
  req.set_ref(model->id());
  std::unique_ptr<grpc::ClientReader<v1::DataChunk>> reader = stub_->Download(&ctx, req);
  v1::DataChunk chunk;
  crypto::Sha256 hash;
  uint64_t got = 0;
  while (reader->Read(&chunk)) {
    if (chunk.offset() != got) {
      ctx.TryCancel();
      (void)reader->Finish();
      return fail(absl::DataLossError("download: chunks arrived out of order"));
    }
    const std::string& d = chunk.data();
    for (size_t off = 0; off < d.size();) {
      ssize_t n = write(fd, d.data() + off, d.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        ctx.TryCancel();
        (void)reader->Finish();
        return fail(
            absl::UnavailableError(absl::StrCat("write ", part, ": ", std::strerror(errno))));
      }
      off += static_cast<size_t>(n);
    }
    hash.Update(d.data(), d.size());
    got += d.size();
    if (progress) progress(got, model->size());
  }
  grpc::Status s = reader->Finish();
  if (!s.ok()) return fail(Annotate(s));
  if (got != model->size() || crypto::FinishHex(hash) != model->id()) {
    return fail(absl::DataLossError("download: received bytes do not hash to the model id"));
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(part.c_str());
    return absl::UnavailableError(absl::StrCat("cannot write ", part));
  }
  if (std::rename(part.c_str(), path.c_str()) != 0) {
    unlink(part.c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot rename to ", path, ": ", std::strerror(errno)));
  }
  return model;
}

}  // namespace edge::client
