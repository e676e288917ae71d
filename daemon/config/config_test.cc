#include "edge/config/config.h"

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edge::config {
namespace {

using ::testing::HasSubstr;

TEST(Config, DefaultsAreEmbeddedDefaults) {
  Config c;
  EXPECT_EQ(c.listen, "127.0.0.1:50051");
  EXPECT_EQ(c.data_dir, "var");
  EXPECT_TRUE(ValidateConfig(c).ok());
}

TEST(Config, ParsesEveryKey) {
  absl::StatusOr<Config> c = ParseConfig(
      "listen: 0.0.0.0:6000\ndata_dir: /srv/edge\nlog_level: debug\nmax_model_bytes: 1000\n"
      "shutdown_grace_ms: 10\ntrusted_keys: [/a.pem, /b.pem]\nallow_unsigned: true\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "0.0.0.0:6000");
  EXPECT_EQ(c->data_dir, "/srv/edge");
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->max_model_bytes, 1000u);
  EXPECT_EQ(c->shutdown_grace_ms, 10u);
  EXPECT_EQ(c->trusted_keys, (std::vector<std::string>{"/a.pem", "/b.pem"}));
  EXPECT_TRUE(c->allow_unsigned);
}

TEST(Config, ShippedDefaultFileParsesToTheBuiltInDefaults) {
  absl::StatusOr<Config> c = LoadConfigFile(EDGE_SOURCE_DIR "/deploy/edged.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  Config d;
  EXPECT_EQ(c->listen, d.listen);
  EXPECT_EQ(c->max_model_bytes, d.max_model_bytes);
  EXPECT_EQ(c->shutdown_grace_ms, d.shutdown_grace_ms);
  EXPECT_EQ(c->log_level, d.log_level);
  EXPECT_TRUE(c->trusted_keys.empty());
  EXPECT_FALSE(c->allow_unsigned);
}

TEST(Config, ErrorsNameTheKey) {
  EXPECT_THAT(ParseConfig("bogus: 1").status().message(), HasSubstr("'bogus'"));
  EXPECT_THAT(ParseConfig("max_model_bytes: lots").status().message(),
              HasSubstr("max_model_bytes"));
  EXPECT_THAT(ParseConfig("listen: nowhere").status().message(), HasSubstr("listen"));
  EXPECT_THAT(ParseConfig("log_level: loud").status().message(), HasSubstr("log_level"));
  EXPECT_EQ(ParseConfig("[1, 2]").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseConfig("a: [").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseConfig("? [a, b]\n: 1\n").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadConfigFile("/nonexistent.yaml").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace edge::config
