// FaultInjectionEnv: an Env for tests that forwards to Env::Default() and
// fails chosen operations, to prove that a failed write leaves nothing
// behind.
//
// Thread-safe (the failure switches are atomics).
#ifndef PROFUNDO_TESTS_SERVICE_FAULT_INJECTION_ENV_H_
#define PROFUNDO_TESTS_SERVICE_FAULT_INJECTION_ENV_H_

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "server/env.h"

namespace profundo::server {

class FaultInjectionEnv final : public Env {
 public:
  // Fail every Append after `bytes` bytes have been written to one file
  // (the file keeps the partial data, as a full disk would leave it).
  std::atomic<long> fail_append_after{-1};
  std::atomic<bool> fail_sync{false};
  std::atomic<bool> fail_rename{false};
  // When >= 0: that many renames succeed, then every rename fails.
  std::atomic<int> renames_before_failure{-1};
  std::atomic<bool> fail_sync_dir{false};

  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override {
    auto file = Env::Default()->NewWritableFile(path);
    if (!file.ok()) return file.status();
    return std::unique_ptr<WritableFile>(
        new File(this, std::move(file).value()));
  }
  absl::StatusOr<std::string> ReadFile(const std::string& path) override {
    return Env::Default()->ReadFile(path);
  }
  absl::Status RenameFile(const std::string& from,
                          const std::string& to) override {
    if (fail_rename) return absl::InternalError("injected rename failure");
    if (renames_before_failure >= 0 && renames_before_failure-- == 0) {
      renames_before_failure = 0;
      return absl::InternalError("injected rename failure");
    }
    return Env::Default()->RenameFile(from, to);
  }
  absl::Status RemoveFile(const std::string& path) override {
    return Env::Default()->RemoveFile(path);
  }
  absl::Status CreateDirs(const std::string& path) override {
    return Env::Default()->CreateDirs(path);
  }
  absl::Status SyncDir(const std::string& path) override {
    if (fail_sync_dir) return absl::InternalError("injected dir sync failure");
    return Env::Default()->SyncDir(path);
  }
  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& dir) override {
    return Env::Default()->ListDir(dir);
  }
  bool FileExists(const std::string& path) override {
    return Env::Default()->FileExists(path);
  }

 private:
  class File final : public WritableFile {
   public:
    File(FaultInjectionEnv* env, std::unique_ptr<WritableFile> base)
        : env_(env), base_(std::move(base)) {}
    absl::Status Append(absl::string_view data) override {
      long limit = env_->fail_append_after;
      if (limit >= 0 && written_ + static_cast<long>(data.size()) > limit) {
        long keep = std::max(0L, limit - written_);
        base_->Append(data.substr(0, keep)).IgnoreError();
        written_ += keep;
        return absl::ResourceExhaustedError("injected: no space left");
      }
      written_ += static_cast<long>(data.size());
      return base_->Append(data);
    }
    absl::Status Sync() override {
      if (env_->fail_sync) return absl::InternalError("injected fsync failure");
      return base_->Sync();
    }
    absl::Status Close() override { return base_->Close(); }

   private:
    FaultInjectionEnv* env_;
    std::unique_ptr<WritableFile> base_;
    long written_ = 0;
  };
};

}  // namespace profundo::server

#endif  // PROFUNDO_TESTS_SERVICE_FAULT_INJECTION_ENV_H_
