// BlobStore: immutable byte blobs (dataset payloads, model weights, training
// checkpoints) as files under one directory, each written atomically (temp
// file, fsync, rename, fsync dir) through an Env.
//
// Keys are generated here ("<kind>-<32 hex>"), never taken from a client, so
// no id or name can reach outside the directory; Get/Delete reject any key
// that is not of that form. The catalog records which keys are live;
// RemoveUnreferenced() collects the rest after a crash.
//
// Thread-safe (every operation is a few independent file system calls on
// distinct files). The Env is not owned and must outlive the store.
//
// Example:
//   BlobStore blobs(Env::Default(), data_dir + "/blobs");
//   PROFUNDO_RETURN_IF_ERROR(blobs.Init());
//   PROFUNDO_ASSIGN_OR_RETURN(std::string key, blobs.Put("weights", bytes));
#ifndef PROFUNDO_SERVER_BLOB_STORE_H_
#define PROFUNDO_SERVER_BLOB_STORE_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/env.h"

namespace profundo::server {

class BlobStore {
 public:
  BlobStore(Env* env, std::string dir);
  BlobStore(const BlobStore&) = delete;
  BlobStore& operator=(const BlobStore&) = delete;

  // Creates the directory and removes temp files left by a crash.
  absl::Status Init();

  // Stores `data` durably under a new key ("<kind>-..."); `kind` is one of
  // the server's own constants ([a-z]+). Nothing is left behind on failure.
  absl::StatusOr<std::string> Put(absl::string_view kind,
                                  absl::string_view data);
  // NOT_FOUND if there is no such blob.
  absl::StatusOr<std::string> Get(const std::string& key) const;
  // OK if the blob does not exist.
  absl::Status Delete(const std::string& key);

  // Deletes every blob whose key is not in `live`; returns how many.
  absl::StatusOr<int> RemoveUnreferenced(
      const absl::flat_hash_set<std::string>& live);

  const std::string& dir() const { return dir_; }

 private:
  absl::StatusOr<std::string> PathOf(const std::string& key) const;

  Env* const env_;
  const std::string dir_;
};

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_BLOB_STORE_H_
