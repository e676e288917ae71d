// upload_bench: throughput of edged's Upload over loopback, as MB/s and as a ratio against
// streaming the same bytes over a raw gRPC client stream into a server that discards them
// (both measured in this run, interleaved), plus edged's resident memory during the uploads.
//
//   upload_bench [--reps N] [--size-mib N] [--edged PATH]
//
// Both servers run as separate processes: the real edged binary, and this binary re-executed
// in `--sink DIR` mode. A benchmark, not a test: it exits 0 whatever the figures are, and
// non-zero only if something failed to run.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "bench_sink.grpc.pb.h"
#include "edge/client/model_client.h"
#include "edge/crypto/sha256.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/server_callback.h"

namespace edge::bench {
namespace {

namespace pb = edgefleet::bench;
using Clock = std::chrono::steady_clock;

constexpr size_t kChunkBytes = 1 << 20;  // what ModelClient::Upload sends per message
constexpr double kTargetRatio = 0.7;
constexpr double kRssLimitMib = 64.0;
constexpr auto kStartTimeout = std::chrono::seconds(15);
constexpr auto kRssPeriod = std::chrono::milliseconds(5);

std::string Errno(const std::string& what, const std::string& path) {
  return absl::StrCat(what, " ", path, ": ", std::string(std::strerror(errno)));
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
double MBps(uint64_t bytes, double seconds) { return static_cast<double>(bytes) / seconds / 1e6; }
double Mib(long kb) { return static_cast<double>(kb) / 1024.0; }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// ---------------------------------------------------------------------------------------------
// Sink mode: the baseline server. Counts and discards every byte.

class PushReactor final : public grpc::ServerReadReactor<pb::Chunk> {
 public:
  explicit PushReactor(pb::Summary* reply) : reply_(reply) { StartRead(&chunk_); }

  void OnReadDone(bool ok) override {
    if (!ok) {  // client half-closed (or the call died; Finish is then a no-op)
      reply_->set_bytes(bytes_);
      Finish(grpc::Status::OK);
      return;
    }
    bytes_ += chunk_.data().size();
    StartRead(&chunk_);
  }

  void OnDone() override { delete this; }

 private:
  pb::Summary* const reply_;
  pb::Chunk chunk_;
  uint64_t bytes_ = 0;
};

class SinkService final : public pb::Sink::CallbackService {
 public:
  grpc::ServerReadReactor<pb::Chunk>* Push(grpc::CallbackServerContext* /*ctx*/,
                                           pb::Summary* reply) override {
    return new PushReactor(reply);
  }
};

// Serves on 127.0.0.1:0, publishes the address in <dir>/sink.addr, stops on SIGTERM/SIGINT.
int RunSink(const std::string& dir) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // before gRPC starts its threads

  SinkService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(4 << 20);  // as edged
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "upload_bench --sink: cannot listen on 127.0.0.1:0\n");
    return 1;
  }
  const std::string addr_file = dir + "/sink.addr";
  const std::string tmp = addr_file + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << "127.0.0.1:" << port << "\n";
  }
  if (std::rename(tmp.c_str(), addr_file.c_str()) != 0) {
    std::fprintf(stderr, "upload_bench --sink: %s\n", Errno("rename", addr_file).c_str());
    return 1;
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server->Wait();
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Child processes (edged and the sink).

// A child started with fork+exec. The destructor SIGKILLs it if Stop() wasn't called.
class Child {
 public:
  Child(std::string name, pid_t pid) : name_(std::move(name)), pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }

  // Non-empty if the child has exited (reaping it): how it ended.
  std::string ExitedHow() {
    if (pid_ <= 0) return "already reaped";
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) != pid_) return "";
    pid_ = -1;
    return Describe(status);
  }

  // SIGTERM, then up to 15 s for a clean exit (SIGKILL after that).
  absl::Status Stop() {
    if (pid_ <= 0) return absl::InternalError(absl::StrCat(name_, " had already exited"));
    kill(pid_, SIGTERM);
    const Clock::time_point deadline = Clock::now() + std::chrono::seconds(15);
    int status = 0;
    while (true) {
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) break;
      if (Clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return absl::DeadlineExceededError(absl::StrCat(name_, " ignored SIGTERM for 15 s"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
    return absl::InternalError(absl::StrCat(name_, " did not stop cleanly: ", Describe(status)));
  }

 private:
  static std::string Describe(int status) {
    if (WIFEXITED(status)) return absl::StrCat("exit status ", WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return absl::StrCat("killed by signal ", WTERMSIG(status));
    return "ended";
  }

  std::string name_;
  pid_t pid_;
};

// Call before any gRPC object exists in this process: only async-signal-safe calls run
// between fork and exec. The child gets SIGTERM if this process dies.
absl::StatusOr<std::unique_ptr<Child>> Spawn(const std::string& name,
                                             const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(Errno("fork for", name));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    execv(args[0], args.data());
    _exit(127);
  }
  return std::make_unique<Child>(name, pid);
}

// Polls for an address file written (atomically) by a child once it listens.
absl::StatusOr<std::string> WaitForAddress(Child& child, const std::string& addr_file) {
  const Clock::time_point deadline = Clock::now() + kStartTimeout;
  while (Clock::now() < deadline) {
    std::ifstream f(addr_file);
    std::string address;
    if (f && std::getline(f, address) && !address.empty()) return address;
    if (std::string how = child.ExitedHow(); !how.empty()) {
      return absl::UnavailableError(
          absl::StrCat(child.name(), " exited (", how, ") before writing ", addr_file));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return absl::DeadlineExceededError(
      absl::StrCat(child.name(), " did not write ", addr_file, " within 15 s"));
}

// ---------------------------------------------------------------------------------------------
// Memory: /proc/<pid>/status.

// A "Vm...:" field in kB, or -1.
long ProcStatusKb(pid_t pid, const std::string& key) {
  std::ifstream f(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key, 0) == 0) return std::strtol(line.c_str() + key.size(), nullptr, 10);
  }
  return -1;
}

// Samples VmRSS of a process every kRssPeriod on its own thread, keeping the maximum.
class RssSampler {
 public:
  explicit RssSampler(pid_t pid) : pid_(pid), thread_([this] { Run(); }) {}
  RssSampler(const RssSampler&) = delete;
  RssSampler& operator=(const RssSampler&) = delete;
  ~RssSampler() { Stop(); }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  long max_kb() const { return max_kb_; }
  long samples() const { return samples_; }

 private:
  void Run() {
    while (!stop_) {
      long kb = ProcStatusKb(pid_, "VmRSS:");
      if (kb > max_kb_) max_kb_ = kb;
      ++samples_;
      std::this_thread::sleep_for(kRssPeriod);
    }
  }

  const pid_t pid_;
  std::atomic<bool> stop_{false};
  std::atomic<long> max_kb_{-1};
  std::atomic<long> samples_{0};
  std::thread thread_;  // last: starts after the fields above are initialised
};

// ---------------------------------------------------------------------------------------------
// Workloads.

// Writes `size` pseudo-random bytes (distinct per seed) and syncs them, so no writeback of the
// input overlaps the timed runs; the file stays in the page cache.
// Changes the file's first byte (so its content, and id, differ from the last upload).
absl::Status FlipFirstByte(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(Errno("open", path));
  unsigned char b = 0;
  bool ok = pread(fd, &b, 1, 0) == 1;
  b ^= 0xff;
  ok = ok && pwrite(fd, &b, 1, 0) == 1;
  close(fd);
  return ok ? absl::OkStatus() : absl::UnavailableError(Errno("flip", path));
}

absl::Status WriteRandomFile(const std::string& path, uint64_t size, uint64_t seed) {
  int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return absl::UnavailableError(Errno("create", path));
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> buf(kChunkBytes / sizeof(uint64_t));
  for (uint64_t left = size; left > 0;) {
    for (uint64_t& w : buf) w = rng();
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, kChunkBytes));
    if (write(fd, buf.data(), n) != static_cast<ssize_t>(n)) {
      absl::Status s = absl::UnavailableError(Errno("write", path));
      close(fd);
      return s;
    }
    left -= n;
  }
  if (fsync(fd) != 0 || close(fd) != 0) return absl::UnavailableError(Errno("sync", path));
  return absl::OkStatus();
}

