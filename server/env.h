// Env: the server's only access to the file system (leveldb style), so that
// tests can swap in a fault-injecting implementation and prove the store
// loses nothing it acknowledged.
//
// Env::Default() is a process-wide POSIX implementation, never deleted.
// Implementations must be thread-safe; a WritableFile is used by one thread.
//
// Example:
//   Env* env = Env::Default();
//   PROFUNDO_ASSIGN_OR_RETURN(auto file, env->NewWritableFile(tmp));
//   PROFUNDO_RETURN_IF_ERROR(file->Append(bytes));
//   PROFUNDO_RETURN_IF_ERROR(file->Sync());
//   PROFUNDO_RETURN_IF_ERROR(file->Close());
#ifndef PROFUNDO_SERVER_ENV_H_
#define PROFUNDO_SERVER_ENV_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace profundo::server {

// A file being written. Close (or the destructor) releases the handle.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual absl::Status Append(absl::string_view data) = 0;
  // Flushes the data to stable storage (fsync).
  virtual absl::Status Sync() = 0;
  virtual absl::Status Close() = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // The POSIX Env. Owned by the process.
  static Env* Default();

  // Creates or truncates `path`.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;
  // The whole file. NOT_FOUND if it does not exist.
  virtual absl::StatusOr<std::string> ReadFile(const std::string& path) = 0;
  // Atomically replaces `to` with `from` (rename(2)).
  virtual absl::Status RenameFile(const std::string& from,
                                  const std::string& to) = 0;
  virtual absl::Status RemoveFile(const std::string& path) = 0;
  // Creates the directory and its parents; OK if it exists.
  virtual absl::Status CreateDirs(const std::string& path) = 0;
  // fsyncs a directory, making renames and unlinks in it durable.
  virtual absl::Status SyncDir(const std::string& path) = 0;
  // Names (not paths) of the entries of `dir`, without "." and "..".
  virtual absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& dir) = 0;
  virtual bool FileExists(const std::string& path) = 0;
};

// Writes `data` to `path` so that after a crash the file holds either its
// old content or all of `data`: write `path`.tmp, fsync, rename, fsync the
// directory. On failure the temp file is removed and `path` is untouched,
// except when only the final directory sync fails: then `path` may already
// hold `data` (not yet durable).
absl::Status WriteFileAtomically(Env* env, const std::string& path,
                                 absl::string_view data);

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_ENV_H_
