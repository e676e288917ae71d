#include "edge/crypto/sha256_pipeline.h"

#include "edge/crypto/hex.h"

namespace edge::crypto {

Sha256Pipeline::Sha256Pipeline() : worker_([this] { Run(); }) {}

Sha256Pipeline::~Sha256Pipeline() {
  if (!worker_.joinable()) return;  // FinishHex already joined
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
  }
  worker_.join();
}

void Sha256Pipeline::Push(std::string chunk) {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](Sha256Pipeline* h)
           ABSL_EXCLUSIVE_LOCKS_REQUIRED(h->mu_) { return h->queue_.size() < kMaxQueued; },
      this));
  queue_.push_back(std::move(chunk));
}

void Sha256Pipeline::Run() {
  while (true) {
    std::string chunk;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Sha256Pipeline* h)
               ABSL_EXCLUSIVE_LOCKS_REQUIRED(h->mu_) { return !h->queue_.empty() || h->closing_; },
          this));
      if (queue_.empty()) return;  // closing and drained
      chunk = std::move(queue_.front());
      queue_.pop_front();
    }
    hash_.Update(chunk.data(), chunk.size());
  }
}

std::string Sha256Pipeline::FinishHex() {
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
  }
  worker_.join();
  return crypto::FinishHex(hash_);
}

}  // namespace edge::crypto
