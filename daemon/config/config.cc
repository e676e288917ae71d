#include "edge/config/config.h"

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "yaml-cpp/yaml.h"

namespace edge::config {
namespace {

template <typename T>
absl::Status Read(const YAML::Node& node, const std::string& key, T* out) {
  try {
    *out = node.as<T>();
  } catch (const YAML::Exception&) {
    return absl::InvalidArgumentError(absl::StrCat("config key '", key, "' has the wrong type"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Config> ParseConfig(const std::string& yaml_text, Config base) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("config is not valid YAML: ", e.what()));
  }
  if (root.IsNull()) return base;
  if (!root.IsMap()) return absl::InvalidArgumentError("config must be a YAML mapping");
  for (const auto& kv : root) {
    if (!kv.first.IsScalar()) return absl::InvalidArgumentError("config keys must be plain names");
    const std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    absl::Status s;
    if (key == "listen") {
      s = Read(v, key, &base.listen);
    } else if (key == "data_dir") {
      s = Read(v, key, &base.data_dir);
    } else if (key == "log_level") {
      s = Read(v, key, &base.log_level);
    } else if (key == "max_model_bytes") {
      s = Read(v, key, &base.max_model_bytes);
    } else if (key == "shutdown_grace_ms") {
      s = Read(v, key, &base.shutdown_grace_ms);
    } else if (key == "trusted_keys") {
      s = Read(v, key, &base.trusted_keys);
    } else if (key == "allow_unsigned") {
      s = Read(v, key, &base.allow_unsigned);
    } else {
      s = absl::InvalidArgumentError(
          absl::StrCat("unknown config key '", key, "' (deploy/edged.yaml lists every key)"));
    }
    if (!s.ok()) return s;
  }
  if (absl::Status s = ValidateConfig(base); !s.ok()) return s;
  return base;
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path, Config base) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<Config> c = ParseConfig(text.str(), std::move(base));
  if (!c.ok())
    return absl::Status(c.status().code(), absl::StrCat(path, ": ", c.status().message()));
  return c;
}

absl::Status ValidateConfig(const Config& c) {
  size_t colon = c.listen.rfind(':');
  uint32_t port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(c.listen.substr(colon + 1), &port) || port > 65535) {
    if (c.listen.rfind("unix:", 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "listen '", c.listen, "' must be HOST:PORT (e.g. 127.0.0.1:50051) or unix:PATH"));
    }
  }
  if (c.data_dir.empty()) return absl::InvalidArgumentError("data_dir must not be empty");
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  bool level_ok = false;
  for (const char* l : kLevels) level_ok = level_ok || c.log_level == l;
  if (!level_ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("log_level '", c.log_level,
                     "' must be one of trace, debug, info, warn, error, critical, off"));
  }
  if (c.max_model_bytes == 0) return absl::InvalidArgumentError("max_model_bytes must be > 0");
  return absl::OkStatus();
}

}  // namespace edge::config
