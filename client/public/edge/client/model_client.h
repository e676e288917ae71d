#pragma once
// C++ client library for edged's ModelService (what edgectl uses; usable by other tools).
// Streams files in and out without holding them in memory and verifies SHA-256 end to end.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "edgefleet/v1/models.grpc.pb.h"
#include "grpcpp/channel.h"

namespace edge::client {

// Called with (bytes done, bytes total) as a transfer makes progress.
using ProgressFn = std::function<void(uint64_t, uint64_t)>;

struct UploadOptions {
  std::string name;     // empty: derived from the file name
  std::string version;  // empty: the server assigns the next integer
  edgefleet::v1::ModelKind kind = edgefleet::v1::MODEL_KIND_UNSPECIFIED;
  size_t chunk_bytes = 1 << 20;
};

// "127.0.0.1:50051" → a channel (insecure on loopback; TLS comes with the ops issue).
std::shared_ptr<grpc::Channel> Connect(const std::string& address);

// Derives a valid model name from a path: basename without extension, other characters
// replaced by '-'.
std::string NameFromPath(const std::string& path);

// The name an upload of `path` gets when none is given: a signed image's model name TLV, else
// NameFromPath.
std::string DefaultName(const std::string& path);

// Hex SHA-256 of a file (streamed).
absl::StatusOr<std::string> Sha256File(const std::string& path);

class ModelClient {
 public:
  explicit ModelClient(std::shared_ptr<grpc::Channel> channel, std::string address = "");

  absl::StatusOr<edgefleet::v1::Model> Upload(const std::string& path, const UploadOptions& options,
                                              const ProgressFn& progress = nullptr);
  absl::StatusOr<edgefleet::v1::ListModelsResponse> List(
      const edgefleet::v1::ListModelsRequest& req);
  // Every page of List.
  absl::StatusOr<std::vector<edgefleet::v1::Model>> ListAll(const std::string& name_filter);
  absl::StatusOr<edgefleet::v1::Model> Get(const std::string& ref);
  absl::Status Delete(const std::string& ref, bool force);
  // Writes to `path` atomically (a .part file renamed on success) after checking the bytes
  // hash to the model id.
  absl::StatusOr<edgefleet::v1::Model> Download(const std::string& ref, const std::string& path,
                                                const ProgressFn& progress = nullptr);

 private:
  absl::Status Annotate(const grpc::Status& s) const;
  std::unique_ptr<edgefleet::v1::ModelService::Stub> stub_;
  std::string address_;
};

}  // namespace edge::client
