#include "engine/callbacks/tensorboard.h"

#include <utility>

#include "engine/status_macros.h"

namespace profundo {

absl::StatusOr<std::unique_ptr<TensorBoard>> TensorBoard::Create(
    const std::string& log_dir) {
  PROFUNDO_ASSIGN_OR_RETURN(std::unique_ptr<EventFileWriter> train,
                            EventFileWriter::Create(log_dir + "/train"));
  PROFUNDO_ASSIGN_OR_RETURN(std::unique_ptr<EventFileWriter> validation,
                            EventFileWriter::Create(log_dir + "/validation"));
  return std::unique_ptr<TensorBoard>(
      new TensorBoard(std::move(train), std::move(validation)));
}

absl::Status TensorBoard::OnEpochEnd(const EpochLogs& logs) {
  const auto add = [&](EventFileWriter& w, const char* tag, double v) {
    return w.AddScalar(tag, logs.epoch, static_cast<float>(v));
  };
  PROFUNDO_RETURN_IF_ERROR(add(*train_, "epoch_loss", logs.loss));
  PROFUNDO_RETURN_IF_ERROR(add(*train_, "epoch_accuracy", logs.accuracy));
  PROFUNDO_RETURN_IF_ERROR(add(*train_, "epoch_learning_rate", logs.lr));
  if (logs.val_loss) {
    PROFUNDO_RETURN_IF_ERROR(add(*validation_, "epoch_loss", *logs.val_loss));
  }
  if (logs.val_accuracy) {
    PROFUNDO_RETURN_IF_ERROR(
        add(*validation_, "epoch_accuracy", *logs.val_accuracy));
  }
  PROFUNDO_RETURN_IF_ERROR(train_->Flush());
  return validation_->Flush();
}

}  // namespace profundo
