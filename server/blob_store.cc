#include "server/blob_store.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"
#include "server/ids.h"

namespace profundo::server {
namespace {

bool IsValidKey(absl::string_view key) {
  if (key.empty() || key.size() > 100) return false;
  for (char c : key) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return key[0] != '-';
}

}  // namespace

BlobStore::BlobStore(Env* env, std::string dir)
    : env_(env), dir_(std::move(dir)) {}

absl::Status BlobStore::Init() {
  PROFUNDO_RETURN_IF_ERROR(env_->CreateDirs(dir_));
  PROFUNDO_ASSIGN_OR_RETURN(std::vector<std::string> names,
                            env_->ListDir(dir_));
  for (const std::string& name : names) {
    if (absl::EndsWith(name, ".tmp")) {
      PROFUNDO_RETURN_IF_ERROR(env_->RemoveFile(absl::StrCat(dir_, "/", name)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> BlobStore::PathOf(const std::string& key) const {
  if (!IsValidKey(key)) {
    return absl::InternalError(absl::StrCat("invalid blob key \"", key, "\""));
  }
  return absl::StrCat(dir_, "/", key);
}

absl::StatusOr<std::string> BlobStore::Put(absl::string_view kind,
                                           absl::string_view data) {
  // Two 64-bit halves: collisions are not a practical concern.
  std::string key = NewId(kind);
  key += NewId("").substr(1);
  PROFUNDO_ASSIGN_OR_RETURN(std::string path, PathOf(key));
  absl::Status written = WriteFileAtomically(env_, path, data);
  if (!written.ok()) {
    // The rename may have happened without being made durable: a blob
    // nobody will reference must not stay.
    if (env_->FileExists(path)) env_->RemoveFile(path).IgnoreError();
    return written;
  }
  return key;
}

absl::StatusOr<std::string> BlobStore::Get(const std::string& key) const {
  PROFUNDO_ASSIGN_OR_RETURN(std::string path, PathOf(key));
  return env_->ReadFile(path);
}

absl::Status BlobStore::Delete(const std::string& key) {
  PROFUNDO_ASSIGN_OR_RETURN(std::string path, PathOf(key));
  if (!env_->FileExists(path)) return absl::OkStatus();
  PROFUNDO_RETURN_IF_ERROR(env_->RemoveFile(path));
  return env_->SyncDir(dir_);
}

absl::StatusOr<int> BlobStore::RemoveUnreferenced(
    const absl::flat_hash_set<std::string>& live) {
  PROFUNDO_ASSIGN_OR_RETURN(std::vector<std::string> names,
                            env_->ListDir(dir_));
  int removed = 0;
  for (const std::string& name : names) {
    if (!IsValidKey(name) || live.contains(name)) continue;
    PROFUNDO_RETURN_IF_ERROR(env_->RemoveFile(absl::StrCat(dir_, "/", name)));
    ++removed;
  }
  if (removed > 0) PROFUNDO_RETURN_IF_ERROR(env_->SyncDir(dir_));
  return removed;
}

}  // namespace profundo::server
