// edged: the edgefleet gateway daemon.
//
// Exit codes (sysexits.h): 0 clean shutdown, 64 bad command line, 78 bad config,
// 73 data dir unusable, 69 cannot listen, 70 internal error.
#include <malloc.h>
#include <signal.h>
#include <sysexits.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "CLI/CLI.hpp"
#include "edge/config/config.h"
#include "edge/server/sd_notify.h"
#include "edge/server/server.h"
#include "spdlog/spdlog.h"

namespace {

int ExitCodeFor(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
      return EX_CONFIG;
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kResourceExhausted:
      return EX_CANTCREAT;
    case absl::StatusCode::kUnavailable:
      return EX_UNAVAILABLE;
    default:
      return EX_SOFTWARE;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edged: the edgefleet gateway daemon (model registry over gRPC)"};
  app.set_version_flag("--version", "edged 0.1.0");
  std::string config_path;
  std::string listen;
  std::string data_dir;
  std::string log_level;
  app.add_option("-c,--config", config_path, "YAML config file (keys: see deploy/edged.yaml)")
      ->check(CLI::ExistingFile);
  app.add_option("--listen", listen,
                 "gRPC address HOST:PORT (default 127.0.0.1:50051; port 0 picks a free port, "
                 "written to <data-dir>/edged.addr)");
  app.add_option("--data-dir", data_dir, "where models and the database live (default ./var)");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|critical|off");
  std::vector<std::string> trusted_keys;
  bool allow_unsigned = false;
  app.add_option("--trusted-key", trusted_keys,
                 "public key PEM whose signed images are accepted (repeatable; adds to the "
                 "config's trusted_keys)")
      ->check(CLI::ExistingFile);
  app.add_flag("--allow-unsigned", allow_unsigned,
               "development only: also accept models that are not signed images");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : EX_USAGE;
  }

  edge::config::Config config;
  if (!config_path.empty()) {
    absl::StatusOr<edge::config::Config> loaded = edge::config::LoadConfigFile(config_path);
    if (!loaded.ok()) {
      std::fprintf(stderr, "edged: %s\n", std::string(loaded.status().message()).c_str());
      return EX_CONFIG;
    }
    config = *loaded;
  }
  if (!listen.empty()) config.listen = listen;
  if (!data_dir.empty()) config.data_dir = data_dir;
  if (!log_level.empty()) config.log_level = log_level;
  config.trusted_keys.insert(config.trusted_keys.end(), trusted_keys.begin(), trusted_keys.end());
  if (allow_unsigned) config.allow_unsigned = true;
  if (absl::Status s = edge::config::ValidateConfig(config); !s.ok()) {
    std::fprintf(stderr, "edged: %s\n", std::string(s.message()).c_str());
    return EX_CONFIG;
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::set_pattern(std::getenv("INVOCATION_ID") != nullptr ? "%^%l%$ %v"  // journald stamps time
                                                              : "%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");

  // Upload chunks arrive as ~1 MiB messages. With glibc's dynamic mmap threshold those end up
  // in arenas that are never returned, and RSS creeps to ~90 MiB under load; serving buffers of
  // 256 KiB and more from mmap keeps edged's footprint flat (tests/bench/upload_bench).
  // gRPC's many threads would each get a malloc arena that keeps freed transport buffers.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  mallopt(M_ARENA_MAX, 2);

  // Block the stop signals in every thread (gRPC's included); this thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<std::unique_ptr<edge::server::EdgedServer>> server =
      edge::server::EdgedServer::Start(config);
  if (!server.ok()) {
    spdlog::critical("cannot start: {}", server.status().ToString());
    return ExitCodeFor(server.status());
  }
  edge::server::SdNotify("READY=1");

  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::thread watchdog;
  if (auto period = edge::server::SdWatchdogPeriod(); period.count() > 0) {
    watchdog = std::thread([&, period] {
      std::unique_lock<std::mutex> lock(mu);
      while (!cv.wait_for(lock, period / 2, [&] { return stopping; })) {
        edge::server::SdNotify("WATCHDOG=1");
      }
    });
  }

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("received {}, shutting down (in-flight uploads are aborted)",
               sig == SIGINT ? "SIGINT" : "SIGTERM");
  edge::server::SdNotify("STOPPING=1");
  {
    std::lock_guard<std::mutex> lock(mu);
    stopping = true;
  }
  cv.notify_all();
  if (watchdog.joinable()) watchdog.join();
  (*server)->Shutdown();
  (*server)->Wait();
  server->reset();
  spdlog::info("edged stopped");
  return 0;
}
