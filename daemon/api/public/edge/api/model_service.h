#pragma once
// gRPC adapter for edgefleet.v1.ModelService over edge::store::ModelStore (callback API).
// Holds no logic beyond framing: validation and durability live in the store.
#include "edge/store/model_store.h"
#include "edgefleet/v1/models.grpc.pb.h"

namespace edge::api {

class ModelServiceImpl final : public edgefleet::v1::ModelService::CallbackService {
 public:
  static constexpr size_t kMaxChunkBytes = 1 << 20;
  static constexpr size_t kDownloadChunkBytes = 256 << 10;

  explicit ModelServiceImpl(store::ModelStore& store) : store_(store) {}

  grpc::ServerReadReactor<edgefleet::v1::UploadRequest>* Upload(
      grpc::CallbackServerContext* ctx, edgefleet::v1::Model* reply) override;
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext* ctx,
                                 const edgefleet::v1::ListModelsRequest* req,
                                 edgefleet::v1::ListModelsResponse* reply) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* ctx,
                                const edgefleet::v1::GetModelRequest* req,
                                edgefleet::v1::Model* reply) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* ctx,
                                   const edgefleet::v1::DeleteModelRequest* req,
                                   google::protobuf::Empty* reply) override;
  grpc::ServerWriteReactor<edgefleet::v1::DataChunk>* Download(
      grpc::CallbackServerContext* ctx, const edgefleet::v1::GetModelRequest* req) override;

 private:
  store::ModelStore& store_;
};

void ToProto(const store::ModelRecord& m, edgefleet::v1::Model* out);

}  // namespace edge::api
