// The real edged binary as a child process: what an operator or a systemd unit sees.
#include <signal.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "edgefleet/v1/models.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"

namespace edge {
namespace {

namespace v1 = edgefleet::v1;
using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class EdgedProcess {
 public:
  explicit EdgedProcess(std::vector<std::string> args) {
    char tmpl[] = "/tmp/edged_proc_test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    log_ = dir_ + "/edged.log";
    pid_ = fork();
    if (pid_ == 0) {
      FILE* f = freopen(log_.c_str(), "w", stderr);
      (void)f;
      dup2(fileno(stderr), STDOUT_FILENO);
      std::vector<char*> argv{const_cast<char*>(EDGED_PATH)};
      for (std::string& a : args) {
        size_t p = a.find("{dir}");
        if (p != std::string::npos) a.replace(p, 5, dir_);
        argv.push_back(a.data());
      }
      argv.push_back(nullptr);
      execv(EDGED_PATH, argv.data());
      _exit(127);
    }
  }
  ~EdgedProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    (void)system(("rm -rf " + dir_).c_str());
  }
  // Waits for <data-dir>/edged.addr; empty if edged exited first.
  std::string WaitForAddress(const std::string& data_dir) {
    for (int i = 0; i < 500; ++i) {
      std::string a = ReadFile(data_dir + "/edged.addr");
      if (!a.empty() && a.back() == '\n') return a.substr(0, a.size() - 1);
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        status_ = status;
        return "";
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return "";
  }
  int Signal(int sig) {
    kill(pid_, sig);
    return Wait();
  }
  int Wait() {
    if (!exited_) {
      waitpid(pid_, &status_, 0);
      exited_ = true;
    }
    return status_;
  }
  const std::string& dir() const { return dir_; }
  std::string log() const { return ReadFile(log_); }

 private:
  std::string dir_;
  std::string log_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = 0;
};

TEST(EdgedProcess, PortZeroWritesAddressServesHealthAndReflectionAndStopsOnSigterm) {
  EdgedProcess edged({"--listen", "127.0.0.1:0", "--data-dir", "{dir}/data", "--allow-unsigned"});
  std::string addr = edged.WaitForAddress(edged.dir() + "/data");
  ASSERT_FALSE(addr.empty()) << edged.log();
  EXPECT_THAT(addr, ::testing::StartsWith("127.0.0.1:"));
  EXPECT_NE(addr, "127.0.0.1:0");
  EXPECT_THAT(edged.log(), HasSubstr("listening on " + addr));

  auto channel = grpc::CreateChannel(addr, grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext hctx;
  grpc::health::v1::HealthCheckResponse hresp;
  ASSERT_TRUE(health->Check(&hctx, grpc::health::v1::HealthCheckRequest(), &hresp).ok());
  EXPECT_EQ(hresp.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  // Reflection, the way grpcurl discovers services without .proto files.
  auto refl = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  grpc::ClientContext rctx;
  auto stream = refl->ServerReflectionInfo(&rctx);
  grpc::reflection::v1alpha::ServerReflectionRequest rreq;
  rreq.set_list_services("");
  ASSERT_TRUE(stream->Write(rreq));
  grpc::reflection::v1alpha::ServerReflectionResponse rresp;
  ASSERT_TRUE(stream->Read(&rresp));
  std::vector<std::string> names;
  for (const auto& s : rresp.list_services_response().service()) names.push_back(s.name());
  EXPECT_THAT(names, ::testing::Contains("edgefleet.v1.ModelService"));
  EXPECT_THAT(names, ::testing::Contains("grpc.health.v1.Health"));
  rreq.set_file_containing_symbol("edgefleet.v1.ModelService");
  ASSERT_TRUE(stream->Write(rreq));
  ASSERT_TRUE(stream->Read(&rresp));
  ASSERT_GT(rresp.file_descriptor_response().file_descriptor_proto_size(), 0);
  google::protobuf::FileDescriptorProto fd;
  ASSERT_TRUE(fd.ParseFromString(rresp.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(fd.package(), "edgefleet.v1");
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());

  // SIGTERM with an upload in flight: clean exit 0, temp file gone, nothing committed.
  auto stub = v1::ModelService::NewStub(channel);
  grpc::ClientContext uctx;
  v1::Model reply;
  auto w = stub->Upload(&uctx, &reply);
  v1::UploadRequest h;
  h.mutable_header()->set_name("partial");
  h.mutable_header()->set_size(8 << 20);
  ASSERT_TRUE(w->Write(h));
  v1::UploadRequest c;
  c.set_chunk(std::string(1 << 20, 'x'));
  ASSERT_TRUE(w->Write(c));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  int status = edged.Signal(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << edged.log();
  EXPECT_EQ(WEXITSTATUS(status), 0) << edged.log();
  grpc::Status us = w->Finish();
  EXPECT_EQ(us.error_code(), grpc::StatusCode::UNAVAILABLE) << us.error_message();
  EXPECT_THAT(us.error_message(), HasSubstr("shutting down"));
  EXPECT_THAT(edged.log(), HasSubstr("received SIGTERM"));
  EXPECT_EQ(ReadFile(edged.dir() + "/data/edged.addr"), "");
  EXPECT_EQ(system(("test -z \"$(ls -A " + edged.dir() + "/data/tmp)\"").c_str()), 0);
  EXPECT_EQ(system(("test -z \"$(ls -A " + edged.dir() + "/data/blobs/sha256)\"").c_str()), 0);
}

TEST(EdgedProcess, ConfigFileIsReadAndFlagsOverrideIt) {
  char tmpl[] = "/tmp/edged_cfg.XXXXXX";
  std::string cfgdir = mkdtemp(tmpl);
  std::ofstream(cfgdir + "/edged.yaml")
      << "listen: 127.0.0.1:1\nlog_level: debug\ndata_dir: " << cfgdir << "/fromconfig\n";
  EdgedProcess edged({"--config", cfgdir + "/edged.yaml", "--listen", "127.0.0.1:0"});
  std::string addr = edged.WaitForAddress(cfgdir + "/fromconfig");
  ASSERT_FALSE(addr.empty()) << edged.log();
  EXPECT_NE(addr, "127.0.0.1:1");
  int status = edged.Signal(SIGINT);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  (void)system(("rm -rf " + cfgdir).c_str());
}

TEST(EdgedProcess, ShippedConfigStartsAsIs) {
  EdgedProcess edged({"--config", EDGE_SOURCE_DIR "/deploy/edged.yaml", "--listen", "127.0.0.1:0",
                      "--data-dir", "{dir}/d"});
  ASSERT_FALSE(edged.WaitForAddress(edged.dir() + "/d").empty()) << edged.log();
  EXPECT_EQ(WEXITSTATUS(edged.Signal(SIGTERM)), 0);
}

TEST(EdgedProcess, BadConfigExitsWithConfigError) {
  char tmpl[] = "/tmp/edged_cfg.XXXXXX";
  std::string cfgdir = mkdtemp(tmpl);
  std::ofstream(cfgdir + "/bad.yaml") << "listen: 127.0.0.1:0\nmax_model_bytes: many\n";
  EdgedProcess edged({"--config", cfgdir + "/bad.yaml"});
  int status = edged.Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), EX_CONFIG);
  EXPECT_THAT(edged.log(), HasSubstr("max_model_bytes"));
  (void)system(("rm -rf " + cfgdir).c_str());
}

TEST(EdgedProcess, BadFlagExitsWithUsageError) {
  EdgedProcess edged({"--no-such-flag"});
  int status = edged.Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), EX_USAGE);
}

TEST(EdgedProcess, AddressInUseExitsUnavailable) {
  EdgedProcess first({"--listen", "127.0.0.1:0", "--data-dir", "{dir}/a"});
  std::string addr = first.WaitForAddress(first.dir() + "/a");
  ASSERT_FALSE(addr.empty());
  EdgedProcess second({"--listen", addr, "--data-dir", "{dir}/b"});
  int status = second.Wait();
  ASSERT_TRUE(WIFEXITED(status)) << second.log();
  EXPECT_EQ(WEXITSTATUS(status), EX_UNAVAILABLE) << second.log();
  EXPECT_THAT(second.log(), HasSubstr("cannot listen on " + addr));
}

}  // namespace
}  // namespace edge
