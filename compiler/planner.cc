// Memory planning: greedy offset assignment over tensor lifetimes (ir.h PlanMemory).
#include <algorithm>
#include <numeric>

#include "ir.h"

namespace edge::compiler::internal {
namespace {

constexpr uint64_t kAlign = 16;

uint64_t AlignUp(uint64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

bool LiveTogether(const PlanItem& a, const PlanItem& b) {
  return a.first <= b.last && b.first <= a.last;
}

}  // namespace

uint64_t PlanMemory(std::vector<PlanItem>& items) {
  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    if (items[x].bytes != items[y].bytes) return items[x].bytes > items[y].bytes;
    return items[x].first < items[y].first;
  });
  std::vector<size_t> placed;
  uint64_t total = 0;
  for (size_t idx : order) {
    PlanItem& item = items[idx];
    item.offset = 0;
    if (item.bytes == 0) continue;
    // Buffers already placed that are live at the same time, by offset.
    std::vector<size_t> conflicts;
    for (size_t p : placed) {
      if (LiveTogether(items[p], item)) conflicts.push_back(p);
    }
    std::sort(conflicts.begin(), conflicts.end(),
              [&](size_t x, size_t y) { return items[x].offset < items[y].offset; });
    uint64_t candidate = 0;
    for (size_t p : conflicts) {
      if (candidate + item.bytes <= items[p].offset) break;  // fits in the gap before p
      candidate = std::max(candidate, AlignUp(items[p].offset + items[p].bytes));
    }
    item.offset = candidate;
    total = std::max(total, AlignUp(candidate + item.bytes));
    placed.push_back(idx);
  }
  return total;
}

}  // namespace edge::compiler::internal
