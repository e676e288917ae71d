#pragma once
// A one-line terminal progress bar with rate and ETA. Draws only when enabled (edgectl enables
// it when stdout is a terminal and --json is off); redraws at most 10 times a second.
#include <chrono>
#include <cstdint>
#include <string>

namespace edge::client {

class ProgressBar {
 public:
  ProgressBar(std::string label, bool enabled);
  void Update(uint64_t done, uint64_t total);
  // Draws the final state and ends the line.
  void Finish();

  // "12.3 MiB" style.
  static std::string HumanBytes(double bytes);

 private:
  void Draw(bool final);
  std::string label_;
  bool enabled_;
  uint64_t done_ = 0;
  uint64_t total_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  bool drawn_ = false;
};

}  // namespace edge::client
