#include "edge/api/model_service.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "edge/crypto/hex.h"
#include "edge/proto/grpc_status.h"
#include "spdlog/spdlog.h"

namespace edge::api {
namespace v1 = edgefleet::v1;

void ToProto(const store::ModelRecord& m, v1::Model* out) {
  out->set_id(m.id);
  out->set_name(m.name);
  out->set_version(m.version);
  out->set_size(m.size);
  out->set_kind(static_cast<v1::ModelKind>(m.kind));
  out->mutable_created()->set_seconds(m.created_unix_micros / 1000000);
  out->mutable_created()->set_nanos(static_cast<int32_t>(m.created_unix_micros % 1000000) * 1000);
  for (const std::string& r : m.referenced_by) out->add_referenced_by(r);
  const store::SignatureRecord& g = m.signature;
  v1::Signature* sig = out->mutable_signature();
  sig->set_status(static_cast<v1::Signature::Status>(g.status));
  sig->set_key_hash(g.key_hash);
  sig->set_has_security_counter(g.has_security_counter);
  sig->set_security_counter(g.security_counter);
  sig->set_image_version(g.image_version);
  if (m.kind == store::ModelKind::kImage) {
    v1::ModelInfo* info = out->mutable_info();
    info->set_model_name(g.model_name);
    info->set_efm_version(g.efm_version);
    std::string opset;
    if (crypto::FromHex(g.opset_hex, &opset)) info->set_opset(opset);
    info->set_arena_bytes(g.arena_bytes);
    info->set_payload_sha256(g.payload_sha256);
  }
}

namespace {

// Upload: header, then chunks, then the client half-closes and we commit. Every way out goes
// through FinishOnce, because shutdown (AbortAllUploads) can end the call from another thread
// while a read is outstanding.
class UploadReactor final : public grpc::ServerReadReactor<v1::UploadRequest> {
 public:
  UploadReactor(store::ModelStore& store, grpc::CallbackServerContext* ctx, v1::Model* reply)
      : store_(store), ctx_(ctx), reply_(reply) {
    StartRead(&req_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client half-closed, or the call is dead (cancelled: see OnClientDone).
      OnClientDone();
      return;
    }
    absl::Status s = Handle();
    if (!s.ok()) {
      Fail(s);
      return;
    }
    absl::MutexLock lock(&mu_);
    if (!finished_) StartRead(&req_);
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    if (upload_ != nullptr) upload_->Abort();
  }

  void OnDone() override { delete this; }

 private:
  absl::Status Handle() {
    switch (req_.msg_case()) {
      case v1::UploadRequest::kHeader: {
        if (current_upload() != nullptr) {
          return absl::InvalidArgumentError(
              "header: sent twice; send it only as the first message");
        }
        const v1::UploadHeader& h = req_.header();
        store::UploadMeta meta;
        meta.name = h.name();
        meta.version = h.version();
        meta.size = h.size();
        meta.sha256 = h.sha256();
        meta.kind = static_cast<store::ModelKind>(h.kind());
        // Not under mu_: BeginUpload takes the store's upload registry lock, which shutdown
        // holds while it calls back into FinishOnce (mu_).
        absl::StatusOr<std::unique_ptr<store::Upload>> u =
            store_.BeginUpload(std::move(meta), [this] {
              // Called only while this upload is still running, so before any Finish and
              // before OnDone: the client gets UNAVAILABLE ("retry") at once.
              FinishOnce(absl::UnavailableError(
                  "edged is shutting down; the upload was discarded, retry it"));
            });
        if (!u.ok()) return u.status();
        absl::MutexLock lock(&mu_);
        upload_ = std::move(*u);
        if (ctx_->IsCancelled()) upload_->Abort();
        return absl::OkStatus();
      }
      case v1::UploadRequest::kChunk: {
        store::Upload* upload = current_upload();
        if (upload == nullptr) {
          return absl::InvalidArgumentError(
              "header: the first message must be an UploadHeader (got a chunk)");
        }
        if (req_.chunk().size() > ModelServiceImpl::kMaxChunkBytes) {
          return absl::InvalidArgumentError(absl::StrCat("chunk: ", req_.chunk().size(),
                                                         " bytes is larger than the maximum of ",
                                                         ModelServiceImpl::kMaxChunkBytes));
        }
        return upload->Append(std::move(*req_.mutable_chunk()));
      }
      case v1::UploadRequest::MSG_NOT_SET:
        break;
    }
    return absl::InvalidArgumentError("msg: empty UploadRequest (set header or chunk)");
  }

  store::Upload* current_upload() {
    absl::MutexLock lock(&mu_);
    return upload_.get();
  }