// Reads `path` in 1 MiB pieces into `*data` (a bytes field of `msg`) and writes `msg` after
// each read: the same loop ModelClient::Upload runs, without the client's own hashing.
template <typename Msg>
absl::Status StreamFile(const std::string& path, grpc::ClientContext& ctx,
                        grpc::ClientWriter<Msg>& writer, Msg& msg, std::string* data) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(Errno("open", path));
  bool ok = true;
  while (ok) {
    data->resize(kChunkBytes);
    ssize_t n = read(fd, data->data(), data->size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = absl::UnavailableError(Errno("read", path));
      ctx.TryCancel();
      close(fd);
      return s;
    }
    if (n == 0) break;
    data->resize(static_cast<size_t>(n));
    ok = writer.Write(msg);
  }
  close(fd);
  writer.WritesDone();
  return absl::OkStatus();
}

// The baseline: the file streamed to the discarding sink. Returns seconds.
absl::StatusOr<double> PushFile(pb::Sink::Stub& stub, const std::string& path, uint64_t size) {
  const Clock::time_point start = Clock::now();
  grpc::ClientContext ctx;
  pb::Summary summary;
  std::unique_ptr<grpc::ClientWriter<pb::Chunk>> writer = stub.Push(&ctx, &summary);
  pb::Chunk chunk;
  if (absl::Status s = StreamFile(path, ctx, *writer, chunk, chunk.mutable_data()); !s.ok()) {
    return s;
  }
  grpc::Status s = writer->Finish();
  const double seconds = Seconds(Clock::now() - start);
  if (!s.ok()) {
    return absl::UnavailableError(absl::StrCat("sink Push: ", s.error_message()));
  }
  if (summary.bytes() != size) {
    return absl::DataLossError(absl::StrCat("sink received ", summary.bytes(), " of ", size));
  }
  return seconds;
}

