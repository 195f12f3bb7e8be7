// TensorBoard event files: scalar summaries in TensorFlow's format, written
// without TensorFlow. A file is a sequence of TFRecords (uint64 length,
// masked CRC-32C of the length, data, masked CRC-32C of the data; all
// little-endian), each record a serialized tensorflow.Event. The first event
// carries file_version "brain.Event:2"; the others one Summary with one
// simple_value. Only the fields used here are encoded, with TensorFlow's
// field numbers:
//   Event   { double wall_time = 1; int64 step = 2;
//             oneof what { string file_version = 3; Summary summary = 5; } }
//   Summary { repeated Value value = 1; }
//   Value   { string tag = 1; float simple_value = 2; }
//
// Layout as Keras's TensorBoard callback writes it: one writer per run
// directory (e.g. DIR/train, DIR/validation), tags like "epoch_loss".
//
// EventFileWriter is not thread-safe; one thread writes a file.
//
// Example:
//   PROFUNDO_ASSIGN_OR_RETURN(auto w, EventFileWriter::Create("logs/train"));
//   PROFUNDO_RETURN_IF_ERROR(w->AddScalar("epoch_loss", 0, 0.51f));
//   PROFUNDO_RETURN_IF_ERROR(w->Flush());
//   // tensorboard --logdir logs
#ifndef PROFUNDO_ENGINE_TENSORBOARD_EVENT_FILE_H_
#define PROFUNDO_ENGINE_TENSORBOARD_EVENT_FILE_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace profundo {

// One scalar as read back from an event file.
struct ScalarEvent {
  double wall_time = 0;
  int64_t step = 0;
  std::string tag;
  float value = 0;
};

// Event bytes (a serialized tensorflow.Event) for tests and the writer.
std::string EncodeFileVersionEvent(double wall_time);
std::string EncodeScalarEvent(double wall_time, int64_t step,
                              std::string_view tag, float value);
// One TFRecord around `data`.
std::string FrameRecord(std::string_view data);

class EventFileWriter {
 public:
  // Creates `dir` (and parents) and a new file
  // "events.out.tfevents.<seconds>.<host>.profundo" in it, starting with the
  // file_version event. INTERNAL on I/O errors.
  static absl::StatusOr<std::unique_ptr<EventFileWriter>> Create(
      const std::string& dir);
  ~EventFileWriter();
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;

  // Appends one scalar; wall_time < 0 means now.
  absl::Status AddScalar(std::string_view tag, int64_t step, float value,
                         double wall_time = -1);
  absl::Status Flush();
  const std::string& path() const { return path_; }

 private:
  EventFileWriter(std::string path, std::FILE* file)
      : path_(std::move(path)), file_(file) {}
  absl::Status WriteRecord(std::string_view data);

  std::string path_;
  std::FILE* file_;
};

// Reads every record of an event file, checking both CRCs of each (DATA_LOSS
// on a mismatch or a truncated record), and returns its scalar summaries in
// file order. Events of other kinds are skipped.
absl::StatusOr<std::vector<ScalarEvent>> ReadScalarEvents(
    const std::string& path);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_TENSORBOARD_EVENT_FILE_H_
