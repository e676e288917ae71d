// Crash test: a child process runs upload/commit/delete sequences against a real store
// directory and is killed with SIGKILL (a) at every durable step the store reports, and (b)
// after random delays, which lands inside SQLite and the kernel calls too. After every kill,
// the store must reopen consistent: every row has its full blob, no orphan blob or temp file
// survives recovery, and each model is either wholly visible with the right bytes or absent.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "edge/store/model_store.h"
#include "gtest/gtest.h"

namespace edge::store {
namespace {

constexpr size_t kChunk = 4096;
constexpr size_t kChunks = 32;

std::string Content(const std::string& name) {
  std::string out(kChunk * kChunks, '\0');
  std::mt19937 rng(static_cast<uint32_t>(std::hash<std::string>()(name)));
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

absl::Status PutModel(ModelStore& store, const std::string& name) {
  const std::string bytes = Content(name);
  UploadMeta meta;
  meta.name = name;
  meta.size = bytes.size();
  absl::StatusOr<std::unique_ptr<Upload>> u = store.BeginUpload(meta);
  if (!u.ok()) return u.status();
  for (size_t i = 0; i < kChunks; ++i) {
    if (absl::Status s = (*u)->Append(bytes.substr(i * kChunk, kChunk)); !s.ok()) {
      return s;
    }
  }
  return (*u)->Commit().status();
}

// The scenario the child runs: two uploads and one delete.
absl::Status Scenario(ModelStore& store, int round) {
  if (absl::Status s = PutModel(store, absl::StrCat("a", round)); !s.ok()) return s;
  if (absl::Status s = PutModel(store, absl::StrCat("b", round)); !s.ok()) return s;
  return store.Delete(absl::StrCat("victim", round), /*force=*/false).status();
}

class StoreCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/edge_crash_test.XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { (void)system(("rm -rf " + dir_).c_str()); }

  std::unique_ptr<ModelStore> OpenStore(std::function<void(absl::string_view)> hook = nullptr) {
    StoreOptions o;
    o.data_dir = dir_;
    o.allow_unsigned = true;
    o.step_hook = std::move(hook);
    absl::StatusOr<std::unique_ptr<ModelStore>> s = ModelStore::Open(std::move(o));
    if (!s.ok()) ADD_FAILURE() << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }

  // Runs the scenario for `round` in a child. kill_at_step > 0: the child SIGKILLs itself when
  // the store reports that step. Returns the wait status; `steps` gets the child's count when
  // it ran to the end (via a pipe).
  int RunChild(int round, int kill_at_step, int kill_after_us, int* steps) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      int count = 0;
      std::unique_ptr<ModelStore> store = OpenStore([&](absl::string_view) {
        if (++count == kill_at_step) raise(SIGKILL);
      });
      int rc = store != nullptr && Scenario(*store, round).ok() ? 0 : 3;
      if (write(fds[1], &count, sizeof(count)) != sizeof(count)) rc = 4;
      _exit(rc);
    }
    close(fds[1]);
    if (kill_after_us > 0) {
      usleep(static_cast<useconds_t>(kill_after_us));
      kill(pid, SIGKILL);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    int count = 0;
    if (read(fds[0], &count, sizeof(count)) == sizeof(count) && steps != nullptr) *steps = count;
    close(fds[0]);
    return status;
  }

  // After a crash in `round`: reopen (recovery) and check everything.
  void CheckAfterCrash(int round, const std::string& label) {
    std::unique_ptr<ModelStore> store = OpenStore();
    ASSERT_NE(store, nullptr) << label;
    ASSERT_TRUE(store->CheckConsistency().ok()) << label << ": " << store->CheckConsistency();
    for (const std::string& name :
         {absl::StrCat("a", round), absl::StrCat("b", round), absl::StrCat("victim", round)}) {
      absl::StatusOr<ModelRecord> m = store->Get(name);
      if (!m.ok()) {
        ASSERT_TRUE(absl::IsNotFound(m.status())) << label << " " << name << ": " << m.status();
        continue;
      }
      absl::StatusOr<std::unique_ptr<BlobReader>> r = store->OpenBlob(*m);
      ASSERT_TRUE(r.ok()) << label << " " << name << ": " << r.status();
      std::string all, chunk;
      do {
        ASSERT_TRUE((*r)->Read(1 << 16, &chunk).ok());
        all += chunk;
      } while (!chunk.empty());
      EXPECT_EQ(all, Content(name)) << label << " " << name;
    }
    // The model committed before the crash round is never touched.
    absl::StatusOr<ModelRecord> keep = store->Get("keeper");
    ASSERT_TRUE(keep.ok()) << label;
    // Let the next round start from a clean state.
    (void)store->Delete(absl::StrCat("a", round), false);
    (void)store->Delete(absl::StrCat("b", round), false);
    (void)store->Delete(absl::StrCat("victim", round), false);
  }

  void PrepareRound(int round) {
    std::unique_ptr<ModelStore> store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(PutModel(*store, absl::StrCat("victim", round)).ok());
  }

  std::string dir_;
};

TEST_F(StoreCrashTest, SigkillAtEveryDurableStepLeavesStoreConsistent) {
  {
    std::unique_ptr<ModelStore> store = OpenStore();
    ASSERT_TRUE(PutModel(*store, "keeper").ok());
  }
  // Dry run: count the steps of one round.
  PrepareRound(0);
  int total = 0;
  int status = RunChild(0, /*kill_at_step=*/0, 0, &total);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_GE(total, 50) << "the scenario should expose at least 50 kill points";
  CheckAfterCrash(0, "dry run");

  for (int step = 1; step <= total; ++step) {
    PrepareRound(step);
    status = RunChild(step, step, 0, nullptr);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "step " << step;
    CheckAfterCrash(step, absl::StrCat("killed at step ", step, " of ", total));
    if (HasFatalFailure()) return;
  }
  std::printf("killed at each of %d durable steps; store consistent after every one\n", total);
}

TEST_F(StoreCrashTest, SigkillAtRandomTimesLeavesStoreConsistent) {
  {
    std::unique_ptr<ModelStore> store = OpenStore();
    ASSERT_TRUE(PutModel(*store, "keeper").ok());
  }
  // Time one round to spread the kills over it.
  PrepareRound(0);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(RunChild(0, 0, 0, nullptr), 0);
  int round_us = static_cast<int>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  CheckAfterCrash(0, "timing run");
  std::mt19937 rng(1234);
  int killed = 0;
  for (int i = 1; i <= 40; ++i) {
    PrepareRound(i);
    int delay = 1 + static_cast<int>(rng() % static_cast<uint32_t>(std::max(round_us, 2)));
    int status = RunChild(i, 0, delay, nullptr);
    killed += WIFSIGNALED(status);
    CheckAfterCrash(i, absl::StrCat("killed after ", delay, "us"));
    if (HasFatalFailure()) return;
  }
  std::printf("%d of 40 random-time kills landed mid-scenario\n", killed);
  EXPECT_GT(killed, 0) << "no kill landed before the scenario finished; the delays are off";
}

}  // namespace
}  // namespace edge::store