// The same client loop against edged's Upload (header, then the same chunks): the difference
// to PushFile is what the server does per byte (hash, write, fsync, commit). Seconds.
absl::StatusOr<double> RawUploadFile(edgefleet::v1::ModelService::Stub& stub,
                                     const std::string& path, const std::string& name,
                                     uint64_t size) {
  const Clock::time_point start = Clock::now();
  grpc::ClientContext ctx;
  edgefleet::v1::Model model;
  auto writer = stub.Upload(&ctx, &model);
  edgefleet::v1::UploadRequest req;
  req.mutable_header()->set_name(name);
  req.mutable_header()->set_size(size);
  writer->Write(req);
  if (absl::Status s = StreamFile(path, ctx, *writer, req, req.mutable_chunk()); !s.ok()) return s;
  grpc::Status s = writer->Finish();
  const double seconds = Seconds(Clock::now() - start);
  if (!s.ok())
    return absl::UnavailableError(absl::StrCat("upload ", name, ": ", s.error_message()));
  if (model.size() != size) {
    return absl::DataLossError(absl::StrCat("edged stored ", model.size(), " of ", size));
  }
  return seconds;
}

// The whole ModelClient::Upload call (stream with the client hashing as it sends, server
// hashing + writing + fsync + commit). Seconds.
absl::StatusOr<double> UploadFile(client::ModelClient& client, const std::string& path,
                                  const std::string& name, uint64_t size) {
  client::UploadOptions options;
  options.name = name;
  options.chunk_bytes = kChunkBytes;
  const Clock::time_point start = Clock::now();
  absl::StatusOr<edgefleet::v1::Model> model = client.Upload(path, options);
  const double seconds = Seconds(Clock::now() - start);
  if (!model.ok()) {
    return absl::Status(model.status().code(),
                        absl::StrCat("upload ", name, ": ", model.status().ToString()));
  }
  if (model->size() != size) {
    return absl::DataLossError(absl::StrCat("edged stored ", model->size(), " of ", size));
  }
  return seconds;
}

