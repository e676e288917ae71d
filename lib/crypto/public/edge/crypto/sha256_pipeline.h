#pragma once
// Host only (threads): SHA-256 of a byte stream computed on a worker thread, so the thread that
// produces the bytes (receiving or sending them) does not also pay for hashing them.
#include <deque>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "edge/crypto/sha256.h"

namespace edge::crypto {

// SHA-256 on a worker thread fed through a short bounded queue, so hashing overlaps with
// receiving the next chunk. Push blocks while the queue is full (backpressure, bounded memory).
class Sha256Pipeline {
 public:
  static constexpr size_t kMaxQueued = 2;
  Sha256Pipeline();
  ~Sha256Pipeline();
  void Push(std::string chunk);
  // Waits for every pushed byte to be hashed; returns lowercase hex. Call at most once; no
  // Push afterwards.
  std::string FinishHex();

 private:
  void Run();
  absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  crypto::Sha256 hash_;  // touched only by the worker until it has been joined
  std::thread worker_;
};

}  // namespace edge::crypto
