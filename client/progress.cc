#include "edge/client/progress.h"

#include <cstdio>

#include "absl/strings/str_format.h"

namespace edge::client {

ProgressBar::ProgressBar(std::string label, bool enabled)
    : label_(std::move(label)), enabled_(enabled), start_(std::chrono::steady_clock::now()) {}

std::string ProgressBar::HumanBytes(double bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  return u == 0 ? absl::StrFormat("%.0f %s", bytes, kUnits[u])
                : absl::StrFormat("%.1f %s", bytes, kUnits[u]);
}

void ProgressBar::Update(uint64_t done, uint64_t total) {
  done_ = done;
  total_ = total;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw(false);
}

void ProgressBar::Finish() {
  if (!enabled_ || !drawn_) return;
  Draw(true);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void ProgressBar::Draw(bool final) {
  if (!enabled_) return;
  drawn_ = true;
  constexpr int kWidth = 30;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double frac = total_ == 0 ? 1.0 : static_cast<double>(done_) / static_cast<double>(total_);
  int filled = static_cast<int>(frac * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), '.');
  double rate = secs > 0 ? static_cast<double>(done_) / secs : 0;
  std::string eta = "";
  if (!final && rate > 0 && total_ > done_) {
    eta = absl::StrFormat("  eta %.0fs", static_cast<double>(total_ - done_) / rate);
  }
  std::fprintf(stdout, "\r%s [%s] %3.0f%%  %s / %s  %s/s%s\033[K", label_.c_str(), bar.c_str(),
               frac * 100, HumanBytes(static_cast<double>(done_)).c_str(),
               HumanBytes(static_cast<double>(total_)).c_str(), HumanBytes(rate).c_str(),
               eta.c_str());
  std::fflush(stdout);
}

}  // namespace edge::client
