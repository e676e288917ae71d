#pragma once
// EdgedServer: the assembled daemon (store + gRPC services + health + reflection).
// main() for edged and the integration tests both build the daemon through this class, so
// tests exercise the same wiring as production.
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "edge/config/config.h"
#include "edge/store/model_store.h"
#include "grpcpp/channel.h"
#include "grpcpp/server.h"

namespace edge::server {

class EdgedServer {
 public:
  // Opens the store under config.data_dir, binds config.listen and starts serving. Writes the
  // bound address to <data_dir>/edged.addr. Returns UNAVAILABLE if the address can't be bound.
  static absl::StatusOr<std::unique_ptr<EdgedServer>> Start(const config::Config& config,
                                                            store::StoreOptions store_options = {});
  ~EdgedServer();

  // The address actually bound (port 0 resolved), e.g. "127.0.0.1:43121".
  const std::string& address() const { return address_; }
  int port() const { return port_; }
  store::ModelStore& store() { return *store_; }
  std::shared_ptr<grpc::Channel> InProcessChannelForTest();

  // Graceful shutdown: health goes NOT_SERVING, uploads in flight are aborted (temp files
  // removed), other calls get `grace` to finish. Idempotent.
  void Shutdown();
  // Blocks until the server has shut down.
  void Wait();

 private:
  EdgedServer() = default;
  config::Config config_;
  std::unique_ptr<store::ModelStore> store_;
  std::unique_ptr<grpc::Service> model_service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace edge::server
