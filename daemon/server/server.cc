#include "edge/server/server.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "edge/api/model_service.h"
#include "edge/crypto/hex.h"
#include "edge/crypto/keys.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "spdlog/spdlog.h"

namespace edge::server {

absl::StatusOr<std::unique_ptr<EdgedServer>> EdgedServer::Start(const config::Config& config,
                                                                store::StoreOptions store_options) {
  if (absl::Status s = config::ValidateConfig(config); !s.ok()) return s;
  std::unique_ptr<EdgedServer> out(new EdgedServer());
  out->config_ = config;
  store_options.data_dir = config.data_dir;
  store_options.max_model_bytes = config.max_model_bytes;
  store_options.allow_unsigned = config.allow_unsigned;
  for (const std::string& path : config.trusted_keys) {
    absl::StatusOr<std::string> pem = crypto::ReadSmallFile(path);
    if (!pem.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("trusted_keys: ", pem.status().message()));
    }
    if (pem->find("PRIVATE KEY") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("trusted_keys: ", path,
                       " is a private key; give its public half instead (edgectl "
                       "pubkey ",
                       path, " > ", path, ".pub) and keep the private key off the gateway"));
    }
    absl::StatusOr<crypto::P256PublicKey> key = crypto::PublicKeyFromPem(*pem);
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("trusted_keys: ", path, ": ", key.status().message()));
    }
    spdlog::info("trusting images signed by {} (key hash {})", path, crypto::ToHex(key->KeyHash()));
    store_options.trusted_keys.push_back(*key);
  }
  if (config.allow_unsigned) {
    spdlog::warn(
        "allow_unsigned is ON: unsigned models are accepted. Development only; turn it "
        "off on a real gateway");
  } else if (store_options.trusted_keys.empty()) {
    spdlog::warn(
        "no trusted_keys configured: every upload will be refused until a key is "
        "trusted (see deploy/edged.yaml)");
  }
  absl::StatusOr<std::unique_ptr<store::ModelStore>> store =
      store::ModelStore::Open(std::move(store_options));
  if (!store.ok()) {
    // Whatever went wrong with the data dir is not "cannot listen": report it as such.
    absl::StatusCode code = store.status().code() == absl::StatusCode::kDataLoss
                                ? absl::StatusCode::kDataLoss
                                : absl::StatusCode::kFailedPrecondition;
    return absl::Status(code, absl::StrCat("data dir: ", store.status().message()));
  }
  out->store_ = std::move(*store);
  out->model_service_ = std::make_unique<api::ModelServiceImpl>(*out->store_);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  // TODO(edgefleet#tls): TLS/mTLS credentials from config (DESIGN "Ops"); loopback-only by default.
  builder.AddListeningPort(config.listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(out->model_service_.get());
  // gRPC sets SO_REUSEPORT by default, which would let a second edged "bind" the same port and
  // steal half the connections. One daemon per address.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Chunks are at most 1 MiB; leave room for the envelope so an oversized chunk reaches the
  // service and gets a message naming the field, and anything far larger is cut by gRPC.
  builder.SetMaxReceiveMessageSize(4 << 20);
  out->server_ = builder.BuildAndStart();
  if (out->server_ == nullptr || (port == 0 && config.listen.rfind("unix:", 0) != 0)) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", config.listen,
                     " (address in use or not available); pick another with --listen"));
  }
  out->port_ = port;
  if (config.listen.rfind("unix:", 0) == 0) {
    out->address_ = config.listen;
  } else {
    out->address_ = absl::StrCat(config.listen.substr(0, config.listen.rfind(':')), ":", port);
  }
  // Publish the bound address (atomically) so scripts can find a port-0 server.
  const std::string addr_file = config.data_dir + "/edged.addr";
  const std::string tmp = addr_file + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << out->address_ << "\n";
  }
  if (std::rename(tmp.c_str(), addr_file.c_str()) != 0) {
    spdlog::warn("could not write {}", addr_file);
  }
  spdlog::info("edged listening on {} (data in {})", out->address_, config.data_dir);
  return out;
}

EdgedServer::~EdgedServer() {
  Shutdown();
  Wait();
}

std::shared_ptr<grpc::Channel> EdgedServer::InProcessChannelForTest() {
  return server_->InProcessChannel(grpc::ChannelArguments());
}

void EdgedServer::Shutdown() {
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  if (auto* health = server_->GetHealthCheckService()) health->Shutdown();
  store_->AbortAllUploads();
  server_->Shutdown(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(config_.shutdown_grace_ms));
  unlink((config_.data_dir + "/edged.addr").c_str());
}

void EdgedServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

}  // namespace edge::server
