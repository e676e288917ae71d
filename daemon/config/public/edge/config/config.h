#pragma once
// edged configuration: YAML file + command-line overrides. Every key and its default is
// documented in deploy/edged.yaml; keep the two in sync.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace edge::config {

struct Config {
  std::string listen = "127.0.0.1:50051";  // host:port; port 0 picks a free port
  std::string data_dir = "var";            // relative paths resolve against the working dir
  std::string log_level = "info";          // trace|debug|info|warn|error|critical|off
  uint64_t max_model_bytes = 256ull << 20;
  uint32_t shutdown_grace_ms = 5000;      // in-flight calls get this long on SIGTERM
  std::vector<std::string> trusted_keys;  // PEM files of keys whose signed images are accepted
  bool allow_unsigned = false;            // development only: accept content that isn't signed
};

// Parses YAML text. Unknown keys and wrong types are INVALID_ARGUMENT naming the key.
absl::StatusOr<Config> ParseConfig(const std::string& yaml_text, Config base = Config());
// Reads and parses a file; NOT_FOUND if it does not exist.
absl::StatusOr<Config> LoadConfigFile(const std::string& path, Config base = Config());
// Checks values (listen address shape, log level, limits).
absl::Status ValidateConfig(const Config& config);

}  // namespace edge::config