  void OnClientDone() {
    if (ctx_->IsCancelled()) {  // OnCancel and this may come in either order
      if (store::Upload* upload = current_upload()) upload->Abort();
      FinishOnce(absl::CancelledError("upload cancelled"));
      return;
    }
    store::Upload* upload = current_upload();
    if (upload == nullptr) {
      FinishOnce(
          absl::InvalidArgumentError("header: the stream ended before an UploadHeader was sent"));
      return;
    }
    absl::StatusOr<store::ModelRecord> m = upload->Commit();
    if (!m.ok()) {
      Fail(m.status());
      return;
    }
    ToProto(*m, reply_);
    FinishOnce(absl::OkStatus());
  }

  void Fail(const absl::Status& s) {
    if (store::Upload* upload = current_upload()) upload->Abort();
    spdlog::info("upload from {} refused: {}", ctx_->peer(), s.ToString());
    FinishOnce(s);
  }

  // Returns true if this call finished the RPC.
  bool FinishOnce(const absl::Status& s) {
    absl::MutexLock lock(&mu_);
    if (finished_) return false;
    finished_ = true;
    Finish(proto::ToGrpc(s));
    return true;
  }

  store::ModelStore& store_;
  grpc::CallbackServerContext* const ctx_;
  v1::Model* const reply_;
  v1::UploadRequest req_;
  absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  // Destroyed before mu_ (declared after it): the Upload's destructor may wait for a shutdown
  // callback that takes mu_.
  std::unique_ptr<store::Upload> upload_ ABSL_GUARDED_BY(mu_);
};

class DownloadReactor final : public grpc::ServerWriteReactor<v1::DataChunk> {
 public:
  DownloadReactor(store::ModelStore& store, const v1::GetModelRequest& req) {
    absl::StatusOr<store::ModelRecord> m = store.Get(req.ref());
    if (!m.ok()) {
      Finish(proto::ToGrpc(m.status()));
      return;
    }
    absl::StatusOr<std::unique_ptr<store::BlobReader>> r = store.OpenBlob(*m);
    if (!r.ok()) {
      Finish(proto::ToGrpc(r.status()));
      return;
    }
    reader_ = std::move(*r);
    Next();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
      return;
    }
    Next();
  }

  void OnDone() override { delete this; }

 private:
  void Next() {
    std::string* data = chunk_.mutable_data();
    if (absl::Status s = reader_->Read(ModelServiceImpl::kDownloadChunkBytes, data); !s.ok()) {
      Finish(proto::ToGrpc(s));
      return;
    }
    if (data->empty()) {
      if (offset_ != reader_->size()) {
        Finish(grpc::Status(grpc::StatusCode::DATA_LOSS, "blob shrank while being read"));
        return;
      }
      Finish(grpc::Status::OK);
      return;
    }
    chunk_.set_offset(offset_);
    offset_ += data->size();
    StartWrite(&chunk_);
  }

  std::unique_ptr<store::BlobReader> reader_;
  v1::DataChunk chunk_;
  uint64_t offset_ = 0;
};

}  // namespace

grpc::ServerReadReactor<v1::UploadRequest>* ModelServiceImpl::Upload(
    grpc::CallbackServerContext* ctx, v1::Model* reply) {
  return new UploadReactor(store_, ctx, reply);
}

grpc::ServerUnaryReactor* ModelServiceImpl::List(grpc::CallbackServerContext* ctx,
                                                 const v1::ListModelsRequest* req,
                                                 v1::ListModelsResponse* reply) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  store::ListQuery q;
  q.page_size = req->page_size();
  q.page_token = req->page_token();
  q.name_filter = req->name_filter();
  absl::StatusOr<store::ListPage> page = store_.List(q);
  if (page.ok()) {
    for (const store::ModelRecord& m : page->models) ToProto(m, reply->add_models());
    reply->set_next_page_token(page->next_page_token);
  }
  reactor->Finish(proto::ToGrpc(page.status()));
  return reactor;
}

grpc::ServerUnaryReactor* ModelServiceImpl::Get(grpc::CallbackServerContext* ctx,
                                                const v1::GetModelRequest* req, v1::Model* reply) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<store::ModelRecord> m = store_.Get(req->ref());
  if (m.ok()) ToProto(*m, reply);
  reactor->Finish(proto::ToGrpc(m.status()));
  return reactor;
}

grpc::ServerUnaryReactor* ModelServiceImpl::Delete(grpc::CallbackServerContext* ctx,
                                                   const v1::DeleteModelRequest* req,
                                                   google::protobuf::Empty*) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<store::ModelRecord> m = store_.Delete(req->ref(), req->force());
  reactor->Finish(proto::ToGrpc(m.status()));
  return reactor;
}

grpc::ServerWriteReactor<v1::DataChunk>* ModelServiceImpl::Download(
    grpc::CallbackServerContext*, const v1::GetModelRequest* req) {
  return new DownloadReactor(store_, *req);
}

}  // namespace edge::api