// edge::crypto::Sha256 over `size` bytes already in memory (1 MiB updates), median of 3.
double TimeSha256Memory(uint64_t size) {
  std::vector<char> buf(kChunkBytes, '\x5a');
  std::vector<double> runs;
  for (int i = 0; i < 3; ++i) {
    const Clock::time_point start = Clock::now();
    crypto::Sha256 hash;
    for (uint64_t left = size; left > 0;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
      hash.Update(buf.data(), n);
      left -= n;
    }
    (void)hash.Finish();
    runs.push_back(Seconds(Clock::now() - start));
  }
  return Median(runs);
}

// write() `size` bytes in 1 MiB pieces + fsync, in `dir` (edged's file system). Seconds.
absl::StatusOr<double> TimeWriteFsync(const std::string& dir, uint64_t size) {
  const std::string path = dir + "/fsync-probe";
  std::vector<char> buf(kChunkBytes, '\x5a');
  const Clock::time_point start = Clock::now();
  int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return absl::UnavailableError(Errno("create", path));
  for (uint64_t left = size; left > 0;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
    if (write(fd, buf.data(), n) != static_cast<ssize_t>(n)) {
      absl::Status s = absl::UnavailableError(Errno("write", path));
      close(fd);
      unlink(path.c_str());
      return s;
    }
    left -= n;
  }
  if (fsync(fd) != 0) {
    absl::Status s = absl::UnavailableError(Errno("fsync", path));
    close(fd);
    unlink(path.c_str());
    return s;
  }
  close(fd);
  const double seconds = Seconds(Clock::now() - start);
  unlink(path.c_str());
  return seconds;
}

// ---------------------------------------------------------------------------------------------
// The benchmark.

struct Options {
  int reps = 5;
  uint64_t size_mib = 64;
  std::string edged = EDGED_PATH;
};

