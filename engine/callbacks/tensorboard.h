// TensorBoard: keras.callbacks.TensorBoard(log_dir) for epoch scalars. It
// writes one event file in log_dir/train and one in log_dir/validation
// (engine/tensorboard/event_file.h) and, at each epoch end, Keras's tags
// with the epoch as the step:
//   train:      epoch_loss, epoch_accuracy, epoch_learning_rate
//   validation: epoch_loss, epoch_accuracy (when the epoch has them)
// Both files are flushed after every epoch, so TensorBoard sees a running
// fit. A new TensorBoard adds new files to the same directories (a resumed
// fit); TensorBoard merges them.
//
// Unlike the callbacks of callback.h it is not in FitOptions.callbacks: it
// has no state to checkpoint and its I/O errors must reach the caller, so
// the caller calls OnEpochEnd from FitOptions.on_epoch_end and decides what
// a failed write means (profundo-fit stops, the server fails the job).
//
// Owns its writers. Not thread-safe: one fit's thread calls it.
#ifndef PROFUNDO_ENGINE_CALLBACKS_TENSORBOARD_H_
#define PROFUNDO_ENGINE_CALLBACKS_TENSORBOARD_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/callbacks/callback.h"
#include "engine/tensorboard/event_file.h"

namespace profundo {

class TensorBoard {
 public:
  // Creates log_dir/train and log_dir/validation (with parents) and a new
  // event file in each. INTERNAL on I/O errors.
  static absl::StatusOr<std::unique_ptr<TensorBoard>> Create(
      const std::string& log_dir);
  TensorBoard(const TensorBoard&) = delete;
  TensorBoard& operator=(const TensorBoard&) = delete;

  // Writes and flushes the epoch's scalars; the first error of any write.
  absl::Status OnEpochEnd(const EpochLogs& logs);

  const std::string& train_path() const { return train_->path(); }
  const std::string& validation_path() const { return validation_->path(); }

 private:
  TensorBoard(std::unique_ptr<EventFileWriter> train,
              std::unique_ptr<EventFileWriter> validation)
      : train_(std::move(train)), validation_(std::move(validation)) {}

  std::unique_ptr<EventFileWriter> train_;
  std::unique_ptr<EventFileWriter> validation_;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_CALLBACKS_TENSORBOARD_H_
