#include "server/job_event_hub.h"

#include <utility>
#include <vector>

namespace profundo::server {

uint64_t JobEventHub::Subscribe(const std::string& job_id, Listener listener) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return 0;
  uint64_t handle = next_handle_++;
  listeners_.emplace(handle, Entry{job_id, std::move(listener)});
  return handle;
}

void JobEventHub::Unsubscribe(uint64_t handle) {
  std::lock_guard<std::mutex> lock(mu_);
  listeners_.erase(handle);
}

void JobEventHub::Notify(const std::string& job_id) {
  std::vector<Listener> fire;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = listeners_.begin(); it != listeners_.end();) {
      if (it->second.job_id == job_id) {
        fire.push_back(std::move(it->second.listener));
        listeners_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  for (Listener& l : fire) l();
}

void JobEventHub::Close() {
  std::vector<Listener> fire;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    for (auto& [handle, entry] : listeners_) {
      fire.push_back(std::move(entry.listener));
    }
    listeners_.clear();
  }
  for (Listener& l : fire) l();
}

bool JobEventHub::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

}  // namespace profundo::server
