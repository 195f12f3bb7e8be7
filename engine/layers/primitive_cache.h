// PrimitiveCache: a layer's oneDNN primitives (and the memory objects and
// argument maps that go with them), built once per batch shape and reused
// for every later call with that shape. Training uses two batch sizes (the
// full batch and the last partial one), MC sampling a few more, and the
// server's batched predictions up to 15 (server/predictor.h); the cache
// keeps the kMaxEntries most recently used.
//
// Entry is any type the caller defines; Get() builds it with make() on a
// miss. Entries are heap-allocated, so a reference stays valid until that
// entry is evicted (at a later Get with another key). Not thread-safe: one
// per layer, used by the thread that runs the layer.
//
// Example:
//   PrimitiveCache<Entry> cache_;
//   Entry& e = cache_.Get(n, [&] { return std::make_unique<Entry>(n, eng); });
#ifndef PROFUNDO_ENGINE_LAYERS_PRIMITIVE_CACHE_H_
#define PROFUNDO_ENGINE_LAYERS_PRIMITIVE_CACHE_H_

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace profundo {

template <typename Entry, typename Key = int64_t>
class PrimitiveCache {
 public:
  static constexpr size_t kMaxEntries = 16;

  PrimitiveCache() = default;
  PrimitiveCache(const PrimitiveCache&) = delete;
  PrimitiveCache& operator=(const PrimitiveCache&) = delete;

  // The entry for `key`; on a miss, make() (returning unique_ptr<Entry>)
  // builds it, evicting the least recently used entry when full.
  template <typename Make>
  Entry& Get(const Key& key, Make&& make) {
    ++clock_;
    for (Slot& s : slots_) {
      if (s.key == key) {
        s.last_use = clock_;
        return *s.entry;
      }
    }
    if (slots_.size() >= kMaxEntries) {
      size_t oldest = 0;
      for (size_t i = 1; i < slots_.size(); ++i) {
        if (slots_[i].last_use < slots_[oldest].last_use) oldest = i;
      }
      slots_.erase(slots_.begin() + oldest);
    }
    slots_.push_back(Slot{key, clock_, make()});
    ++builds_;
    return *slots_.back().entry;
  }

  // Entries built so far (misses), for tests of reuse.
  int64_t builds() const { return builds_; }
  size_t size() const { return slots_.size(); }

 private:
  struct Slot {
    Key key;
    uint64_t last_use;
    std::unique_ptr<Entry> entry;
  };
  std::vector<Slot> slots_;
  uint64_t clock_ = 0;
  int64_t builds_ = 0;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_PRIMITIVE_CACHE_H_