// Removes the temp dir on every exit path; declared before the children so it runs last.
class TempDir {
 public:
  static absl::StatusOr<std::unique_ptr<TempDir>> Create() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        absl::StrCat(base != nullptr && *base != '\0' ? base : "/tmp", "/upload_bench.XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) {
      return absl::UnavailableError(Errno("mkdtemp", pattern));
    }
    return std::unique_ptr<TempDir>(new TempDir(pattern));
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

absl::Status Run(const Options& opt) {
  const uint64_t size = opt.size_mib << 20;
  if (access(opt.edged.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("edged not found at ", opt.edged, " (pass --edged)"));
  }
  char self[4096];
  ssize_t self_len = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (self_len <= 0) return absl::InternalError("readlink /proc/self/exe failed");
  self[self_len] = '\0';

  absl::StatusOr<std::unique_ptr<TempDir>> tmp = TempDir::Create();
  if (!tmp.ok()) return tmp.status();
  const std::string root = (*tmp)->path();
  const std::string data_dir = root + "/data";
  const std::string sink_dir = root + "/sink";
  const std::string input_dir = root + "/input";
  for (const std::string& d : {data_dir, sink_dir, input_dir}) {
    if (mkdir(d.c_str(), 0755) != 0) return absl::UnavailableError(Errno("mkdir", d));
  }

  // Both servers start before this process creates any gRPC object (fork safety). The upload
  // path measured is the registry's (random bytes, so unsigned content is allowed).
  absl::StatusOr<std::unique_ptr<Child>> edged =
      Spawn("edged", {opt.edged, "--listen", "127.0.0.1:0", "--data-dir", data_dir, "--log-level",
                      "error", "--allow-unsigned"});
  if (!edged.ok()) return edged.status();
  absl::StatusOr<std::unique_ptr<Child>> sink = Spawn("sink", {self, "--sink", sink_dir});
  if (!sink.ok()) return sink.status();
  absl::StatusOr<std::string> edged_addr = WaitForAddress(**edged, data_dir + "/edged.addr");
  if (!edged_addr.ok()) return edged_addr.status();
  absl::StatusOr<std::string> sink_addr = WaitForAddress(**sink, sink_dir + "/sink.addr");
  if (!sink_addr.ok()) return sink_addr.status();

  // Same channel setup for both; connect before timing anything.
  std::shared_ptr<grpc::Channel> edged_channel = client::Connect(*edged_addr);
  std::shared_ptr<grpc::Channel> sink_channel = client::Connect(*sink_addr);
  const auto connect_deadline = std::chrono::system_clock::now() + std::chrono::seconds(10);
  if (!edged_channel->WaitForConnected(connect_deadline)) {
    return absl::UnavailableError(absl::StrCat("cannot connect to edged at ", *edged_addr));
  }
  if (!sink_channel->WaitForConnected(connect_deadline)) {
    return absl::UnavailableError(absl::StrCat("cannot connect to the sink at ", *sink_addr));
  }
  client::ModelClient model_client(edged_channel, *edged_addr);
  std::unique_ptr<pb::Sink::Stub> sink_stub = pb::Sink::NewStub(sink_channel);

  const long edged_idle_kb = ProcStatusKb((*edged)->pid(), "VmRSS:");
  std::printf("upload %llu MiB x%d over loopback (1 MiB chunks; MB = 10^6 bytes; edged pid %d)\n",
              static_cast<unsigned long long>(opt.size_mib), opt.reps,
              static_cast<int>((*edged)->pid()));
  std::fflush(stdout);

  std::vector<double> base_mbps, e2e_mbps, server_mbps;
  auto model_stub = edgefleet::v1::ModelService::NewStub(edged_channel);
  std::random_device seed_source;
  const uint64_t seed_base = (static_cast<uint64_t>(seed_source()) << 32) | seed_source();
  RssSampler sampler((*edged)->pid());
  for (int rep = 0; rep < opt.reps; ++rep) {
    // Fresh content each repetition, so every upload really stores a new blob; the baseline
    // streams the very same file right before.
    const std::string input = absl::StrCat(input_dir, "/bench-", rep, ".bin");
    if (absl::Status s = WriteRandomFile(input, size, seed_base + static_cast<uint64_t>(rep));
        !s.ok()) {
      return s;
    }
    absl::StatusOr<double> base = PushFile(*sink_stub, input, size);
    if (!base.ok()) return base.status();
    absl::StatusOr<double> raw =
        RawUploadFile(*model_stub, input, absl::StrCat("bench-raw-", rep), size);
    if (!raw.ok()) return raw.status();
    // Same bytes again would be an idempotent no-op: flip one byte for the edgectl-path upload.
    if (absl::Status s = FlipFirstByte(input); !s.ok()) return s;
    absl::StatusOr<double> up = UploadFile(model_client, input, absl::StrCat("bench-", rep), size);
    if (!up.ok()) return up.status();
    if (std::string how = (*edged)->ExitedHow(); !how.empty()) {
      return absl::InternalError(absl::StrCat("edged exited during the run (", how, ")"));
    }
    base_mbps.push_back(MBps(size, *base));
    e2e_mbps.push_back(MBps(size, *up));
    server_mbps.push_back(MBps(size, *raw));
    std::printf(
        "  rep %d: baseline %7.1f MB/s (%.3f s)  edged same client %7.1f MB/s (%.3f s)  "
        "edgectl path %7.1f MB/s (%.3f s)\n",
        rep + 1, base_mbps.back(), *base, server_mbps.back(), *raw, e2e_mbps.back(), *up);
    std::fflush(stdout);
    unlink(input.c_str());
  }
  sampler.Stop();
  const long hwm_kb = ProcStatusKb((*edged)->pid(), "VmHWM:");
  const long sink_hwm_kb = ProcStatusKb((*sink)->pid(), "VmHWM:");

  const double base = Median(base_mbps);
  const double e2e = Median(e2e_mbps);
  const double server = Median(server_mbps);
  const double ratio = server / base;
  const double peak_mib = Mib(std::max(hwm_kb, sampler.max_kb()));
  std::printf("baseline raw gRPC stream    : %.1f MB/s (median)\n", base);
  std::printf("edged upload, same client   : %.1f MB/s  ratio %.2f (target >= %.2f) %s\n", server,
              ratio, kTargetRatio, ratio >= kTargetRatio ? "PASS" : "FAIL");
  std::printf(
      "edgectl path (ModelClient)  : %.1f MB/s  ratio %.2f (the client also hashes every byte "
      "to verify the stored id, on the same 2 cores)\n",
      e2e, e2e / base);
  std::printf(
      "edged peak RSS              : %.1f MiB (target < %.0f MiB) %s  [VmHWM %.1f MiB, "
      "max sampled VmRSS %.1f MiB over %ld samples, idle before uploads %.1f MiB]\n",
      peak_mib, kRssLimitMib, peak_mib < kRssLimitMib ? "PASS" : "FAIL", Mib(hwm_kb),
      Mib(sampler.max_kb()), sampler.samples(), Mib(edged_idle_kb));

  // Where the time can go: per-byte costs on this machine, for reading the ratio.
  const double sha_mem = TimeSha256Memory(size);
  absl::StatusOr<double> fsync_s = TimeWriteFsync(root, size);
  if (!fsync_s.ok()) return fsync_s.status();
  std::printf("context (per %llu MiB on this machine):\n",
              static_cast<unsigned long long>(opt.size_mib));
  std::printf("  baseline transfer (median)          : %.3f s\n", size / base / 1e6);
  std::printf("  edged upload, same client (median)  : %.3f s\n", size / server / 1e6);
  std::printf(
      "  edge::crypto::Sha256 in memory      : %.3f s (%.1f MB/s%s; client and edged each "
      "hash every byte once)\n",
      sha_mem, MBps(size, sha_mem), crypto::Sha256::Accelerated() ? ", SHA extensions" : "");
  std::printf("  write + fsync into edged's file system: %.3f s\n", *fsync_s);
  std::printf("  sink peak RSS (reference)           : %.1f MiB\n", Mib(sink_hwm_kb));

  // Shut down: channels first, then the servers.
  sink_stub.reset();
  sink_channel.reset();
  edged_channel.reset();
  absl::Status edged_stop = (*edged)->Stop();
  absl::Status sink_stop = (*sink)->Stop();
  if (!edged_stop.ok()) return edged_stop;
  return sink_stop;
}

bool ParseInt(const char* text, long min, long max, long* out) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < min || v > max) return false;
  *out = v;
  return true;
}

int Main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--sink") == 0) return RunSink(argv[2]);
  const char* usage =
      "usage: upload_bench [--reps N] [--size-mib N] [--edged PATH]\n"
      "  Uploads a random file N times to a fresh edged and streams the same bytes to a\n"
      "  discarding gRPC server; prints MB/s, the ratio and edged's peak RSS.\n";
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    long v = 0;
    if (arg == "--reps" && i + 1 < argc && ParseInt(argv[i + 1], 1, 1000, &v)) {
      opt.reps = static_cast<int>(v);
      ++i;
    } else if (arg == "--size-mib" && i + 1 < argc && ParseInt(argv[i + 1], 1, 4096, &v)) {
      opt.size_mib = static_cast<uint64_t>(v);
      ++i;
    } else if (arg == "--edged" && i + 1 < argc) {
      opt.edged = argv[++i];
    } else if (arg == "-h" || arg == "--help") {
      std::fputs(usage, stdout);
      return 0;
    } else {
      std::fputs(usage, stderr);
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  absl::Status s = Run(opt);
  if (!s.ok()) {
    std::fprintf(stderr, "upload_bench: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace edge::bench

int main(int argc, char** argv) { return edge::bench::Main(argc, argv); }
